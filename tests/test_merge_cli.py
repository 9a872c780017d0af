"""`retro merge` and `retro decision alias` on real files, through the command line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from retro.cli import cli
from retro.model import MAX_LINE_BYTES, new_record
from retro.store import Repository
from retro.store.events import content_hash, encode, header, make_event, parse_header
from tests.conftest import START, Clock

Run = Callable[..., Result]
Pair = tuple[Path, Path, list[str], str]
Logs = tuple[Path, list[bytes], list[bytes]]
Decisions = tuple[Path, str, str, str, str]


@pytest.fixture
def run() -> Run:
    """Run retro in-process; ``log`` is given as ``--log``."""
    runner = CliRunner()

    def invoke(*args: str | Path, log: Path | None = None) -> Result:
        full = (["--log", str(log)] if log else []) + [str(arg) for arg in args]
        return runner.invoke(cli, full, catch_exceptions=False)

    return invoke


def retro_process(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run retro as its own process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "retro", *(str(arg) for arg in args)],
        capture_output=True, text=True, timeout=60, env=os.environ.copy(), check=False,
    )  # fmt: skip


def report(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def figures(entry: dict[str, Any]) -> tuple[int, ...]:
    """(events read, new, updated, deleted, duplicates skipped) of one input."""
    keys = ("events_read", "new_records", "updated_records", "deletions", "duplicates_skipped")
    return tuple(entry[key] for key in keys)


def current(run: Run, log: Path) -> dict[str, dict[str, Any]]:
    """The current records of ``log``, by id, as `retro log --format json` lists them."""
    result = run("log", "--format", "json", log=log)
    assert result.exit_code == 0, result.stderr
    return {rec["id"]: rec for rec in json.loads(result.stdout)}


def events(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_bytes().splitlines()[1:]]


def open_repo(path: Path, author: str, clock: Callable[[], datetime]) -> Repository:
    return Repository(path, author=author, team="payments", clock=clock)


@pytest.fixture
def pair(tmp_path: Path, clock: Clock) -> Pair:
    """A: three entries. B: a copy of A, then one edit, one deletion and one new entry."""
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    repo = open_repo(a, "Ana", clock)
    ids = [repo.add("outcome", text)["id"] for text in ("One", "Two", "Three")]
    shutil.copyfile(a, b)
    other = open_repo(b, "Bo", clock).load()
    other.edit(ids[0], text="One, revised")
    other.remove(ids[1])
    new = other.add("outcome", "Four")["id"]
    return a, b, ids, new


# --- the properties of a merge -------------------------------------------------------------


def test_merge_gives_the_same_bytes_in_either_order(run: Run, pair: Pair, tmp_path: Path) -> None:
    a, b, ids, new = pair
    ab, ba = tmp_path / "ab.jsonl", tmp_path / "ba.jsonl"
    assert run("merge", a, b, "-o", ab).exit_code == 0
    assert run("merge", b, a, "-o", ba).exit_code == 0
    assert ab.read_bytes() == ba.read_bytes()
    lines = ab.read_bytes().splitlines(keepends=True)
    assert parse_header(lines[0], "ab") == (1, 0) and b'"gen":' in lines[0]
    assert len(lines) == 1 + 6  # three adds, one edit, one deletion, one add: no duplicate
    assert set(current(run, ab)) == {ids[0], ids[2], new}


def test_merging_a_merge_with_itself_changes_nothing(run: Run, pair: Pair, tmp_path: Path) -> None:
    a, b, _, _ = pair
    out, again, more = tmp_path / "out.jsonl", tmp_path / "again.jsonl", tmp_path / "more.jsonl"
    assert run("merge", a, b, "-o", out).exit_code == 0
    assert run("merge", out, out, "-o", again).exit_code == 0
    assert again.read_bytes() == out.read_bytes()
    assert run("merge", out, a, b, "-o", more).exit_code == 0
    assert more.read_bytes() == out.read_bytes()


def test_report_counts_what_each_input_brought(run: Run, pair: Pair, tmp_path: Path) -> None:
    a, b, ids, new = pair
    out = tmp_path / "out.jsonl"
    data = report(run("merge", a, b, "-o", out, "--format", "json"))
    first, second = data["inputs"]
    assert first["source"] == str(a) and second["source"] == str(b)
    assert figures(first) == (3, 3, 0, 0, 0)
    assert figures(second) == (6, 1, 1, 1, 3)
    assert first["rejected"] == second["rejected"] == 0
    assert data["output"] == str(out)
    assert data["events"] == 6 and data["records"] == 4
    assert data["rejected"] == 0 and data["rejected_file"] is None
    assert data["concurrent_edits"] == [] and data["possible_duplicate_decisions"] == []
    texts = {rid: rec["text"] for rid, rec in current(run, out).items()}
    assert texts == {ids[0]: "One, revised", ids[2]: "Three", new: "Four"}


def test_table_report_lists_every_input(run: Run, pair: Pair, tmp_path: Path) -> None:
    a, b, _, _ = pair
    out = tmp_path / "out.jsonl"
    result = run("merge", a, b, "-o", out)
    assert result.exit_code == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()}
    assert rows["a.jsonl"] == ["3", "3", "0", "0", "0", "0"]
    assert rows["b.jsonl"] == ["6", "1", "1", "1", "3", "0"]
    assert f"merged: 6 events, 4 records -> {out}" in result.stdout


def test_merge_into_an_existing_log(run: Run, pair: Pair, tmp_path: Path, clock: Clock) -> None:
    a, b, ids, new = pair
    target = tmp_path / "team.jsonl"
    own = open_repo(target, "Cy", clock).add("lesson", "Flags need owners")["id"]
    before = tmp_path / "before.jsonl"
    shutil.copyfile(target, before)

    data = report(run("merge", a, "--into", target, "--format", "json"))
    assert figures(data["inputs"][0]) == (3, 3, 0, 0, 0)
    assert data["output"] == str(target)
    assert set(current(run, target)) == {own, *ids}
    expected = tmp_path / "expected.jsonl"
    assert run("merge", before, a, "-o", expected).exit_code == 0
    assert target.read_bytes() == expected.read_bytes()

    merged = target.read_bytes()
    data = report(run("merge", a, "--into", target, "--format", "json"))
    assert target.read_bytes() == merged
    assert figures(data["inputs"][0]) == (3, 0, 0, 0, 3)  # every event was a duplicate

    # b.jsonl is not named after the team: its changes to payments' records are accepted
    # explicitly (tests/test_trust.py shows them held back otherwise).
    data = report(run("merge", b, "--into", target, "--accept-foreign", "--format", "json"))
    assert figures(data["inputs"][0]) == (6, 1, 1, 1, 3)
    assert set(current(run, target)) == {own, ids[0], ids[2], new}


def test_dry_run_writes_nothing(run: Run, pair: Pair, tmp_path: Path, clock: Clock) -> None:
    a, b, _, _ = pair
    out = tmp_path / "out.jsonl"
    result = run("merge", a, b, "-o", out, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert not out.exists()
    assert "merged: 6 events, 4 records -> (dry run)" in result.stdout
    assert "a.jsonl" in result.stdout and "b.jsonl" in result.stdout

    target = tmp_path / "team.jsonl"
    open_repo(target, "Cy", clock).add("lesson", "Flags need owners")
    before = target.read_bytes()
    data = report(run("merge", a, b, "--into", target, "--dry-run", "--format", "json"))
    assert target.read_bytes() == before
    assert figures(data["inputs"][0]) == (3, 3, 0, 0, 0)
    assert data["output"] == "(dry run)" and data["records"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "b.jsonl", "team.jsonl"]


def test_merge_needs_somewhere_to_write(run: Run, pair: Pair) -> None:
    a, b, _, _ = pair
    result = run("merge", a, b)
    assert result.exit_code == 2
    assert "-o OUT, or --into LOG" in result.stderr


# --- concurrent edits, duplicate decisions, deletions --------------------------------------


def test_concurrent_edits_keep_both_revisions(run: Run, tmp_path: Path, clock: Clock) -> None:
    base = tmp_path / "base.jsonl"
    repo = open_repo(base, "Ana", clock)
    x = repo.add("outcome", "Refunds take five days")["id"]
    y = repo.add("outcome", "Payouts are daily")["id"]
    base_rev = events(base)[0]["rev"]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    shutil.copyfile(base, a)
    shutil.copyfile(base, b)
    later = START.replace(hour=15)  # both sides edit at the same moment: a true tie on time
    open_repo(a, "Ana", Clock(later)).load().edit(x, text="Refunds take two days")
    open_repo(b, "Bo", Clock(later)).load().edit(x, text="Refunds take one day")
    rev_a, rev_b = events(a)[-1]["rev"], events(b)[-1]["rev"]

    ab, ba = tmp_path / "ab.jsonl", tmp_path / "ba.jsonl"
    data = report(run("merge", a, b, "-o", ab, "--format", "json"))
    assert report(run("merge", b, a, "-o", ba, "--format", "json"))["concurrent_edits"] == \
        data["concurrent_edits"]  # fmt: skip
    assert ab.read_bytes() == ba.read_bytes()

    [edit] = data["concurrent_edits"]
    assert edit["record_id"] == x and edit["base"] == base_rev
    assert sorted((rev, by, op) for rev, by, op in edit["revisions"]) == sorted(
        [(rev_a, "Ana", "put"), (rev_b, "Bo", "put")]
    )
    assert edit["winner"] == max(rev_a, rev_b)
    winning_text = "Refunds take two days" if rev_a > rev_b else "Refunds take one day"
    assert edit["title"] == winning_text

    history = run("show", x, "--history", log=ab)
    assert history.exit_code == 0, history.stderr
    for rev in (base_rev, rev_a, rev_b):
        assert rev in history.stdout
    for log in (ab, ba):
        records = current(run, log)
        assert records[x]["text"] == winning_text
        assert records[y]["text"] == "Payouts are daily"

    table = run("merge", a, b, "-o", tmp_path / "t.jsonl")
    assert "Concurrent edits (1)" in table.stdout
    assert "Ana (edited)" in table.stdout and "Bo (edited)" in table.stdout


def test_report_suggests_aliasing_duplicate_decisions(
    run: Run, tmp_path: Path, clock: Clock
) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first = open_repo(a, "Ana", clock).add("decision", "Grow self-serve revenue")["id"]
    open_repo(a, "Ana", clock).add("decision", "Retire the legacy checkout")
    second = open_repo(b, "Bo", clock).add("decision", "Grow the self-serve revenue")["id"]
    out = tmp_path / "out.jsonl"
    data = report(run("merge", a, b, "-o", out, "--format", "json"))
    [dup] = data["possible_duplicate_decisions"]
    assert (dup["first"], dup["second"]) == (first, second)
    assert dup["first_title"] == "Grow self-serve revenue"
    assert dup["second_title"] == "Grow the self-serve revenue"
    assert 0.85 <= dup["similarity"] <= 1
    assert dup["command"] == f"retro decision alias {second[:8]} --to {first[:8]}"
    table = run("merge", a, b, "-o", tmp_path / "t.jsonl")
    assert dup["command"] in table.stdout

    args = dup["command"].split()[1:]  # the command as printed, on the merged log
    result = run(*args, log=out)
    assert result.exit_code == 0, result.stderr
    assert current(run, out)[second]["alias_of"] == first
    again = report(run("merge", out, "-o", tmp_path / "again.jsonl", "--format", "json"))
    assert again["possible_duplicate_decisions"] == []


def test_deletion_travels_in_either_order(run: Run, tmp_path: Path, clock: Clock) -> None:
    base = tmp_path / "base.jsonl"
    repo = open_repo(base, "Ana", clock)
    x = repo.add("outcome", "Refunds take five days")["id"]
    y = repo.add("outcome", "Payouts are daily")["id"]
    old, deleted, edited = (tmp_path / f"{name}.jsonl" for name in ("old", "deleted", "edited"))
    for copy in (old, deleted, edited):
        shutil.copyfile(base, copy)
    open_repo(deleted, "Ana", clock).load().remove(x)
    open_repo(edited, "Bo", clock).load().edit(x, text="Refunds take one day")  # after the rm

    one, two, three = (tmp_path / f"m{n}.jsonl" for n in (1, 2, 3))
    assert run("merge", deleted, old, "-o", one).exit_code == 0
    assert run("merge", old, deleted, "-o", two).exit_code == 0
    assert run("merge", one, old, "-o", three).exit_code == 0
    assert run("merge", old, "--into", one).exit_code == 0
    for log in (one, two, three):
        assert set(current(run, log)) == {y}
    shown = run("show", x, log=one)
    assert shown.exit_code != 0 and "deleted" in shown.stderr

    # A later edit on another copy does not bring the entry back: a deletion is final.
    mixed = tmp_path / "mixed.jsonl"
    data = report(run("merge", edited, deleted, "-o", mixed, "--format", "json"))
    assert set(current(run, mixed)) == {y}
    [edit] = data["concurrent_edits"]
    assert edit["record_id"] == x
    assert sorted(op for _, _, op in edit["revisions"]) == ["del", "put"]


# --- bad inputs -----------------------------------------------------------------------------


@pytest.fixture
def logs(tmp_path: Path, clock: Clock) -> Logs:
    """A good log (three entries); the lines of a copy with more (header, five events), and one
    spare event line."""
    good = tmp_path / "good.jsonl"
    repo = open_repo(good, "Ana", clock)
    ids = [repo.add("outcome", text)["id"] for text in ("One", "Two", "Three")]
    other = tmp_path / "other.jsonl"
    shutil.copyfile(good, other)
    more = open_repo(other, "Bo", clock).load()
    more.add("outcome", "Four")
    more.edit(ids[1], text="Two, revised")
    more.add("outcome", "Five")
    lines = other.read_bytes().splitlines(keepends=True)
    other.unlink()
    return good, lines[:-1], lines[-1:]  # header and four events; one spare event


def oversized_text_line() -> bytes:
    """An event that is valid in every way but one: its text is twice the limit."""
    rec = new_record("outcome", "short", team="payments", author="Ana", at=START)
    rec["text"] = "x" * 20_000
    event = make_event("put", rec["id"], rec=rec, prev=None, at=START, by="Ana", origin="zz")
    return encode(event)


LINE_CASES = ["corrupt", "torn", "long line", "long field"]


def damaged(case: str, lines: list[bytes], spare: list[bytes]) -> tuple[bytes, bytes, int]:
    """The bytes of a damaged log, its bad line (without newline) and that line's number."""
    if case == "torn":
        bad = spare[0][: len(spare[0]) // 2]
        return b"".join(lines) + bad, bad, len(lines) + 1
    bad = {
        "corrupt": b'{"at": "2026-11-27T10:30:00+01:00", "by": "Ana", "id": ',
        "long line": b'{"pad": "' + b"x" * (MAX_LINE_BYTES + 1000) + b'"}',
        "long field": oversized_text_line().rstrip(b"\n"),
    }[case]
    return b"".join([*lines[:3], bad + b"\n", *lines[3:]]), bad, 4


@pytest.mark.parametrize("case", ["csv", "newer major", "large file", *LINE_CASES])
def test_a_bad_input_stops_the_merge(
    case: str, logs: Logs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, lines, spare = logs
    bad = tmp_path / "bad.jsonl"
    if case == "large file":
        bad.write_bytes(b"".join(lines))
        limit = good.stat().st_size + 10
        monkeypatch.setenv("RETRO_MAX_LOG_BYTES", str(limit))
        expected = [f"over the {limit:,}-byte limit", "RETRO_MAX_LOG_BYTES"]
    elif case == "csv":
        bad.write_text("id,text,team\n1,Refunds take a day,payments\n")
        expected = ["not a retro log", "first line"]
    elif case == "newer major":
        newer = json.dumps({"format": "retro-log", "version": "2.0"}).encode() + b"\n"
        bad.write_bytes(newer + b"".join(lines[1:]))
        expected = ["newer retro", "2.0"]
    else:
        data, _, number = damaged(case, lines, spare)
        bad.write_bytes(data)
        what = {
            "corrupt": "not valid JSON",
            "torn": "the last line is incomplete",
            "long line": f"over the {MAX_LINE_BYTES:,}-byte limit",
            "long field": "field 'text' must be text of at most 10,000 characters",
        }[case]
        expected = [f"bad.jsonl: line {number}: ", what, "nothing was written"]
    target = tmp_path / "team.jsonl"
    shutil.copyfile(good, target)
    before = target.read_bytes()
    out = tmp_path / "out.jsonl"
    wheres: list[list[str | Path]] = [["-o", out], ["--into", target]]
    for where in wheres:
        for order in ([good, bad], [bad, good]):
            done = retro_process("merge", *order, *where)
            assert done.returncode != 0
            assert "Traceback" not in done.stderr
            assert str(bad) in done.stderr
            for text in expected:
                assert text in done.stderr, done.stderr
            assert len(done.stderr.splitlines()) == 1
    assert not out.exists()
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "good.jsonl", "team.jsonl"]


@pytest.mark.parametrize("case", LINE_CASES)
def test_skip_bad_sets_damaged_lines_aside(case: str, logs: Logs, tmp_path: Path, run: Run) -> None:
    good, lines, spare = logs
    data, bad_line, _ = damaged(case, lines, spare)
    bad, clean = tmp_path / "bad.jsonl", tmp_path / "clean.jsonl"
    bad.write_bytes(data)
    clean.write_bytes(b"".join(lines))
    out, expected = tmp_path / "out.jsonl", tmp_path / "expected.jsonl"
    data_report = report(run("merge", good, bad, "-o", out, "--skip-bad", "--format", "json"))
    side = tmp_path / "out.jsonl.rejected"
    assert data_report["rejected"] == 1
    assert data_report["rejected_file"] == str(side)
    assert [entry["rejected"] for entry in data_report["inputs"]] == [0, 0]
    assert side.read_bytes() == bad_line + b"\n"  # verbatim
    assert run("merge", good, clean, "-o", expected).exit_code == 0
    assert out.read_bytes() == expected.read_bytes()  # every good line merged
    table = run("merge", good, bad, "-o", tmp_path / "t.jsonl", "--skip-bad")
    assert f"rejected: 1 damaged lines, verbatim in {tmp_path / 't.jsonl.rejected'}" in \
        table.stdout  # fmt: skip


def test_dry_run_with_skip_bad_writes_nothing(logs: Logs, tmp_path: Path, run: Run) -> None:
    good, lines, spare = logs
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(damaged("corrupt", lines, spare)[0])
    out = tmp_path / "out.jsonl"
    data = report(run("merge", good, bad, "-o", out, "--skip-bad", "--dry-run", "--format",
                      "json"))  # fmt: skip
    assert data["rejected"] == 1 and data["rejected_file"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "good.jsonl"]


# --- format versions ------------------------------------------------------------------------


def future_event(rid: str, text: str) -> dict[str, Any]:
    """An event from a newer minor version: unknown fields on the event and on the record."""
    rec = new_record("outcome", text, team="payments", author="Ana", at=START)
    rec["id"] = rid
    rec["mood"] = "hopeful"
    rec["scores"] = {"reach": [1, 2, 3]}
    event = make_event("put", rid, rec=rec, prev=None, at=START, by="Ana", origin="future")
    event["signature"] = {"key": "k1", "sig": "abc"}
    event["rev"] = event["rev"][:-16] + content_hash(event)
    return event


def test_unknown_fields_survive_a_merge(run: Run, pair: Pair, tmp_path: Path) -> None:
    a, _, _, _ = pair
    old = tmp_path / "old.jsonl"
    event = future_event(str(uuid.uuid4()), "Refunds take one day")
    old.write_bytes(header((1, 0)) + encode(event))
    for order in ([a, old], [old, a]):
        out = tmp_path / "out.jsonl"
        assert run("merge", *order, "-o", out).exit_code == 0
        assert encode(event) in out.read_bytes().splitlines(keepends=True)
        [kept] = [e for e in events(out) if e["id"] == event["id"]]
        assert kept["signature"] == {"key": "k1", "sig": "abc"}
        assert kept["rec"]["mood"] == "hopeful" and kept["rec"]["scores"] == {"reach": [1, 2, 3]}
        verified = run("verify", "--log", out)
        assert verified.exit_code == 0 and "healthy" in verified.stdout
    assert current(run, out)[event["id"]]["text"] == "Refunds take one day"


def test_the_newest_minor_version_is_kept(run: Run, pair: Pair, tmp_path: Path) -> None:
    a, b, _, _ = pair
    newer = tmp_path / "newer.jsonl"
    event = future_event(str(uuid.uuid4()), "Refunds take one day")
    v13 = header((1, 3))
    assert v13 == b'{"format":"retro-log","version":"1.3"}\n'
    newer.write_bytes(v13 + encode(event))
    for order in ([a, newer], [newer, a]):
        out = tmp_path / "out.jsonl"
        assert run("merge", *order, "-o", out).exit_code == 0
        assert parse_header(out.read_bytes().split(b"\n")[0], "out") == (1, 3)
    assert run("merge", newer, "--into", b).exit_code == 0
    assert parse_header(b.read_bytes().split(b"\n")[0], "b") == (1, 3)
    assert run("merge", a, "--into", b).exit_code == 0  # a 1.0 input keeps the log at 1.3
    assert parse_header(b.read_bytes().split(b"\n")[0], "b") == (1, 3)
    assert event["id"] in current(run, b)


# --- decision alias -------------------------------------------------------------------------


@pytest.fixture
def decisions(tmp_path: Path, clock: Clock) -> Decisions:
    log = tmp_path / "team.jsonl"
    repo = open_repo(log, "Ana", clock)
    first = repo.add("decision", "Grow self-serve revenue")["id"]
    second = repo.add("decision", "Grow the self-serve revenue")["id"]
    third = repo.add("decision", "Retire the legacy checkout")["id"]
    outcome = repo.add("outcome", "Conversion up 3%")["id"]
    return log, first, second, third, outcome


def test_alias_marks_one_decision_as_another(run: Run, decisions: Decisions) -> None:
    log, first, second, third, _ = decisions
    result = run("decision", "alias", second[:8], "--to", first[:8], log=log)
    assert result.exit_code == 0, result.stderr
    assert f"Decision {second[:8]} is now counted as {first[:8]}" in result.stderr
    records = current(run, log)
    assert records[second]["alias_of"] == first
    assert records[first].get("alias_of") is None and records[third].get("alias_of") is None
    # by a fragment of the title, too
    result = run("decision", "alias", "legacy checkout", "--to", first, log=log)
    assert result.exit_code == 0, result.stderr
    assert current(run, log)[third]["alias_of"] == first


@pytest.mark.parametrize(
    "full",
    [False, True],
    ids=["prefix", "full id"],
)
def test_alias_refuses_a_non_decision(run: Run, decisions: Decisions, full: bool) -> None:
    log, first, _, _, outcome = decisions
    ref = outcome if full else outcome[:8]
    before = log.read_bytes()
    for args in (["decision", "alias", ref, "--to", first],
                 ["decision", "alias", first, "--to", ref]):  # fmt: skip
        result = run(*args, log=log)
        assert result.exit_code in (1, 2), result.stdout
        assert ref in result.stderr
        assert log.read_bytes() == before
    assert current(run, log)[outcome].get("alias_of") is None


def test_alias_refuses_itself_and_cycles(run: Run, decisions: Decisions) -> None:
    log, first, second, third, _ = decisions
    before = log.read_bytes()
    result = run("decision", "alias", first[:8], "--to", first[:8], log=log)
    assert result.exit_code == 2
    assert "cycle" in result.stderr
    assert log.read_bytes() == before

    assert run("decision", "alias", first[:8], "--to", second[:8], log=log).exit_code == 0
    assert run("decision", "alias", second[:8], "--to", third[:8], log=log).exit_code == 0
    after = log.read_bytes()
    for ref in (second, third):  # directly, and through another alias
        result = run("decision", "alias", ref[:8], "--to", first[:8], log=log)
        assert result.exit_code == 2
        assert "would make a cycle" in result.stderr
        assert "Traceback" not in result.stderr
    assert log.read_bytes() == after
    records = current(run, log)
    assert records[first]["alias_of"] == second and records[second]["alias_of"] == third
    assert records[third].get("alias_of") is None


def test_skip_bad_sets_nothing_aside_when_the_merge_fails(tmp_path: Path) -> None:
    """A failed merge leaves no .rejected file, and re-running does not copy lines twice."""
    import subprocess
    import sys

    from retro.store import Repository

    good = tmp_path / "good.jsonl"
    Repository(good, author="a", team="t").add("output", "one")
    with open(good, "ab") as out:
        out.write(b"{broken\n")
    out_file = tmp_path / "out.jsonl"
    args = [sys.executable, "-m", "retro", "merge", str(good), "--skip-bad", "-o", str(out_file)]
    failed = subprocess.run([*args[:4], str(tmp_path / "missing.jsonl"), *args[4:]],
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert failed.returncode == 1 and not out_file.exists()
    assert not out_file.with_name("out.jsonl.rejected").exists()
    for _ in range(2):
        assert subprocess.run(args, capture_output=True, check=False).returncode == 0
    assert out_file.with_name("out.jsonl.rejected").read_bytes() == b"{broken\n"


def _synced(path: Path) -> None:
    """Check ``path`` the way verify does, leaving what it learned in the cache."""
    from retro.store.cachedb import cache_file
    from retro.store.checked import SUFFIX, CheckedLog

    list(CheckedLog(path))
    kept = cache_file(path, SUFFIX)
    assert kept is not None and kept.exists()


def test_a_log_checked_before_merges_as_one_never_checked(run: Run, tmp_path: Path,
                                                     clock: Clock) -> None:  # fmt: skip
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    ana, bo = open_repo(a, "Ana", clock), open_repo(b, "Bo", clock)
    first = ana.add("lesson", "Flags need owners")["id"]
    bo.add("output", "Shipped refunds")
    ana.edit(first, fields={"text": "Every flag needs an owner"})
    with b.open("ab") as out:
        out.write(b'{"not": "an event"}\n')
    cold = report(run("merge", a, b, "-o", tmp_path / "cold.jsonl", "--skip-bad",
                      "--format", "json"))  # fmt: skip
    _synced(a)
    _synced(b)
    warm = report(run("merge", a, b, "-o", tmp_path / "warm.jsonl", "--skip-bad",
                      "--format", "json"))  # fmt: skip
    assert (tmp_path / "warm.jsonl").read_bytes() == (tmp_path / "cold.jsonl").read_bytes()
    assert {k: v for k, v in warm.items() if not k.endswith(("output", "_file"))} == \
        {k: v for k, v in cold.items() if not k.endswith(("output", "_file"))}  # fmt: skip
    assert warm["rejected"] == 1


def test_a_log_changed_in_place_after_a_check_is_checked_again(
    run: Run, tmp_path: Path, clock: Clock
) -> None:
    log = tmp_path / "a.jsonl"
    repo = open_repo(log, "Ana", clock)
    for text in ("Flags need owners", "Refunds settle in a day", "Payouts on time"):
        repo.add("lesson", text)
    _synced(log)
    data = log.read_bytes()
    forged = data.replace(b"Refunds settle in a day", b"Refunds settle in 9 day")
    assert len(forged) == len(data) and forged != data
    with log.open("r+b") as out:  # the same file, the same size, the same last bytes
        out.write(forged)
    done = run("merge", log, "-o", tmp_path / "out.jsonl")
    assert done.exit_code != 0
    assert "line 3:" in done.stderr and "does not match its revision" in done.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_a_merge_is_written_in_one_pass_with_the_header_naming_its_lines(
    run: Run, tmp_path: Path, clock: Clock
) -> None:
    from retro.store.events import generation, header, rewritten

    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    open_repo(a, "Ana", clock).add("lesson", "Flags need owners")
    open_repo(b, "Bo", clock).add("output", "Shipped refunds")
    run("merge", a, b, "-o", tmp_path / "out.jsonl")
    first, *body = (tmp_path / "out.jsonl").read_bytes().splitlines(keepends=True)
    assert len(body) == 2 and first == header((1, 0), generation(body))
    assert [first, *body] == rewritten((1, 0), body)
