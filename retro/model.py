"""Records, kinds and their fields, and validation. Plain data, no I/O.

A record is a JSON object (a ``dict``): the fields common to every kind, the
fields of its kind, and any field a newer version of retro added (kept as is).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from retro.errors import ValidationError
from retro.fields import (  # re-exported: what a record's fields are and may hold
    ACTION_STATUSES as ACTION_STATUSES,
    COMMON as COMMON,
    COUNT as COUNT,
    DATE as DATE,
    DATETIME as DATETIME,
    FOCUSES as FOCUSES,
    FUTURE as FUTURE,
    IDS as IDS,
    KINDS as KINDS,
    LIVE_KINDS as LIVE_KINDS,
    MOVED as MOVED,
    NAMES as NAMES,
    PAST as PAST,
    REF as REF,
    RETRO_STATUSES as RETRO_STATUSES,
    RISK as RISK,
    SCALAR as SCALAR,
    SCORE as SCORE,
    SHORT as SHORT,
    TEXT as TEXT,
)

Record = dict[str, Any]

ENTRY_KINDS = tuple(kind for kind in KINDS if kind not in ("retro", *LIVE_KINDS))
SESSION_KIND = "retro"
ALL_KINDS = (*ENTRY_KINDS, SESSION_KIND)  # what people record and read
RECORD_KINDS = (*ALL_KINDS, *LIVE_KINDS)  # every kind a log may hold
STILL_OPEN = ("open", "carried", None)  # an action with one of these comes back until closed
STEPS = (
    "frame", "follow-ups", "outputs", "outcomes", "risks", "lessons", "dependencies",
    "actions", "summary",
)  # fmt: skip
# The steps where a retro records entries, and the kind each records.
STEP_KINDS = {
    "outputs": "output", "outcomes": "outcome", "risks": "risk", "lessons": "lesson",
    "dependencies": "dependency", "actions": "action",
}  # fmt: skip

MAX_LINE_BYTES = 1024 * 1024
MAX_TEXT_CHARS = 10_000
MAX_SHORT_CHARS = 200
MAX_LIST_ITEMS = 500
MAX_DEPTH = 16
MAX_FIELDS = 100
MAX_KEY_CHARS = 64
MAX_COUNT = 999

# The years a date may fall in. Near the ends of the calendar a change of UTC offset or a
# day's arithmetic overflows; no retrospective needs them.
FIRST_YEAR, LAST_YEAR = 1900, 9998
EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
LATEST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC)  # the first moment refused

COMMON_FIELDS: dict[str, str] = {field.name: field.type for field in COMMON}
KIND_FIELDS: dict[str, dict[str, str]] = {
    kind: {field.name: field.type for field in declared} for kind, declared in KINDS.items()
}
# Which side of today a date field lies on (see retro.fields): "future" for when something
# is due, "past" for when it happened.
DATE_DIRECTIONS: dict[tuple[str, str], str] = {
    (kind, field.name): field.direction
    for kind, declared in KINDS.items() for field in declared if field.direction
}  # fmt: skip
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    (kind, field.name): field.choices
    for kind, declared in KINDS.items() for field in declared if field.choices
}  # fmt: skip

# Fields the program owns: a user may not set them with ``--field``.
RESERVED = frozenset({"id", "kind", "created_at", "updated_at"})
_KEY = re.compile(r"[a-z_][a-z0-9_]{0,63}\Z")
# A record's id (the log's events check theirs with it too).
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def field_type(kind: str, name: str) -> str | None:
    """The declared type of field ``name`` on records of ``kind`` (None: a free field)."""
    return COMMON_FIELDS.get(name) or KIND_FIELDS.get(kind, {}).get(name)


def new_id() -> str:
    """A fresh record identity."""
    return str(uuid.uuid4())


# Fields that hold links, besides ``links``, by kind.
LINK_FIELDS = {"lesson": "applies_to", "retro": "decisions"}


def link_targets(rec: Mapping[str, Any]) -> list[str]:
    """The ids ``rec`` itself links to: its ``links`` and its kind's link field."""
    links: list[str] = rec.get("links") or []
    extra = LINK_FIELDS.get(rec.get("kind", ""))
    more = rec.get(extra) if extra else None
    return [*links, *more] if more else links


def is_open(action: Mapping[str, Any]) -> bool:
    """True for an action still open or carried: it comes back until it is closed."""
    return action.get("status") in STILL_OPEN


def awaits_evidence(outcome: Mapping[str, Any]) -> bool:
    """True for an outcome recorded with neither evidence nor an observed value yet."""
    return not outcome.get("evidence") and outcome.get("observed") in (None, "")


def due_order(rec: Mapping[str, Any]) -> str | None:
    """Where ``rec`` falls among what is due (None: it is not due): open actions by due
    date (those without one last), then outcomes awaiting evidence."""
    kind = rec.get("kind")
    if kind == "action" and is_open(rec):
        return str(rec.get("due") or "9999")
    if kind == "outcome" and awaits_evidence(rec):
        return "~"  # after every date
    return None


def risk_score(value: Mapping[str, int]) -> int:
    """Likelihood × impact."""
    return int(value["likelihood"]) * int(value["impact"])


# --- checking values -------------------------------------------------------------------


def value_ok(value: Any, depth: int = 1) -> bool:
    """True when a free-form value is within the size and nesting limits."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return len(value) <= MAX_FIELDS and all(value_ok(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return len(value) <= MAX_LIST_ITEMS and all(value_ok(v, depth + 1) for v in value)
    if isinstance(value, str):
        return len(value) <= MAX_TEXT_CHARS
    if isinstance(value, float):
        return math.isfinite(value)
    return True


_VALID_TIMES: dict[str, None] = {}  # date-times found valid lately: a log repeats them
_VALID_TIMES_KEPT = 256


def is_datetime(value: Any) -> bool:
    """True for an ISO 8601 date and time with its UTC offset, within the years accepted."""
    if type(value) is str and value in _VALID_TIMES:  # an event's "at" is its record's time
        return True
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    if moment.tzinfo is None:
        return False
    if FIRST_YEAR < moment.year < LAST_YEAR or EARLIEST <= moment < LATEST:
        if type(value) is str:
            if len(_VALID_TIMES) >= _VALID_TIMES_KEPT:
                _VALID_TIMES.clear()
            _VALID_TIMES[value] = None
        return True
    return False


def _is_date(value: Any) -> bool:
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return len(value) == 10 and FIRST_YEAR <= day.year <= LAST_YEAR


def _is_count(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_COUNT


def _is_score(value: Any) -> bool:
    return type(value) is int and 1 <= value <= 5


def _is_risk(value: Any) -> bool:
    return (
        type(value) is dict
        and len(value) == 2
        and _is_score(value.get("likelihood"))
        and _is_score(value.get("impact"))
    )


_match_uuid = UUID.match


def _is_ref(value: Any) -> bool:
    return type(value) is str and _match_uuid(value) is not None


def _is_ids(value: Any) -> bool:
    if type(value) is not list or len(value) > MAX_LIST_ITEMS:
        return False
    try:
        return all(map(_match_uuid, value))
    except TypeError:  # an item that is not a string
        return False


def _is_names(value: Any) -> bool:
    return (
        type(value) is list
        and len(value) <= MAX_LIST_ITEMS
        and all(type(v) is str and len(v) <= MAX_SHORT_CHARS for v in value)
    )


def _is_text(value: Any) -> bool:
    return type(value) is str and len(value) <= MAX_TEXT_CHARS


def _is_short(value: Any) -> bool:
    return type(value) is str and len(value) <= MAX_SHORT_CHARS


def _is_scalar(value: Any) -> bool:
    kind = type(value)
    return kind is int or (kind is float and math.isfinite(value)) or _is_short(value)


_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    TEXT: (_is_text, f"text of at most {MAX_TEXT_CHARS:,} characters"),
    SHORT: (_is_short, f"text of at most {MAX_SHORT_CHARS} characters"),
    SCALAR: (_is_scalar, "a finite number or a short text"),
    DATETIME: (is_datetime, "a date and time with its UTC offset"),
    DATE: (_is_date, "a date (YYYY-MM-DD)"),
    SCORE: (_is_score, "a whole number from 1 to 5"),
    COUNT: (_is_count, f"a whole number from 0 to {MAX_COUNT}"),
    RISK: (_is_risk, "likelihood and impact, each from 1 to 5"),
    IDS: (_is_ids, f"a list of at most {MAX_LIST_ITEMS} record ids"),
    NAMES: (_is_names, f"a list of at most {MAX_LIST_ITEMS} names"),
    REF: (_is_ref, "a record id (UUID)"),
}

_REQUIRED = ("id", "kind", "team", "author", "text", "created_at", "updated_at")
_REQUIRED_SET = frozenset(_REQUIRED)
# Text fields are checked in place, by their longest length (a call per field is most of
# the cost of checking a record); every other type by its check.
_LONGEST: dict[str, int] = {TEXT: MAX_TEXT_CHARS, SHORT: MAX_SHORT_CHARS}

# For each kind, each declared field: (longest text or 0, check, what it must be,
# allowed values, required).
_Spec = tuple[int, Callable[[Any], bool], str, tuple[str, ...] | None, bool]
_SPECS: dict[str, dict[str, _Spec]] = {
    kind: {
        name: (_LONGEST.get(ftype, 0), *_CHECKS[ftype], CHOICES.get((kind, name)),
               name in _REQUIRED_SET)  # fmt: skip
        for name, ftype in {**COMMON_FIELDS, **KIND_FIELDS[kind]}.items()
    }
    for kind in RECORD_KINDS
}


def record_problem(rec: Any) -> str | None:
    """Say what is wrong with ``rec`` as a record, or None when it is valid."""
    if type(rec) is not dict:
        return "the record is not a JSON object"
    if len(rec) > MAX_FIELDS:
        return f"the record has {len(rec)} fields (at most {MAX_FIELDS})"
    if not rec.keys() >= _REQUIRED_SET:
        missing = next(name for name in _REQUIRED if name not in rec)
        return f"the record has no {missing!r}"
    kind = rec["kind"]
    specs = _SPECS.get(kind) if type(kind) is str else None
    if specs is None:
        return f"unknown kind {str(kind)[:40]!r}"
    for name, value in rec.items():
        spec = specs.get(name)
        if spec is None:
            if len(name) > MAX_KEY_CHARS:
                return f"a field name is over {MAX_KEY_CHARS} characters"
            if not value_ok(value):
                return f"field {name!r} is too large or nested too deeply"
            continue
        longest, check, expected, choices, required = spec
        if longest and type(value) is str and len(value) <= longest and choices is None:
            continue  # valid text: the common case, decided without a call
        if value is None and not required:
            continue
        if not check(value):
            return f"field {name!r} must be {expected}"
        if choices is not None and value not in choices:
            return f"field {name!r} must be one of {', '.join(choices)}"
    return None


def validate(rec: Record) -> Record:
    """Return ``rec`` when valid; raise :class:`ValidationError` otherwise."""
    problem = record_problem(rec)
    if problem:
        raise ValidationError(problem)
    return rec


# --- building records from what people type ------------------------------------------


def parse_risk(text: str) -> dict[str, int]:
    """Parse ``4x3`` (likelihood × impact, each 1–5) into a risk value."""
    match = re.fullmatch(r"\s*([1-5])\s*[x×*]\s*([1-5])\s*", text)
    if not match:
        raise ValidationError(
            f"risk {text[:20]!r} must be likelihood x impact, each from 1 to 5 (e.g. 4x3)"
        )
    return {"likelihood": int(match.group(1)), "impact": int(match.group(2))}


def parse_count(text: str) -> int:
    """Parse a count (0 to 999)."""
    value = text.strip()
    if value.isascii() and value.isdigit() and int(value) <= MAX_COUNT:
        return int(value)
    raise ValidationError(f"count {text[:20]!r} must be a whole number from 0 to {MAX_COUNT}")


def parse_score(text: str) -> int:
    """Parse a 1–5 score."""
    if text.strip() in {"1", "2", "3", "4", "5"}:
        return int(text)
    raise ValidationError(f"score {text[:20]!r} must be a whole number from 1 to 5")


def coerce(
    kind: str,
    name: str,
    text: str,
    *,
    when: Callable[[str], datetime],
    day: Callable[[str], date],
    ref: Callable[[str], str],
) -> Any:
    """Turn what a person typed for field ``name`` into the stored value.

    ``when``/``day`` parse people's dates, ``ref`` resolves a reference to a record id.
    """
    if not _KEY.match(name):
        raise ValidationError(
            f"field name {name[:40]!r} must be lower case letters, digits or _ (e.g. sprint_goal)"
        )
    if name in RESERVED:
        raise ValidationError(f"field {name!r} is set by retro and cannot be changed")
    ftype = field_type(kind, name)
    if ftype in (TEXT, SHORT, SCALAR, None):
        value: Any = text
    elif ftype == DATETIME:
        value = when(text).isoformat()
    elif ftype == DATE:
        value = day(text).isoformat()
    elif ftype == SCORE:
        value = parse_score(text)
    elif ftype == COUNT:
        value = parse_count(text)
    elif ftype == RISK:
        value = parse_risk(text)
    elif ftype == REF:
        value = ref(text)
    else:  # IDS or NAMES: comma separated
        items = [item.strip() for item in text.split(",") if item.strip()]
        value = [ref(item) for item in items] if ftype == IDS else items
    choices = CHOICES.get((kind, name))
    if choices and value not in choices:
        raise ValidationError(f"{name} must be one of {', '.join(choices)}")
    if ftype is None and len(text) > MAX_TEXT_CHARS:
        raise ValidationError(f"field {name!r} is over {MAX_TEXT_CHARS:,} characters")
    return value


def new_record(
    kind: str,
    text: str,
    *,
    team: str,
    author: str,
    at: datetime,
    fields: Mapping[str, Any] | None = None,
    links: Iterable[str] = (),
    retro: str | None = None,
    rid: str | None = None,
) -> Record:
    """A new, validated record of ``kind`` (with the id ``rid``, or a fresh one)."""
    if not text.strip():
        raise ValidationError("the text cannot be empty")
    stamp = at.isoformat()
    rec: Record = {
        "id": rid or new_id(),
        "kind": kind,
        "team": team,
        "author": author,
        "text": text,
        "created_at": stamp,
        "updated_at": stamp,
        "retro": retro,
        "links": list(dict.fromkeys(links)),
    }
    if kind == "action":
        rec["status"] = "open"
    rec.update(fields or {})
    return validate(rec)


_BLANK: dict[str, Record] = {
    kind: dict.fromkeys([*COMMON_FIELDS, *KIND_FIELDS[kind]]) for kind in RECORD_KINDS
}


def full_view(rec: Record) -> Record:
    """A copy of ``rec`` with every field of its kind present (None where unset), for exports."""
    view = _BLANK[rec["kind"]].copy()
    view.update(rec)
    return view


def first_line(text: str, width: int = 60) -> str:
    """The first line of ``text``, shortened to ``width``."""
    lines = text.strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def title(rec: Record, width: int = 60) -> str:
    """A one-line label for ``rec``: its text, shortened to ``width``."""
    return first_line(str(rec.get("text", "")), width)
