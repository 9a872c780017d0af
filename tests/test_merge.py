"""Merging as pure functions: the algebra (property tests) and the report."""

from __future__ import annotations

import json
import random
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from retro.merge import merge
from retro.model import new_record
from retro.store.events import DEL, PUT, Event, encode, make_event, replay
from tests.conftest import START

IDS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(6)]


def history(seed: int, steps: int) -> list[Event]:
    """A random history of puts, edits and deletions over a few records, as several writers."""
    rng = random.Random(seed)
    heads: dict[str, Event] = {}
    events: list[Event] = []
    at = START
    for step in range(steps):
        at += timedelta(seconds=rng.randint(0, 3))
        rid = rng.choice(IDS)
        head = heads.get(rid)
        if head is not None and head["op"] == DEL:
            continue
        if head is not None and rng.random() < 0.2:
            event = make_event(DEL, rid, rec=None, prev=head["rev"], at=at, by="x",
                               origin=rng.choice("abc"))  # fmt: skip
        else:
            rec = new_record("output", f"text {step}", team="t", author="a", at=START)
            rec["id"] = rid
            event = make_event(PUT, rid, rec=rec, prev=head["rev"] if head else None, at=at,
                               by=rng.choice(["Ana", "Bo"]), origin=rng.choice("abc"))  # fmt: skip
        heads[rid] = event
        events.append(event)
    return events


def split(events: list[Event], seed: int, parts: int) -> list[list[Event]]:
    """Copies of a history as different teams hold them: each a random subset, in any order."""
    rng = random.Random(seed)
    logs = [[e for e in events if rng.random() < 0.6] for _ in range(parts)]
    for log in logs:
        rng.shuffle(log)
    return logs


def as_bytes(*logs: list[Event]) -> bytes:
    return b"".join(merge([(str(n), log) for n, log in enumerate(logs)]).lines())


histories = st.builds(lambda seed, steps: (seed, history(seed, steps)),
                      st.integers(0, 10_000), st.integers(0, 40))  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(histories)
def test_merge_is_commutative_associative_and_idempotent(case: tuple[int, list[Event]]) -> None:
    seed, events = case
    a, b, c = split(events, seed, 3)
    assert as_bytes(a, b) == as_bytes(b, a)
    ab = merge([("a", a), ("b", b)]).events
    bc = merge([("b", b), ("c", c)]).events
    assert as_bytes(ab, c) == as_bytes(a, bc) == as_bytes(a, b, c)
    assert as_bytes(a, a) == as_bytes(a)
    assert as_bytes(ab, a) == as_bytes(ab, ab) == as_bytes(ab)


Lines = tuple[list[Event], list[bytes]]


def spelled(log: list[Event], seed: int) -> Lines:
    """A log as read from a file another tool wrote: each event spelled one of three ways."""
    rng = random.Random(seed)
    spellings = [encode, lambda e: json.dumps(e).encode() + b"\n",
                 lambda e: json.dumps(e, sort_keys=True, ensure_ascii=True).encode() + b"\n"]
    return log, [rng.choice(spellings)(event) for event in log]


def raw_bytes(*logs: Lines) -> bytes:
    merged = merge([(str(n), log) for n, (log, _) in enumerate(logs)],
                   raw=[lines for _, lines in logs])  # fmt: skip
    return b"".join(merged.lines())


def reread(blob: bytes) -> Lines:
    lines = blob.splitlines(keepends=True)[1:]
    return [json.loads(line) for line in lines], lines


@settings(max_examples=80, deadline=None)
@given(histories)
def test_lines_written_as_read_keep_the_algebra(case: tuple[int, list[Event]]) -> None:
    """Lines are copied as read, yet any order, grouping or repetition gives the same bytes."""
    seed, events = case
    a, b, c = (spelled(log, seed + n) for n, log in enumerate(split(events, seed, 3)))
    assert raw_bytes(a, b) == raw_bytes(b, a)
    assert raw_bytes(reread(raw_bytes(a, b)), c) == raw_bytes(a, reread(raw_bytes(b, c)))
    assert raw_bytes(a, a) == raw_bytes(a) == raw_bytes(reread(raw_bytes(a)))
    assert [json.loads(line) for line in raw_bytes(a, b, c).splitlines()[1:]] == \
        [json.loads(line) for line in as_bytes(a[0], b[0], c[0]).splitlines()[1:]]  # fmt: skip


def test_an_event_spelled_two_ways_is_written_canonically() -> None:
    [event] = history(3, 1)
    spaced = json.dumps(event).encode() + b"\n"
    assert spaced != encode(event)
    assert raw_bytes(([event], [spaced])).endswith(spaced)  # one spelling: kept as it is
    both = raw_bytes(([event], [spaced]), ([event], [encode(event)]))
    assert both == raw_bytes(([event], [encode(event)]), ([event], [spaced]))
    assert both.endswith(encode(event))


@settings(max_examples=80, deadline=None)
@given(histories)
def test_no_revision_lost_and_edits_and_deletions_propagate(case: tuple[int, list[Event]]) -> None:
    seed, events = case
    a, b = split(events, seed, 2)
    merged = merge([("a", a), ("b", b)]).events
    union = {e["rev"] for e in a} | {e["rev"] for e in b}
    assert {e["rev"] for e in merged} == union  # every revision kept, nothing invented
    heads = replay(merged)
    for rid, head in replay(a + b).items():
        assert heads[rid]["rev"] == head["rev"]  # the latest edit or the deletion wins
    for log in (a, b):  # whatever a side deleted stays deleted
        for rid in {e["id"] for e in log if e["op"] == DEL}:
            assert heads[rid]["op"] == DEL


def test_report_counts_each_input_against_what_came_before() -> None:
    base = history(7, 12)
    first = merge([("a", base)])
    later = history(7, 30)  # the same story, carried further
    result = merge([("a", base), ("b", later)])
    report_a, report_b = result.inputs
    deleted = {rid for rid, head in replay(base).items() if head["op"] == DEL}
    assert report_a.new_records == len({e["id"] for e in base} - deleted)
    assert report_a.deletions == len(deleted)
    assert report_b.duplicates_skipped == len(base)
    assert report_b.events_read == len(later)
    assert len(result.events) == len(later) and first.events == merge([("x", base)]).events


def test_concurrent_edits_are_listed_with_both_sides() -> None:
    rec = new_record("outcome", "Disputes settle in a day", team="t", author="a", at=START)
    base = make_event(PUT, rec["id"], rec=rec, prev=None, at=START, by="Ana", origin="a")
    mine = make_event(PUT, rec["id"], rec=dict(rec, text="Disputes settle in hours"),
                      prev=base["rev"], at=START + timedelta(minutes=1), by="Ana", origin="a")
    theirs = make_event(PUT, rec["id"], rec=dict(rec, text="Disputes settle same day"),
                        prev=base["rev"], at=START + timedelta(minutes=2), by="Bo", origin="b")
    result = merge([("mine", [base, mine]), ("theirs", [base, theirs])])
    [edit] = result.concurrent
    assert edit.record_id == rec["id"] and edit.base == base["rev"]
    assert {by for _, by, _ in edit.revisions} == {"Ana", "Bo"}
    assert edit.winner == theirs["rev"] and edit.title == "Disputes settle same day"
    assert len(result.events) == 3


def test_near_identical_decisions_are_flagged_once() -> None:
    events = []
    for text in ("Consolidate on one event platform", "Consolidate onto one event platform",
                 "Reach 99.9% checkout availability"):  # fmt: skip
        rec = new_record("decision", text, team="t", author="a", at=START)
        events.append(make_event(PUT, rec["id"], rec=rec, prev=None, at=START, by="a",
                                 origin="a"))  # fmt: skip
    [dup] = merge([("x", events)]).duplicates
    assert {dup.first_title, dup.second_title} == {
        "Consolidate on one event platform", "Consolidate onto one event platform"}
    assert dup.command.startswith("retro decision alias ")


def test_output_version_is_the_newest_minor() -> None:
    result = merge([("a", [])], versions=[(1, 0), (1, 3)])
    assert result.lines()[0] == b'{"format":"retro-log","version":"1.3"}\n'
