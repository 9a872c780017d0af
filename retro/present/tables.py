"""The report and the entries as plain tables: one source for every output format."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from retro.model import COMMON_FIELDS, KIND_FIELDS, Record
from retro.present.format import METRIC_LABELS, metric_label, month_day, ratio_text, risk
from retro.present.sanitize import clean
from retro.report import Report


@dataclass(frozen=True)
class Table:
    """A titled table of plain values (str, int, float, None).

    ``columns`` are the machine names (CSV headers, JSON keys); :func:`label` gives the
    words people read.
    """

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


# The headers people read besides the metrics' (see retro.present.format.metric_label);
# a column named in neither shows its name in words.
LABELS = {
    "team": "Team", "sprint": "Sprint", "focus": "Focus", "decision": "Decision",
    "review_by": "Review by", "teams": "Teams", "risks": "Risks", "focus_alignment": "Alignment",
    "focus_by_team": "Focus by team", "on": "Depends on", "entries": "Entries", "late": "Late",
}  # fmt: skip

# Columns of long text, which wrap; the others keep their values whole where they can.
LONG_TEXT = frozenset({"decision", "teams", "on", "focus_by_team"})

# What a column means, for the legend under a table: (table, column) first, then column.
MEANINGS = {
    "sprint": "the retro's period (check-ins: entries outside any retro)",
    "focus": "what the team optimised for in that retro",
    "outputs": "things shipped or done",
    "outcomes": "changes observed for someone",
    "outcome_ratio": "outcomes per output",
    "orphan_outputs": "outputs linked to no outcome",
    "unanchored_outcomes": "outcomes linked to no strategic decision",
    "coherence": "share of outputs that trace output → outcome → decision",
    "risk_reduction": "risk scores before minus after (negative: the risks grew)",
    "predictability_gained": "outcomes whose confidence went up",
    "late_lessons": "lessons learned after the period ended or the decision's review date",
    "late_dependencies": "dependencies found after they were needed, or in the sprint's last days",
    "review_by": "when the decision is due for review",
    ("decisions", "teams"): "teams whose outcomes reinforce the decision",
    ("decisions", "outcomes"): "outcomes that reinforce it",
    ("decisions", "risk_reduction"): "risk scores of its risks, before minus after",
    "focus_alignment": "aligned: those teams optimise for the same thing; fragmented: they don't",
    ("fragmentation", "coherence"): "share of the team's outputs that trace to a decision",
    ("dependencies", "teams"): "teams that recorded a dependency on it",
    "entries": "dependencies recorded on it",
    "late": "of those, found late",
}  # fmt: skip


def label(column: str) -> str:
    """The header people read for ``column``, safe to print (a column may be named by a
    log: a custom field, a focus)."""
    if column in METRIC_LABELS:
        return metric_label(column, column=True)
    return LABELS.get(column) or clean(column.replace("_", " ").capitalize())


def legend(table: Table) -> list[tuple[str, str]]:
    """(header, meaning) for the columns of ``table`` that need explaining."""
    found = ((c, MEANINGS.get((table.name, c)) or MEANINGS.get(c)) for c in table.columns)
    return [(label(column), meaning) for column, meaning in found if meaning]


def cell(value: Any) -> str:
    """A value as text: ratios with two decimals, lists joined, risks as LxI, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return ratio_text(value)
    if isinstance(value, dict):
        return risk(value) or str(value)
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
    return Table("fragmentation", "Fragmentation map: retros per focus, and coherence",
                 ("team", *focuses, "coherence"), rows)  # fmt: skip


def dependencies_table(report: Report) -> Table:
    """Dependencies that several teams recorded."""
    rows = tuple((d.on, d.teams, d.entries, d.late) for d in report.dependencies)
    return Table("dependencies", "Dependencies shared by teams",
                 ("on", "teams", "entries", "late"), rows)  # fmt: skip


def report_tables(report: Report) -> list[Table]:
    """Every table of the report, in reading order."""
    return [teams_table(report), decisions_table(report), fragmentation_table(report),
            dependencies_table(report)]  # fmt: skip


# What people read instead of the machine columns: ids are left out (people name records
# by their text; a decision's aliases are counted in its title), and a column may read
# differently.
_MACHINE_ONLY = frozenset({"id", "aliases"})
_PEOPLE_NAMES = {("decisions", "focus"): "focus_alignment", ("teams", "period_start"): "sprint"}


def _sprint(start: Any, end: Any, *, compact: bool) -> str:
    """A period as people read it: ``2026-08-31 – 09-13``, or ``08-31`` when compact."""
    first, last = cell(start), cell(end)
    if compact:
        return month_day(first)
    if not last:
        return first
    if last[:5] == first[:5] and len(last) == 10:
        last = last[5:]
    return f"{first} – {last}"


def for_people(table: Table, *, compact: bool = False) -> Table:
    """``table`` as people read it (the text, Markdown and HTML reports).

    No id columns, a period's two dates in one ``sprint`` column, a decision's aliases
    counted after its title; ``compact`` (a terminal) also drops the year from dates.
    """
    columns, values = [], []
    for n, column in enumerate(table.columns):
        if column in _MACHINE_ONLY or column == "period_end":
            continue
        columns.append(_PEOPLE_NAMES.get((table.name, column), column))
        values.append(n)
    where = {column: n for n, column in enumerate(table.columns)}

    def value(row: tuple[Any, ...], n: int) -> Any:
        column = table.columns[n]
        if column == "period_start":
            return _sprint(row[n], row[where["period_end"]] if "period_end" in where else None,
                           compact=compact)  # fmt: skip
        copies = len(row[where["aliases"]] or ()) if "aliases" in where else 0
        if column == "decision" and copies:
            return f"{row[n]} (+{copies} duplicate{'s' if copies > 1 else ''})"
        if column == "review_by" and compact:
            return month_day(cell(row[n]))
        return row[n]

    rows = tuple(tuple(value(row, n) for n in values) for row in table.rows)
    return Table(table.name, table.title, tuple(columns), rows)


# The teams table is two for people: how work traces to outcomes, and risk and learning.
_TEAMS_FOR_PEOPLE = (
    ("teams", "Outcomes per team and sprint", ("team", "sprint", "focus", "outputs", "outcomes",
     "outcome_ratio", "orphan_outputs", "unanchored_outcomes", "coherence")),
    ("teams_risks", "Risks and learning per team and sprint", ("team", "sprint", "risk_reduction",
     "predictability_gained", "lessons", "late_lessons", "late_dependencies")),
)  # fmt: skip


def pick(table: Table, name: str, title: str, columns: Sequence[str]) -> Table:
    """Some of ``table``'s columns, in the order given, as a table of its own."""
    where = [table.columns.index(c) for c in columns]
    return Table(name, title, tuple(columns), tuple(tuple(r[n] for n in where) for r in table.rows))


def people_tables(report: Report, *, compact: bool = False) -> list[Table]:
    """The report's tables as people read them (see :func:`for_people`), in reading order."""
    tables = []
    for table in report_tables(report):
        readable = for_people(table, compact=compact)
        if table.name == "teams":
            tables += [pick(readable, *split) for split in _TEAMS_FOR_PEOPLE]
        else:
            tables.append(readable)
    return tables


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
