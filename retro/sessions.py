"""Retro sessions: one team, one period. Finding, starting and resuming them, their entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from retro.dates import Cadence
from retro.model import ENTRY_KINDS, Record
from retro.store import Repository

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


def find_retro(repo: Repository, team: str, period: Period) -> Record | None:
    """The team's retro for the period starting ``period[0]``, if there is one."""
    start = period[0].isoformat()
    return next((r for r in retros(repo, team) if r.get("period_start") == start), None)


def start_or_resume(repo: Repository, team: str, period: Period, facilitator: str) -> Record:
    """The team's retro for ``period``: the existing one, or a new open one."""
    existing = find_retro(repo, team, period)
    if existing is not None:
        return existing
    start, end = period
    return repo.add(
        "retro",
        f"Retro {start:%d %b} – {end:%d %b %Y}",
        fields={
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "facilitator": facilitator,
            "participants": [],
            "focus": None,
            "status": "open",
            "decisions": [],
            "step": "frame",
        },
    )


def previous_retro(repo: Repository, retro: Record) -> Record | None:
    """The same team's retro just before ``retro``."""
    earlier = [
        r
        for r in retros(repo, retro["team"])
        if (r.get("period_start") or "") < (retro.get("period_start") or "")
    ]
    return earlier[0] if earlier else None


def entries(repo: Repository, retro: Record, kinds: Sequence[str] = ()) -> list[Record]:
    """The entries recorded in ``retro``, oldest first."""
    return repo.find(retro=retro["id"], kinds=list(kinds) or list(ENTRY_KINDS))


def follow_ups(repo: Repository, retro: Record) -> list[Record]:
    """Last retro's actions, to be marked done, dropped or carried over in this one."""
    before = previous_retro(repo, retro)
    if before is None:
        return []
    return repo.find(retro=before["id"], kinds=["action"])


def period_end(retro: Record) -> date | None:
    """The last day of a retro's period."""
    value = retro.get("period_end")
    return date.fromisoformat(value) if value else None


def _is_open(action: Mapping[str, Any]) -> bool:
    return action.get("status") in ("open", None)


def _awaits_evidence(outcome: Mapping[str, Any]) -> bool:
    return not outcome.get("evidence") and outcome.get("observed") in (None, "")


def open_follow_ups(repo: Repository, team: str | None) -> list[Record]:
    """What is due: open actions, and outcomes still waiting for evidence."""
    teams = [team] if team else []
    actions = repo.find(kinds=["action"], teams=teams, where=_is_open)
    waiting = repo.find(kinds=["outcome"], teams=teams, where=_awaits_evidence)
    actions.sort(key=lambda a: a.get("due") or "9999")
    return actions + waiting
