"""Merging logs: a union of events, deduplicated, in one deterministic order, and its report.

Because the result is the set of all events, sorted, merging is commutative,
associative and idempotent; edits and deletions travel with their events, and
every revision is kept. Pure functions: reading and writing files is the
caller's business.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from retro.model import Record, title
from retro.store.events import DEL, PUT, VERSION, Event, encode, header, outranks

SIMILAR = 0.85  # decision titles at least this alike are reported as possible duplicates


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
    """The merged events and the report of how they came together."""

    events: list[Event]
    inputs: list[InputReport]
    version: tuple[int, int] = VERSION
    concurrent: list[ConcurrentEdit] = field(default_factory=list)
    duplicates: list[DuplicateDecision] = field(default_factory=list)

    def lines(self) -> list[bytes]:
        """The merged log, line by line: header first."""
        return [header(self.version), *(encode(event) for event in self.events)]

    @property
    def records(self) -> int:
        return len({event["id"] for event in self.events})


def merge(
    inputs: Sequence[tuple[str, Sequence[Event]]],
    *,
    versions: Iterable[tuple[int, int]] = (),
    base: Sequence[Event] = (),
) -> Merge:
    """Merge ``inputs`` (name, events) onto ``base`` (the events of the log merged into).

    Each input is reported against everything merged before it.
    """
    lines: dict[bytes, Event] = {}
    heads: dict[str, Event] = {}
    for event in base:
        _take(event, lines, heads)
    reports = []
    for source, events in inputs:
        report = InputReport(source, events_read=len(events))
        before = dict(heads)
        for event in events:
            if not _take(event, lines, heads):
                report.duplicates_skipped += 1
        for rid in {event["id"] for event in events}:
            was, now = before.get(rid), heads[rid]
            if now is was or (was is not None and was["op"] == DEL):
                continue
            if now["op"] == DEL:
                report.deletions += 1
            elif was is None:
                report.new_records += 1
            else:
                report.updated_records += 1
        reports.append(report)
    ordered = sorted(lines.items(), key=lambda item: (item[1]["rev"], item[1]["id"], item[0]))
    events = [event for _, event in ordered]
    version = max([VERSION, *versions])
    return Merge(events, reports, version, concurrent_edits(events, heads),
                 duplicate_decisions(heads))  # fmt: skip


def _take(event: Event, lines: dict[bytes, Event], heads: dict[str, Event]) -> bool:
    """Add ``event`` unless the very same event is there; keep the greatest revision's head."""
    line = encode(event)
    if line in lines:
        return False
    lines[line] = event
    head = heads.get(event["id"])
    if head is None or outranks(event, head):
        heads[event["id"]] = event
    return True


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
    """Current decisions with different ids and near-identical titles (not yet aliased)."""
    decisions: list[Record] = sorted(
        (e["rec"] for e in heads.values() if e["op"] == PUT and e["rec"]["kind"] == "decision"
         and not e["rec"].get("alias_of")),
        key=lambda rec: (rec["created_at"], rec["id"]),
    )  # fmt: skip
    normal = [_normal(rec["text"]) for rec in decisions]
    holders: dict[str, list[int]] = defaultdict(list)  # word -> decisions using it
    for index, text in enumerate(normal):
        for word in set(text.split()):
            holders[word].append(index)
    found = []
    for index, first in enumerate(decisions):
        shared: dict[int, int] = defaultdict(int)  # only decisions sharing words are compared
        for word in set(normal[index].split()):
            for other in holders[word]:
                if other > index:
                    shared[other] += 1
        for other in sorted(shared):
            a, b = normal[index], normal[other]
            matcher = difflib.SequenceMatcher(None, a, b)
            if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
                continue
            similarity = 1.0 if a == b else matcher.ratio()
            if similarity >= SIMILAR:
                second = decisions[other]
                pair = (first["id"], second["id"], title(first, 60), title(second, 60))
                found.append(DuplicateDecision(*pair, round(similarity, 2)))
    return found
