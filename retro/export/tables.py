"""The report and the entries as plain tables: one source for every output format."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from retro.model import COMMON_FIELDS, KIND_FIELDS, Record, risk_score
from retro.report import Report


@dataclass(frozen=True)
class Table:
    """A titled table of plain values (str, int, float, None)."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def cell(value: Any) -> str:
    """A value as text: ratios with two decimals, lists joined, risks as LxI, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, dict) and {"likelihood", "impact"} <= value.keys():
        try:
            return f"{value['likelihood']}x{value['impact']} ({risk_score(value)})"
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, list | tuple):
        return "; ".join(cell(v) for v in value)
    return str(value)


def teams_table(report: Report) -> Table:
    """Per team and period: the figures of the design notes."""
    rows = []
    for p in report.periods:
        m = p.metrics
        rows.append((
            p.team, p.period_start or "check-ins", p.period_end, p.focus, m.outputs, m.outcomes,
            m.outcome_ratio, len(m.orphan_outputs), len(m.unanchored_outcomes), m.risk_reduction,
            m.predictability_gained, m.lessons, len(m.late_lessons), len(m.late_dependencies),
            m.coherence,
        ))  # fmt: skip
    return Table("teams", "Teams and periods", (
        "team", "period_start", "period_end", "focus", "outputs", "outcomes", "outcome_ratio",
        "orphan_outputs", "unanchored_outcomes", "risk_reduction", "predictability_gained",
        "lessons", "late_lessons", "late_dependencies", "coherence",
    ), tuple(rows))  # fmt: skip


def decisions_table(report: Report) -> Table:
    """The decision ledger: who reinforces each decision, with what, and whether they agree."""
    rows = tuple(
        (d.id, d.title, d.review_by, d.teams, len(d.outcomes), len(d.risks), d.risk_reduction,
         len(d.lessons), {True: "aligned", False: "fragmented", None: ""}[d.aligned],
         "; ".join(f"{t}: {f or 'unset'}" for t, f in sorted(d.focus.items())), d.aliases)
        for d in report.decisions
    )  # fmt: skip
    return Table("decisions", "Decision ledger", (
        "id", "decision", "review_by", "teams", "outcomes", "risks", "risk_reduction", "lessons",
        "focus", "focus_by_team", "aliases",
    ), rows)  # fmt: skip


def fragmentation_table(report: Report) -> Table:
    """Teams × focus (how many of their retros optimised for each), and coherence."""
    focuses = sorted({f for counts in report.focus_by_team.values() for f in counts})
    rows = tuple(
        (team, *(report.focus_by_team[team].get(f, 0) for f in focuses),
         report.coherence_by_team.get(team))
        for team in report.teams
    )  # fmt: skip
    rows += (("all teams", *("" for _ in focuses), report.coherence),)
    return Table("fragmentation", "Fragmentation map", ("team", *focuses, "coherence"), rows)


def dependencies_table(report: Report) -> Table:
    """Dependencies that several teams recorded."""
    rows = tuple((d.on, d.teams, d.entries, d.late) for d in report.dependencies)
    return Table("dependencies", "Dependencies shared by teams",
                 ("on", "teams", "entries", "late"), rows)  # fmt: skip


def report_tables(report: Report) -> list[Table]:
    """Every table of the report, in reading order."""
    return [teams_table(report), decisions_table(report), fragmentation_table(report),
            dependencies_table(report)]  # fmt: skip


def entries_table(records: Sequence[Record] | Iterable[Record]) -> Table:
    """Entries, one per row; the columns every kind has, then each kind's own."""
    records = list(records)
    kinds = sorted({rec["kind"] for rec in records})
    columns = list(COMMON_FIELDS)
    for kind in kinds:
        columns += [f for f in KIND_FIELDS.get(kind, {}) if f not in columns]
    extra = sorted({k for rec in records for k in rec} - set(columns))
    columns += extra
    rows = tuple(tuple(rec.get(c) for c in columns) for rec in records)
    return Table("entries", "Entries", tuple(columns), rows)
