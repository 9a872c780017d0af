"""Retro sessions: one team, one period. Finding, starting and resuming them, their entries."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from retro import scope
from retro.dates import Cadence
from retro.errors import RecordNotFound, RetroError
from retro.fields import KINDS
from retro.formats import FALLBACK, Format, format_name
from retro.insights import LinkIndex, Metrics, metrics
from retro.model import Record, awaits_evidence
from retro.present.format import period_text
from retro.store import Repository
from retro.store.repository import creation_time

Period = tuple[date, date]


def current_period(cadence: Cadence | None, today: date) -> Period:
    """The sprint containing ``today``; without a cadence, the two weeks ending this Sunday."""
    if cadence is not None:
        return cadence.period_of(today)
    end = today + timedelta(days=6 - today.weekday())
    return end - timedelta(days=13), end


def sprint_period(which: str, cadence: Cadence | None, today: date) -> Period:
    """``current``, ``last`` or a sprint number, as a period."""
    start, end = current_period(cadence, today)
    if which == "current":
        return start, end
    if which == "last":
        length = (end - start).days + 1
        return start - timedelta(days=length), start - timedelta(days=1)
    if cadence is None:
        raise ValueError("numbered sprints need a sprint cadence (run `retro init`)")
    return cadence.period(int(which))


def retros(repo: Repository, team: str | None = None) -> list[Record]:
    """The team's retros (every team's when None), newest period first."""
    found = repo.find(kinds=["retro"], teams=[team] if team else [])
    return sorted(found, key=lambda r: (r.get("period_start") or "", r["created_at"]), reverse=True)


def find_retro(
    repo: Repository, team: str, period: Period, fmt: str | None = None
) -> Record | None:
    """The team's retro for the period starting ``period[0]``, if there is one: the one of
    format ``fmt`` (a retro that records none is of the default format), or when ``fmt``
    is None the newest of any format."""
    start = period[0].isoformat()
    for retro in retros(repo, team):
        if retro.get("period_start") == start and fmt in (None, format_name(retro)):
            return retro
    return None


def draft_retro(
    repo: Repository, team: str, period: Period, facilitator: str, fmt: Format = FALLBACK
) -> Record:
    """A new open retro for ``period`` in format ``fmt``, not yet recorded (its ``id`` is
    empty), at the format's first step.

    The participants and the decisions in play carry over from the team's last retro.
    """
    start, end = period
    draft: Record = {
        "id": "",
        "kind": "retro",
        "team": team,
        "text": f"Retro {period_text(start, end)}",
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "facilitator": facilitator,
        "participants": [],
        "focus": None,
        "status": "open",
        "decisions": [],
        "step": fmt.step_names[0],
        "format": fmt.name,
    }
    last = previous_retro(repo, draft)
    if last is not None:
        draft["participants"] = list(last.get("participants") or [])
        draft["decisions"] = [rid for rid in last.get("decisions") or []
                              if rid in repo.records()]  # fmt: skip
    return draft


def record_draft(repo: Repository, draft: Record) -> Record:
    """Write a drafted retro (see :func:`draft_retro`) to the log, as it now stands."""
    fields = {field.name: draft.get(field.name) for field in KINDS["retro"]}
    return repo.add("retro", draft["text"], fields=fields)


def previous_retro(repo: Repository, retro: Record) -> Record | None:
    """The same team's retro just before ``retro``."""
    earlier = [
        r
        for r in retros(repo, retro["team"])
        if (r.get("period_start") or "") < (retro.get("period_start") or "")
    ]
    return earlier[0] if earlier else None


def _team_periods(repo: Repository, team: str, extra: Record | None = None) -> scope.TeamRetros:
    found = retros(repo, team)
    if extra is not None and all(r["id"] != extra["id"] for r in found):
        found.append(extra)
    return scope.by_team(found).get(team, scope.TeamRetros())


def entries(repo: Repository, retro: Record, kinds: Sequence[str] = ()) -> list[Record]:
    """The entries of ``retro``, oldest first: its own, and its team's check-ins dated in
    its period (see :mod:`retro.scope`)."""
    wanted = [k for k in (kinds or scope.RETRO_KINDS) if k in scope.RETRO_KINDS]
    if not wanted:
        return []
    rid, start, end = retro.get("id"), retro.get("period_start"), retro.get("period_end")
    if not (start and end):
        return repo.find(retro=rid, kinds=wanted) if rid else []
    known = repo.records()
    teams = {retro["team"]: _team_periods(repo, retro["team"], retro)}

    def mine(rec: Mapping[str, Any]) -> bool:
        return scope.belongs(rec, retro, teams, known)

    # Its own entries, and those recorded in its period (in any UTC offset): scope decides.
    since = datetime.combine(date.fromisoformat(start), time(), UTC) - timedelta(days=1)
    until = datetime.combine(date.fromisoformat(end), time(), UTC) + timedelta(days=2)
    dated = repo.find(kinds=wanted, teams=[retro["team"]], since=since, until=until, where=mine)
    named = repo.find(kinds=wanted, retro=rid, where=mine) if rid else []
    seen = {rec["id"] for rec in dated}
    return sorted([*dated, *(rec for rec in named if rec["id"] not in seen)],
                  key=creation_time)  # fmt: skip


def entries_by_retro(repo: Repository, team: str) -> dict[str | None, list[Record]]:
    """Every entry of ``team`` by the id of its retro (None: outside every retro), one pass."""
    records = repo.find(kinds=list(scope.RETRO_KINDS), teams=[team])
    return scope.group_by_retro(records, retros(repo, team), repo.records())


def follow_ups(repo: Repository, retro: Record) -> list[scope.FollowUp]:
    """The actions ``retro`` brings back, oldest first.

    Every action of the team that is still open or carried, from any earlier period, comes
    back in every later retro until it is done or dropped; one closed in this retro's
    follow-ups (``closed_in``) stays listed here so that what was decided stays in view.
    """
    return list(each_follow_up(repo, retro))


def each_follow_up(repo: Repository, retro: Record) -> Iterator[scope.FollowUp]:
    """:func:`follow_ups`, one at a time, read as they are asked for."""
    start = retro.get("period_start") or ""
    team = retro["team"]
    known = repo.records()
    periods = _team_periods(repo, team, retro)
    teams = {team: periods}
    rid = retro.get("id")
    chosen = {"closed_in": rid} if rid else {"due": True}
    for action in repo.each(kinds=["action"], teams=[team], **chosen):
        home = scope.home_of(action, teams, known)
        origin = (home.get("period_start") if home else None) or scope.entry_day(action)
        if not origin < start or (home is not None and home["id"] == retro.get("id")):
            continue
        since = bisect_right(periods.starts, origin)  # the retros after its own, before this
        carried = max(0, bisect_left(periods.starts, start) - since)
        yield scope.FollowUp(dict(action), carried)


def period_end(retro: Record) -> date | None:
    """The last day of a retro's period."""
    value = retro.get("period_end")
    return date.fromisoformat(value) if value else None


def figures(
    repo: Repository, retro: Record, found: Sequence[Record] | None = None,
    *, index: LinkIndex | None = None,
) -> Metrics:  # fmt: skip
    """The figures of ``retro`` (``found``: its entries, when already gathered)."""
    scope_entries = entries(repo, retro) if found is None else found
    return metrics(scope_entries, context=repo.records(), period_end=period_end(retro),
                   index=index if index is not None else repo.links())  # fmt: skip


def open_follow_ups(
    repo: Repository, team: str | None, limit: int | None = None
) -> tuple[list[Record], int]:
    """What is due, in the order it falls due: actions still open or carried, then outcomes
    still waiting for evidence (the first ``limit`` of them), and how many there are."""
    teams = [team] if team else []
    found = repo.find(teams=teams, due=True, limit=limit)
    return found, len(found) if limit is None else repo.count(teams=teams, due=True)


def named_retro(
    repo: Repository, team: str, which: str, cadence: Cadence | None, today: date
) -> Record:
    """The retro ``which`` names: ``current`` (this sprint's), ``last`` (the newest one
    before this sprint) or a retro's id or id prefix. Raises :class:`RetroError`."""
    if which not in ("current", "last"):
        return repo.get(which, kinds=["retro"])
    start = current_period(cadence, today)[0].isoformat()
    held = retros(repo, team)
    if which == "current":
        found = next((r for r in held if r.get("period_start") == start), None)
        problem = "the current sprint has no retro yet (`retro run` starts it)"
    else:
        found = next((r for r in held if (r.get("period_start") or "") < start), None)
        problem = f"{team} held no retro before the current sprint"
    if found is None:
        raise RetroError(problem)
    return found


def summary_target(
    repo: Repository,
    team: str,
    ref: str | None,
    sprint: str | None,
    cadence: Cadence | None,
    when: Callable[[str], date],
    today: date,
) -> Record:
    """The retro whose summary is asked for: the one ``ref`` names (an id, an id prefix, or
    a day in a sprint), the team's retro of ``sprint``, or else the team's newest retro.

    A sprint that held no retro gives a draft (not recorded) covering its period.
    """
    period: Period | None = None
    if ref:
        try:
            return repo.get(ref, kinds=["retro"])
        except RecordNotFound as err:
            try:
                day = when(ref)
            except ValueError:
                raise err from None
            period = current_period(cadence, day)
    elif sprint:
        period = sprint_period(sprint, cadence, today)
    else:
        held = retros(repo, team)
        if held:
            return held[0]
        period = current_period(cadence, today)
    found = find_retro(repo, team, period)
    return found if found is not None else draft_retro(repo, team, period, "")


@dataclass(frozen=True)
class DecisionInPlay:
    """A decision a retro has in play, and what is linked to it in the whole log (any team,
    any retro), oldest first: the outcomes that reinforce it, its lessons and actions."""

    decision: Record
    outcomes: list[Record]
    lessons: list[Record]
    actions: list[Record]

    @property
    def arrived(self) -> list[Record]:
        """The outcomes that arrived: those with evidence or an observed value."""
        return [rec for rec in self.outcomes if not awaits_evidence(rec)]


def decisions_in_play(repo: Repository, retro: Record) -> list[DecisionInPlay]:
    """The decisions ``retro`` has in play (as its frame lists them), each with what is
    linked to it."""
    records, index = repo.records(), repo.links()
    found = []
    for rid in retro.get("decisions") or []:
        decision = records.get(rid)
        if decision is None or decision.get("kind") != "decision":
            continue
        linked = sorted((records[n] for n in index.get(rid, ()) if n in records),
                        key=creation_time)  # fmt: skip
        found.append(DecisionInPlay(decision, *([rec for rec in linked if rec["kind"] == kind]
                                                for kind in ("outcome", "lesson", "action"))))
    return found
