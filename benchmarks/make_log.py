"""Write a realistic retro log of N events, fast and deterministically.

The log is what a team of a few people produces over years: check-ins of every
kind (outputs, outcomes, risks, lessons, dependencies, actions, decisions) with
their kind's fields and texts of 40-200 characters, links between entries, a
retro session every two weeks whose entries point to it, and a few edits and
deletions. Events are built with ``retro.store.events.make_event`` and written as
lines (``encode``) directly: no repository, no lock, no fsync per line.

The log is made of segments of 10,000 events, each generated from its own seed
and time window, so segments can be built on several cores and the file is the
same for the same seed whatever the number of cores.

Usage::

    python benchmarks/make_log.py OUT.jsonl [--entries N] [--seed S] [--team NAME]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import string
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

from retro.model import ALL_KINDS, FOCUSES
from retro.store.events import DEL, PUT, Event, encode, event_problem, header, make_event

T = TypeVar("T")

# How often each kind is checked in (retro sessions and edits come on top).
KIND_WEIGHTS = {
    "output": 26,
    "outcome": 22,
    "risk": 10,
    "lesson": 12,
    "dependency": 8,
    "action": 14,
    "decision": 8,
}
EDIT_RATE = 0.04
DELETE_RATE = 0.005
SPRINT = timedelta(days=14)
# A Monday long enough ago that a million events (about 15 minutes apart) end in the past:
# later, verify and merge would see revisions from the future.
START = datetime(1995, 1, 2, 9, 0, tzinfo=timezone(timedelta(hours=1)))
SEGMENT = 10_000  # events generated from one seed; the unit of parallel work
MIN_STEP, MAX_STEP = 30.0, 1800.0  # seconds between two events
_WINDOW = 400  # recent records an edit, a deletion or a link may pick from

PEOPLE = [
    ("Ana Costa", 1), ("Bilal Haddad", 1), ("Chen Wei", 8), ("Dana Kowalski", 2),
    ("Emeka Obi", 1), ("Freya Lindqvist", 1), ("Gustavo Reyes", -5), ("Hana Sato", 9),
]  # fmt: skip
AUDIENCES = [
    "support agents", "merchants in Germany", "the finance team", "new sign-ups",
    "on-call engineers", "mobile users", "the partner integrations team", "enterprise admins",
    "first-time buyers", "the data team", "warehouse staff", "the sales team",
]  # fmt: skip
FEATURES = [
    "the refund flow", "instant payouts", "the new onboarding checklist", "SSO for admins",
    "the invoice export", "retry logic in the webhook sender", "the search index rebuild",
    "dark mode in the dashboard", "the fraud rules engine", "the checkout address form",
    "rate limits on the public API", "the audit log viewer", "the nightly ledger sync",
]  # fmt: skip
METRICS = [
    ("refund time (days)", 4.5, 1.0), ("checkout conversion (%)", 61.0, 67.5),
    ("p95 latency (ms)", 840, 310), ("support tickets per week", 120, 45),
    ("failed payouts per 1k", 7.2, 1.9), ("onboarding completion (%)", 38, 55),
    ("pages per incident", 14, 3), ("time to first invoice (min)", 25, 6),
]  # fmt: skip
SYSTEMS = [
    "the platform team", "the identity team", "the bank partner API", "legal review",
    "the data warehouse team", "the mobile release train", "the payments gateway vendor",
    "security review", "the infrastructure team", "the localisation agency",
]  # fmt: skip
DETAILS = [
    "confirmed with support in the Tuesday sync", "see the weekly dashboard for the trend",
    "measured over the last two sprints", "after the rollout reached every region",
    "though the numbers for mobile are still noisy", "the on-call rotation noticed first",
    "which nobody had planned for in the sprint goal", "agreed with product before release",
    "the old path stays behind a flag until month end", "two customers mentioned it unprompted",
    "based on the error budget report", "with a follow-up in the next planning session",
]  # fmt: skip
SEPARATORS = ("; ", ", ", " — ")
TEMPLATES = {
    "output": [
        "Shipped {feature} to {audience}", "Released {feature} behind a flag",
        "Finished the migration of {feature}", "Rewrote {feature} and removed the old cron job",
    ],
    "outcome": [
        "{Audience} now rely on {feature} instead of asking us",
        "{metric} moved from {baseline} to {observed} since {feature} went live",
        "Fewer escalations from {audience} after {feature}",
    ],
    "risk": [
        "{feature} could fail silently when {system} is down",
        "Data loss risk in {feature} if a retry overlaps a deploy",
        "Reduced the blast radius of {feature} by splitting the queue",
    ],
    "lesson": [
        "We learned that {feature} needs a load test before every release",
        "Asking {audience} early saved us a sprint on {feature}",
        "Estimates for work that touches {system} are always too low",
    ],
    "dependency": [
        "Waiting on {system} for the contract change behind {feature}",
        "Need {system} to approve the schema for {feature}",
    ],
    "action": [
        "Write a runbook for {feature}", "Pair with {system} on the rollout plan",
        "Add an alert when {metric} regresses", "Interview three of {audience} about {feature}",
    ],
    "decision": [
        "Every change to {feature} ships behind a flag first",
        "We optimise for {focus} this quarter, starting with {feature}",
        "No release of {feature} without sign-off from {system}",
    ],
}  # fmt: skip
_UUID_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_V4 = (0x4000 << 64) | (0x8000 << 48)
_KIND_BAG = [kind for kind, weight in KIND_WEIGHTS.items() for _ in range(weight)]


class Dice:
    """``random.Random`` with cheap picks (``choice``/``randint`` cost far more per call)."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)
        self.random = self.rng.random

    def one(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def new_id(self) -> str:
        """A random (version 4) UUID, as ``str(uuid.uuid4())`` writes it."""
        h = f"{self.rng.getrandbits(128) & _UUID_MASK | _UUID_V4:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _expand(template: str) -> list[str]:
    """Every text ``template`` can make from the vocabulary above."""
    slots = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    choices: list[list[dict[str, Any]]] = []
    if slots & {"audience", "Audience"}:
        choices.append([{"audience": a, "Audience": a.capitalize()} for a in AUDIENCES])
    if slots & {"metric", "baseline", "observed"}:
        choices.append([{"metric": m, "baseline": b, "observed": o} for m, b, o in METRICS])
    for name, values in (("feature", FEATURES), ("system", SYSTEMS), ("focus", FOCUSES)):
        if name in slots:
            choices.append([{name: value} for value in values])
    texts = []
    for combo in itertools.product(*choices):
        values: dict[str, Any] = {}
        for part in combo:
            values.update(part)
        texts.append(template.format(**values))
    return texts


_OPENINGS = {
    kind: [text for template in templates for text in _expand(template)]
    for kind, templates in TEMPLATES.items()
}
_CLAUSES = [sep + detail for sep in SEPARATORS for detail in DETAILS]


def sample_text(dice: Dice, kind: str, low: int = 40, high: int = 200) -> str:
    """A plausible entry text of ``kind``, between ``low`` and ``high`` characters."""
    text = dice.one(_OPENINGS[kind])
    target = dice.between(low, high)
    while len(text) < target:
        clause = dice.one(_CLAUSES)
        if len(text) + len(clause) >= high:
            break
        text += clause
    return text + "."


@dataclass
class _Author:
    name: str
    tz: timezone
    origin: str


def _authors(seed: int) -> list[_Author]:
    dice = Dice(f"{seed}:people")
    people = PEOPLE[: dice.between(5, len(PEOPLE))]
    return [
        _Author(name, timezone(timedelta(hours=hours)), f"{dice.rng.getrandbits(32):08x}")
        for name, hours in people
    ]


def _steps(seed: int, segment: int, count: int) -> list[float]:
    """Seconds between the events of one segment."""
    random_ = random.Random(f"{seed}:time:{segment}").random
    return [MIN_STEP + random_() * (MAX_STEP - MIN_STEP) for _ in range(count)]


@dataclass
class _Segment:
    dice: Dice
    team: str
    authors: list[_Author]
    recent: dict[str, Event] = field(default_factory=dict)  # rid -> its head event
    by_kind: dict[str, deque[str]] = field(
        default_factory=lambda: {kind: deque(maxlen=20) for kind in ALL_KINDS}
    )
    retro: Event | None = None
    session_left: int = 0
    session_decisions: list[str] = field(default_factory=list)

    def event(self, op: str, rid: str, rec: dict[str, Any] | None, prev: str | None,
              at: datetime, author: _Author) -> Event:  # fmt: skip
        event = make_event(op, rid, rec=rec, prev=prev, at=at, by=author.name, origin=author.origin)
        self.recent.pop(rid, None)  # the newest revisions last
        if op == PUT:
            self.recent[rid] = event
            if len(self.recent) > _WINDOW:
                del self.recent[next(iter(self.recent))]
        return event

    def linkable(self, *kinds: str) -> list[str]:
        ids = [rid for kind in kinds for rid in self.by_kind[kind]]
        return [rid for rid in ids if rid in self.recent]

    def fields(self, kind: str, at: datetime) -> dict[str, Any]:
        dice = self.dice
        if kind == "outcome":
            metric, baseline, observed = dice.one(METRICS)
            before = dice.between(1, 4)
            return {
                "for_whom": dice.one(AUDIENCES),
                "evidence": sample_text(dice, "outcome", 40, 120),
                "metric": metric,
                "baseline": baseline,
                "observed": observed,
                "observed_at": (at - timedelta(days=dice.between(0, 6))).isoformat(),
                "confidence_before": before,
                "confidence_after": min(5, before + dice.between(0, 2)),
            }
        if kind == "risk":
            likelihood, impact = dice.between(2, 5), dice.between(2, 5)
            return {
                "before": {"likelihood": likelihood, "impact": impact},
                "after": {"likelihood": dice.between(1, likelihood), "impact": impact},
                "evidence": sample_text(dice, "risk", 40, 120),
            }
        if kind == "lesson":
            applies = self.linkable("decision", "outcome")
            return {
                "learned_at": (at - timedelta(hours=dice.between(0, 72))).isoformat(),
                "applies_to": applies[-dice.between(0, 2) :] if applies else [],
            }
        if kind == "dependency":
            return {
                "on": dice.one(SYSTEMS),
                "discovered_at": (at - timedelta(days=dice.between(0, 3))).isoformat(),
                "needed_at": (at + timedelta(days=dice.between(-2, 12))).isoformat(),
            }
        if kind == "action":
            return {
                "owner": dice.one(self.authors).name,
                "due": (at + timedelta(days=dice.between(3, 21))).date().isoformat(),
                "expected_outcome": sample_text(dice, "outcome", 40, 100),
                "status": "open",
            }
        if kind == "decision":
            return {
                "criteria": sample_text(dice, "lesson", 40, 120),
                "review_by": (at + timedelta(days=dice.between(14, 90))).date().isoformat(),
            }
        return {}

    def record(self, kind: str, text: str, at: datetime, author: _Author,
               fields: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
        stamp = at.isoformat()
        links: list[str] = []
        if kind in ("outcome", "action", "output") and self.dice.random() < 0.6:
            links = self.linkable("decision", "output")[-self.dice.between(1, 2) :]
        rec = {
            "id": self.dice.new_id(),
            "kind": kind,
            "team": self.team,
            "author": author.name,
            "text": text,
            "created_at": stamp,
            "updated_at": stamp,
            "retro": self.retro["id"] if self.retro and self.session_left else None,
            "links": links,
        }
        rec.update(fields)
        return rec

    def edit(self, at: datetime, author: _Author) -> Event | None:
        dice = self.dice
        rid = dice.one(list(self.recent)[-100:])
        head = self.recent[rid]
        rec = dict(head["rec"])
        if rec["kind"] == "retro":
            return None
        if rec["kind"] == "action":
            rec["status"] = dice.one(("done", "done", "dropped", "carried"))
        elif rec["kind"] == "outcome":
            rec["observed"] = round(rec["observed"] * (0.8 + 0.4 * dice.random()), 1)
        else:
            rec["text"] = sample_text(dice, rec["kind"])
        rec["updated_at"] = at.isoformat()
        return self.event(PUT, rid, rec, head["rev"], at, author)

    def delete(self, at: datetime, author: _Author) -> Event | None:
        rid = self.dice.one(list(self.recent)[-100:])
        head = self.recent[rid]
        if head["rec"]["kind"] == "retro":
            return None
        return self.event(DEL, rid, None, head["rev"], at, author)

    def sessions(self, at: datetime, period_start: date) -> Iterator[Event]:
        """Close the running retro session (an edit of it), then open the next one."""
        dice = self.dice
        if self.retro is not None and self.retro["id"] in self.recent:
            rec = dict(self.retro["rec"])
            host = next(a for a in self.authors if a.name == rec["facilitator"])
            local = at.astimezone(host.tz)
            rec.update(status="closed", step="summary", decisions=self.session_decisions,
                       updated_at=local.isoformat())  # fmt: skip
            yield self.event(PUT, rec["id"], rec, self.retro["rev"], local, host)
            at += timedelta(seconds=1)
        host = dice.one(self.authors)
        local = at.astimezone(host.tz)
        people = {dice.one(self.authors).name for _ in range(6)} | {host.name}
        fields = {
            "period_start": period_start.isoformat(),
            "period_end": (period_start + SPRINT - timedelta(days=1)).isoformat(),
            "facilitator": host.name,
            "participants": sorted(people),
            "focus": dice.one(FOCUSES),
            "status": "open",
            "decisions": [],
            "step": "outcomes",
        }
        text = f"Sprint retro {period_start:%d %b %Y}: " + sample_text(dice, "lesson", 20, 80)
        self.session_left = 0
        rec = self.record("retro", text, local, host, fields)
        self.retro = self.event(PUT, rec["id"], rec, None, local, host)
        self.session_left = dice.between(6, 16)
        self.session_decisions = []
        yield self.retro


def _segment_events(seed: int, team: str, segment: int, count: int) -> Iterator[Event]:
    """The ``count`` events of one segment of the log."""
    begin = sum(sum(_steps(seed, k, SEGMENT)) for k in range(segment))
    at = START + timedelta(seconds=begin)
    state = _Segment(Dice(f"{seed}:events:{segment}"), team, _authors(seed))
    dice = state.dice
    # The first segment opens with the first sprint's retro, so that even a log of a
    # few hundred events has one to open; the others with the next sprint's.
    sprints = (at - START) // SPRINT + (1 if segment else 0)
    next_retro = START + sprints * SPRINT
    made = 0
    for step in _steps(seed, segment, count):
        if made >= count:
            return
        at += timedelta(seconds=step)
        if at >= next_retro:
            for event in state.sessions(at, next_retro.date()):
                if made < count:
                    made += 1
                    yield event
            next_retro += SPRINT
            continue
        author = dice.one(state.authors)
        local = at.astimezone(author.tz)
        roll = dice.random()
        event: Event | None
        if roll < DELETE_RATE + EDIT_RATE and state.recent:
            event = state.delete(local, author) if roll < DELETE_RATE else state.edit(local, author)
        else:
            kind = dice.one(_KIND_BAG)
            rec = state.record(kind, sample_text(dice, kind), local, author,
                               state.fields(kind, local))  # fmt: skip
            state.by_kind[kind].append(rec["id"])
            if state.session_left:
                state.session_left -= 1
                if kind == "decision":
                    state.session_decisions.append(rec["id"])
            event = state.event(PUT, rec["id"], rec, None, local, author)
        if event is not None:
            made += 1
            yield event
    # A few picks were skipped (an edit of a retro, say): top the segment up with check-ins.
    while made < count:
        at += timedelta(seconds=1)
        author = dice.one(state.authors)
        local = at.astimezone(author.tz)
        rec = state.record("output", sample_text(dice, "output"), local, author, {})
        made += 1
        yield state.event(PUT, rec["id"], rec, None, local, author)


def _sizes(n: int) -> list[int]:
    return [min(SEGMENT, n - start) for start in range(0, n, SEGMENT)]


def iter_events(n: int, *, seed: int = 0, team: str = "payments") -> Iterator[Event]:
    """The ``n`` events of the log ``make_log`` writes, oldest first."""
    for segment, count in enumerate(_sizes(n)):
        yield from _segment_events(seed, team, segment, count)


def _segment_lines(seed: int, team: str, segment: int, count: int, check_every: int
                   ) -> tuple[bytes, int]:  # fmt: skip
    """One segment, encoded, and its number of distinct records (each sampled event checked)."""
    lines: list[bytes] = []
    ids: set[str] = set()
    for i, event in enumerate(_segment_events(seed, team, segment, count)):
        if i < 20 or i % check_every == 0:
            problem = event_problem(event)
            if problem is not None:
                raise ValueError(f"generated event {segment * SEGMENT + i} is invalid: {problem}")
        ids.add(event["id"])
        lines.append(encode(event))
    return b"".join(lines), len(ids)


def make_log(
    path: Path | str,
    n: int,
    *,
    seed: int = 0,
    team: str = "payments",
    check_every: int = 499,
    workers: int | None = None,
) -> int:
    """Write a log of ``n`` events to ``path`` (replacing it); return the number of records.

    The first events of each segment and every ``check_every``-th one are checked with
    ``retro.store.events.event_problem`` (which checks the record with
    ``retro.model.record_problem``); a problem raises ``ValueError``. Segments are built
    on ``workers`` processes (default: one per core); the file does not depend on it.
    """
    sizes = _sizes(n)
    workers = min(len(sizes), workers or os.cpu_count() or 1)
    jobs = [(seed, team, k, count, check_every) for k, count in enumerate(sizes)]
    records = 0
    with open(path, "wb") as out:
        out.write(header())
        if workers <= 1:
            parts: Iterator[tuple[bytes, int]] = (_segment_lines(*job) for job in jobs)
            for data, count in parts:
                out.write(data)
                records += count
        else:
            with ProcessPoolExecutor(workers) as pool:
                for data, count in pool.map(_segment_lines, *zip(*jobs, strict=True)):
                    out.write(data)
                    records += count
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a realistic retro log of N events.")
    parser.add_argument("out", type=Path, help="the log file to write (replaced)")
    parser.add_argument("--entries", "-n", type=int, default=100_000, help="events to write")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same log)")
    parser.add_argument("--team", default="payments", help="the team of every entry")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    records = make_log(args.out, args.entries, seed=args.seed, team=args.team,
                       workers=args.workers)  # fmt: skip
    took = time.perf_counter() - began
    size = args.out.stat().st_size
    print(
        f"wrote {args.entries:,} events ({records:,} records, {size / 2**20:.1f} MiB) "
        f"to {args.out} in {took:.2f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
