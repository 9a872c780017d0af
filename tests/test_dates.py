"""Tests for retro.dates: what people type as WHEN, and sprint periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from retro.dates import (
    ACCEPTED_FORMS,
    Cadence,
    DateError,
    direction_warning,
    now_local,
    parse_day,
    parse_iso,
    parse_length,
    parse_when,
    to_iso,
)

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 27, 10, 30, tzinfo=CET)  # a Friday
CADENCE = Cadence(date(2026, 1, 5), 14)  # sprint 24 runs from 2026-11-23 to 2026-12-06


def when(text: str, cadence: Cadence | None = CADENCE) -> str:
    return to_iso(parse_when(text, now=NOW, cadence=cadence))


def test_fixed_now_is_a_friday() -> None:
    assert NOW.strftime("%A") == "Friday"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO forms, with or without an offset
        ("2026-11-20", "2026-11-20T00:00:00+01:00"),
        ("2026-11-20T15:00", "2026-11-20T15:00:00+01:00"),
        ("2026-11-20T15:00+05:30", "2026-11-20T15:00:00+05:30"),
        ("2026-11-20t15:00z", "2026-11-20T15:00:00+00:00"),
        ("2026-11-20 15:00", "2026-11-20T15:00:00+01:00"),
        ("2026-11-20T15:00:00.250+01:00", "2026-11-20T15:00:00.250000+01:00"),
        ("2026-W47-5", "2026-11-20T00:00:00+01:00"),
        # other written dates
        ("2026/11/20", "2026-11-20T00:00:00+01:00"),
        ("20 Nov 2026", "2026-11-20T00:00:00+01:00"),
        ("November 20, 2026 3pm", "2026-11-20T15:00:00+01:00"),
        ("20 nov 2026 15:00 utc", "2026-11-20T15:00:00+00:00"),
        ("Nov 20", "2026-11-20T00:00:00+01:00"),
        ("nov 27", "2026-11-27T00:00:00+01:00"),  # today is not the future
        ("Nov 28", "2025-11-28T00:00:00+01:00"),  # tomorrow without a year: last year
        ("Dec 25", "2025-12-25T00:00:00+01:00"),
        # keywords, optionally with a time
        ("now", "2026-11-27T10:30:00+01:00"),
        ("today", "2026-11-27T00:00:00+01:00"),
        ("  TODAY   9AM ", "2026-11-27T09:00:00+01:00"),
        ("today at 9:15pm", "2026-11-27T21:15:00+01:00"),
        ("today 12am", "2026-11-27T00:00:00+01:00"),
        ("today 12pm", "2026-11-27T12:00:00+01:00"),
        ("yesterday", "2026-11-26T00:00:00+01:00"),
        ("yesterday 15:30", "2026-11-26T15:30:00+01:00"),
        ("tomorrow", "2026-11-28T00:00:00+01:00"),
        ("tomorrow 9 a.m.", "2026-11-28T09:00:00+01:00"),
        # relative amounts keep the time of day
        ("3 days ago", "2026-11-24T10:30:00+01:00"),
        ("2w ago", "2026-11-13T10:30:00+01:00"),
        ("90min ago", "2026-11-27T09:00:00+01:00"),
        ("2 h ago", "2026-11-27T08:30:00+01:00"),
        ("1 month ago", "2026-10-27T10:30:00+01:00"),
        ("2mo ago", "2026-09-27T10:30:00+01:00"),
        ("1y ago", "2025-11-27T10:30:00+01:00"),
        ("a week ago", "2026-11-20T10:30:00+01:00"),
        ("in 2 weeks", "2026-12-11T10:30:00+01:00"),
        ("in 3d", "2026-11-30T10:30:00+01:00"),
        ("in an hour", "2026-11-27T11:30:00+01:00"),
        # weekdays: alone means the latest one (today included)
        ("friday", "2026-11-27T00:00:00+01:00"),
        ("fri", "2026-11-27T00:00:00+01:00"),
        ("last friday", "2026-11-20T00:00:00+01:00"),
        ("next friday", "2026-12-04T00:00:00+01:00"),
        ("last friday 3pm", "2026-11-20T15:00:00+01:00"),
        ("thursday", "2026-11-26T00:00:00+01:00"),
        ("saturday", "2026-11-21T00:00:00+01:00"),
        ("last mon", "2026-11-23T00:00:00+01:00"),
        ("next monday at 10:00", "2026-11-30T10:00:00+01:00"),
        ("next sat", "2026-11-28T00:00:00+01:00"),
        # sprints
        ("sprint", "2026-11-23T00:00:00+01:00"),
        ("this sprint", "2026-11-23T00:00:00+01:00"),
        ("current sprint", "2026-11-23T00:00:00+01:00"),
        ("last sprint", "2026-11-09T00:00:00+01:00"),
        ("previous sprint", "2026-11-09T00:00:00+01:00"),
        ("sprint 1", "2026-01-05T00:00:00+01:00"),
        ("Sprint 30", "2027-02-15T00:00:00+01:00"),
    ],
)
def test_parse_when(text: str, expected: str) -> None:
    assert when(text) == expected


THURSDAY = datetime(2026, 12, 3, 10, 0, tzinfo=CET)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        # ambiguous forms: the next such day, today included
        ("friday", THURSDAY, "2026-12-04T00:00:00+01:00"),
        ("thursday", THURSDAY, "2026-12-03T00:00:00+01:00"),
        ("wed", THURSDAY, "2026-12-09T00:00:00+01:00"),
        ("monday 3pm", THURSDAY, "2026-12-07T15:00:00+01:00"),
        ("friday", NOW, "2026-11-27T00:00:00+01:00"),  # on a Friday, "friday" is today
        ("Dec 11", NOW, "2026-12-11T00:00:00+01:00"),
        ("11 Dec", NOW, "2026-12-11T00:00:00+01:00"),
        ("nov 27", NOW, "2026-11-27T00:00:00+01:00"),
        ("Nov 20", NOW, "2027-11-20T00:00:00+01:00"),  # passed this year: next year's
        ("Jan 5 9am", NOW, "2027-01-05T09:00:00+01:00"),
        # explicit forms mean the same in both directions
        ("last friday", NOW, "2026-11-20T00:00:00+01:00"),
        ("next friday", NOW, "2026-12-04T00:00:00+01:00"),
        ("next friday", THURSDAY, "2026-12-04T00:00:00+01:00"),
        ("3 days ago", NOW, "2026-11-24T10:30:00+01:00"),
        ("in 2 weeks", NOW, "2026-12-11T10:30:00+01:00"),
        ("yesterday", NOW, "2026-11-26T00:00:00+01:00"),
        ("20 Nov 2026", NOW, "2026-11-20T00:00:00+01:00"),
        ("2026-11-01", NOW, "2026-11-01T00:00:00+01:00"),
        ("last sprint", NOW, "2026-11-09T00:00:00+01:00"),
    ],
)
def test_parse_when_forward(text: str, now: datetime, expected: str) -> None:
    assert to_iso(parse_when(text, now=now, cadence=CADENCE, forward=True)) == expected


def test_past_leaning_is_the_default() -> None:
    assert parse_day("friday", now=THURSDAY) == date(2026, 11, 27)
    assert parse_day("Dec 11", now=NOW) == date(2025, 12, 11)
    assert parse_day("friday", now=THURSDAY, forward=True) == date(2026, 12, 4)
    assert parse_day("Dec 11", now=NOW, forward=True) == date(2026, 12, 11)


@pytest.mark.parametrize(
    ("label", "value", "forward", "expected"),
    [
        ("--due", date(2026, 11, 1), True, "--due 2026-11-01 is in the past"),
        ("--due", "2026-11-01", True, "--due 2026-11-01 is in the past"),
        ("--due", date(2026, 11, 27), True, None),  # today is never wrong
        ("--due", date(2026, 11, 1), False, None),
        ("--learned", "2026-11-28T09:00:00+01:00", False, "--learned 2026-11-28 is in the future"),
        ("--learned", "2026-11-27T23:30:00+01:00", False, None),
        # the local day decides: 01:00 in Tokyo on the 28th is still the 27th here
        ("--at", datetime(2026, 11, 28, 1, tzinfo=ZoneInfo("Asia/Tokyo")), False, None),
        ("--at", "2026-11-28T00:00:00+01:00", False, "--at 2026-11-28 is in the future"),
        ("", date(2026, 11, 26), True, "2026-11-26 is in the past"),
    ],
)
def test_direction_warning(label: str, value: date | str, forward: bool,
                           expected: str | None) -> None:  # fmt: skip
    assert direction_warning(label, value, NOW, forward=forward) == expected


AMBIGUOUS = ["friday", "mon", "sunday 9am", "Nov 27", "27 Nov", "Dec 11", "Jan 1", "Nov 26 3pm"]


@given(
    st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)).map(lambda d: d.replace(tzinfo=CET)),
    st.sampled_from(AMBIGUOUS),
    st.booleans(),
)
def test_ambiguous_forms_never_land_on_the_wrong_side(now: datetime, text: str,
                                                      forward: bool) -> None:  # fmt: skip
    value = parse_when(text, now=now, forward=forward)
    assert direction_warning("", value, now, forward=forward) is None
    assert abs((value.date() - now.date()).days) <= 366


def test_results_are_aware_in_the_zone_of_now() -> None:
    # Paris clocks went from 02:00 to 03:00 an hour and a half earlier
    paris = datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert to_iso(parse_when("90 minutes ago", now=paris)) == "2026-03-29T01:00:00+01:00"
    assert to_iso(parse_when("1 day ago", now=paris)) == "2026-03-28T03:30:00+01:00"
    assert to_iso(parse_when("2026-07-01 12:00", now=paris)) == "2026-07-01T12:00:00+02:00"
    assert parse_when("today").tzinfo is not None


def test_parse_day_is_the_local_calendar_day() -> None:
    assert parse_day("2026-11-27T23:30-08:00", now=NOW) == date(2026, 11, 28)
    assert parse_day("yesterday 23:59", now=NOW) == date(2026, 11, 26)
    assert parse_day("last sprint", now=NOW, cadence=CADENCE) == date(2026, 11, 9)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "x" * 101, "5", "1530", "2026", "garbage", "today garbage", "Feb 30 2026",
     "20/11/2026",  # day or month first is ambiguous
     "today 25:00", "today 13pm", "today 9", "now 9am", "3 fortnights ago",
     "99999 years ago", "999999 days ago", "in 99999 years", "20 Nov 2026 15:00 XYZ",
     "20 Nov 2026 15:00 GMT+2",  # dateutil would read this as UTC-2
     "sprint 0", "last sprint 3", "today\x00"],
)  # fmt: skip
def test_rejects(text: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_when(text, now=NOW, cadence=CADENCE)
    assert str(caught.value).startswith("cannot understand the date ")
    assert str(caught.value).endswith(f"; use one of: {ACCEPTED_FORMS}")
    assert isinstance(caught.value, ValueError)


def test_error_echo_is_short_and_clean() -> None:
    with pytest.raises(DateError) as caught:
        parse_when("\x1b[31m" + "y" * 90, now=NOW)
    message = str(caught.value)
    assert "\x1b" not in message
    assert f"'[31m{'y' * 56}…'" in message


@pytest.mark.parametrize("text", ["sprint", "last sprint", "sprint 2"])
def test_sprint_needs_a_cadence(text: str) -> None:
    with pytest.raises(DateError, match=r"cadence is not configured \(run `retro init`\)"):
        parse_when(text, now=NOW)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("today", now=datetime(2026, 11, 27))


def test_iso_round_trip_and_helpers() -> None:
    assert to_iso(datetime(2026, 11, 20, 15, tzinfo=CET)) == "2026-11-20T15:00:00+01:00"
    assert to_iso(datetime(2026, 11, 20, 15, 0, 0, 5, tzinfo=CET)).endswith(":00.000005+01:00")
    with pytest.raises(ValueError):
        to_iso(datetime(2026, 11, 20))
    assert parse_iso("2026-11-20T15:00:00+01:00") == datetime(2026, 11, 20, 14, tzinfo=UTC)
    assert now_local().utcoffset() is not None


@pytest.mark.parametrize(
    "text", ["2026-11-20T15:00:00", "2026-11-20", "yesterday", "", "2026-13-01"]
)
def test_parse_iso_is_strict(text: str) -> None:
    with pytest.raises(DateError):
        parse_iso(text)


SPAN = {"min_value": datetime(1900, 1, 2), "max_value": datetime(9998, 12, 30)}


@given(
    st.datetimes(**SPAN, timezones=st.timezones())
    | st.datetimes(
        **SPAN,
        timezones=st.builds(  # real UTC offsets are whole minutes
            timezone, st.integers(-1439, 1439).map(lambda minutes: timedelta(minutes=minutes))
        )
    )
)
def test_to_iso_round_trips(moment: datetime) -> None:
    # Same instant, wall time and offset. Plain == is not used: across zones it is False for
    # times a clock change makes ambiguous or missing (PEP 495).
    for parsed in (parse_when(to_iso(moment), now=NOW), parse_iso(to_iso(moment))):
        assert parsed.astimezone(UTC) == moment.astimezone(UTC)
        assert to_iso(parsed) == to_iso(moment)


@pytest.mark.parametrize(
    ("text", "days"),
    [("2w", 14), ("2 weeks", 14), ("14d", 14), ("14", 14), ("10 days", 10), ("1 week", 7),
     ("1 day", 1), (" 3 WK ", 21), ("365", 365)],
)  # fmt: skip
def test_parse_length(text: str, days: int) -> None:
    assert parse_length(text) == days


@pytest.mark.parametrize(
    "text", ["", "0", "0w", "-2w", "2 months", "two weeks", "366", "53w", "2x"]
)
def test_parse_length_rejects(text: str) -> None:
    with pytest.raises(DateError, match="sprint length"):
        parse_length(text)


@pytest.mark.parametrize(
    ("day", "number", "period"),
    [
        (date(2026, 1, 5), 1, (date(2026, 1, 5), date(2026, 1, 18))),
        (date(2026, 1, 18), 1, (date(2026, 1, 5), date(2026, 1, 18))),
        (date(2026, 1, 19), 2, (date(2026, 1, 19), date(2026, 2, 1))),
        (date(2026, 1, 4), 0, (date(2025, 12, 22), date(2026, 1, 4))),
        (date(2025, 12, 21), -1, (date(2025, 12, 8), date(2025, 12, 21))),
        (date(2026, 11, 27), 24, (date(2026, 11, 23), date(2026, 12, 6))),
        (date(9000, 1, 1), 181_943, (date(8999, 12, 23), date(9000, 1, 5))),
        (date(9999, 12, 31), 208_032, (date(9999, 12, 27), date(9999, 12, 31))),  # cut at the end
    ],
)
def test_cadence(day: date, number: int, period: tuple[date, date]) -> None:
    assert CADENCE.sprint_number(day) == number
    assert CADENCE.period_of(day) == CADENCE.period(number) == period


def test_cadence_starts_and_validation() -> None:
    sprints = [date(2026, 1, 5), date(2026, 1, 19), date(2026, 2, 2)]
    assert CADENCE.starts(date(2026, 1, 1), date(2026, 2, 2)) == sprints
    assert CADENCE.starts(date(2026, 1, 6), date(2026, 1, 18)) == []
    assert CADENCE.starts(date(2026, 2, 2), date(2026, 1, 1)) == []
    far = [date(9000, 1, 6), date(9000, 1, 20)]
    assert CADENCE.starts(date(9000, 1, 1), date(9000, 1, 31)) == far
    assert CADENCE.starts(date(9999, 12, 20), date.max) == [date(9999, 12, 27)]
    assert Cadence(date(1, 1, 5), 3).period_of(date(1, 1, 1)) == (date(1, 1, 1), date(1, 1, 1))
    with pytest.raises(OverflowError):
        CADENCE.period(-1_000_000)
    with pytest.raises(ValueError):
        Cadence(date(2026, 1, 5), 0)
    with pytest.raises(TypeError):
        Cadence(datetime(2026, 1, 5), 14)


@given(
    st.dates(date(1900, 1, 1), date(2200, 1, 1)),
    st.integers(1, 60),
    st.dates(date(1900, 1, 1), date(2200, 1, 1)),
)
def test_cadence_periods_tile_the_calendar(start: date, length: int, day: date) -> None:
    cadence = Cadence(start, length)
    first, last = cadence.period_of(day)
    assert first <= day <= last
    assert (last - first).days == length - 1
    number = cadence.sprint_number(day)
    assert cadence.period(number + 1)[0] == last + timedelta(days=1)
    assert cadence.sprint_number(first) == cadence.sprint_number(last) == number
    following = last + timedelta(days=1)
    assert cadence.starts(first, following) == [first, following]
    assert cadence.starts(first + timedelta(days=1), last) == []
