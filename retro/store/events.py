"""Events: the lines of a log. Encoding, revisions, the header, checking, replay.

An event is a full snapshot of one record at one revision (``op`` ``put``) or a
tombstone (``op`` ``del``)::

    {"at": "...+01:00", "by": "Ana", "id": "<uuid>", "op": "put",
     "prev": "<rev>|null", "rec": {...}, "rev": "<rev>"}

``rev`` is ``<UTC time>-<origin>-<content hash>``: comparing two revisions as
strings orders them by time, then writer, then content, the same everywhere.

An optional ``life`` (absent means 0) counts how often a record was brought back
after a deletion. The greater ``life`` wins; at equal ``life`` a tombstone outranks
every ``put``, so a deletion survives any merge; otherwise the greater ``rev`` wins.
A deletion and every edit carry the ``life`` of the revision they follow; a restore
is a ``put`` with one more, so it outranks exactly the deletion it undoes.

A line is an event only when every field checks out (:func:`event_problem`) and the
revision's hash matches the content (:func:`decode`); anything else is a damaged line,
skipped by readers, reported by ``verify`` and set aside by ``compact``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from retro.errors import NotALogError, ValidationError, VersionError
from retro.model import (
    EARLIEST,
    FIRST_YEAR,
    LAST_YEAR,
    LATEST,
    MAX_FIELDS,
    MAX_SHORT_CHARS,
    UUID,
    Record,
    is_datetime,
    record_problem,
    value_ok,
)

Event = dict[str, Any]

FORMAT = "retro-log"
VERSION = (1, 0)
PUT, DEL = "put", "del"

_REV = re.compile(r"\d{8}T\d{6}\.\d{6}Z-[0-9a-z]{1,16}-[0-9a-f]{16}\Z")
_REV_TIME = "%Y%m%dT%H%M%S.%fZ"
_match_uuid = UUID.match
_EVENT_KEYS = frozenset({"at", "by", "id", "life", "op", "prev", "rec", "rev"})
MAX_LIFE = 1_000_000  # restores of one record: far more than anyone makes
HASH_MISMATCH = "the content does not match its revision (edited by hand or damaged)"


def canonical(obj: Any) -> str:
    """The one JSON text of ``obj``: sorted keys, no spaces, UTF-8 kept, no NaN or Infinity."""
    return json.dumps(
        obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )


def encode(event: Event) -> bytes:
    """The log line of ``event``."""
    return canonical(event).encode() + b"\n"


def header(version: tuple[int, int] = VERSION, generation: str | None = None) -> bytes:
    """The first line of every log; a rewritten log's names its ``generation``.

    Readers ignore what they do not know in a header, so logs with and without a
    generation read alike (no generation: a log only ever appended to).
    """
    fields = {"format": FORMAT, "version": f"{version[0]}.{version[1]}"}
    if generation is not None:
        fields["gen"] = generation
    return encode(fields)


def generation(body: Iterable[bytes]) -> str:
    """The generation of a rewritten log: a hash of the lines it was written with.

    Derived from the content, so that the same events still give the same bytes
    (a merge stays deterministic), yet a reader tells a rewrite from the file it
    was reading by the header.
    """
    hashed = Generation()
    for line in body:
        hashed.add(line)
    return hashed.value()


class Generation:
    """:func:`generation`, taken line by line as the lines are written."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def add(self, line: bytes) -> bytes:
        """Take ``line`` in; return it."""
        self._digest.update(line)
        return line

    def value(self) -> str:
        return self._digest.hexdigest()[:16]

    def header(self, version: tuple[int, int]) -> bytes:
        """The header naming the generation of the lines taken in."""
        return header(version, self.value())


def header_size(version: tuple[int, int]) -> int:
    """How long the header of a rewritten log of ``version`` is."""
    return len(header(version, "0" * 16))


def rewritten(version: tuple[int, int], body: Sequence[bytes]) -> list[bytes]:
    """The lines of a log rewritten with ``body``: a header with its generation first."""
    return [header(version, generation(body)), *body]


def is_header(line: bytes) -> bool:
    """True when ``line`` is a header (as left inside a log by a textual union of two)."""
    if not line.startswith(b'{"format":'):
        return False
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(obj, dict) and obj.get("format") == FORMAT and "rev" not in obj


def parse_header(line: bytes, source: str) -> tuple[int, int]:
    """Check the first line of ``source`` and return its version (major, minor)."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        obj = None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise NotALogError(f"{source} is not a retro log (its first line is not a retro header)")
    match = re.fullmatch(r"(\d{1,4})\.(\d{1,4})", str(obj.get("version", "")))
    if not match:
        raise NotALogError(f"{source}: the header has no valid version")
    version = (int(match.group(1)), int(match.group(2)))
    if version[0] > VERSION[0]:
        raise VersionError(
            f"{source} was written by a newer retro (log format {version[0]}.{version[1]}; "
            f"this retro reads {VERSION[0]}.x): upgrade retro to use it"
        )
    return version


def content_hash(event: Event) -> str:
    """Hash of everything in ``event`` but its revision."""
    body = {k: v for k, v in event.items() if k != "rev"}
    return hashlib.sha256(canonical(body).encode()).hexdigest()[:16]


def rev_time(rev: str) -> datetime:
    """The UTC time a revision was made."""
    return datetime.fromisoformat(rev[:23])


def _rev_problem(rev: Any, name: str) -> str | None:
    """Say what is wrong with ``rev`` as a revision (field ``name``), or None."""
    if not isinstance(rev, str) or not _REV.match(rev):
        return f"the event has no valid {name!r}"
    try:
        moment = rev_time(rev)
    except ValueError:
        return f"the event's {name!r} is not a real time"
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        return f"the event's {name!r} is outside the years retro accepts"
    return None


def _rev_ok(rev: Any) -> bool:
    """True when ``rev`` is a valid revision (:func:`_rev_problem` says why not)."""
    if not isinstance(rev, str) or not _REV.match(rev):  # as _rev_problem decides
        return False
    try:
        year = datetime.fromisoformat(rev[:23]).year
    except ValueError:
        return False
    return FIRST_YEAR <= year <= LAST_YEAR


def make_event(
    op: str,
    record_id: str,
    *,
    rec: Record | None,
    prev: str | None,
    at: datetime,
    by: str,
    origin: str,
    life: int = 0,
) -> Event:
    """A new event. Its time is kept after ``prev``'s so that edits always win over their base.

    ``life`` is written only when above 0, so events of records never restored
    read as they always did.
    """
    utc = at.astimezone(UTC) if EARLIEST <= at < LATEST else None
    if utc is None:
        raise ValidationError(f"the clock reads {at.isoformat()}, outside the years retro accepts")
    if prev is not None:  # a valid revision, so a microsecond later is still a valid time
        utc = max(utc, rev_time(prev) + timedelta(microseconds=1))
    event: Event = {"at": at.isoformat(), "by": by, "id": record_id, "op": op, "prev": prev}
    if rec is not None:
        event["rec"] = rec
    if life:
        event["life"] = life
    try:
        digest = content_hash(event)
    except UnicodeEncodeError as err:  # e.g. bytes of another encoding, passed through as text
        raise ValidationError("the entry holds characters that are not valid text") from err
    event["rev"] = f"{utc.strftime(_REV_TIME)}-{origin}-{digest}"
    return event


def life_of(event: Event) -> int:
    """How many times the record of ``event`` had been restored when it was written."""
    life: int = event.get("life", 0)
    return life


def outranks(event: Event, other: Event) -> bool:
    """True when ``event`` is a later revision of its record than ``other``.

    The greater ``life`` wins; at equal ``life`` a tombstone outranks every
    ``put``; otherwise the greater revision wins.
    """
    life, other_life = event.get("life", 0), other.get("life", 0)
    if life != other_life:
        return bool(life > other_life)
    dead: bool = event["op"] == DEL
    other_dead: bool = other["op"] == DEL
    if dead != other_dead:
        return dead
    return bool(event["rev"] > other["rev"])


def event_problem(obj: Any) -> str | None:
    """Say what is wrong with a decoded line as an event, or None when it is valid."""
    if type(obj) is not dict:
        return "the line is not a JSON object"
    rev, rid, prev = obj.get("rev"), obj.get("id"), obj.get("prev")
    if not _rev_ok(rev):
        return _rev_problem(rev, "rev")
    if type(rid) is not str or not _match_uuid(rid):
        return "the event has no valid record 'id'"
    if prev is not None and not _rev_ok(prev):
        return "the event's 'prev' is not a revision"
    by, at = obj.get("by"), obj.get("at")
    if type(by) is not str or len(by) > MAX_SHORT_CHARS:
        return "the event has no valid 'by'"
    if type(at) is not str or len(at) > 40 or not is_datetime(at):
        return "the event's 'at' is not a date and time with its UTC offset"
    life = obj.get("life", 0)
    if type(life) is not int or not 0 <= life < MAX_LIFE:
        return "the event's 'life' is not a count of restores"
    if not _EVENT_KEYS.issuperset(obj):
        extra = [k for k in obj if k not in _EVENT_KEYS]
        if len(extra) > MAX_FIELDS or not all(value_ok(obj[k]) for k in extra):
            return "an unknown field of the event is too large or nested too deeply"
    op = obj.get("op")
    if op != PUT and op != DEL:
        return "the event's 'op' is neither 'put' nor 'del'"
    if op == DEL and "rec" not in obj:
        return None
    rec = obj.get("rec")
    problem = record_problem(rec)
    if problem:
        return problem
    if rec["id"] != rid:  # type: ignore[index]
        return "the record's id differs from the event's"
    return None


class _NotANumber(ValueError):
    """NaN, Infinity or a number too large for a float: what JSON does not allow."""


def _no_constant(name: str) -> Any:
    raise _NotANumber(f"the line holds {name[:9]}, which JSON does not allow")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotANumber("the line holds a number too large to use")
    return value


# json.loads, but NaN, Infinity and numbers too large for a float are not numbers.
_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def hash_matches(event: Event, line: bytes | None = None) -> bool:
    """True when the hash in ``event``'s revision is that of its content.

    ``line`` (the event's line as read, without its newline) saves encoding the
    event again when it is written the way retro writes it; otherwise, and when that
    does not match, the event's canonical form decides. (Only a deliberately forged
    line matches by its own bytes and not in canonical form: ``verify`` checks the
    canonical form and reports it; once ``compact`` has written it canonically it is
    a damaged line like any other.) Raises ``UnicodeEncodeError`` on a lone surrogate.
    """
    rev: str = event["rev"]
    # No \\u escapes: written by retro, or by hand (a backslash is rare, and found fast).
    if line is not None and (b"\\" not in line or b"\\u" not in line):
        tail = b',"rev":"' + rev.encode() + b'"}'
        if line.endswith(tail):
            digest = hashlib.sha256(line[: -len(tail)])
            digest.update(b"}")
            if digest.hexdigest()[:16] == rev[-16:]:
                return True
    return content_hash(event) == rev[-16:]


# Digits become "0", all else "x": a run of 19 zeros is an integer orjson may read as a float.
_DIGITS = bytes(ord("0") if chr(b).isdigit() and b < 128 else ord("x") for b in range(256))
_LONG_NUMBER = b"0" * 19  # a JSON integer beyond 64 bits has at least 19 digits


def has_long_number(line: bytes) -> bool:
    """True when ``line`` may hold an integer beyond 64 bits (which orjson reads as a float)."""
    return _LONG_NUMBER in line.translate(_DIGITS)


# What orjson writes of a float and Python does not: 0.00001 (1e-05), 4.8e-9 (4.8e-09).
_ORJSON_EXPONENT = re.compile(rb"e-[1-9][,}\]]")
_ORJSON_DECIMAL = b"0.0000"


def _orjson_is_canonical(event: Event, line: bytes) -> bool:
    """True when orjson shows that ``line`` is ``event``'s canonical form (False: unsure).

    Their texts differ only for integers beyond 64 bits and floats under 0.0001, which
    orjson writes otherwise (0.00001 for 1e-05, 4.8e-9 for 4.8e-09).
    """
    try:
        same = orjson.dumps(event, option=orjson.OPT_SORT_KEYS) == line
    except TypeError:  # an integer beyond 64 bits
        return False
    return same and _ORJSON_DECIMAL not in line and not _ORJSON_EXPONENT.search(line)


def canonical_text(event: Event, line: bytes) -> bytes:
    """``event``'s canonical form, without a newline: ``line`` itself when it is that already."""
    return line if _orjson_is_canonical(event, line) else canonical(event).encode()


def canonical_hash_matches(event: Event, line: bytes) -> bool:
    """True when the hash in ``event``'s revision is that of its canonical form.

    ``event`` was decoded from ``line``, its hash checked against the line's bytes
    (:func:`decode`): when the line is the event's canonical form, that is the check,
    and orjson tells whether it is at a fraction of the cost of the standard library.
    """
    if _orjson_is_canonical(event, line):
        return True
    rev: str = event["rev"]
    return content_hash(event) == rev[-16:]


def decode(line: bytes) -> Event | str:
    """The event on one line (without its newline), or what is wrong with the line.

    orjson reads the lines (four times faster than the standard library); whatever it
    refuses, a line that is not a valid event, and a line with an integer beyond 64 bits
    (which orjson reads as a float) are read again by :func:`decode_exactly`, so that
    every verdict and every value is the standard library's.
    """
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return decode_exactly(line)
    if (event_problem(obj) is None and not has_long_number(line)
            and hash_matches(obj, line)):  # fmt: skip
        event: Event = obj
        return event
    return decode_exactly(line)


def decode_exactly(line: bytes) -> Event | str:
    """:func:`decode` with the standard library's parser: what it says of a damaged line."""
    try:
        obj = _DECODER.decode(line.decode())
    except RecursionError:
        return "the line is nested too deeply"
    except UnicodeDecodeError:
        return "the line is not UTF-8 text"
    except _NotANumber as err:
        return str(err)
    except ValueError:
        return "the line is not valid JSON"
    problem = event_problem(obj)
    if problem is not None:
        return problem
    try:
        matches = hash_matches(obj, line)
    except UnicodeEncodeError:
        return "the line holds a lone surrogate escape, which is not text"
    if not matches:
        return HASH_MISMATCH
    event: Event = obj
    return event


def replay(events: Iterable[Event], heads: dict[str, Event] | None = None) -> dict[str, Event]:
    """Fold ``events`` into the greatest revision of each record (tombstones included)."""
    heads = {} if heads is None else heads
    for event in events:
        current = heads.get(event["id"])
        if current is None or outranks(event, current):
            heads[event["id"]] = event
    return heads
