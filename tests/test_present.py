"""present.format and present.sanitize: each figure reads one way, whoever shows it."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from retro.insights import Metrics
from retro.present.format import (
    METRIC_LABELS,
    RISK_CELL,
    RISK_FIELD,
    RISK_INPUT,
    RISK_SCORE,
    metric_label,
    month_day,
    plural,
    ratio_text,
    risk,
)
from retro.present.json import safe_json, safe_json_bytes
from retro.present.sanitize import clean


def test_a_ratio_has_two_decimals_or_a_dash() -> None:
    assert ratio_text(None) == "—"
    assert ratio_text(2 / 3) == "0.67"
    assert ratio_text(0.0) == "0.00"


@pytest.mark.parametrize(("form", "shown"), [
    (RISK_CELL, "4x3 (12)"), (RISK_FIELD, "4x3 (score 12)"),
    (RISK_SCORE, "12 (4×3)"), (RISK_INPUT, "4x3"),
])  # fmt: skip
def test_a_risk_reads_in_each_of_its_forms(form: str, shown: str) -> None:
    assert risk({"likelihood": 4, "impact": 3}, form) == shown


@pytest.mark.parametrize("value", [None, "4x3", [4, 3], {"likelihood": 4}, {"likelihood": "a",
                                   "impact": 2}])  # fmt: skip
def test_what_is_not_a_risk_reads_as_none(value: object) -> None:
    assert risk(value) is None


def test_every_metric_label_names_a_figure_retro_computes() -> None:
    assert set(METRIC_LABELS) <= {f.name for f in fields(Metrics)}
    assert metric_label("risk_reduction") == "Risk reduction"
    assert metric_label("risk_reduction", column=True) == "Risk reduced"
    assert metric_label("outcome_ratio", column=True) == "Outcome ratio"


def test_counts_and_days() -> None:
    assert plural(1, "team") == "1 team"
    assert plural(1200, "entry", "entries") == "1,200 entries"
    assert month_day("2026-11-09") == "11-09"
    assert month_day("check-ins") == "check-ins"


def test_the_sanitiser_shows_or_drops_what_would_act_on_a_terminal() -> None:
    hostile = "a\x1b[2Jb\u202ec\td"
    assert clean(hostile) == "a\\x1b[2Jb\\u202ec d"
    assert clean(hostile, drop=True) == "a[2Jbc d"
    assert clean("a\tb\nc", multiline=True) == "a\tb\nc"


def test_json_for_scripts_escapes_every_control_and_reads_back_the_same() -> None:
    value = {"text": "a\x1b]52;c;x\x07\x9b\u202e\u2028z"}
    text = safe_json(value, indent=2)
    assert not any(ch in text for ch in "\x1b\x07\x9b\u202e\u2028")
    assert json.loads(text) == value


@pytest.mark.parametrize("unsafe", ["\x7f", "\x85", "\x9b", "\u200b", "\u200f", "\u2028",
                                    "\u202e", "\u2066", "\ufeff"])  # fmt: skip
def test_json_bytes_escape_what_a_terminal_would_act_on_and_keep_other_text(unsafe: str) -> None:
    value = {"text": f"fine — füße {unsafe} end"}
    data = safe_json_bytes(value)
    assert unsafe.encode() not in data and "fine — füße".encode() in data
    assert json.loads(data) == value
