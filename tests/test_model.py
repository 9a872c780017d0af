"""Records: creation, validation of every field type, coercion of what people type."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from retro import model
from retro.errors import ValidationError
from tests.conftest import START

ID = "0b7c5a52-9e59-4f1c-9a4e-1f2d3c4b5a69"


def make(kind: str = "outcome", **fields: object) -> model.Record:
    return model.new_record(kind, "Refunds settle in one day", team="payments", author="Ana",
                            at=START, fields=fields)


def test_new_record_has_identity_and_timestamps() -> None:
    rec = make()
    assert len(rec["id"]) == 36 and rec["kind"] == "outcome"
    assert rec["created_at"] == rec["updated_at"] == "2026-11-27T10:30:00+01:00"
    assert rec["links"] == [] and rec["retro"] is None
    assert model.record_problem(rec) is None


def test_action_starts_open() -> None:
    assert make("action", owner="Bo")["status"] == "open"


@pytest.mark.parametrize(
    ("kind", "field", "bad", "expected"),
    [
        ("outcome", "confidence_before", 6, "1 to 5"),
        ("outcome", "confidence_after", "3", "1 to 5"),
        ("outcome", "observed_at", "2026-11-27T10:00", "UTC offset"),
        ("risk", "before", {"likelihood": 4}, "likelihood and impact"),
        ("risk", "after", {"likelihood": 0, "impact": 2}, "likelihood and impact"),
        ("decision", "review_by", "next week", "YYYY-MM-DD"),
        ("lesson", "applies_to", ["not-an-id"], "record ids"),
        ("action", "status", "maybe", "one of open, done"),
        ("outcome", "for_whom", "x" * 201, "at most 200"),
        ("outcome", "text", "x" * 10_001, "10,000"),
        ("output", "links", "abc", "record ids"),
        ("retro", "focus", "vibes", "one of speed"),
    ],
)
def test_invalid_fields_are_named(kind: str, field: str, bad: object, expected: str) -> None:
    rec = make(kind)
    rec[field] = bad
    problem = model.record_problem(rec)
    assert problem is not None and expected in problem
    if field != "text":
        assert field in problem
    with pytest.raises(ValidationError):
        model.validate(rec)


def test_structure_problems() -> None:
    assert model.record_problem([1]) == "the record is not a JSON object"
    rec = make()
    del rec["team"]
    assert model.record_problem(rec) == "the record has no 'team'"
    rec = make()
    rec["kind"] = "feeling"
    assert "unknown kind" in (model.record_problem(rec) or "")


def test_unknown_fields_are_kept_within_limits() -> None:
    rec = make()
    rec["sprint_goal"] = {"text": "faster payouts", "tags": ["q4"]}
    assert model.record_problem(rec) is None
    deep: object = "leaf"
    for _ in range(model.MAX_DEPTH + 2):
        deep = [deep]
    rec["deep"] = deep
    assert "nested too deeply" in (model.record_problem(rec) or "")
    rec = make()
    rec["x" * 65] = 1
    assert "field name" in (model.record_problem(rec) or "")


def test_none_is_allowed_for_optional_fields() -> None:
    rec = make(observed_at=None, confidence_before=None)
    assert model.record_problem(rec) is None


def test_parse_risk_and_score() -> None:
    assert model.parse_risk("4x3") == {"likelihood": 4, "impact": 3}
    assert model.parse_risk(" 2 × 5 ") == {"likelihood": 2, "impact": 5}
    assert model.risk_score({"likelihood": 4, "impact": 3}) == 12
    for bad in ("6x1", "4", "x3", "4x3x2", ""):
        with pytest.raises(ValidationError, match="likelihood x impact"):
            model.parse_risk(bad)
    assert model.parse_score("4") == 4
    with pytest.raises(ValidationError):
        model.parse_score("9")


def _coerce(kind: str, name: str, text: str) -> object:
    return model.coerce(
        kind, name, text,
        when=lambda t: datetime.fromisoformat(t),
        day=lambda t: date.fromisoformat(t),
        ref=lambda t: ID if t == "dec" else t,
    )  # fmt: skip


def test_coerce_types_values_by_field() -> None:
    assert _coerce("outcome", "confidence_after", "4") == 4
    assert _coerce("risk", "before", "3x3") == {"likelihood": 3, "impact": 3}
    assert _coerce("decision", "review_by", "2026-12-01") == "2026-12-01"
    assert _coerce("lesson", "learned_at", "2026-11-20T09:00:00+01:00") == (
        "2026-11-20T09:00:00+01:00"
    )
    assert _coerce("lesson", "applies_to", "dec, dec") == [ID, ID]
    assert _coerce("retro", "participants", "Ana, Bo ,") == ["Ana", "Bo"]
    assert _coerce("output", "sprint_goal", "faster payouts") == "faster payouts"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("id", "x", "set by retro"),
        ("created_at", "x", "set by retro"),
        ("Bad-Name", "x", "lower case"),
        ("status", "maybe", "one of"),
    ],
)
def test_coerce_refuses(name: str, text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _coerce("action", name, text)


def test_full_view_and_title() -> None:
    rec = make("risk")
    view = model.full_view(rec)
    assert view["before"] is None and view["after"] is None and view["text"] == rec["text"]
    rec["text"] = "first line\nsecond"
    assert model.title(rec) == "first line"
    rec["text"] = "y" * 80
    assert model.title(rec, 10) == "y" * 9 + "…"
