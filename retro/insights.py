"""The insights retro computes: pure functions over records.

Links are undirected: record A is linked to B when B's id is in A's ``links`` (or,
for a lesson, its ``applies_to``; for a retro, its ``decisions``) or the other way
round. Links to records that are not known are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from retro.live import counted
from retro.model import ENTRY_KINDS, STILL_OPEN, Record, link_targets, risk_score

LinkIndex = Mapping[str, Set[str]]
"""Undirected neighbours by id, as built by :func:`link_index`."""

_EMPTY: frozenset[str] = frozenset()
_EPOCH = datetime.min.replace(tzinfo=UTC)
_TRACED = ("output", "outcome", "decision", "lesson")


# --- records and links -------------------------------------------------------------------


def by_id(records: Iterable[Record]) -> dict[str, Record]:
    """Records keyed by id (a later record with the same id wins)."""
    return {rec["id"]: rec for rec in records}


class Links(dict[str, set[str]]):
    """Undirected neighbours by id, kept up to date as records come and go.

    Id -> the ids it links to or that link to it (a record linked to nothing has
    no entry; a link to itself is no link). :func:`link_index` builds one from
    records; the store keeps one as the log changes. A dict for the speed of its
    lookups: read it, change it only through :meth:`add` and :meth:`discard`.
    """

    def __init__(self, records: Iterable[Record] = ()) -> None:
        super().__init__()
        for rec in records:
            self.add(rec)

    def add(self, rec: Record) -> None:
        """Count the links of a current record (its earlier state, if any, discarded first)."""
        rid = rec["id"]
        get = self.get  # (a local: this runs for every record of a log)
        for other in link_targets(rec):
            if other == rid:
                continue
            mine, theirs = get(rid), get(other)
            if mine is None:
                self[rid] = {other}
            else:
                mine.add(other)
            if theirs is None:
                self[other] = {rid}
            else:
                theirs.add(rid)

    def discard(self, rec: Record, current: Mapping[str, Record]) -> None:
        """Forget the links of a record that is no longer current; ``current`` holds the
        records counted so far (the links to ``rec`` from them stay)."""
        rid = rec["id"]
        for other in link_targets(rec):
            back = current.get(other)
            if other != rid and (back is None or rid not in link_targets(back)):
                self._unlink(rid, other)
                self._unlink(other, rid)

    def _unlink(self, one: str, two: str) -> None:
        found = self.get(one)
        if found is not None:
            found.discard(two)
            if not found:
                del self[one]


def link_index(records: Iterable[Record]) -> Links:
    """Undirected neighbours of every linked record, by id."""
    return Links(records)


def moment(stamp: Any) -> datetime | None:
    """An aware datetime from an ISO timestamp (None when missing or not one)."""
    try:
        value = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo is not None and value.utcoffset() is not None else None


def as_date(value: Any) -> date | None:
    """A date from ``YYYY-MM-DD`` (None when missing or not one)."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def chronological_key(rec: Record) -> tuple[datetime, str]:
    """Sort key: ``created_at`` as an instant, then id."""
    return (moment(rec.get("created_at")) or _EPOCH, str(rec.get("id", "")))


def chronological(records: Iterable[Record]) -> list[Record]:
    """Records ordered by ``created_at`` (as instants), then id."""
    return sorted(records, key=chronological_key)


# --- lessons and dependencies ---------------------------------------------------------


def _earliest_review(
    lesson: Record, context: Mapping[str, Record], neighbours: Iterable[str]
) -> date | None:
    ids = {*(lesson.get("applies_to") or ()), *(lesson.get("links") or ()), *neighbours}
    reviews = [
        review
        for rec in map(context.get, ids)
        if rec is not None and rec.get("kind") == "decision"
        if (review := as_date(rec.get("review_by"))) is not None
    ]
    return min(reviews) if reviews else None


def learning_latency_days(
    lesson: Record, context: Mapping[str, Record], *, index: LinkIndex | None = None
) -> int | None:
    """Days from the earliest ``review_by`` of the lesson's decisions to its ``learned_at``.

    Positive: learned after that review. The day learned is read in the lesson's own
    UTC offset. None when the lesson has no ``learned_at`` or no decision with a
    ``review_by``. Pass ``index`` (see :func:`link_index`) to spare a scan of ``context``.
    """
    learned = moment(lesson.get("learned_at"))
    if learned is None:
        return None
    rid = lesson["id"]
    if index is not None:
        neighbours: Iterable[str] = index.get(rid, _EMPTY)
    else:
        neighbours = [rec["id"] for rec in context.values() if rid in link_targets(rec)]
    review = _earliest_review(lesson, context, neighbours)
    return None if review is None else (learned.date() - review).days


def _dependency_is_late(dep: Record, window_start: date | None) -> bool:
    found = moment(dep.get("discovered_at"))
    if found is None:
        return False
    needed = moment(dep.get("needed_at"))
    if needed is not None and found > needed:
        return True
    return window_start is not None and found.date() >= window_start


# --- metrics ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    """What one set of entries (a retro, a team, a period) says about its work.

    Id tuples follow the order of the scope, except ``decisions_reinforced``, which
    is chronological.
    """

    outputs: int
    outcomes: int
    outcome_ratio: float | None  # outcomes / outputs; None when there are no outputs
    orphan_outputs: tuple[str, ...]  # outputs linked to no outcome
    unanchored_outcomes: tuple[str, ...]  # outcomes linked to no decision
    risks: int
    risk_reduction: int  # Σ score(before) − score(after), over risks having both
    predictability_gained: int  # outcomes whose confidence went up
    confidence_delta: int  # Σ confidence_after − confidence_before, over outcomes having both
    lessons: int
    late_lessons: tuple[str, ...]
    dependencies: int
    late_dependencies: tuple[str, ...]
    actions: int
    open_actions: tuple[str, ...]  # actions still open: open, carried or unset
    decisions_reinforced: tuple[str, ...]  # decisions linked to an outcome in scope
    coherence: float | None  # share of outputs tracing output → outcome → decision


@dataclass
class _Trace:
    """How the entries of a scope connect to outcomes and decisions."""

    credited: set[str] = field(default_factory=set)  # outputs linked to an outcome
    coherent: set[str] = field(default_factory=set)  # ... to one linked to a decision
    anchored: set[str] = field(default_factory=set)  # outcomes linked to a decision
    reinforced: set[str] = field(default_factory=set)  # decisions linked to a scope outcome
    reviews: dict[str, date] = field(default_factory=dict)  # lesson: earliest review_by

    def note_review(self, lesson_id: str, review: date | None) -> None:
        """Count a review date among those of the decisions of lesson ``lesson_id``."""
        if review is not None:
            current = self.reviews.get(lesson_id)
            if current is None or review < current:
                self.reviews[lesson_id] = review


def _by_kind(records: Iterable[Record], kinds: Iterable[str]) -> dict[Any, list[Record]]:
    """``records`` of each of ``kinds``, in order."""
    groups: dict[Any, list[Record]] = {kind: [] for kind in kinds}
    for rec in records:
        group = groups.get(rec.get("kind"))
        if group is not None:
            group.append(rec)
    return groups


def _trace_by_scan(
    records: Mapping[str, list[Record]],
    outputs: Set[str],
    outcomes: Set[str],
    lessons: Set[str],
    ids: Mapping[str, Set[str]],
) -> _Trace:
    """Trace the scope through every known record of the traced kinds.

    ``records`` holds every known record of each traced kind, ``ids`` the ids of the
    known outcomes and decisions; the other sets are the scope's.
    """
    all_outcomes, all_decisions = ids["outcome"], ids["decision"]
    review_of = {
        rec["id"]: review
        for rec in records["decision"]
        if (review := as_date(rec.get("review_by"))) is not None
    }
    linking = {kind: [rec for rec in records[kind] if rec.get("links")] for kind in _TRACED}
    linking["lesson"] = [rec for rec in records["lesson"] if rec["id"] in lessons]

    trace = _Trace()
    anchored: set[str] = set()  # every known outcome linked to a decision
    for rec in linking["outcome"]:
        rid = rec["id"]
        for other in rec.get("links") or ():
            if other in all_decisions:
                anchored.add(rid)
                if rid in outcomes:
                    trace.reinforced.add(other)
    for rec in linking["decision"]:
        rid = rec["id"]
        for other in rec.get("links") or ():
            if other in all_outcomes:
                anchored.add(other)
                if other in outcomes:
                    trace.reinforced.add(rid)
            elif other in lessons:
                trace.note_review(other, review_of.get(rid))
    for rec in linking["lesson"]:
        found = [review_of[other] for other in link_targets(rec) if other in review_of]
        if found:
            trace.note_review(rec["id"], min(found))
    for rec in linking["output"]:
        rid = rec["id"]
        if rid in outputs:
            for other in rec.get("links") or ():
                if other in all_outcomes:
                    trace.credited.add(rid)
                    if other in anchored:
                        trace.coherent.add(rid)
    for rec in linking["outcome"]:
        through = rec["id"] in anchored
        for other in rec.get("links") or ():
            if other in outputs:
                trace.credited.add(other)
                if through:
                    trace.coherent.add(other)
    trace.anchored = anchored & outcomes
    return trace


def _trace_by_index(
    known: Mapping[str, Record],
    index: LinkIndex,
    outputs: Iterable[Record],
    outcomes: Iterable[Record],
    lessons: Iterable[Record],
) -> _Trace:
    """Trace the scope through a prebuilt link index (and the scope's own links)."""
    trace = _Trace()

    def of_kind(kind: str, rid: str) -> list[str]:
        found = {*index.get(rid, _EMPTY)}
        rec = known.get(rid)
        if rec is not None:
            found.update(link_targets(rec))
        found.discard(rid)
        return [other for other in found if (known.get(other) or {}).get("kind") == kind]

    for rec in outcomes:
        decisions = of_kind("decision", rec["id"])
        if decisions:
            trace.anchored.add(rec["id"])
            trace.reinforced.update(decisions)
    for rec in outputs:
        reached = of_kind("outcome", rec["id"])
        if reached:
            trace.credited.add(rec["id"])
            if any(rid in trace.anchored or of_kind("decision", rid) for rid in reached):
                trace.coherent.add(rec["id"])
    for rec in lessons:
        for rid in of_kind("decision", rec["id"]):
            trace.note_review(rec["id"], as_date(known[rid].get("review_by")))
    return trace


def metrics(
    scope: Iterable[Record],
    *,
    context: Mapping[str, Record] | None = None,
    period_end: date | None = None,
    late_window_days: int = 3,
    index: LinkIndex | None = None,
) -> Metrics:
    """The insights over the entries in ``scope``.

    ``context`` maps id to record for everything known, so that links to records
    outside the scope count (default: the scope itself); a scope record wins over a
    context record with its id. ``period_end`` is the last day of the period: lessons
    with no decision to review are late when learned after it, and dependencies are
    late when discovered in its last ``late_window_days`` days or after it (0: no such
    window). ``index``, a :func:`link_index` over the context, makes repeated calls on
    small scopes cheap. Records of kind ``retro`` are ignored; a card folded into another
    of the scope counts once, as that one (see :func:`retro.live.counted`).
    """
    own = {rec["id"]: rec for rec in counted(scope)}
    groups = _by_kind(own.values(), ENTRY_KINDS)
    if context is None:
        known: Mapping[str, Record] = own
    elif all(context.get(rid) == rec for rid, rec in own.items()):  # copies of the same
        known = context
    else:
        known = {**context, **own}

    outputs, outcomes = groups["output"], groups["outcome"]
    risks, lessons = groups["risk"], groups["lesson"]
    dependencies, actions = groups["dependency"], groups["action"]
    if index is not None:
        trace = _trace_by_index(known, index, outputs, outcomes, lessons)
    else:
        mine = {kind: {rec["id"] for rec in groups[kind]} for kind in _TRACED}
        if len(known) == len(own):  # the scope is everything known
            trace = _trace_by_scan(groups, mine["output"], mine["outcome"], mine["lesson"], mine)
        else:
            every = _by_kind(known.values(), _TRACED)
            ids = {kind: {rec["id"] for rec in every[kind]} for kind in ("outcome", "decision")}
            trace = _trace_by_scan(every, mine["output"], mine["outcome"], mine["lesson"], ids)

    gained = delta = 0
    for rec in outcomes:
        before, after = rec.get("confidence_before"), rec.get("confidence_after")
        if isinstance(before, int) and isinstance(after, int):
            delta += after - before
            gained += after > before
    reduction = sum(
        risk_score(rec["before"]) - risk_score(rec["after"])
        for rec in risks
        if rec.get("before") and rec.get("after")
    )
    late_lessons: list[str] = []
    for rec in lessons:
        limit = trace.reviews.get(rec["id"], period_end)
        if limit is not None:
            learned = moment(rec.get("learned_at"))
            if learned is not None and learned.date() > limit:
                late_lessons.append(rec["id"])
    window_start = (
        period_end - timedelta(days=late_window_days - 1)
        if period_end is not None and late_window_days > 0
        else None
    )
    n_outputs = len(outputs)
    return Metrics(
        outputs=n_outputs,
        outcomes=len(outcomes),
        outcome_ratio=len(outcomes) / n_outputs if n_outputs else None,
        orphan_outputs=tuple(rec["id"] for rec in outputs if rec["id"] not in trace.credited),
        unanchored_outcomes=tuple(rec["id"] for rec in outcomes if rec["id"] not in trace.anchored),
        risks=len(risks),
        risk_reduction=reduction,
        predictability_gained=gained,
        confidence_delta=delta,
        lessons=len(lessons),
        late_lessons=tuple(late_lessons),
        dependencies=len(dependencies),
        late_dependencies=tuple(
            rec["id"] for rec in dependencies if _dependency_is_late(rec, window_start)
        ),
        actions=len(actions),
        open_actions=tuple(rec["id"] for rec in actions if rec.get("status") in STILL_OPEN),
        decisions_reinforced=tuple(
            rec["id"] for rec in chronological(known[rid] for rid in trace.reinforced)
        ),
        coherence=sum(rec["id"] in trace.coherent for rec in outputs) / n_outputs
        if n_outputs
        else None,
    )
