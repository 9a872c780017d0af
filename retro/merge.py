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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from retro.bulk import gc_paused
from retro.model import Record, title
from retro.store.events import (
    DEL,
    PUT,
    VERSION,
    Event,
    encode,
    outranks,
    rewritten,
)
from retro.trust import Held, Trust, screen

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
