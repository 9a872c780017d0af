"""Events and the journal file: encoding, revisions, appends, reads, verification, compaction."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from retro.errors import LogError, NotALogError, TooLargeError, VersionError
from retro.model import new_record
from retro.store import events as ev
from retro.store.checked import CheckedLog
from retro.store.journal import Journal, decode_line
from tests.conftest import START


def put(text: str = "Refunds settle in one day", *, at: datetime = START, prev: str | None = None,
        rec: dict | None = None, origin: str = "a1") -> ev.Event:  # fmt: skip
    rec = rec or new_record("outcome", text, team="payments", author="Ana", at=at)
    return ev.make_event(ev.PUT, rec["id"], rec=rec, prev=prev, at=at, by="Ana", origin=origin)


def test_event_shape_and_canonical_line() -> None:
    event = put()
    line = ev.encode(event)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == event
    assert list(json.loads(line)) == sorted(event)  # keys sorted: one text per content
    assert ev.event_problem(event) is None
    assert event["rev"].startswith("20261127T093000.000000Z-a1-")
    assert ev.content_hash(event) == event["rev"][-16:]


@pytest.mark.parametrize("value", [
    2**64 - 1, 2**64, -(2**63) - 1, 10**30, 1e-05, 4.8e-09, 1e16, 1.7976931348623157e308,
    "é\u2028\x7f\x00", [[[1]]],
])  # fmt: skip
def test_decoding_keeps_every_value_as_written(value: object) -> None:
    """A faster parser reads some numbers otherwise (integers beyond 64 bits as floats):
    what is decoded is always what the standard library reads."""
    rec = new_record("outcome", "x", team="payments", author="Ana", at=START)
    for fields in ({"free": value}, {"baseline": value}):
        event = put(rec={**rec, **fields})
        if ev.event_problem(event) is not None:
            continue
        line = ev.encode(event)[:-1]
        decoded = ev.decode(line)
        assert decoded == json.loads(line) == event
        assert ev.canonical(decoded).encode() == line


@pytest.mark.parametrize("line", [
    b'{"a":' * 1010 + b"1" + b"}" * 1010,  # deeper than one parser goes, not the other
    b"[" * 600 + b"]" * 600,
    b'{"at":1e400}', b'{"at":NaN}', b'"\\ud800"', b"\xff", b"\xef\xbb\xbf{}", b"{} x",
])  # fmt: skip
def test_damaged_lines_are_told_as_the_standard_library_reads_them(line: bytes) -> None:
    assert ev.decode(line) == ev.decode_exactly(line)
    assert isinstance(ev.decode(line), str)


def test_revisions_order_time_then_origin_and_edits_follow_their_base() -> None:
    first = put(at=START)
    # An edit stamped by a clock that runs behind still comes after its base.
    rec = dict(first["rec"], text="edited")
    edit = ev.make_event(ev.PUT, rec["id"], rec=rec, prev=first["rev"],
                         at=START - timedelta(hours=1), by="Bo", origin="b2")  # fmt: skip
    assert ev.outranks(edit, first) and not ev.outranks(first, edit)
    assert ev.rev_time(edit["rev"]) == ev.rev_time(first["rev"]) + timedelta(microseconds=1)


def test_tombstones_outrank_every_put() -> None:
    first = put()
    gone = ev.make_event(ev.DEL, first["id"], rec=None, prev=first["rev"], at=START, by="Bo",
                         origin="b2")  # fmt: skip
    later = put(rec=dict(first["rec"], text="late edit"), at=START + timedelta(days=1),
                prev=first["rev"])  # fmt: skip
    heads = ev.replay([later, gone, first])
    assert heads[first["id"]] is gone
    assert ev.replay([first, gone, later])[first["id"]] is gone


def test_replay_keeps_greatest_revision_whatever_the_order() -> None:
    first = put()
    second = put(rec=dict(first["rec"], text="v2"), at=START + timedelta(seconds=5),
                 prev=first["rev"])  # fmt: skip
    assert ev.replay([first, second])[first["id"]] is second
    assert ev.replay([second, first])[first["id"]] is second


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: e.update(rev="yesterday"), "'rev'"),
        (lambda e: e.update(id="42"), "'id'"),
        (lambda e: e.update(op="upsert"), "'op'"),
        (lambda e: e.update(prev=7), "'prev'"),
        (lambda e: e.update(by=None), "'by'"),
        (lambda e: e.update(at=["x"]), "'at'"),
        (lambda e: e["rec"].update(id="0b7c5a52-9e59-4f1c-9a4e-1f2d3c4b5a69"), "differs"),
        (lambda e: e["rec"].update(text=3), "'text'"),
        (lambda e: e.update(extra=json.loads("[" * 20 + "]" * 20)), "nested"),
    ],
)
def test_event_problems(mutate, message: str) -> None:
    event = put()
    mutate(event)
    assert message in (ev.event_problem(event) or "")


def test_unknown_event_fields_are_allowed() -> None:
    event = put()
    event["signed_by"] = {"key": "abc"}
    assert ev.event_problem(event) is None


def test_header() -> None:
    assert ev.parse_header(ev.header().strip(), "x") == (1, 0)
    assert ev.parse_header(b'{"format":"retro-log","version":"1.7"}', "x") == (1, 7)
    with pytest.raises(VersionError, match="newer retro"):
        ev.parse_header(b'{"format":"retro-log","version":"2.0"}', "x")
    for bad in (b"a,b,c", b"[]", b'{"format":"other"}', b'{"format":"retro-log"}', b"\xff\xfe"):
        with pytest.raises(NotALogError):
            ev.parse_header(bad, "x")


def test_decode_line_messages() -> None:
    assert "not valid JSON" in str(decode_line(b'{"id": '))
    assert "UTF-8" in str(decode_line(b"\xff\xfe\x00"))
    assert "nested too deeply" in str(decode_line(b"[" * 100_000))
    assert "over the" in str(decode_line(b"x", size=2 * 1024 * 1024))
    event = put()
    assert decode_line(ev.encode(event)[:-1]) == event


# --- the journal file ------------------------------------------------------------------


def test_first_append_writes_header_and_event(log_path: Path) -> None:
    event = put()
    Journal(log_path).append([event])
    lines = log_path.read_bytes().splitlines()
    assert lines[0] == ev.header().strip()
    assert json.loads(lines[1]) == event
    batch = Journal(log_path).read()
    assert batch.events == [event] and batch.lines == [2] and not batch.problems


def test_append_after_torn_line_starts_on_a_fresh_line(log_path: Path) -> None:
    journal = Journal(log_path)
    journal.append([put("one")])
    with open(log_path, "ab") as out:
        out.write(b'{"at":"2026-11-27T')  # a writer died mid-line
    reader = Journal(log_path)
    assert reader.read().incomplete_tail
    journal.append([put("two")])
    batch = Journal(log_path).read()
    assert [e["rec"]["text"] for e in batch.events] == ["one", "two"]
    assert [str(p) for p in batch.problems] == ["line 3: the line is not valid JSON"]


def test_complete_last_line_without_newline_is_read(log_path: Path) -> None:
    Journal(log_path).append([put("one")])
    log_path.write_bytes(log_path.read_bytes().rstrip(b"\n"))
    assert [e["rec"]["text"] for e in Journal(log_path).read().events] == ["one"]
    Journal(log_path).append([put("two")])
    assert len(Journal(log_path).read().events) == 2


def test_read_new_returns_only_the_grown_tail(log_path: Path) -> None:
    writer, reader = Journal(log_path), Journal(log_path)
    writer.append([put("one")])
    assert len(reader.read().events) == 1
    assert reader.read_new().events == []  # type: ignore[union-attr]
    writer.append([put("two"), put("three")])
    fresh = reader.read_new()
    assert fresh is not None and [e["rec"]["text"] for e in fresh.events] == ["two", "three"]
    # A line still being written is left for the next read.
    with open(log_path, "ab") as out:
        out.write(ev.encode(put("four"))[:20])
    partial = reader.read_new()
    assert partial is not None and partial.events == [] and partial.incomplete_tail


def test_read_new_notices_replacement(log_path: Path) -> None:
    writer, reader = Journal(log_path), Journal(log_path)
    writer.append([put("one")])
    reader.read()
    writer.compact()
    assert reader.read_new() is None


def test_missing_empty_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="no log at"):
        Journal(tmp_path / "missing.jsonl").read()
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(NotALogError, match="empty"):
        Journal(empty).read()
    csv = tmp_path / "team.csv"
    csv.write_bytes(b"a,b\n1,2\n")
    with pytest.raises(NotALogError, match="not a retro log"):
        Journal(csv).read()
    with pytest.raises(NotALogError):
        Journal(csv).append([put()])
    assert csv.read_bytes() == b"a,b\n1,2\n"
    with pytest.raises(LogError, match="directory"):
        Journal(tmp_path).read()
    with pytest.raises(LogError, match="does not exist"):
        Journal(tmp_path / "nowhere" / "x.jsonl").append([put()])


def test_empty_file_becomes_a_log_on_first_append(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    Journal(empty).append([put()])
    assert len(Journal(empty).read().events) == 1


def test_oversized_log_is_refused_before_reading(log_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    Journal(log_path).append([put()])
    monkeypatch.setenv("RETRO_MAX_LOG_BYTES", "100")
    with pytest.raises(TooLargeError, match="RETRO_MAX_LOG_BYTES"):
        Journal(log_path).read()


def test_oversized_line_is_skipped_without_holding_it(log_path: Path) -> None:
    Journal(log_path).append([put("one")])
    with open(log_path, "ab") as out:
        out.write(b'{"x":"' + b"y" * (3 * 1024 * 1024) + b'"}\n')
    Journal(log_path).append([put("two")])
    batch = Journal(log_path).read()
    assert [e["rec"]["text"] for e in batch.events] == ["one", "two"]
    assert "over the 1,048,576-byte limit" in batch.problems[0].message


def test_appending_an_oversized_entry_is_refused(log_path: Path) -> None:
    event = put()
    event["rec"]["huge"] = ["x" * 9000] * 200
    with pytest.raises(TooLargeError):
        Journal(log_path).append([event])
    assert not log_path.exists()


def test_scan_reports_tampering_and_conflicting_duplicates(log_path: Path) -> None:
    event = put()
    Journal(log_path).append([event])
    forged = json.loads(json.dumps(event))
    forged["rec"]["text"] = "forged"
    with open(log_path, "ab") as out:
        out.write(ev.encode(forged))
    checked = CheckedLog(log_path, keep=False)
    rows = list(checked)
    # A line whose content does not match its revision is damaged: skipped, like any other.
    assert [(str(p), p.offset > 0) for p in checked.problems] == \
        [("line 3: the content does not match its revision (edited by hand or damaged)", True)]
    assert [row[3] for row in rows] == [event["rev"]]


def hashed_as_written(line: bytes) -> bytes:
    """``line`` (revision last) with its revision's hash made that of its own bytes."""
    head, rev = line[:-2].rsplit(b',"rev":"', 1)
    digest = hashlib.sha256(head + b"}").hexdigest()[:16].encode()
    return head + b',"rev":"' + rev[:-16] + digest + b'"}'


@pytest.mark.parametrize(("written", "canonical"), [
    (b'"baseline":0.00001', False),  # how orjson writes 1e-05
    (b'"baseline":4.8e-9', False),  # how orjson writes 4.8e-09
    (b'"baseline":1E-5', False),
    (b'"baseline":1e-05', True),
    (b'"baseline": 1e-05', False),
])  # fmt: skip
def test_a_check_looks_at_the_canonical_form_of_what_matches_its_own_bytes(
    log_path: Path, written: bytes, canonical: bool
) -> None:
    """A line hashed as written, but not in canonical form, is read; verify reports it."""
    rec = new_record("outcome", "x", team="payments", author="Ana", at=START)
    line = ev.encode(put(rec={**rec, "baseline": 1e-05}))[:-1]
    line = hashed_as_written(line.replace(b'"baseline":1e-05', written))
    Journal(log_path).append([put()])
    with open(log_path, "ab") as out:
        out.write(line + b"\n")
    checked = CheckedLog(log_path, keep=False)
    assert len(list(checked)) == 2  # read, and reported (not damaged: no offset)
    assert [(str(p), p.offset) for p in checked.problems] == \
        ([] if canonical else [(f"line 3: {ev.HASH_MISMATCH}", -1)])


def test_compact_dedupes_orders_and_sets_damage_aside(log_path: Path) -> None:
    late, early = put("late", at=START + timedelta(hours=1)), put("early", at=START)
    journal = Journal(log_path)
    journal.append([late, early, late])
    with open(log_path, "ab") as out:
        out.write(b"garbage line\n")
        out.write(b'{"torn":')
    mode = 0o640
    os.chmod(log_path, mode)
    done = journal.compact()
    assert (done.kept, done.dropped, done.rejected) == (2, 1, 2)
    assert done.side is not None and done.side.read_bytes() == b'garbage line\n{"torn":\n'
    checked = CheckedLog(log_path, keep=False)
    assert len(list(checked)) == 2 and not checked.problems
    assert [e["rec"]["text"] for e in Journal(log_path).read().events] == ["early", "late"]
    assert os.stat(log_path).st_mode & 0o777 == mode
    before = log_path.read_bytes()
    journal.compact()
    assert log_path.read_bytes() == before  # compaction is idempotent


def test_compact_writes_each_event_in_canonical_form_once(log_path: Path) -> None:
    """Lines copied as they are when canonical, written anew when not, each event once."""
    rec = new_record("outcome", "tiny", team="payments", author="Ana", at=START)
    small, plain = put(rec={**rec, "baseline": 1e-05}), put("plain")
    edit = put(rec={**plain["rec"], "text": "edited"}, prev=plain["rev"],
               at=START + timedelta(seconds=1))  # fmt: skip
    spaced = json.dumps(plain, sort_keys=True).encode()  # the same event, other bytes
    Journal(log_path).append([edit, small, plain, small])
    with open(log_path, "ab") as out:
        out.write(spaced + b"\n" + ev.header() + b"\n" + ev.encode(edit))
    done = Journal(log_path).compact()
    assert (done.kept, done.dropped, done.rejected) == (3, 3, 0)
    body = sorted({ev.encode(e) for e in (plain, edit, small)},
                  key=lambda line: (json.loads(line)["rev"], json.loads(line)["id"], line))
    assert log_path.read_bytes() == b"".join(ev.rewritten(ev.VERSION, body))


def test_rev_time_is_utc() -> None:
    event = put(at=datetime(2026, 1, 1, 0, 30, tzinfo=UTC))
    assert ev.rev_time(event["rev"]) == datetime(2026, 1, 1, 0, 30, tzinfo=UTC)


def test_the_collector_is_held_off_only_while_a_log_is_built() -> None:
    import gc

    from retro.bulk import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: the inner one leaves it off
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    try:
        with gc_paused(freeze=True):
            kept = [{"a": [n]} for n in range(1000)]
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
