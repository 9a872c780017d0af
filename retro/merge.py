"""Merging logs: a union of events, deduplicated, in one deterministic order, and its report.

Because the result is the set of all events, sorted, merging is commutative,
associative and idempotent; edits and deletions travel with their events, and
every revision is kept. Pure functions: reading and writing files is the
caller's business.

What a merge holds back is decided by :mod:`retro.trust` and listed in
:attr:`Merge.held`, for the caller to keep (``<output>.held``). It depends on the set
of inputs and the base, not on their order, so the merge stays commutative and
idempotent; regrouping inputs can change what is held (a team's log merged into
another file no longer speaks for the team), never what is lost: every event ends up
merged or held.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from operator import itemgetter
from typing import NamedTuple, Protocol

from retro.aside import aside
from retro.bulk import gc_paused
from retro.fsio import Headed
from retro.model import Record, title
from retro.store.events import (
    DEL,
    PUT,
    VERSION,
    Event,
    Generation,
    encode,
    header_size,
    rewritten,
)
from retro.trust import Claim, Held, Trust, Verdict, screen

SIMILAR = 0.8  # share of words two decision titles have in common to be reported as alike
RARE_WORDS = 3  # near-duplicate titles share at least one of their three rarest words
MAX_DUPLICATES = 100  # more pairs than this is no longer a list anyone reads
ASIDE_FROM = 50_000  # records from which alike decisions are found in another process


class Lines(Protocol):
    """Where the events of one input are: each one's line and event, read back by its place."""

    def line(self, entry: Entry) -> bytes:
        """The line ``entry`` was read from, without its newline."""

    def event(self, entry: Entry) -> Event:
        """The event ``entry`` was read from."""


class Entry(NamedTuple):
    """One event of an input as a merge keeps it: what merging decides on, and where it is.

    Its line and the rest of the event stay where they were read (``source``), to be
    read back when written or reported.
    """

    key: str  # "<rev>\0<id>": sorts as (rev, id), as neither holds a \0
    rid: str
    prev: str | None
    life: int
    dead: bool
    claim: Claim | None  # a put's (team, kind)
    source: Lines
    place: int  # where its line is in ``source``: an offset in a file, an index in memory
    size: int  # its line's size in bytes, without the newline
    check: int  # what tells its line read back is the line read (see FileLines)

    @property
    def rev(self) -> str:
        return self.key[: len(self.key) - len(self.rid) - 1]

    @property
    def rank(self) -> tuple[int, bool, str]:
        """Greater for a later revision of the record (see events.outranks)."""
        return self.life, self.dead, self.rev


def entry_of(event: Event, source: Lines, place: int, size: int = 0, check: int = 0,
             claims: dict[Claim, Claim] | None = None) -> Entry:  # fmt: skip
    """The entry of ``event``, found at ``place`` in ``source``; ``claims`` shares equal claims."""
    rid, op = event["id"], event["op"]
    claim: Claim | None = None
    if op == PUT:
        rec = event["rec"]
        claim = (rec["team"], rec["kind"])
        if claims is not None:
            claim = claims.setdefault(claim, claim)
    key = f"{event['rev']}\0{rid}"
    return _new(Entry, (key, rid, event["prev"], event.get("life", 0), op == DEL, claim, source,
                        place, size, check))  # fmt: skip


_new = tuple.__new__  # makes an Entry at a fraction of the cost of calling it


class Memory:
    """An input held in memory: its events, and the lines they were read from when known."""

    def __init__(self, events: Sequence[Event], raw: Sequence[bytes | None] | None = None) -> None:
        self.events, self.raw = events, raw

    def entries(self) -> list[Entry]:
        claims: dict[Claim, Claim] = {}
        return [entry_of(event, self, n, claims=claims) for n, event in enumerate(self.events)]

    def line(self, entry: Entry) -> bytes:
        line = self.raw[entry.place] if self.raw is not None else None
        return line.removesuffix(b"\n") if line else encode(self.events[entry.place])[:-1]

    def event(self, entry: Entry) -> Event:
        return self.events[entry.place]


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


Branch = tuple[str, str | None]  # a record's id and the revision an edit was made on


@dataclass(eq=False)
class Merge:
    """The merged events and the report of how they came together.

    The merge holds where each event is, not the events: lines are read back from the
    inputs as they are written (:meth:`headed`). Concurrent edits and possible duplicate
    decisions are found when first asked for.
    """

    inputs: list[InputReport]
    version: tuple[int, int] = VERSION
    held: list[Held] = field(default_factory=list)  # left out, in (rev, id) order
    order: list[Entry] = field(default_factory=list)  # the merged events, in their order
    head_entries: dict[str, Entry] = field(default_factory=dict)  # each record's head
    recode: set[Entry] = field(default_factory=set)  # written in canonical form
    branched: set[Branch] = field(default_factory=set)  # edited twice on one revision
    _alike: Callable[[], list[DuplicateDecision]] | None = field(default=None, repr=False)

    def body(self) -> Iterator[bytes]:
        """The merged lines, header aside: each as read, or canonical when its copies differ."""
        recode = self.recode
        for entry in self.order:
            if recode and entry in recode:
                yield encode(entry.source.event(entry))
            else:
                yield entry.source.line(entry) + b"\n"

    def lines(self) -> list[bytes]:
        """The merged log as a list of lines, header (naming its generation) first: for
        small merges (:meth:`headed` writes a large one without holding its lines)."""
        return rewritten(self.version, list(self.body()))

    def headed(self) -> Headed:
        """The merged log to write (:func:`~retro.fsio.write_atomically`): the lines, then
        the header naming their generation, hashed as they were written, before them."""
        hashed = Generation()
        return Headed(lambda: hashed.header(self.version), header_size(self.version),
                      self.body(), hashed.add)  # fmt: skip

    @property
    def count(self) -> int:
        """How many events were merged."""
        return len(self.order)

    @property
    def events(self) -> list[Event]:
        """The merged events, in order, read back (all of them: for small merges)."""
        return [entry.source.event(entry) for entry in self.order]

    @cached_property
    def heads(self) -> dict[str, Event]:
        """Each record's current revision (a tombstone included), read back."""
        return {rid: entry.source.event(entry) for rid, entry in self.head_entries.items()}

    def head(self, rid: str) -> Event | None:
        """The current revision of ``rid``, read back (None: not merged)."""
        entry = self.head_entries.get(rid)
        return None if entry is None else entry.source.event(entry)

    def held_lines(self, kept: Sequence[tuple[Event, bytes | None]] = ()) -> list[bytes]:
        """What was held back, with the events of ``kept`` not merged now, as a log of its own.

        ``kept`` is what an earlier merge held (its side file): what this merge
        accepted leaves it. Empty when nothing is left.
        """
        merged = {entry.key for entry in self.order}
        waiting = [(h.event, h.line) for h in self.held]
        waiting += [(e, line) for e, line in kept if f"{e['rev']}\0{e['id']}" not in merged]
        if not waiting:
            return []
        events = [event for event, _ in waiting]
        return merge([("held", events)], raw=[[line or encode(e) for e, line in waiting]],
                     versions=[self.version]).lines()  # fmt: skip

    @property
    def records(self) -> int:
        return len(self.head_entries)

    @cached_property
    def concurrent(self) -> list[ConcurrentEdit]:
        """Records changed on two sides since a common revision."""
        return concurrent_edits(self.order, self.branched, self.head_entries)

    @cached_property
    def duplicates(self) -> list[DuplicateDecision]:
        """Decisions with different ids and near-identical titles."""
        alike, self._alike = self._alike, None
        return alike() if alike is not None else _alike_decisions(self.head_entries)

    def look_aside(self) -> None:
        """When the merge is large, start finding :attr:`duplicates` in another process,
        while this one goes on (writes the merge)."""
        if len(self.head_entries) >= ASIDE_FROM and self._alike is None:
            self._alike = aside(partial(_alike_decisions, self.head_entries))  # no cycle: freed


def _alike_decisions(heads: dict[str, Entry]) -> list[DuplicateDecision]:
    """:func:`duplicate_decisions` among the decisions of merged ``heads``, read back."""
    decisions = {rid: entry.source.event(entry) for rid, entry in heads.items()
                 if entry.claim is not None and entry.claim[1] == "decision"}  # fmt: skip
    return duplicate_decisions(decisions)


def merge(
    inputs: Sequence[tuple[str, Sequence[Event]]],
    *,
    versions: Iterable[tuple[int, int]] = (),
    base: Sequence[Event] = (),
    raw: Sequence[Sequence[bytes | None] | None] = (),
    base_raw: Sequence[bytes] | None = None,
    trust: Trust | None = None,
) -> Merge:
    """Merge ``inputs`` (name, events) held in memory onto ``base`` (see :func:`merge_entries`).

    ``raw`` and ``base_raw`` may give the line each event was read from, written as it is.
    """
    logs = [(source, Memory(events, raw[n] if n < len(raw) else None).entries())
            for n, (source, events) in enumerate(inputs)]  # fmt: skip
    return merge_entries(logs, base=Memory(base, base_raw).entries(), versions=versions,
                         trust=trust)  # fmt: skip


@gc_paused()
def merge_entries(
    logs: Sequence[tuple[str, Sequence[Entry]]],
    *,
    base: Sequence[Entry] = (),
    versions: Iterable[tuple[int, int]] = (),
    trust: Trust | None = None,
) -> Merge:
    """Merge ``logs`` (name, entries) onto ``base`` (the events of the log merged into).

    With ``trust``, what it does not take in is held back (:attr:`Merge.held`).
    Each input is reported against everything merged before it. Each event is written
    as the line it was read from; an event whose copies differ in their bytes is
    written in its canonical form, so the result does not depend on the order of the inputs.
    """
    taken: Sequence[Sequence[Entry]] = [entries for _, entries in logs]
    held: list[Held] = []
    if trust is not None:
        taken, verdicts = screen(logs, base, trust)
        held = [_held(verdict) for verdict in verdicts]
    fold = _Fold()
    for entry in base:
        fold.take(entry)
    reports = [fold.take_input(source, entries, len(read))
               for (source, read), entries in zip(logs, taken, strict=True)]  # fmt: skip
    version = max([VERSION, *versions])
    return Merge(reports, version, held, fold.ordered(), fold.heads, fold.recode, fold.branched)


def _held(verdict: Verdict) -> Held:
    entry = verdict.entry
    return Held(entry.source.event(entry), entry.source.line(entry) + b"\n", verdict.source,
                verdict.reason, verdict.why)  # fmt: skip


class _Fold:
    """The union of the events taken so far: each distinct event once, each record's head."""

    def __init__(self) -> None:
        self.copies: dict[str, Entry] = {}  # each key's first copy
        self.others: dict[str, list[Entry]] = {}  # its other copies: altered by hand
        self.heads: dict[str, Entry] = {}
        self.recode: set[Entry] = set()
        self.first_edit: dict[Branch, str] = {}  # the first revision made on each base
        self.branched: set[Branch] = set()  # (records with one event have no such base)

    def take(self, entry: Entry) -> bool:
        """Add ``entry`` unless the very same event is there (False); keep each record's head.

        Events are keyed by (revision, id): the revision already holds a hash of the
        content, so two events share a key only when they are the same event (or one
        was altered by hand, and then both are kept).
        """
        key, rid = entry.key, entry.rid
        first = self.copies.get(key)
        if first is None:
            self.copies[key] = entry
        else:
            others = self.others.setdefault(key, [])
            if any(self._same_event(copy, entry) for copy in [first, *others]):
                return False
            others.append(entry)
        head = self.heads.get(rid)
        if head is None:
            self.heads[rid] = entry
            return True
        first_edit = self.first_edit
        if (rid, head.prev) not in first_edit:  # the record's second event: its first was head
            first_edit[(rid, head.prev)] = head.rev
        branch, rev = (rid, entry.prev), entry.rev
        if first_edit.setdefault(branch, rev) != rev:
            self.branched.add(branch)
        if entry.rank > head.rank:
            self.heads[rid] = entry
        return True

    def _same_event(self, copy: Entry, entry: Entry) -> bool:
        """True when ``entry`` is the event ``copy`` is; in other bytes, ``copy`` is recoded."""
        if copy.source.line(copy) == entry.source.line(entry):
            return True
        if copy.source.event(copy) != entry.source.event(entry):
            return False
        self.recode.add(copy)  # the same event in other bytes: write its canonical form
        return True

    def take_input(self, source: str, entries: Sequence[Entry], read: int) -> InputReport:
        """Take in one input's entries (``read`` of them before screening); report them."""
        report = InputReport(source, events_read=read, held=read - len(entries))
        before: dict[str, Entry | None] = {}  # the heads of the records met again
        fresh = fresh_dead = 0  # the records first met here (by the rest of the input: alone)
        heads, copies, take = self.heads, self.copies, self.take
        for entry in entries:
            rid = entry.rid
            if rid not in heads:  # a new record: as take() does
                heads[rid] = copies[entry.key] = entry
                fresh += 1
                fresh_dead += entry.dead
                continue
            if rid not in before:
                head = heads[rid]
                if head.source is entry.source:  # first met here, and met again
                    before[rid], fresh, fresh_dead = None, fresh - 1, fresh_dead - head.dead
                else:
                    before[rid] = head
            if not take(entry):
                report.duplicates_skipped += 1
        report.new_records, report.deletions = fresh - fresh_dead, fresh_dead
        for rid, was in before.items():
            now = heads[rid]
            if now is was or (was is not None and was.dead and now.dead):
                continue  # unchanged, or still deleted (a restore counts as an update)
            if now.dead:
                report.deletions += 1
            elif was is None:
                report.new_records += 1
            else:
                report.updated_records += 1
        return report

    def ordered(self) -> list[Entry]:
        """Every copy taken, in (rev, id) order, then by the line written."""
        order = sorted(self.copies.values(), key=itemgetter(0))
        if not any(self.others.values()):
            return order
        found: list[Entry] = []
        for entry in order:
            others = self.others.get(entry.key)
            found += sorted([entry, *others], key=self._text) if others else [entry]
        return found

    def _text(self, entry: Entry) -> bytes:
        if entry in self.recode:
            return encode(entry.source.event(entry))
        return entry.source.line(entry) + b"\n"


def concurrent_edits(order: Iterable[Entry], branched: set[Branch],
                     heads: dict[str, Entry]) -> list[ConcurrentEdit]:  # fmt: skip
    """Records with two revisions made on the same base: both kept, the greater one shown."""
    if not branched:
        return []
    children: dict[Branch, dict[str, Entry]] = defaultdict(dict)
    for entry in order:
        branch = (entry.rid, entry.prev)
        if branch in branched:
            children[branch][entry.rev] = entry
    found = []
    for (rid, base), sides in sorted(children.items(), key=lambda item: (item[0][0],
                                                                           item[0][1] or "")):
        head = heads[rid]
        events = [entry.source.event(entry) for _, entry in sorted(sides.items())]
        puts = [e["rec"] for e in events if "rec" in e]
        shown: Record = head.source.event(head).get("rec") or (puts[0] if puts else {})
        found.append(
            ConcurrentEdit(
                record_id=rid,
                title=title(shown, 60) if shown else "",
                base=base,
                revisions=tuple((e["rev"], e["by"], e["op"]) for e in events),
                winner=head.rev,
            )
        )
    return found


_WORD = re.compile(r"[a-z0-9%]+")
_FILLERS = frozenset({"a", "an", "the", "on", "onto", "to", "of"})


def _words(text: str) -> set[str]:
    """The words of a title that tell it from others (lower case, fillers left out)."""
    return set(_WORD.findall(text.lower())) - _FILLERS


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
    words = [_words(rec["text"]) for rec in decisions]
    frequency: Counter[str] = Counter(word for these in words for word in these)
    rank = {w: n for n, w in enumerate(sorted(frequency, key=lambda w: (frequency[w], w)))}
    rare = [sorted(these, key=rank.__getitem__)[:RARE_WORDS] for these in words]
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
