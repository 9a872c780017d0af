"""Dates people type at the command line, and sprint periods from a cadence.

Every datetime returned is timezone-aware. "Local" means the zone of the ``now``
the caller passes (by default the system's current UTC offset).

Ambiguous forms (a bare weekday, a month and day without a year) lean one way: to the
past by default, for when something happened, or to the future with ``forward=True``,
for when something is due. Today counts either way: on a Friday, "friday" is today.
Explicit forms ("last friday", "next friday", "in 2 weeks", "3 days ago", a year, ISO)
mean the same in both directions; when one lands on the wrong side of today,
:func:`direction_warning` says so.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta
from dateutil.rrule import DAILY, rrule

from retro.errors import ValidationError
from retro.model import EARLIEST, FIRST_YEAR, LAST_YEAR, LATEST
from retro.present.sanitize import clean

ACCEPTED_FORMS = (
    "ISO dates and times (2026-11-20, 2026-11-20T15:00+01:00), '2026-11-20 15:00', "
    "'20 Nov 2026', 'Nov 20', 'now', 'today', 'today 9am', 'yesterday 15:30', 'tomorrow', "
    "'3 days ago', '2w ago', 'in 2 weeks', 'friday', 'last friday', 'next monday 3pm', "
    "'sprint', 'last sprint', 'sprint 4'"
)
MAX_INPUT_CHARS = 100
MAX_SPRINT_DAYS = 365
_ECHO_CHARS = 60
_MAX_ORDINAL = date.max.toordinal()


class DateError(ValidationError, ValueError):
    """A date, time or length that cannot be understood."""


def _echo(text: str) -> str:
    """``text`` without control or format characters, cut to a short length."""
    kept = clean(text, drop=True)
    return kept if len(kept) <= _ECHO_CHARS else kept[:_ECHO_CHARS] + "…"


def _not_understood(text: str) -> DateError:
    return DateError(f"cannot understand the date {_echo(text)!r}; use one of: {ACCEPTED_FORMS}")


def in_span(moment: datetime) -> bool:
    """True when an aware datetime falls within the years retro accepts."""
    return EARLIEST <= moment < LATEST


def _out_of_span(text: str) -> DateError:
    return DateError(f"the date {_echo(text)!r} is outside the years {FIRST_YEAR}–{LAST_YEAR}")


@dataclass(frozen=True)
class Cadence:
    """Sprints of ``length_days`` days, sprint 1 starting on ``start``."""

    start: date
    length_days: int

    def __post_init__(self) -> None:
        if isinstance(self.start, datetime) or not isinstance(self.start, date):
            raise TypeError("the cadence start must be a date")
        if self.length_days < 1:
            raise ValueError(f"the sprint length must be at least one day, not {self.length_days}")

    def sprint_number(self, day: date) -> int:
        """Number of the sprint holding ``day``: 1 for the first, 0 or less before ``start``."""
        return (day - self.start).days // self.length_days + 1

    def period(self, number: int) -> tuple[date, date]:
        """First and last day (inclusive) of sprint ``number``, cut at the ends of the calendar.

        Raises ``OverflowError`` when the whole sprint lies outside the calendar.
        """
        first = self.start.toordinal() + (number - 1) * self.length_days
        last = first + self.length_days - 1
        if last < 1 or first > _MAX_ORDINAL:
            raise OverflowError(f"sprint {number} is outside the calendar")
        return date.fromordinal(max(first, 1)), date.fromordinal(min(last, _MAX_ORDINAL))

    def period_of(self, day: date) -> tuple[date, date]:
        """First and last day (inclusive) of the sprint holding ``day``."""
        return self.period(self.sprint_number(day))

    def starts(self, first: date, last: date) -> list[date]:
        """Days from ``first`` to ``last`` (inclusive) on which a sprint starts."""
        skip = -(first - self.start).days % self.length_days
        if (last - first).days < skip:
            return []
        begin = first + timedelta(days=skip)
        rule = rrule(
            DAILY,
            interval=self.length_days,
            dtstart=datetime.combine(begin, time()),
            until=datetime.combine(last, time()),
        )
        return [moment.date() for moment in rule]


_LENGTH = re.compile(r"(\d{1,4})\s*(d|days?|w|wks?|weeks?)?")


def parse_length(text: str) -> int:
    """Days in a sprint length such as "2w", "2 weeks", "14d", "10 days" or "14"."""
    match = _LENGTH.fullmatch(" ".join(text.split()).lower())
    if match:
        days = int(match.group(1)) * (7 if (match.group(2) or "d").startswith("w") else 1)
        if 1 <= days <= MAX_SPRINT_DAYS:
            return days
    raise DateError(
        f"cannot understand the sprint length {_echo(text)!r}; use a number of days or weeks "
        f"from 1 day to {MAX_SPRINT_DAYS} days, e.g. '2w', '2 weeks', '14d', '10 days' or '14'"
    )


def now_local() -> datetime:
    """The current time, aware, in the system's current UTC offset."""
    return datetime.now().astimezone()


def to_iso(dt: datetime) -> str:
    """ISO 8601 with the UTC offset; microseconds only when there are some."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("to_iso needs a timezone-aware datetime")
    return dt.isoformat(timespec="microseconds" if dt.microsecond else "seconds")


def parse_iso(text: str) -> datetime:
    """A datetime read back from a log: strict ISO 8601 with a UTC offset."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        value = None
    if value is None or value.utcoffset() is None:
        raise DateError(
            f"invalid timestamp {_echo(str(text))!r}: expected ISO 8601 with a UTC offset"
        )
    if not in_span(value):
        raise _out_of_span(text)
    return value


_UNITS = {
    "minutes": ("m", "min", "mins", "minute", "minutes"),
    "hours": ("h", "hr", "hrs", "hour", "hours"),
    "days": ("d", "day", "days"),
    "weeks": ("w", "wk", "wks", "week", "weeks"),
    "months": ("mo", "mos", "month", "months"),
    "years": ("y", "yr", "yrs", "year", "years"),
}
_UNIT_OF = {alias: unit for unit, aliases in _UNITS.items() for alias in aliases}
_UNIT = "|".join(sorted(_UNIT_OF, key=len, reverse=True))
_AMOUNT = rf"(?P<n>\d{{1,6}}|an?)\s*(?P<unit>{_UNIT})"
_AGO = re.compile(rf"{_AMOUNT} ago")
_IN = re.compile(rf"in {_AMOUNT}")

_WEEKDAYS = {
    "mon": MO, "monday": MO, "tue": TU, "tues": TU, "tuesday": TU,
    "wed": WE, "weds": WE, "wednesday": WE, "thu": TH, "thur": TH, "thurs": TH, "thursday": TH,
    "fri": FR, "friday": FR, "sat": SA, "saturday": SA, "sun": SU, "sunday": SU,
}  # fmt: skip
_WEEKDAY = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_DAY = re.compile(
    rf"(?P<day>now|today|yesterday|tomorrow|(?:(?P<rel>last|next) )?(?P<wd>{_WEEKDAY}))"
    r"(?: (?:at )?(?P<time>.+))?"
)
_TIME = re.compile(r"(?P<h>\d{1,2})(?::(?P<m>\d{2})(?::(?P<s>\d{2}))?)? ?(?P<ampm>[ap]\.?m\.?)?")
_SPRINT = re.compile(r"(?:(?P<which>this|current|last|previous) )?sprint(?: (?P<n>\d{1,6}))?")
_MONTH = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b"
)
_NUMERIC_DATE = re.compile(r"\b\d{4}([-/.])\d{1,2}\1\d{1,2}\b")
_YEAR = re.compile(r"\b\d{4}\b")
_ZONE = re.compile(r"\b(?:utc|gmt)\b(?P<offset> ?[+-])?")


def _midnight(day: date, tz: tzinfo | None) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def _time_of_day(text: str) -> time | None:
    """A time such as "9am", "9:15pm" or "15:30"; None when ``text`` is not one."""
    match = _TIME.fullmatch(text)
    if not match or (match["m"] is None and match["ampm"] is None):
        return None
    hour, minute, second = int(match["h"]), int(match["m"] or 0), int(match["s"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"].startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _day_phrase(match: re.Match[str], now: datetime, forward: bool) -> datetime | None:
    """Today, yesterday, tomorrow or a weekday, at midnight or at the time given."""
    today = now.date()
    word = match["day"]
    if word == "now":
        return now if match["time"] is None else None
    if match["wd"]:
        weekday = _WEEKDAYS[match["wd"]]
        if match["rel"] == "last":
            day = today - timedelta(days=1) + relativedelta(weekday=weekday(-1))
        elif match["rel"] == "next":
            day = today + timedelta(days=1) + relativedelta(weekday=weekday(+1))
        else:  # the latest such day, or the next one; today counts either way
            day = today + relativedelta(weekday=weekday(+1 if forward else -1))
    else:
        day = today + timedelta(days={"today": 0, "yesterday": -1, "tomorrow": 1}[word])
    if match["time"] is None:
        return _midnight(day, now.tzinfo)
    at = _time_of_day(match["time"])
    return None if at is None else datetime.combine(day, at, tzinfo=now.tzinfo)


def _shift(match: re.Match[str], now: datetime, sign: int) -> datetime:
    """``now`` moved by the amount in ``match``: elapsed time for hours, calendar otherwise."""
    amount = sign * (1 if match["n"] in ("a", "an") else int(match["n"]))
    unit = _UNIT_OF[match["unit"]]
    if unit in ("minutes", "hours"):
        return (now.astimezone(UTC) + timedelta(**{unit: amount})).astimezone(now.tzinfo)
    if unit in ("days", "weeks"):
        return now + timedelta(**{unit: amount})
    return now + relativedelta(months=amount * (12 if unit == "years" else 1))


def _sprint(match: re.Match[str], now: datetime, cadence: Cadence | None, text: str) -> datetime:
    if cadence is None:
        raise DateError(
            f"cannot use {_echo(text)!r}: the sprint cadence is not configured (run `retro init`)"
        )
    if match["n"] is not None:
        if match["which"] is not None or int(match["n"]) < 1:
            raise _not_understood(text)
        number = int(match["n"])
    else:
        number = cadence.sprint_number(now.date())
        if match["which"] in ("last", "previous"):
            number -= 1
    return _midnight(cadence.period(number)[0], now.tzinfo)


def _free_form(clean: str, now: datetime, forward: bool) -> datetime | None:
    """Dates such as "20 Nov 2026", "Nov 20" or "2026/11/20", read by dateutil.

    Without a year, the nearest such day on the side of today ``forward`` asks for.
    """
    if not (_MONTH.search(clean) or _NUMERIC_DATE.search(clean)):
        return None
    if any(zone["offset"] for zone in _ZONE.finditer(clean)):
        return None  # dateutil reads "GMT+2" the POSIX way, as two hours behind UTC
    from dateutil.parser import (  # slow to import: on demand
        ParserError,
        UnknownTimezoneWarning,
        parse as _dateutil_parse,
    )

    clean = _ZONE.sub(lambda zone: zone.group().upper(), clean)
    default = datetime.combine(now.date(), time())
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownTimezoneWarning)
        try:
            value = _dateutil_parse(clean, default=default, fuzzy=False)
        except (ParserError, ValueError, OverflowError, UnknownTimezoneWarning):
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=now.tzinfo)
    if not _YEAR.search(clean):
        day, today = value.astimezone(now.tzinfo).date(), now.date()
        if forward and day < today:
            value += relativedelta(years=1)
        elif not forward and day > today:
            value -= relativedelta(years=1)
    return value


def _resolve(
    clean: str, now: datetime, cadence: Cadence | None, text: str, forward: bool
) -> datetime | None:
    try:
        iso = datetime.fromisoformat(clean.upper())
    except ValueError:
        pass
    else:
        return iso if iso.tzinfo is not None else iso.replace(tzinfo=now.tzinfo)
    lowered = clean.lower()
    if match := _DAY.fullmatch(lowered):
        return _day_phrase(match, now, forward)
    if match := _AGO.fullmatch(lowered):
        return _shift(match, now, -1)
    if match := _IN.fullmatch(lowered):
        return _shift(match, now, +1)
    if match := _SPRINT.fullmatch(lowered):
        return _sprint(match, now, cadence, text)
    return _free_form(lowered, now, forward)


def parse_when(
    text: str,
    *,
    now: datetime | None = None,
    cadence: Cadence | None = None,
    forward: bool = False,
) -> datetime:
    """The aware datetime meant by ``text``, as typed by a person (see ``ACCEPTED_FORMS``).

    ``forward`` reads ambiguous forms as the next such day rather than the last one.
    """
    if now is None:
        now = now_local()
    elif now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    clean = " ".join(text.split())
    if not clean or len(text) > MAX_INPUT_CHARS:
        raise _not_understood(text)
    try:
        value = _resolve(clean, now, cadence, text, forward)
    except DateError:
        raise
    except (OverflowError, ValueError) as exc:
        raise _not_understood(text) from exc
    if value is None:
        raise _not_understood(text)
    if not in_span(value):
        raise _out_of_span(text)
    return value


def parse_day(
    text: str,
    *,
    now: datetime | None = None,
    cadence: Cadence | None = None,
    forward: bool = False,
) -> date:
    """The local calendar day meant by ``text`` (``forward`` as for :func:`parse_when`)."""
    if now is None:
        now = now_local()
    value = parse_when(text, now=now, cadence=cadence, forward=forward)
    return value.astimezone(now.tzinfo).date()


def direction_warning(
    label: str, value: date | str, now: datetime, *, forward: bool
) -> str | None:
    """Say that ``value`` lies on the wrong side of today, or None when it does not.

    ``value`` is a date, an aware datetime, or either as a record stores it (ISO 8601).
    Wrong is before today when ``forward`` (a due date), after today otherwise (when
    something happened); today is never wrong. Ambiguous forms never land on the wrong
    side, so only a date typed in full is flagged. ``label`` (e.g. "--due") starts the
    message when given.
    """
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else parse_iso(value)
    if isinstance(value, datetime):
        value = value.astimezone(now.tzinfo).date()
    today = now.date()
    if forward and value < today:
        side = "past"
    elif not forward and value > today:
        side = "future"
    else:
        return None
    return f"{label} {value.isoformat()} is in the {side}".lstrip()
