"""The snapshot: a derived cache that reads exactly what a full replay of the log reads."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from retro.errors import LogError
from retro.merging import merge_logs
from retro.model import Record
from retro.store import Repository
from retro.store.cachedb import cache_dir
from retro.store.events import DEL, replay
from retro.store.journal import Journal
from retro.store.snapshot import snapshot_file
from retro.trust import Trust
from tests.conftest import LOG_PLANS, Clock, append_raw


def replayed(path: Path) -> dict[str, Record]:
    """The current records by a full replay of the log, without any snapshot."""
    heads = replay(Journal(path).read().events)
    return {rid: event["rec"] for rid, event in heads.items() if event["op"] != DEL}


def state(repo: Repository) -> dict[str, Record]:
    return dict(repo.records().items())


def fresh(path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Repository:
    """A repository whose snapshot is built from nothing, in a cache folder of its own."""
    monkeypatch.setenv("RETRO_CACHE_DIR", str(cache))
    repo = Repository(path, author="Zoe", team="payments").load()
    monkeypatch.delenv("RETRO_CACHE_DIR")
    return repo


TRUST_ALL = Trust(now=datetime.now(UTC) + timedelta(days=36500), accept_foreign=True)

# What happens to a log between two reads: appends by other writers, edits, deletions and
# restores, a compaction, a merge into it, a torn line, a damaged line.
steps = st.lists(
    st.sampled_from(["add", "add", "edit", "remove", "restore", "compact", "merge", "torn",
                     "finish", "garbage"]),
    min_size=1, max_size=14,
)  # fmt: skip


@LOG_PLANS
@given(plan=steps, picks=st.randoms(use_true_random=False))
def test_reading_through_the_snapshot_gives_what_a_full_replay_gives(
    plan: list[str], picks: random.Random, tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    folder = tmp_path_factory.mktemp("log")
    path, other = folder / "log.jsonl", folder / "other.jsonl"
    clock = Clock()
    reader = Repository(path, author="Ana", team="payments", clock=clock)
    writer = Repository(path, author="Bo", team="payments", clock=clock)
    theirs = Repository(other, author="Cy", team="payments", clock=clock)
    writer.add("output", "first")
    theirs.add("decision", "theirs")
    reader.load()
    rng = picks
    for step in plan:
        live = sorted(replayed(path))
        gone = sorted(set(replay(Journal(path).read().events)) - set(live))
        if step == "add":
            writer.add("outcome", f"outcome {len(live)}", links=live[:1])
        elif step == "edit" and live:
            writer.load().edit(rng.choice(live), text=f"edited {rng.random()}")
        elif step == "remove" and live:
            writer.load().remove(rng.choice(live))
        elif step == "restore" and gone:
            writer.load().restore(rng.choice(gone))
        elif step == "compact":
            Journal(path).compact()
        elif step == "merge":
            theirs.add("lesson", f"lesson {len(live)}")
            read = Journal(path).read()
            if read.problems or read.incomplete_tail:  # a merge asks for a sound log
                Journal(path).compact()
            merge_logs([other], into=path, trust=TRUST_ALL)
        else:
            append_raw(path, step)
        reader.refresh()
        assert state(reader) == replayed(path)
    assert state(fresh(path, folder / "cold", monkeypatch)) == replayed(path)
    assert len(reader.problems) == len(Journal(path).read().problems)
    ordered = sorted(replayed(path).values(), key=lambda rec: rec["created_at"])
    assert [r["created_at"] for r in reader.all()] == [r["created_at"] for r in ordered]


def test_refresh_names_what_another_process_changed(
    make_repo: Callable[..., Repository],
) -> None:
    mine, theirs = make_repo().load(missing_ok=True), make_repo(author="Bo")
    first = theirs.add("output", "one")
    assert mine.refresh() == {first["id"]}
    theirs.load().edit(first["id"], text="one, edited")
    assert mine.refresh() == {first["id"]} and mine.get(first["id"])["text"] == "one, edited"
    assert mine.refresh() == set()


def test_a_damaged_snapshot_is_rebuilt(repo: Repository, log_path: Path) -> None:
    rec = repo.add("output", "kept")
    repo.load()
    target = snapshot_file(log_path)
    assert target is not None and target.exists()
    repo._snapshot.close()
    target.write_bytes(b"this is not a database" * 100)
    again = Repository(log_path, author="Ana", team="payments").load()
    assert again.get(rec["id"])["text"] == "kept"
    assert sqlite3.connect(target).execute("SELECT count(*) FROM heads").fetchone() == (1,)


def test_a_snapshot_of_another_version_is_rebuilt(repo: Repository, log_path: Path) -> None:
    rec = repo.add("output", "kept")
    repo.load()._snapshot.close()
    target = snapshot_file(log_path)
    assert target is not None
    with sqlite3.connect(target) as db:
        db.execute("UPDATE meta SET value = '[0, \"0.0\"]' WHERE key = 'schema'")
        db.execute("DELETE FROM heads")
    again = Repository(log_path, author="Ana", team="payments").load()
    assert again.get(rec["id"])["text"] == "kept"


def test_a_planted_link_in_the_cache_is_not_followed(repo: Repository, log_path: Path,
                                                     tmp_path: Path) -> None:  # fmt: skip
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = snapshot_file(log_path)
    assert target is not None
    target.symlink_to(victim)
    rec = repo.add("output", "kept")
    assert repo.load().get(rec["id"])["text"] == "kept"
    assert victim.read_text() == "precious" and not target.is_symlink()


def test_a_cache_folder_others_can_write_is_not_used(
    repo: Repository, log_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setenv("RETRO_CACHE_DIR", str(shared))
    assert cache_dir() == shared and snapshot_file(log_path) is None
    rec = repo.add("output", "kept")
    assert repo.load().get(rec["id"])["text"] == "kept"  # kept in memory instead
    assert list(shared.iterdir()) == []


def test_a_folder_where_the_snapshot_goes_means_reading_without_one(
    repo: Repository, log_path: Path
) -> None:
    target = snapshot_file(log_path)
    assert target is not None
    target.mkdir()
    (target / "keep").write_text("x")
    rec = repo.add("output", "kept")
    assert repo.load().get(rec["id"])["text"] == "kept"
    assert (target / "keep").read_text() == "x"


def test_a_line_changed_in_place_is_caught(repo: Repository, log_path: Path) -> None:
    rec = repo.add("output", "kept")
    repo.add("output", "the last line")
    repo.load()
    data = log_path.read_bytes()
    rev = next(e["rev"] for e in Journal(log_path).read().events if e["id"] == rec["id"])
    log_path.write_bytes(data.replace(rev.encode(), ("3" + rev[1:]).encode()))  # in place
    reader = Repository(log_path, author="Ana", team="payments").load()
    with pytest.raises(LogError, match="changed while it was read"):
        reader.get(rec["id"])
    again = Repository(log_path, author="Ana", team="payments").load()  # built anew
    assert again.get(rec["id"])["text"] == "kept"  # its new revision, read from the line


def _many(path: Path, count: int) -> None:
    clock = Clock()
    repo = Repository(path, author="Ana", team="payments", clock=clock, origin="bulk")
    from retro.store.writer import Writer

    writer = Writer("Ana", clock, "bulk")
    events = [writer.new_entry("output", f"output number {n} " + "x" * 300, team="payments")[1]
              for n in range(count)]  # fmt: skip
    repo._journal.append(events)


def test_a_reader_killed_while_it_writes_the_snapshot_leaves_the_next_read_right(
    tmp_path: Path,
) -> None:
    log = tmp_path / "big.jsonl"
    _many(log, 20_000)
    env = {**os.environ, "RETRO_CACHE_DIR": str(tmp_path / "cache"), "RETRO_LOG": str(log)}
    command = [sys.executable, "-m", "retro", "log", "--format", "jsonl"]
    (tmp_path / "cache").mkdir()
    started = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    killed = False
    while started.poll() is None:  # kill it once it is writing the snapshot's pages
        wal = next((tmp_path / "cache").glob("*.sqlite3-wal"), None)
        if wal is not None and wal.exists() and wal.stat().st_size > 1_000_000:
            started.send_signal(signal.SIGKILL)
            killed = True
        time.sleep(0.002)
    assert killed, "the reader finished before it wrote much of its snapshot"
    after = subprocess.run(command, env=env, capture_output=True, check=True).stdout
    clean = {**env, "RETRO_CACHE_DIR": str(tmp_path / "clean")}
    expected = subprocess.run(command, env=clean, capture_output=True, check=True).stdout
    assert after == expected and after.count(b"\n") == 20_000


WRITER = Path(__file__).with_name("writer_proc.py")


def test_readers_and_writers_at_once_share_one_snapshot(tmp_path: Path) -> None:
    """Two writer processes append while reader processes and a long-lived reader catch the
    shared snapshot up: every read succeeds, and the last one is a full replay's state."""
    log = tmp_path / "log.jsonl"
    env = {**os.environ, "RETRO_CACHE_DIR": str(tmp_path / "cache"), "RETRO_LOG": str(log)}
    Repository(log, author="Ana", team="payments").add("decision", "the first line")
    writers = [subprocess.Popen([sys.executable, str(WRITER), str(log), "--count", "150",
                                 "--seed", str(seed)], env=env, stdout=subprocess.DEVNULL)
               for seed in (1, 2)]  # fmt: skip
    mine = Repository(log, author="Ana", team="payments").load()
    seen = 0
    while any(writer.poll() is None for writer in writers):
        read = subprocess.run([sys.executable, "-m", "retro", "log", "--format", "jsonl"],
                              env=env, capture_output=True, check=True)  # fmt: skip
        seen = max(seen, read.stdout.count(b"\n"))
        mine.refresh()
    assert all(writer.returncode == 0 for writer in writers)
    mine.refresh()
    assert state(mine) == replayed(log) and len(replayed(log)) == 301
    assert seen <= 301


def test_a_log_that_cannot_be_read_leaves_no_snapshot(tmp_path: Path) -> None:
    for name, content in (("missing.jsonl", None), ("garbage.jsonl", b"garbage\n"),
                          ("empty.jsonl", b"")):  # fmt: skip
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(LogError):
            Repository(path, author="Ana", team="payments").load()
        target = snapshot_file(path)
        assert target is not None and not target.exists(), name
