"""A retro's summary: its figures in words (step 9, ``retro summary``) and as data.

The data uses the names of the report's ``periods`` rows, so that the same retro gives
the same figures in the app, its export, ``retro summary`` and ``retro report``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from retro.insights import Metrics
from retro.model import Record, plural, title
from retro.scope import FollowUp


def ratio_text(value: float | None) -> str:
    """An outcome ratio as people read it: two decimals, or a dash when there is none."""
    return "—" if value is None else f"{value:.2f}"


def figure_lines(m: Metrics, status: str) -> list[str]:
    """The figures of a retro, one per line, as step 9 shows them."""
    risks = plural(m.risks, "risk")
    return [
        f"Outcome ratio          {ratio_text(m.outcome_ratio)}  "
        f"({m.outcomes} outcomes / {m.outputs} outputs)",
        f"Orphan outputs         {len(m.orphan_outputs)}",
        f"Unanchored outcomes    {len(m.unanchored_outcomes)}",
        f"Risk reduction         {m.risk_reduction}  (over {risks})",
        f"Predictability gained  {m.predictability_gained} outcomes "
        f"(confidence {m.confidence_delta:+d})",
        f"Lessons                {m.lessons}  ({len(m.late_lessons)} late)",
        f"Dependencies           {m.dependencies}  ({len(m.late_dependencies)} late)",
        f"Actions                {m.actions}  ({len(m.open_actions)} still open)",
        f"Status                 {status}",
    ]


def list_lines(m: Metrics, context: Mapping[str, Record], actions: Sequence[Record]) -> list[str]:
    """The entries behind the figures that need attention, and the retro's actions."""
    sections = [
        ("Orphan outputs", m.orphan_outputs),
        ("Unanchored outcomes", m.unanchored_outcomes),
        ("Late lessons", m.late_lessons),
        ("Late dependencies", m.late_dependencies),
    ]
    lines: list[str] = []
    for heading, ids in sections:
        if ids:
            lines.append(f"{heading}:")
            lines += [f"  • {title(context[i], 90)}" for i in ids if i in context]
    if actions:
        lines.append("Actions:")
        lines += [f"  • {title(a, 60)} — {a.get('owner') or 'no owner'}, due {a.get('due') or '?'}"
                  for a in actions]  # fmt: skip
    return lines


def follow_up_data(found: FollowUp) -> dict[str, Any]:
    """One action a retro brings back, as data."""
    action = found.action
    return {
        "id": action["id"],
        "text": action["text"],
        "owner": action.get("owner"),
        "due": action.get("due"),
        "status": action.get("status") or "open",
        "expected": action.get("expected_outcome"),
        "carried": found.carried,
    }


def summary_data(retro: Record, m: Metrics, follow_ups: Sequence[FollowUp]) -> dict[str, Any]:
    """A retro's summary as data: its period, its figures and the actions it brings back.

    ``retro`` without an ``id`` is a sprint that held no retro (its check-ins only).
    """
    return {
        "team": retro["team"],
        "period_start": retro.get("period_start"),
        "period_end": retro.get("period_end"),
        "focus": retro.get("focus"),
        "retro": retro.get("id") or None,
        "status": retro.get("status") if retro.get("id") else "not held",
        **asdict(m),
        "follow_ups": [follow_up_data(found) for found in follow_ups],
    }
