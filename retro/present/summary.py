"""A retro's summary: its figures in words (step 9, ``retro summary``), as data and as
Markdown (the file step 9 saves, ``retro summary --format md``).

The data uses the names of the report's ``periods`` rows, so that the same retro gives
the same figures in the app, its export, ``retro summary`` and ``retro report``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import asdict, dataclass
from datetime import date
from itertools import chain
from typing import Any

from retro.insights import (
    LinkIndex,
    Metrics,
    as_date,
    chronological,
    learning_latency_days,
    link_index,
    moment,
)
from retro.model import ENTRY_KINDS, Record, risk_score, title
from retro.present.format import DASH, RISK_SCORE, metric_label, plural, ratio_text, risk
from retro.present.markdown import md_day, md_section, md_titles, md_value
from retro.scope import FollowUp


def figure_lines(m: Metrics, status: str) -> list[str]:
    """The figures of a retro, one per line, as step 9 shows them."""
    rows = [
        ("outcome_ratio",
         f"{ratio_text(m.outcome_ratio)}  ({m.outcomes} outcomes / {m.outputs} outputs)"),
        ("orphan_outputs", len(m.orphan_outputs)),
        ("unanchored_outcomes", len(m.unanchored_outcomes)),
        ("risk_reduction", f"{m.risk_reduction}  (over {plural(m.risks, 'risk')})"),
        ("predictability_gained",
         f"{m.predictability_gained} outcomes (confidence {m.confidence_delta:+d})"),
        ("lessons", f"{m.lessons}  ({len(m.late_lessons)} late)"),
        ("dependencies", f"{m.dependencies}  ({len(m.late_dependencies)} late)"),
        ("actions", f"{m.actions}  ({len(m.open_actions)} still open)"),
    ]  # fmt: skip
    lines = [f"{metric_label(name):<23}{value}" for name, value in rows]
    return [*lines, f"{'Status':<23}{status}"]


def list_lines(m: Metrics, context: Mapping[str, Record], actions: Sequence[Record]) -> list[str]:
    """The entries behind the figures that need attention, and the retro's actions."""
    sections = [
        ("orphan_outputs", m.orphan_outputs),
        ("unanchored_outcomes", m.unanchored_outcomes),
        ("late_lessons", m.late_lessons),
        ("late_dependencies", m.late_dependencies),
    ]
    lines: list[str] = []
    for name, ids in sections:
        if ids:
            lines.append(f"{metric_label(name)}:")
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

# --- the summary as Markdown ----------------------------------------------------------


def _figures(m: Metrics) -> list[str]:
    """The figures as a Markdown table."""
    counts = f"{plural(m.outcomes, 'outcome')} / {plural(m.outputs, 'output')}"
    coherence = DASH if m.coherence is None else f"{m.coherence:.0%} of outputs"
    rows = [
        ("outcome_ratio", f"{ratio_text(m.outcome_ratio)} ({counts})"),
        ("orphan_outputs", f"{len(m.orphan_outputs)} of {m.outputs}"),
        ("unanchored_outcomes", f"{len(m.unanchored_outcomes)} of {m.outcomes}"),
        ("risk_reduction", f"{m.risk_reduction:+d} ({plural(m.risks, 'risk')})"),
        ("predictability_gained", f"{m.predictability_gained} of "
         f"{plural(m.outcomes, 'outcome')} (confidence {m.confidence_delta:+d})"),
        ("late_lessons", f"{len(m.late_lessons)} of {m.lessons}"),
        ("late_dependencies", f"{len(m.late_dependencies)} of {m.dependencies}"),
        ("actions", f"{m.actions} ({len(m.open_actions)} open)"),
        ("decisions_reinforced", str(len(m.decisions_reinforced))),
    ]  # fmt: skip
    table = [(metric_label(name), value) for name, value in rows]
    table.append((f"{metric_label('coherence')} (output → outcome → decision)", coherence))
    return ["| Figure | Value |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in table)]


@dataclass(frozen=True)
class _Links:
    """Records by id and their links, to name what an entry is linked to."""

    known: Mapping[str, Record]
    index: LinkIndex

    def of_kind(self, rec: Record, kind: str) -> list[Record]:
        ids = {*self.index.get(rec["id"], ()), *(rec.get("links") or ())}
        ids.discard(rec["id"])
        found = (self.known.get(rid) for rid in ids)
        return [other for other in found if other is not None and other.get("kind") == kind]


def _outcome_lines(outcomes: list[Record], links: _Links, unanchored: Set[str]) -> list[str]:
    lines = []
    for rec in outcomes:
        parts = [f"for {md_value(rec.get('for_whom'))}"]
        if rec.get("evidence"):
            parts.append(f"evidence: {md_value(rec['evidence'])}")
        if rec.get("baseline") is not None or rec.get("observed") is not None:
            metric = f"{md_value(rec['metric'])}: " if rec.get("metric") else ""
            baseline, observed = md_value(rec.get("baseline")), md_value(rec.get("observed"))
            parts.append(f"{metric}{baseline} → {observed}")
        if rec.get("observed_at"):
            parts.append(f"observed {md_day(rec['observed_at'])}")
        before, after = rec.get("confidence_before"), rec.get("confidence_after")
        if before is not None or after is not None:
            parts.append(f"confidence {md_value(before)} → {md_value(after)}")
        if rec["id"] not in unanchored:
            parts.append(f"reinforces: {md_titles(links.of_kind(rec, 'decision')) or DASH}")
        line = f"- {md_value(rec.get('text'))} — {'; '.join(parts)}"
        lines.append(line + (" — no decision yet" if rec["id"] in unanchored else ""))
    return lines


def _output_lines(outputs: list[Record], links: _Links, orphans: Set[str]) -> list[str]:
    lines = []
    for rec in outputs:
        if rec["id"] in orphans:
            lines.append(f"- {md_value(rec.get('text'))} — no outcome yet")
        else:
            outcomes = md_titles(links.of_kind(rec, "outcome"))
            lines.append(f"- {md_value(rec.get('text'))}" + (f" → {outcomes}" if outcomes else ""))
    return lines


def _risk_lines(risks: list[Record]) -> list[str]:
    lines = []
    for rec in risks:
        was, now = risk(rec.get("before"), RISK_SCORE), risk(rec.get("after"), RISK_SCORE)
        if now is None:
            change = f"{was or DASH} → not reassessed"
        else:
            change = f"{was or DASH} → {now}"
            if was is not None:
                moved = risk_score(rec["before"]) - risk_score(rec["after"])
                change += (
                    f", reduced by {moved}"
                    if moved > 0
                    else f", grew by {-moved}"
                    if moved < 0
                    else ", unchanged"
                )
        lines.append(f"- {md_value(rec.get('text'))} — score {change}")
    return lines


def _lesson_lines(lessons: list[Record], links: _Links, late: Set[str]) -> list[str]:
    lines = []
    for rec in lessons:
        parts = [f"learned {md_day(rec.get('learned_at'))}"]
        applies = [links.known[rid] for rid in rec.get("applies_to") or () if rid in links.known]
        applies += [d for d in links.of_kind(rec, "decision") if d not in applies]
        if applies:
            parts.append(f"applies to: {md_titles(applies)}")
        line = f"- {md_value(rec.get('text'))} — {'; '.join(parts)}"
        if rec["id"] in late:
            latency = learning_latency_days(rec, links.known, index=links.index)
            if latency is not None and latency > 0:
                line += f" — late: {plural(latency, 'day')} after the decision's review"
            else:
                line += " — late: learned after the period ended"
        lines.append(line)
    return lines


def _dependency_lines(dependencies: list[Record], late: Set[str], end: date | None) -> list[str]:
    lines = []
    for rec in dependencies:
        line = (
            f"- {md_value(rec.get('text'))} — on {md_value(rec.get('on'))}; "
            f"discovered {md_day(rec.get('discovered_at'))}, "
            f"needed {md_day(rec.get('needed_at'))}"
        )
        if rec["id"] in late:
            found, needed = moment(rec.get("discovered_at")), moment(rec.get("needed_at"))
            if found is not None and needed is not None and found > needed:
                line += " — late: discovered after it was needed"
            elif found is not None and end is not None and found.date() > end:
                line += " — late: discovered after the period ended"
            else:
                line += " — late: discovered in the last days of the period"
        lines.append(line)
    return lines


def _action_lines(actions: list[Record]) -> list[str]:
    if not actions:
        return []
    lines = [
        "| Action | Owner | Due | Expected outcome | Status |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rec in actions:
        due = as_date(rec.get("due"))
        cells = [
            md_value(rec.get("text")),
            md_value(rec.get("owner")),
            due.isoformat() if due else md_value(rec.get("due")),
            md_value(rec.get("expected_outcome")),
            md_value(rec.get("status") or "open"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def retro_summary(
    retro: Record,
    entries: Sequence[Record],
    metrics: Metrics,
    *,
    context: Mapping[str, Record],
    index: LinkIndex | None = None,
) -> str:
    """The summary of ``retro`` as Markdown: who and when, the figures, then each kind.

    ``entries`` are the retro's entries, ``metrics`` their figures and ``context``
    everything known by id (to name linked decisions and outcomes). ``index``, a
    :func:`~retro.insights.link_index` over the context, spares building one.
    Entries are listed by ``created_at``, then id: the same input gives the same text.
    """
    rows = [rec for rec in chronological(entries) if rec.get("kind") != "retro"]
    known = {**context, **{rec["id"]: rec for rec in rows}}
    links = _Links(known, link_index(chain(context.values(), rows)) if index is None else index)
    of: dict[str, list[Record]] = {kind: [] for kind in ENTRY_KINDS}
    for rec in rows:
        of.setdefault(rec.get("kind", ""), []).append(rec)
    in_view = [known[rid] for rid in retro.get("decisions") or () if rid in known]
    in_view += [rec for rec in of["decision"] if rec not in in_view]
    start, end = md_value(retro.get("period_start")), md_value(retro.get("period_end"))
    lines = [
        f"# Retro: {md_value(retro.get('team'))}, {start}–{end}",
        "",
        md_value(retro.get("text")),
        "",
        f"- Facilitator: {md_value(retro.get('facilitator'))}",
        f"- Participants: {md_value(retro.get('participants'))}",
        f"- Focus: {md_value(retro.get('focus'))}",
        f"- Status: {md_value(retro.get('status'))}",
        f"- Decisions in view: {md_titles(in_view) or DASH}",
        "",
        *md_section("Figures", _figures(metrics)),
        *md_section(
            "Outcomes", _outcome_lines(of["outcome"], links, {*metrics.unanchored_outcomes})
        ),
        *md_section("Outputs", _output_lines(of["output"], links, {*metrics.orphan_outputs})),
        *md_section("Risks reduced", _risk_lines(of["risk"])),
        *md_section("Lessons", _lesson_lines(of["lesson"], links, {*metrics.late_lessons})),
        *md_section(
            "Dependencies",
            _dependency_lines(
                of["dependency"], {*metrics.late_dependencies}, as_date(retro.get("period_end"))
            ),
        ),
        *md_section("Actions", _action_lines(of["action"])),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"
