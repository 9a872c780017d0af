"""The organisation report: do the teams' work converge on the strategic decisions?

Pure functions over records (typically a merge of many teams' logs): figures per
team and period, the decision ledger, the fragmentation map, coherence and its
trend, and dependencies that several teams share.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from retro import scope
from retro.insights import LinkIndex, Metrics, by_id, link_index, metrics, moment
from retro.model import Record, title

NO_PERIOD = "check-ins"
# The fields of a record the report reads (text only for a decision's title): a record
# cut down to them gives the very same report (see :func:`slimmer`).
REPORT_FIELDS = frozenset({
    "id", "kind", "team", "created_at", "retro", "links", "text", "period_start", "period_end",
    "focus", "format", "decisions", "alias_of", "review_by", "before", "after",
    "confidence_before", "confidence_after", "learned_at", "applies_to", "discovered_at",
    "needed_at", "on", "status", "group_of",
})  # fmt: skip
# values many records repeat, kept once
_SHARED = ("id", "kind", "team", "retro", "focus", "status", "alias_of", "group_of")
_ID_LISTS = ("links", "applies_to", "decisions")  # lists of ids: each id is a record's


def slimmer() -> Callable[[Record], Record]:
    """A function that cuts a record down to what :func:`build_report` reads of it, each
    text many records share (a team, an id and the links to it) kept once: a whole log's
    records then fit in memory."""
    shared: dict[Any, Any] = {}
    share = shared.setdefault

    def slim(rec: Record) -> Record:
        kept = {key: value for key, value in rec.items()
                if key in REPORT_FIELDS and value is not None and value != []}  # fmt: skip
        if rec.get("kind") != "decision":
            kept.pop("text", None)
        for key in _SHARED:
            value = kept.get(key)
            if type(value) is str:
                kept[key] = share(value, value)
        for key in _ID_LISTS:
            ids = kept.get(key)
            if ids and type(ids) is list:
                kept[key] = [share(rid, rid) if type(rid) is str else rid for rid in ids]
        return kept

    return slim


@dataclass(frozen=True)
class TeamPeriod:
    """One team's figures for one period (a retro, or check-ins outside any retro)."""

    team: str
    period_start: str | None
    period_end: str | None
    focus: str | None
    retro: str | None
    metrics: Metrics


@dataclass
class DecisionLine:
    """One strategic decision and the work that reinforces it, across teams."""

    id: str
    title: str
    review_by: str | None
    aliases: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    outcomes: list[Record] = field(default_factory=list)
    risks: list[Record] = field(default_factory=list)
    lessons: list[Record] = field(default_factory=list)
    focus: dict[str, str] = field(default_factory=dict)  # team -> its focus when it worked on it

    @property
    def aligned(self) -> bool | None:
        """True when every team working on it optimised for the same thing (None: < 2 teams)."""
        focuses = {f for f in self.focus.values() if f}
        return None if len(self.focus) < 2 else len(focuses) <= 1

    @property
    def risk_reduction(self) -> int:
        from retro.model import risk_score

        return sum(
            risk_score(r["before"]) - risk_score(r["after"])
            for r in self.risks
            if r.get("before") and r.get("after")
        )


@dataclass(frozen=True)
class SharedDependency:
    """A dependency that appears in several teams' logs."""

    on: str
    teams: tuple[str, ...]
    entries: int
    late: int


@dataclass
class Report:
    """Everything `retro report` shows."""

    teams: list[str]
    periods: list[TeamPeriod]
    decisions: list[DecisionLine]
    focus_by_team: dict[str, dict[str, int]]
    coherence_by_team: dict[str, float | None]
    coherence: float | None
    dependencies: list[SharedDependency]

    @property
    def unreinforced(self) -> list[DecisionLine]:
        """Decisions no team's outcome reinforces."""
        return [d for d in self.decisions if not d.outcomes]

    def trend(self, team: str) -> list[TeamPeriod]:
        """A team's periods, oldest first (retros only)."""
        return sorted((p for p in self.periods if p.team == team and p.period_start),
                      key=lambda p: p.period_start or "")  # fmt: skip


def canonical_decisions(records: Mapping[str, Record]) -> dict[str, str]:
    """Decision id -> the id it counts as (following ``alias_of``; cycles stop)."""
    canon: dict[str, str] = {}
    for rid, rec in records.items():
        if rec["kind"] != "decision":
            continue
        seen, step = {rid}, rid
        while (nxt := records.get(step, {}).get("alias_of")) and nxt in records and nxt not in seen:
            seen.add(nxt)
            step = nxt
        canon[rid] = step
    return canon


def _in_range(rec: Record, since: datetime | None, until: datetime | None) -> bool:
    if since is None and until is None:
        return True
    at = moment(rec.get("created_at"))
    return at is not None and (since is None or at >= since) and (until is None or at <= until)


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def build_report(
    records: Iterable[Record],
    *,
    teams: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    index: LinkIndex | None = None,
) -> Report:
    """The report over ``records`` (all teams' current records), for ``teams`` if given."""
    everything = records if isinstance(records, list) else list(records)
    context = by_id(everything)
    index = index if index is not None else link_index(everything)
    canon = canonical_decisions(context)
    wanted = set(teams)
    retros_by_team: dict[str, list[Record]] = defaultdict(list)
    groups: dict[tuple[str, str | None], list[Record]] = defaultdict(list)
    for rec in everything:
        if rec["kind"] == "retro" and (not wanted or rec["team"] in wanted):
            retros_by_team[rec["team"]].append(rec)
    periods_of = scope.by_team(r for found in retros_by_team.values() for r in found)
    for rec in everything:
        if rec["kind"] not in scope.RETRO_KINDS or (wanted and rec["team"] not in wanted):
            continue
        if not _in_range(rec, since, until):
            continue
        retro = scope.home_of(rec, periods_of, context)
        groups[(rec["team"], retro["id"] if retro else None)].append(rec)

    periods = []
    for (team, retro_id), entries in groups.items():
        retro = context.get(retro_id or "")
        end = date.fromisoformat(retro["period_end"]) if retro and retro.get("period_end") else None
        figures = metrics(entries, context=context, period_end=end, index=index)
        periods.append(TeamPeriod(team, retro.get("period_start") if retro else None,
                                  retro.get("period_end") if retro else None,
                                  retro.get("focus") if retro else None, retro_id,
                                  figures))  # fmt: skip
    periods.sort(key=lambda p: (p.team, p.period_start or "9999"))
    team_names = sorted({p.team for p in periods} | set(retros_by_team))
    return Report(
        teams=team_names,
        periods=periods,
        decisions=_ledger(groups, context, canon, index),
        focus_by_team={
            team: dict(Counter(r.get("focus") or "unset" for r in retros_by_team[team]
                               if _in_range(r, since, until)))  # fmt: skip
            for team in team_names
        },
        coherence_by_team={team: _coherence(p for p in periods if p.team == team)
                           for team in team_names},  # fmt: skip
        coherence=_coherence(periods),
        dependencies=_shared_dependencies(groups.values(), periods),
    )


def _coherence(periods: Iterable[TeamPeriod]) -> float | None:
    """Share of outputs tracing output → outcome → decision, over several periods."""
    outputs = traced = 0
    for period in periods:
        figures = period.metrics
        outputs += figures.outputs
        if figures.coherence is not None:
            traced += round(figures.coherence * figures.outputs)
    return _ratio(traced, outputs)


def _ledger(
    groups: Mapping[tuple[str, str | None], list[Record]],
    context: Mapping[str, Record],
    canon: Mapping[str, str],
    index: LinkIndex,
) -> list[DecisionLine]:
    """Each decision (aliases folded in) with the outcomes, risks and lessons linked to it."""
    lines: dict[str, DecisionLine] = {}
    for rid, target in sorted(canon.items()):
        if rid == target:
            rec = context[rid]
            lines[rid] = DecisionLine(rid, title(rec, 80), rec.get("review_by"))
    for rid, target in canon.items():
        if rid != target and target in lines:
            lines[target].aliases.append(rid)
    for (team, retro_id), entries in groups.items():
        retro = context.get(retro_id or "")
        for rec in entries:
            if rec["kind"] not in ("outcome", "risk", "lesson"):
                continue
            for other in sorted({canon[n] for n in index.get(rec["id"], ()) if n in canon}):
                line = lines.get(other)
                if line is None:
                    continue
                getattr(line, rec["kind"] + "s").append(rec)
                if rec["kind"] == "outcome":
                    if team not in line.teams:
                        line.teams.append(team)
                    if retro and retro.get("focus"):
                        line.focus[team] = retro["focus"]
                    else:
                        line.focus.setdefault(team, "")
    for line in lines.values():
        line.teams.sort()
        for entries in (line.outcomes, line.risks, line.lessons):
            entries.sort(key=lambda r: (r["created_at"], r["id"]))
    return sorted(lines.values(), key=lambda d: (-len(d.teams), d.title, d.id))


def _shared_dependencies(
    scopes: Iterable[list[Record]], periods: Sequence[TeamPeriod]
) -> list[SharedDependency]:
    """Dependencies on the same team or system recorded by more than one team."""
    late = {rid for p in periods for rid in p.metrics.late_dependencies}
    by_target: dict[str, list[Record]] = defaultdict(list)
    names: dict[str, str] = {}
    for entries in scopes:
        for rec in entries:
            if rec["kind"] == "dependency" and rec.get("on"):
                key = re.sub(r"\s+", " ", str(rec["on"]).strip().lower())
                by_target[key].append(rec)
                names.setdefault(key, str(rec["on"]).strip())
    shared = []
    for key, deps in sorted(by_target.items()):
        teams = tuple(sorted({d["team"] for d in deps}))
        if len(teams) > 1:
            shared.append(SharedDependency(names[key], teams, len(deps),
                                           sum(d["id"] in late for d in deps)))  # fmt: skip
    return sorted(shared, key=lambda s: (-len(s.teams), -s.entries, s.on))
