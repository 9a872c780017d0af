"""How a figure reads, wherever people read it: ratios, risks, metric labels, counts, days.

Every screen, the terminal and every export call these, so that one figure reads the
same everywhere and a change of wording is made once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from retro.model import risk_score

DASH = "—"  # a figure there is none of

# A retro's figures in words (the report's table headers, and the app's counts panel,
# read some of them more briefly: see :func:`metric_label`).
METRIC_LABELS = {
    "outputs": "Outputs",
    "outcomes": "Outcomes",
    "outcome_ratio": "Outcome ratio",
    "orphan_outputs": "Orphan outputs",
    "unanchored_outcomes": "Unanchored outcomes",
    "risk_reduction": "Risk reduction",
    "predictability_gained": "Predictability gained",
    "lessons": "Lessons",
    "late_lessons": "Late lessons",
    "dependencies": "Dependencies",
    "late_dependencies": "Late dependencies",
    "actions": "Actions",
    "decisions_reinforced": "Decisions reinforced",
    "coherence": "Coherence",
}
_COLUMN_LABELS = {
    "unanchored_outcomes": "Outcomes with no decision",
    "risk_reduction": "Risk reduced",
    "predictability_gained": "Confidence up",
}

# The forms a risk (likelihood × impact) is shown in.
RISK_CELL = "{likelihood}x{impact} ({score})"  # a table's cell, CSV included
RISK_FIELD = "{likelihood}x{impact} (score {score})"  # one record's field in the terminal
RISK_SCORE = "{score} ({likelihood}×{impact})"  # a summary, where the score leads
RISK_INPUT = "{likelihood}x{impact}"  # what a form's input holds, as people type it


def metric_label(name: str, *, column: bool = False) -> str:
    """The words for the metric ``name`` (a field of :class:`~retro.insights.Metrics`).

    ``column``: as a table's header or a line of the counts panel reads it.
    """
    if column and name in _COLUMN_LABELS:
        return _COLUMN_LABELS[name]
    return METRIC_LABELS[name]


def ratio_text(value: float | None) -> str:
    """A ratio (outcome ratio, coherence) as people read it: two decimals, or a dash."""
    return DASH if value is None else f"{value:.2f}"


def risk(value: Any, form: str = RISK_CELL) -> str | None:
    """A risk value in ``form`` (one of the ``RISK_*`` forms), or None when it is not one."""
    try:
        likelihood, impact = int(value["likelihood"]), int(value["impact"])
        return form.format(likelihood=likelihood, impact=impact, score=risk_score(value))
    except (KeyError, TypeError, ValueError):
        return None


def author_of(rec: Mapping[str, Any]) -> str:
    """Who recorded an entry: ``anonymous`` for a card of an anonymous live retro."""
    return str(rec.get("author") or "anonymous")


def plural(count: int, word: str, many: str = "") -> str:
    """``1 team``, ``2 teams`` (``many``: the plural, when it is not ``word`` + s)."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def day_of(stamp: str | None) -> str:
    """``2026-11-20`` from an ISO timestamp (empty when there is none)."""
    return stamp[:10] if stamp else ""


def short_day(value: Any) -> str:
    """``27 Nov`` for a date, short enough for a narrow column; other text as it is."""
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value or "")
    return f"{day:%d %b}"


def period_text(start: date, end: date) -> str:
    """``09 Nov – 22 Nov 2026``: a period, as retros are named and labelled."""
    return f"{start:%d %b} – {end:%d %b %Y}"


def month_day(text: str) -> str:
    """``11-09`` from ``2026-11-09`` (other text as it is)."""
    return text[5:] if len(text) == 10 and text[4] == "-" else text
