"""Whom a merge trusts: which incoming events are taken, and which are held back.

A merged log is another team's word, not an order. An event stamped further in the future
than a stated tolerance, or foreign -- one that changes a record's kind or team, or that
edits, deletes or restores a record of your team from a log that is not your team's -- is
held back (:class:`Held`): left out of the merge, for the caller to keep in a side file.
What is held depends on the set of inputs and the base, not on their order. Pure functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from retro.store.events import PUT, Event

if TYPE_CHECKING:
    from retro.merge import Entry

FUTURE_TOLERANCE = timedelta(days=1)  # how far ahead of this machine's clock a revision may be
FUTURE, FOREIGN = "future", "foreign"


@dataclass(frozen=True)
class Trust:
    """Whom a merge trusts: your teams, the teams you trust, this machine's clock.

    ``teams``: your team(s); their records, as the log merged into knows them, may be
    changed only from a log of one of these teams or of a ``trusted`` team (a log is a
    team's when its file is named after it: ``payments.jsonl``). ``accept_foreign``
    takes foreign events in; events stamped more than ``tolerance`` ahead of ``now``
    are held whatever the settings, until their time comes.
    """

    now: datetime
    teams: frozenset[str] = frozenset()
    trusted: frozenset[str] = frozenset()
    accept_foreign: bool = False
    tolerance: timedelta = FUTURE_TOLERANCE

    @property
    def latest_rev(self) -> str:
        """The greatest revision time taken in, as a revision's first characters."""
        return (self.now + self.tolerance).astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")

    def speaks_for_you(self, source: str) -> bool:
        """True when the log ``source`` is one of your teams' or of a trusted team."""
        team = Path(source).stem
        return team in self.teams or team in self.trusted


@dataclass(frozen=True)
class Held:
    """An event a merge left out, and why."""

    event: Event
    line: bytes | None
    source: str
    reason: str  # FUTURE or FOREIGN
    why: str

    @property
    def record_id(self) -> str:
        return str(self.event["id"])

    @property
    def rev(self) -> str:
        return str(self.event["rev"])


_CONFLICT = ("", "")  # a record whose creations disagree on its team or kind
Claim = tuple[str, str]  # a record's (team, kind), as one of its puts has them


class Verdict(NamedTuple):
    """An input's event a merge holds back, and why."""

    entry: Entry
    source: str
    reason: str  # FUTURE or FOREIGN
    why: str


class Claims:
    """Each record's (team, kind) as its events first tell it: its creation's, or its puts'.

    One claim is kept per record as events are added; a record whose creations (or,
    without one, whose puts) disagree is marked as a conflict: ``("", "")``.
    """

    def __init__(self) -> None:
        self.records: dict[str, Claim | None] = {}  # each record's claim (None: deletions only)
        self._uncreated: set[str] = set()  # records whose claim no creation made (yet)
        self._disputed: dict[str, tuple[set[Claim], set[Claim]]] = {}  # creations', puts'

    def add(self, rid: str, claim: Claim | None, creation: bool) -> None:
        """Take in an event of ``rid``: a put claiming ``claim``, or a deletion (None)."""
        records = self.records
        state = records.get(rid)
        if claim is None:
            records.setdefault(rid, None)
        elif state is None:
            records[rid] = claim
            if not creation:
                self._uncreated.add(rid)
        elif rid in self._disputed:
            created, puts = self._disputed[rid]
            puts.add(claim)
            if creation:
                created.add(claim)
        elif state == claim:
            if creation:
                self._uncreated.discard(rid)
        else:
            first = {state} if rid not in self._uncreated else set()
            self._disputed[rid] = first | ({claim} if creation else set()), {state, claim}

    def disputed(self) -> dict[str, Claim]:
        """The owner of each record whose claims disagree (a conflict when they cannot tell)."""
        found = {}
        for rid, (created, puts) in self._disputed.items():
            claims = created or puts
            found[rid] = next(iter(claims)) if len(claims) == 1 else _CONFLICT
        return found

    def owners(self) -> dict[str, Claim | None]:
        """Each record's owner: its (team, kind), a conflict, or None (deletions only).

        The last thing asked of them: the records' claims are turned into it in place.
        """
        owner = self.records
        owner.update(self.disputed())
        return owner


def owners(entries: Iterable[Entry], known: dict[str, Claim] | None = None
           ) -> dict[str, Claim | None]:  # fmt: skip
    """Each record's (team, kind) as ``entries`` first tell it (see :class:`Claims`), None
    for a record with deletions only. Records in ``known`` keep what it says.
    """
    claims = Claims()
    records, add = claims.records, claims.add
    for entry in entries:
        rid, claim = entry.rid, entry.claim
        if claim is not None and entry.prev is None and rid not in records:  # as add() does
            records[rid] = claim
        else:
            add(rid, claim, entry.prev is None)
    found = claims.owners()
    found.update(known or {})
    return found


def _current(entries: Iterable[Entry]) -> tuple[dict[str, Claim], dict[str, Entry]]:
    """Each record's (team, kind) as its greatest put has them, and each record's head."""
    puts: dict[str, Entry] = {}
    heads: dict[str, Entry] = {}
    for entry in entries:
        rid = entry.rid
        head = heads.get(rid)
        if head is None or entry.rank > head.rank:
            heads[rid] = entry
        if entry.claim is not None:
            put = puts.get(rid)
            if put is None or entry.rank > put.rank:
                puts[rid] = entry
    return {rid: e.claim for rid, e in puts.items() if e.claim is not None}, heads


def claim_change(claim: Claim | None, owner: Claim | None) -> str | None:
    """Say how a put claiming ``claim`` changes what its record is, or None when it does not."""
    if owner is None or claim is None:
        return None
    if owner == _CONFLICT:
        return "the record's creations disagree on its team or kind"
    team, kind = claim
    if kind != owner[1]:
        return f"changes the record's kind from {owner[1]} to {kind}"
    if team != owner[0]:
        return f"moves the record from team {owner[0]} to team {team}"
    return None


def foreign_change(event: Event, owner: Claim | None) -> str | None:
    """Say how ``event`` changes what its record is, or None when it does not."""
    if event["op"] != PUT:
        return None
    return claim_change((event["rec"]["team"], event["rec"]["kind"]), owner)


def _verb(entry: Entry, head: Entry | None) -> str:
    if entry.dead:
        return "deletes"
    return "restores" if head is not None and entry.life > head.life else "edits"


def screen(
    inputs: Sequence[tuple[str, Sequence[Entry]]], base: Sequence[Entry], trust: Trust
) -> tuple[list[list[Entry]], list[Verdict]]:
    """Split each input into the events a merge takes in and those it holds back.

    An event already in ``base`` is always taken; an event that one input holds
    back and another is trusted to bring is taken. The held ones come in (rev, id) order.
    """
    in_base = {e.key for e in base}
    yours, base_heads = _current(base)
    owner = owners((e for _, entries in inputs for e in entries), yours)
    latest, foreign = trust.latest_rev, trust.accept_foreign
    bound = latest + "\U0010ffff"  # key <= bound: its revision's time is latest's or before
    taken: list[list[Entry]] = []
    held: dict[str, Verdict] = {}
    brought: set[str] | None = None  # the keys taken so far, once anything was held
    for source, entries in inputs:
        mine: list[Entry] = []
        for entry in entries:
            key, rid = entry.key, entry.rid
            plain = (key <= bound and rid not in yours  # the common case, decided at once
                     and (foreign or owner.get(rid, entry.claim) == entry.claim))
            verdict = None if plain or key in in_base else _verdict(
                entry, source, owner, yours, base_heads, trust, latest)  # fmt: skip
            if verdict is None:
                mine.append(entry)
                if brought is not None:
                    brought.add(key)
                    held.pop(key, None)  # another input is trusted to bring it
                continue
            if brought is None:
                brought = {e.key for m in [*taken, mine] for e in m}
            if key in brought:
                mine.append(entry)
            else:  # held: named after the first input, by name, that brought it
                known = held.setdefault(key, verdict)
                if verdict.source < known.source:
                    held[key] = verdict
        taken.append(mine)
    return taken, sorted(held.values(), key=lambda v: v.entry.key)


def _verdict(
    entry: Entry, source: str, owner: dict[str, Claim | None], yours: dict[str, Claim],
    heads: dict[str, Entry], trust: Trust, latest: str,
) -> Verdict | None:  # fmt: skip
    """Why ``entry`` (from the log ``source``) is held back, or None when it is taken in."""
    rev = entry.key[:23]
    if rev > latest:
        stamp = f"{rev[:4]}-{rev[4:6]}-{rev[6:8]} {rev[9:11]}:{rev[11:13]} UTC"
        days = trust.tolerance.days
        return Verdict(entry, source, FUTURE, f"stamped {stamp}, more than {days} day"
                       f"{'' if days == 1 else 's'} ahead of this machine's clock")  # fmt: skip
    if trust.accept_foreign:
        return None
    rid = entry.rid
    why = claim_change(entry.claim, owner.get(rid))
    if why is None and rid in yours and yours[rid][0] in trust.teams \
            and not trust.speaks_for_you(source):  # fmt: skip
        why = f"{_verb(entry, heads.get(rid))} a record of your team {yours[rid][0]}"
    if why is None:
        return None
    return Verdict(entry, source, FOREIGN, f"{why} (from {Path(source).name})")


class Suspicion:
    """The events of one log a merge would hold back, found as the log streams by.

    Stamped too far in the future, or changing what a record is (its kind, its team)
    against the record's creation in the same log (see :func:`owners`). :meth:`add`
    takes each event in turn and keeps one claim per record; the few records whose
    puts disagree are looked at again by :meth:`found`, so the events are never held.
    """

    def __init__(self, now: datetime, tolerance: timedelta = FUTURE_TOLERANCE) -> None:
        self._latest = Trust(now, tolerance=tolerance).latest_rev
        self._records = Claims()
        self._claims: dict[Claim, Claim] = {}  # one tuple per claim, shared
        self._future: list[tuple[int, str]] = []

    @property
    def records(self) -> dict[str, Claim | None]:
        """Each record's claim (None: deletions only)."""
        return self._records.records

    def add(self, where: int, event: Event) -> None:
        """Take ``event`` in, found at ``where`` (a line number or an index)."""
        rec = event["rec"] if event["op"] == PUT else {}
        self.take(where, event["rev"], event["id"], event["prev"], rec.get("team"),
                  rec.get("kind"))  # fmt: skip

    def take(self, where: int, rev: str, rid: str, prev: str | None, team: str | None,
             kind: str | None) -> None:  # fmt: skip
        """Take in an event of record ``rid`` at revision ``rev`` (made on ``prev``), found
        at ``where``: a put claiming ``team`` and ``kind``, or a deletion (both None)."""
        if rev[:23] > self._latest:
            self._future.append((where, f"revision {rev[:23]} is stamped in the future"))
        claim: Claim | None = None
        if team is not None and kind is not None:
            claim = (team, kind)
            claim = self._claims.setdefault(claim, claim)
        self._records.add(rid, claim, prev is None)

    def found(self, again: Callable[[], Iterable[tuple[int, Event]]]) -> list[tuple[int, str]]:
        """(where, why) of each event a merge would hold back, in order.

        ``again`` gives the events added once more (only read when some record's puts
        disagree on its team or kind).
        """
        owner = self._records.disputed()
        if not owner:
            return list(self._future)
        future = {where for where, _ in self._future}
        found = list(self._future)
        for where, event in again():
            claim = owner.get(event["id"])
            why = None if claim is None or where in future else foreign_change(event, claim)
            if why:
                found.append((where, f"{why} (record {event['id'][:8]})"))
        return sorted(found)


def suspicious(events: Sequence[Event], now: datetime,
               tolerance: timedelta = FUTURE_TOLERANCE) -> list[tuple[int, str]]:  # fmt: skip
    """Events of one log a merge would hold back: (index in ``events``, why).

    See :class:`Suspicion`.
    """
    suspicion = Suspicion(now, tolerance)
    for n, event in enumerate(events):
        suspicion.add(n, event)
    return suspicion.found(lambda: enumerate(events))
