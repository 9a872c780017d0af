"""Merging logs: a union of events, deduplicated, in one deterministic order, and its report.

Because the result is the set of all events, sorted, merging is commutative,
associative and idempotent; edits and deletions travel with their events, and
every revision is kept. Pure functions: reading and writing files is the
caller's business.

Whom a merge trusts (:class:`Trust`): an event stamped too far in the future, or
foreign -- one that changes a record's kind or team, or that edits, deletes or
restores a record of your team from a log that is not your team's -- is held back:
left out of the merge and listed in :attr:`Merge.held`, for the caller to keep
(``<output>.held``). What is held depends on the set of inputs and the base, not on
their order, so the merge stays commutative and idempotent; regrouping inputs can
change what is held (a team's log merged into another file no longer speaks for the
team), never what is lost: every event ends up merged or held.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from retro.bulk import gc_paused
from retro.model import Record, title
from retro.store.events import (
    DEL,
    PUT,
    VERSION,
    Event,
    encode,
    life_of,
    outranks,
    rewritten,
)

SIMILAR = 0.8  # share of words two decision titles have in common to be reported as alike
RARE_WORDS = 3  # near-duplicate titles share at least one of their three rarest words
MAX_DUPLICATES = 100  # more pairs than this is no longer a list anyone reads


@dataclass
class InputReport:
    """What one input brought to the merge."""

    source: str
    events_read: int = 0
    new_records: int = 0
    updated_records: int = 0
    deletions: int = 0
    duplicates_skipped: int = 0
    rejected: int = 0
    held: int = 0


@dataclass(frozen=True)
class ConcurrentEdit:
    """One record changed on two sides since their common revision, and how it was resolved."""

    record_id: str
    title: str
    base: str | None
    revisions: tuple[tuple[str, str, str], ...]  # (rev, by, op) of each competing side
    winner: str


@dataclass(frozen=True)
class DuplicateDecision:
    """Two decisions, different ids, near-identical titles."""

    first: str
    second: str
    first_title: str
    second_title: str
    similarity: float

    @property
    def command(self) -> str:
        """The command that makes reports treat them as one."""
        return f"retro decision alias {self.second[:8]} --to {self.first[:8]}"


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


def owners(events: Iterable[Event], known: dict[str, tuple[str, str]] | None = None
           ) -> dict[str, tuple[str, str]]:  # fmt: skip
    """Each record's (team, kind) as ``events`` first tell it: its creation's, or its puts'.

    Records in ``known`` keep what it says. A record whose creations (or, without
    one, whose revisions) disagree is marked as a conflict: ``("", "")``.
    """
    claims: dict[str, set[tuple[str, str]]] = defaultdict(set)
    created: set[str] = set()
    for event in events:
        rid = event["id"]
        if event["op"] != PUT or (known and rid in known):
            continue
        rec = event["rec"]
        claim = (rec["team"], rec["kind"])
        if event["prev"] is None:
            if rid not in created:
                created.add(rid)
                claims[rid] = set()
            claims[rid].add(claim)
        elif rid not in created:
            claims[rid].add(claim)
    found = {rid: next(iter(c)) if len(c) == 1 else _CONFLICT for rid, c in claims.items()}
    return {**found, **(known or {})}


def _current(events: Iterable[Event]) -> tuple[dict[str, tuple[str, str]], dict[str, Event]]:
    """Each record's (team, kind) as its greatest put has them, and each record's head."""
    puts: dict[str, Event] = {}
    heads: dict[str, Event] = {}
    for event in events:
        rid = event["id"]
        head = heads.get(rid)
        if head is None or outranks(event, head):
            heads[rid] = event
        if event["op"] == PUT:
            put = puts.get(rid)
            if put is None or outranks(event, put):
                puts[rid] = event
    return {rid: (e["rec"]["team"], e["rec"]["kind"]) for rid, e in puts.items()}, heads


def foreign_change(event: Event, owner: tuple[str, str] | None) -> str | None:
    """Say how ``event`` changes what its record is, or None when it does not."""
    if owner is None or event["op"] != PUT:
        return None
    if owner == _CONFLICT:
        return "the record's creations disagree on its team or kind"
    team, kind = event["rec"]["team"], event["rec"]["kind"]
    if kind != owner[1]:
        return f"changes the record's kind from {owner[1]} to {kind}"
    if team != owner[0]:
        return f"moves the record from team {owner[0]} to team {team}"
    return None


def _verb(event: Event, head: Event | None) -> str:
    if event["op"] == DEL:
        return "deletes"
    return "restores" if head is not None and life_of(event) > life_of(head) else "edits"


def screen(
    inputs: Sequence[tuple[str, Sequence[Event]]],
    raw: Sequence[Sequence[bytes] | None],
    base: Sequence[Event],
    trust: Trust,
) -> tuple[list[list[Event]], list[list[bytes] | None], list[Held]]:
    """Split each input into the events a merge takes in and those it holds back.

    An event already in ``base`` is always taken; an event that one input holds
    back and another is trusted to bring is taken.
    """
    in_base = {(e["rev"], e["id"]) for e in base}
    yours, base_heads = _current(base)
    owner = owners((e for _, events in inputs for e in events), yours)
    latest = trust.latest_rev
    taken: list[list[Event]] = []
    taken_raw: list[list[bytes] | None] = []
    verdicts: dict[tuple[str, str], Held | None] = {}
    for n, (source, events) in enumerate(inputs):
        lines = raw[n] if n < len(raw) else None
        mine: list[Event] = []
        mine_raw: list[bytes] | None = [] if lines is not None else None
        for i, event in enumerate(events):
            key = (event["rev"], event["id"])
            line = lines[i] if lines is not None else None
            verdict = None if key in in_base else _verdict(
                event, line, source, owner, yours, base_heads, trust, latest)  # fmt: skip
            if verdict is None or verdicts.get(key, verdict) is None:
                verdicts[key] = None
                mine.append(event)
                if mine_raw is not None and line is not None:
                    mine_raw.append(line)
            else:  # held: named after the first input, by name, that brought it
                known = verdicts.setdefault(key, verdict)
                if known is not None and verdict.source < known.source:
                    verdicts[key] = verdict
        taken.append(mine)
        taken_raw.append(mine_raw)
    held = [h for h in verdicts.values() if h is not None]
    held.sort(key=lambda h: (h.rev, h.record_id))
    return taken, taken_raw, held


def _verdict(
    event: Event, line: bytes | None, source: str, owner: dict[str, tuple[str, str]],
    yours: dict[str, tuple[str, str]], heads: dict[str, Event], trust: Trust, latest: str,
) -> Held | None:  # fmt: skip
    """Why ``event`` (from the log ``source``) is held back, or None when it is taken in."""
    rev = event["rev"]
    if rev[:23] > latest:
        stamp = f"{rev[:4]}-{rev[4:6]}-{rev[6:8]} {rev[9:11]}:{rev[11:13]} UTC"
        days = trust.tolerance.days
        return Held(event, line, source, FUTURE, f"stamped {stamp}, more than {days} day"
                    f"{'' if days == 1 else 's'} ahead of this machine's clock")  # fmt: skip
    if trust.accept_foreign:
        return None
    rid = event["id"]
    why = foreign_change(event, owner.get(rid))
    if why is None and rid in yours and yours[rid][0] in trust.teams \
            and not trust.speaks_for_you(source):  # fmt: skip
        why = f"{_verb(event, heads.get(rid))} a record of your team {yours[rid][0]}"
    if why is None:
        return None
    return Held(event, line, source, FOREIGN, f"{why} (from {Path(source).name})")


def suspicious(events: Sequence[Event], now: datetime,
               tolerance: timedelta = FUTURE_TOLERANCE) -> list[tuple[int, str]]:  # fmt: skip
    """Events of one log a merge would hold back: (index in ``events``, why).

    Stamped too far in the future, or changing what a record is (its kind, its team)
    against the record's creation in the same log.
    """
    latest = Trust(now, tolerance=tolerance).latest_rev
    owner = owners(events)
    found = []
    for n, event in enumerate(events):
        if event["rev"][:23] > latest:
            found.append((n, f"revision {event['rev'][:23]} is stamped in the future"))
            continue
        why = foreign_change(event, owner.get(event["id"]))
        if why:
            found.append((n, f"{why} (record {event['id'][:8]})"))
    return found


@dataclass
class Merge:
    """The merged events and the report of how they came together.

    Concurrent edits and possible duplicate decisions are found when first asked for.
    """

    events: list[Event]
    inputs: list[InputReport]
    version: tuple[int, int] = VERSION
    encoded: list[bytes] = field(default_factory=list)  # each event's line, in order
    heads: dict[str, Event] = field(default_factory=dict)
    held: list[Held] = field(default_factory=list)  # left out, in (rev, id) order

    def lines(self) -> list[bytes]:
        """The merged log, line by line: header (naming its generation) first."""
        return rewritten(self.version, self.encoded or [encode(event) for event in self.events])

    def held_lines(self, kept: Sequence[tuple[Event, bytes | None]] = ()) -> list[bytes]:
        """What was held back, with the events of ``kept`` not merged now, as a log of its own.

        ``kept`` is what an earlier merge held (its side file): what this merge
        accepted leaves it. Empty when nothing is left.
        """
        merged = {(e["rev"], e["id"]) for e in self.events}
        waiting = [(h.event, h.line) for h in self.held]
        waiting += [(e, line) for e, line in kept if (e["rev"], e["id"]) not in merged]
        if not waiting:
            return []
        events = [event for event, _ in waiting]
        return merge([("held", events)], raw=[[line or encode(e) for e, line in waiting]],
                     versions=[self.version]).lines()  # fmt: skip

    @property
    def records(self) -> int:
        return len({event["id"] for event in self.events})

    @cached_property
    def concurrent(self) -> list[ConcurrentEdit]:
        """Records changed on two sides since a common revision."""
        return concurrent_edits(self.events, self.heads)

    @cached_property
    def duplicates(self) -> list[DuplicateDecision]:
        """Decisions with different ids and near-identical titles."""
        return duplicate_decisions(self.heads)


@gc_paused()
def merge(
    inputs: Sequence[tuple[str, Sequence[Event]]],
    *,
    versions: Iterable[tuple[int, int]] = (),
    base: Sequence[Event] = (),
    raw: Sequence[Sequence[bytes] | None] = (),
    base_raw: Sequence[bytes] | None = None,
    trust: Trust | None = None,
) -> Merge:
    """Merge ``inputs`` (name, events) onto ``base`` (the events of the log merged into).

    With ``trust``, what it does not take in is held back (:attr:`Merge.held`).
    Each input is reported against everything merged before it. ``raw`` and
    ``base_raw`` may give the line each event was read from, written as it is
    (re-encoding is most of the work of writing); an event whose copies differ
    in their bytes is written in its canonical form, so the result does not depend
    on the order of the inputs.
    """
    held: list[Held] = []
    read = [len(events) for _, events in inputs]
    if trust is not None:
        taken, raw, held = screen(inputs, raw, base, trust)
        inputs = [(source, events) for (source, _), events in zip(inputs, taken, strict=True)]
    lines: dict[tuple[str, str], list[list[Any]]] = {}
    heads: dict[str, Event] = {}
    _take_all(base, base_raw, lines, heads)
    reports = []
    for n, (source, events) in enumerate(inputs):
        report = InputReport(source, events_read=read[n], held=read[n] - len(events))
        before = dict(heads)
        report.duplicates_skipped = _take_all(events, raw[n] if n < len(raw) else None,
                                              lines, heads)  # fmt: skip
        for rid in {event["id"] for event in events}:
            was, now = before.get(rid), heads[rid]
            if now is was or (was is not None and was["op"] == now["op"] == DEL):
                continue  # unchanged, or still deleted (a restore counts as an update)
            if now["op"] == DEL:
                report.deletions += 1
            elif was is None:
                report.new_records += 1
            else:
                report.updated_records += 1
        reports.append(report)
    encoded: list[bytes] = []
    merged: list[Event] = []
    for _, same_key in sorted(lines.items()):
        for copy in same_key:
            if copy[1] is None:
                copy[1] = encode(copy[0])
        same_key.sort(key=lambda copy: copy[1])
        encoded += [line for _, line in same_key]
        merged += [event for event, _ in same_key]
    version = max([VERSION, *versions])
    return Merge(merged, reports, version, encoded, heads, held)


def _take_all(
    events: Sequence[Event],
    raw: Sequence[bytes] | None,
    lines: dict[tuple[str, str], list[list[Any]]],
    heads: dict[str, Event],
) -> int:
    """Add each event unless the very same event is there; keep each record's head.

    Events are keyed by (revision, id): the revision already holds a hash of the
    content, so two events share a key only when they are the same event (or one
    was altered by hand, and then both are kept). Returns how many were already there.
    """
    known = 0
    for n, event in enumerate(events):
        line = raw[n] if raw is not None else None
        key = (event["rev"], event["id"])
        same_key = lines.get(key)
        if same_key is None:
            lines[key] = [[event, line]]
        else:
            copy = next((copy for copy in same_key if copy[0] == event), None)
            if copy is None:
                same_key.append([event, line])
            else:
                known += 1
                if copy[1] != line:
                    copy[1] = None  # the same event in other bytes: write its canonical form
                continue
        head = heads.get(event["id"])
        if head is None or outranks(event, head):
            heads[event["id"]] = event
    return known


def concurrent_edits(events: Iterable[Event], heads: dict[str, Event]) -> list[ConcurrentEdit]:
    """Records with two revisions made on the same base: both kept, the greater one shown."""
    children: dict[tuple[str, str | None], dict[str, Event]] = defaultdict(dict)
    for event in events:
        children[(event["id"], event["prev"])][event["rev"]] = event
    found = []
    branched = [(key, sides) for key, sides in children.items() if len(sides) > 1]
    for (rid, base), sides in sorted(branched, key=lambda item: (item[0][0], item[0][1] or "")):
        head = heads[rid]
        puts = [e["rec"] for e in sides.values() if "rec" in e]
        shown: Record = head.get("rec") or (puts[0] if puts else {})
        found.append(
            ConcurrentEdit(
                record_id=rid,
                title=title(shown, 60) if shown else "",
                base=base,
                revisions=tuple((e["rev"], e["by"], e["op"]) for _, e in sorted(sides.items())),
                winner=head["rev"],
            )
        )
    return found


def _normal(text: str) -> str:
    words = re.findall(r"[a-z0-9%]+", text.lower())
    return " ".join(w for w in words if w not in {"a", "an", "the", "on", "onto", "to", "of"})


def duplicate_decisions(heads: dict[str, Event]) -> list[DuplicateDecision]:
    """Current decisions with different ids and near-identical titles (not yet aliased).

    Only decisions sharing one of their rarer words are compared, so the work stays
    near-linear in the number of decisions; at most :data:`MAX_DUPLICATES` are listed.
    """
    decisions: list[Record] = sorted(
        (e["rec"] for e in heads.values() if e["op"] == PUT and e["rec"]["kind"] == "decision"
         and not e["rec"].get("alias_of")),
        key=lambda rec: (rec["created_at"], rec["id"]),
    )  # fmt: skip
    normal = [_normal(rec["text"]) for rec in decisions]
    words = [set(text.split()) for text in normal]
    frequency: Counter[str] = Counter(word for these in words for word in these)
    rare = [sorted(these, key=lambda w: (frequency[w], w))[:RARE_WORDS] for these in words]
    holders: dict[str, list[int]] = defaultdict(list)  # rare word -> decisions using it
    for index, these in enumerate(rare):
        for word in these:
            holders[word].append(index)
    found: list[DuplicateDecision] = []
    for index, first in enumerate(decisions):
        mine = words[index]
        candidates = sorted({o for word in rare[index] for o in holders[word] if o > index})
        for other in candidates:
            theirs = words[other]
            if SIMILAR * max(len(mine), len(theirs)) > min(len(mine), len(theirs)):
                continue  # too different in size to be this alike
            similarity = len(mine & theirs) / len(mine | theirs)  # the words they share
            if similarity < SIMILAR:
                continue
            second = decisions[other]
            pair = (first["id"], second["id"], title(first, 60), title(second, 60))
            found.append(DuplicateDecision(*pair, round(similarity, 2)))
            if len(found) >= MAX_DUPLICATES:
                return found
    return found
