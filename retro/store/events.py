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
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from retro.errors import NotALogError, VersionError
from retro.model import MAX_FIELDS, MAX_SHORT_CHARS, Record, record_problem, value_ok

Event = dict[str, Any]

FORMAT = "retro-log"
VERSION = (1, 0)
PUT, DEL = "put", "del"

_REV = re.compile(r"\d{8}T\d{6}\.\d{6}Z-[0-9a-z]{1,16}-[0-9a-f]{16}\Z")
_REV_TIME = "%Y%m%dT%H%M%S.%fZ"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_EVENT_KEYS = frozenset({"at", "by", "id", "life", "op", "prev", "rec", "rev"})
MAX_LIFE = 1_000_000  # restores of one record: far more than anyone makes


def canonical(obj: Any) -> str:
    """The one JSON text of ``obj``: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


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
    digest = hashlib.sha256()
    for line in body:
        digest.update(line)
    return digest.hexdigest()[:16]


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
    return datetime.strptime(rev[:23], _REV_TIME).replace(tzinfo=UTC)


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
    utc = at.astimezone(UTC)
    if prev is not None:
        utc = max(utc, rev_time(prev) + timedelta(microseconds=1))
    event: Event = {"at": at.isoformat(), "by": by, "id": record_id, "op": op, "prev": prev}
    if rec is not None:
        event["rec"] = rec
    if life:
        event["life"] = life
    event["rev"] = f"{utc.strftime(_REV_TIME)}-{origin}-{content_hash(event)}"
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
    if not isinstance(obj, dict):
        return "the line is not a JSON object"
    rev, rid, op, prev = obj.get("rev"), obj.get("id"), obj.get("op"), obj.get("prev")
    if not isinstance(rev, str) or not _REV.match(rev):
        return "the event has no valid 'rev'"
    if not isinstance(rid, str) or not _UUID.match(rid):
        return "the event has no valid record 'id'"
    if prev is not None and not (isinstance(prev, str) and _REV.match(prev)):
        return "the event's 'prev' is not a revision"
    by, at = obj.get("by"), obj.get("at")
    if not isinstance(by, str) or len(by) > MAX_SHORT_CHARS:
        return "the event has no valid 'by'"
    if not isinstance(at, str) or len(at) > 40:
        return "the event has no valid 'at'"
    life = obj.get("life", 0)
    if type(life) is not int or not 0 <= life < MAX_LIFE:
        return "the event's 'life' is not a count of restores"
    if not _EVENT_KEYS.issuperset(obj):
        extra = [k for k in obj if k not in _EVENT_KEYS]
        if len(extra) > MAX_FIELDS or not all(value_ok(obj[k]) for k in extra):
            return "an unknown field of the event is too large or nested too deeply"
    if op == PUT:
        rec = obj.get("rec")
        problem = record_problem(rec)
        if problem:
            return problem
        if rec["id"] != rid:  # type: ignore[index]
            return "the record's id differs from the event's"
        return None
    if op == DEL:
        return None
    return "the event's 'op' is neither 'put' nor 'del'"


def replay(events: Iterable[Event], heads: dict[str, Event] | None = None) -> dict[str, Event]:
    """Fold ``events`` into the greatest revision of each record (tombstones included)."""
    heads = {} if heads is None else heads
    for event in events:
        current = heads.get(event["id"])
        if current is None or outranks(event, current):
            heads[event["id"]] = event
    return heads
