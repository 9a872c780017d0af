"""Merging as pure functions: the algebra (property tests) and the report."""

from __future__ import annotations

import json
import random
from datetime import timedelta

from hypothesis import given, settings, strategies as st

from retro.merge import merge
from retro.model import Record, new_record
from retro.store.events import (
    DEL,
    PUT,
    Event,
    encode,
    event_problem,
    life_of,
    make_event,
    outranks,
    replay,
)
from tests.conftest import START

IDS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(6)]


def history(seed: int, steps: int) -> list[Event]:
    """A random history of puts, edits, deletions and restores over a few records, as several
    writers. Each writer follows its own head of a record, so sides diverge: concurrent edits,
    a deletion on one side and an edit on the other, two restores of one deletion."""
    rng = random.Random(seed)
    heads: dict[tuple[str, str], Event] = {}  # (writer, id) -> the revision it last saw
    events: list[Event] = []
    at = START
    for step in range(steps):
        at += timedelta(seconds=rng.randint(0, 3))
        rid, origin = rng.choice(IDS), rng.choice("abc")
        if rng.random() < 0.3:  # this writer catches up with everything written so far
            heads.update({(origin, i): head for i, head in replay(events).items()})
        head = heads.get((origin, rid))
        life = life_of(head) if head else 0
        if head is not None and head["op"] == DEL:
            if rng.random() < 0.5:
                continue
            rec, life = dict(head_put(events, rid)), life + 1  # a restore
        elif head is not None and rng.random() < 0.2:
            rec = None
        else:
            rec = new_record("output", f"text {step}", team="t", author="a", at=START)
            rec["id"] = rid
        event = make_event(PUT if rec else DEL, rid, rec=rec, prev=head["rev"] if head else None,
                           at=at, by=rng.choice(["Ana", "Bo"]), origin=origin,
                           life=life)  # fmt: skip
        heads[(origin, rid)] = event
        events.append(event)
    return events


def head_put(events: list[Event], rid: str) -> Record:
    """The record a restore brings back: the greatest put of ``rid``."""
    rec: Record = replay(e for e in events if e["id"] == rid and e["op"] == PUT)[rid]["rec"]
    return rec


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
    for log in (a, b):  # whatever a side deleted stays deleted, unless restored after
        for tombstone in (e for e in log if e["op"] == DEL):
            head = heads[tombstone["id"]]
            assert head["op"] == DEL or life_of(head) > life_of(tombstone)
        for put in (e for e in log if e["op"] == PUT):  # and a restore undoes older deletions
            head = heads[put["id"]]
            assert head["op"] == PUT or life_of(head) >= life_of(put)


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
    assert result.lines()[0].startswith(b'{"format":"retro-log","gen":')
    assert result.lines()[0].endswith(b',"version":"1.3"}\n')


# --- deleting and restoring: the ranking of revisions ------------------------------------


def story() -> dict[str, Event]:
    """One record: made, edited, deleted, restored, edited, deleted again, restored again."""
    rec = new_record("outcome", "Disputes settle in a day", team="t", author="a", at=START)
    steps = [("made", PUT, "Disputes settle in a day", 0), ("edited", PUT, "in hours", 0),
             ("deleted", DEL, None, 0), ("restored", PUT, "in hours", 1),
             ("edited again", PUT, "same day", 1), ("deleted again", DEL, None, 1),
             ("restored again", PUT, "same day", 2)]  # fmt: skip
    events: dict[str, Event] = {}
    prev = None
    for n, (name, op, text, life) in enumerate(steps):
        event = make_event(op, rec["id"], rec=dict(rec, text=text) if text else None, prev=prev,
                           at=START + timedelta(minutes=n), by="Ana", origin="a",
                           life=life)  # fmt: skip
        events[name], prev = event, event["rev"]
    return events


def test_a_restore_outranks_exactly_the_deletion_it_undoes() -> None:
    e = story()
    assert outranks(e["deleted"], e["edited"])  # a tombstone beats the puts of its life
    assert outranks(e["restored"], e["deleted"]) and not outranks(e["deleted"], e["restored"])
    assert outranks(e["deleted again"], e["restored"])  # a later delete beats the restore
    assert outranks(e["deleted again"], e["edited again"])
    assert outranks(e["restored again"], e["deleted again"])
    late_edit = make_event(PUT, e["made"]["id"], rec=e["edited"]["rec"], prev=e["made"]["rev"],
                           at=START + timedelta(days=1), by="Bo", origin="b")  # fmt: skip
    assert outranks(e["deleted"], late_edit)  # a concurrent edit never undoes a deletion
    assert outranks(e["restored"], late_edit)  # nor outlives its restore
    for name in e:
        assert not outranks(e[name], e[name])


def test_replay_of_a_story_in_any_order_ends_at_its_last_step() -> None:
    e = story()
    events = list(e.values())
    for seed in range(20):
        random.Random(seed).shuffle(events)
        assert replay(events) == {e["made"]["id"]: e["restored again"]}
        assert replay(x for x in events if life_of(x) < 2) == {e["made"]["id"]: e["deleted again"]}


def test_an_edit_after_a_restore_survives_a_log_with_only_the_old_tombstone() -> None:
    e = story()
    theirs = [e["made"], e["edited"], e["deleted"]]  # a copy taken when it was deleted
    mine = [*theirs, e["restored"], e["edited again"]]
    one, other = merge([("theirs", theirs), ("mine", mine)]), merge([("mine", mine),
                                                                    ("theirs", theirs)])
    assert one.lines() == other.lines()
    assert one.heads == other.heads == replay(mine)
    assert one.heads[e["made"]["id"]]["rec"]["text"] == "same day"
    report = one.inputs[1]
    assert (report.updated_records, report.deletions) == (1, 0)  # the restore, told as an update


def test_life_is_checked_and_written_only_when_above_zero() -> None:
    e = story()
    assert "life" not in e["deleted"] and e["restored"]["life"] == 1
    assert encode(e["made"]).count(b"life") == 0
    for good in (0, 1, 999_999):
        assert event_problem(dict(e["deleted"], life=good)) is None
    for bad in (-1, 1_000_000, True, 1.0, "1", None):
        assert event_problem(dict(e["deleted"], life=bad)) == \
            "the event's 'life' is not a count of restores"  # fmt: skip
