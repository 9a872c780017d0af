"""The entries of a retro: one definition for the app, the summary, the exports and the report.

An entry belongs to the retro it names (made during that retro, or attached with
``retro checkin --retro``). An entry that names no retro (a check-in between retros)
belongs to its team's retro whose period holds the day it was recorded. Decisions
belong to the organisation, not to a retro. Pure functions over records.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from retro.formats import DEFAULT_FORMAT, format_name
from retro.model import ENTRY_KINDS, Record

RETRO_KINDS = tuple(kind for kind in ENTRY_KINDS if kind != "decision")
"""The kinds of entry a retro holds."""


def entry_day(rec: Mapping[str, object]) -> str:
    """The day an entry was recorded (YYYY-MM-DD, in the writer's own UTC offset)."""
    return str(rec.get("created_at") or "")[:10]


@dataclass
class TeamRetros:
    """One team's retros, sorted by the first day of their period."""

    retros: list[Record] = field(default_factory=list)
    starts: list[str] = field(default_factory=list)

    def holding(self, day: str) -> Record | None:
        """The retro whose period holds ``day`` (the latest to start, if periods overlap)."""
        index = bisect_right(self.starts, day) - 1
        if index >= 0 and day <= (self.retros[index].get("period_end") or ""):
            return self.retros[index]
        return None


def by_team(retros: Iterable[Record]) -> dict[str, TeamRetros]:
    """Retros grouped by team, each group sorted by period.

    Of retros of different formats sharing a period (a sprint's retro and a decision
    review), the full outcome retro comes last: it takes in the check-ins of the period.
    """
    groups: dict[str, list[Record]] = {}
    for retro in retros:
        if retro.get("period_start"):
            groups.setdefault(retro["team"], []).append(retro)
    found = {}
    for team, group in groups.items():
        group.sort(key=lambda r: (r["period_start"], format_name(r) == DEFAULT_FORMAT, r["id"]))
        found[team] = TeamRetros(group, [r["period_start"] for r in group])
    return found


def home_of(
    rec: Mapping[str, object], teams: Mapping[str, TeamRetros], known: Mapping[str, Record]
) -> Record | None:
    """The retro ``rec`` belongs to, or None (a check-in outside every retro's period).

    ``known`` maps ids to records, to tell a named retro from a dangling reference.
    """
    named = known.get(str(rec.get("retro") or ""))
    if named is not None and named.get("kind") == "retro":
        return named
    group = teams.get(str(rec.get("team")))
    return group.holding(entry_day(rec)) if group is not None else None


def belongs(
    rec: Mapping[str, object],
    retro: Record,
    teams: Mapping[str, TeamRetros],
    known: Mapping[str, Record],
) -> bool:
    """True when ``rec`` is one of ``retro``'s entries."""
    if rec.get("kind") not in RETRO_KINDS:
        return False
    home = home_of(rec, teams, known)
    return home is not None and home["id"] == retro["id"]


def group_by_retro(
    records: Iterable[Record], retros: Sequence[Record], known: Mapping[str, Record]
) -> dict[str | None, list[Record]]:
    """Entries (of the kinds a retro holds) by the id of their retro; None: outside any."""
    teams = by_team(retros)
    groups: dict[str | None, list[Record]] = {}
    for rec in records:
        if rec.get("kind") in RETRO_KINDS:
            home = home_of(rec, teams, known)
            groups.setdefault(home["id"] if home else None, []).append(rec)
    return groups


@dataclass(frozen=True)
class FollowUp:
    """An action a retro brings back, and how many retros it has already been carried through."""

    action: Record
    carried: int
