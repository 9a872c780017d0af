"""Reliability of the log with real processes on real files.

Writers killed with SIGKILL at random instants, writers running at once, torn writes,
and bad inputs given to the command line. Every command runs in a subprocess with its
own config file, author and team, and the log named with ``--log``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from retro.model import MAX_LINE_BYTES, MAX_TEXT_CHARS
from retro.store import Repository
from retro.store.events import content_hash, encode

WRITER = Path(__file__).with_name("writer_proc.py")
_SCRIPT = Path(sys.executable).with_name("retro")
RETRO = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "retro"]
TIMEOUT = 180  # seconds for one process: generous, for slow and busy machines
SEED = 20261127
KILL_ROUNDS = 50

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DAMAGED = 0, 1, 2, 3

TEXTS = (
    "alpha: refunds take one day",
    "bravo: café payouts 🙂 are faster",
    "charlie: fewer alerts",
)


# --- helpers -------------------------------------------------------------------------------


def make_env(root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RETRO_")}
    env.update(RETRO_CONFIG=str(root / "config.toml"), RETRO_AUTHOR="tester", RETRO_TEAM="qa")
    return env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return make_env(tmp_path)


@dataclass
class Run:
    """What one command did."""

    code: int
    out: str
    err: str

    def __repr__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out[:3000]}\n--- stderr\n{self.err[:3000]}"


def execute(env: dict[str, str], *args: str, log: Path | str | None = None) -> Run:
    """Run ``retro [--log LOG] ARGS`` and return what it did (no checks)."""
    return _run([*RETRO, *(["--log", str(log)] if log is not None else []), *args], env)


def _run(cmd: list[str], env: dict[str, str]) -> Run:
    """Run ``cmd`` with no input, its output captured as text."""
    done = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          encoding="utf-8", errors="replace", timeout=TIMEOUT,
                          check=False)  # fmt: skip
    return Run(done.returncode, done.stdout, done.stderr)


def retro(env: dict[str, str], *args: str, log: Path | str | None = None) -> Run:
    """Run retro; whatever happens, it must not end in a traceback."""
    done = execute(env, *args, log=log)
    assert "Traceback" not in done.err, done
    assert "Traceback" not in done.out, done
    return done


def retro_argv(env: dict[str, str], tmp_path: Path, argv: list[str]) -> Run:
    """Run the command line's entry point in a fresh process with ``argv``.

    One command-line argument is limited to 128 KiB by the operating system; this
    hands the entry point arguments of any size.
    """
    spec = tmp_path / f"argv-{len(list(tmp_path.iterdir()))}.json"
    spec.write_text(json.dumps(argv), encoding="utf-8")
    code = (
        "import json, sys\n"
        "from retro.cli import main\n"
        "with open(sys.argv[1], encoding='utf-8') as f:\n"
        "    sys.argv = ['retro', *json.load(f)]\n"
        "main()\n"
    )
    run = _run([sys.executable, "-c", code, str(spec)], env)
    assert "Traceback" not in run.err, run
    return run


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listed(env: dict[str, str], log: Path) -> tuple[Run, list[str]]:
    """``retro log --format json``: the run and the ids it listed, oldest first."""
    done = retro(env, "log", "--format", "json", log=log)
    ids = [rec["id"] for rec in json.loads(done.out)] if done.out.strip() else []
    return done, ids


def compacted(env: dict[str, str], log: Path, *, set_aside: bytes) -> tuple[Run, Run]:
    """``retro compact`` then ``retro verify``: both succeed, and exactly ``set_aside``
    went to the side file. Returns both runs."""
    done = retro(env, "compact", log=log)
    assert done.code == EXIT_OK, done
    assert log.with_name(log.name + ".rejected").read_bytes() == set_aside
    report = retro(env, "verify", log=log)
    assert report.code == EXIT_OK, report
    return done, report


def load(log: Path) -> Repository:
    return Repository(log, author="tester", team="qa").load()


def complete_lines(data: bytes) -> list[str]:
    """The lines of ``data`` that were finished with a newline."""
    return [line.decode() for line in data.split(b"\n")[:-1]]


@dataclass
class Writer:
    """A writer process (see writer_proc.py) and the file its stderr goes to."""

    proc: subprocess.Popen[bytes]
    errors: Path

    def said(self) -> str:
        return self.errors.read_text(errors="replace")

    def wait_ready(self) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # unbuffered: reads no further than this line
        if line != b"ready\n":
            self.proc.kill()
            self.proc.wait(TIMEOUT)
            pytest.fail(f"the writer did not start: {line!r}\n{self.said()}")

    def finish(self) -> list[str]:
        """Wait for the writer to end; the ids it acknowledged since ``ready``."""
        out, _ = self.proc.communicate(timeout=TIMEOUT)
        return complete_lines(out)


@pytest.fixture
def spawned() -> Iterator[list[Writer]]:
    """Writers a test starts; any still running at its end are killed."""
    writers: list[Writer] = []
    yield writers
    for writer in writers:
        if writer.proc.poll() is None:
            writer.proc.kill()
            writer.proc.wait(TIMEOUT)
        if writer.proc.stdout:
            writer.proc.stdout.close()


def start_writer(spawned: list[Writer], env: dict[str, str], log: Path, *args: str) -> Writer:
    """Start a writer on ``log``; its stderr goes to ``<log>.<n>.err``."""
    errors = log.with_name(f"{log.name}.{len(spawned)}.err")
    with open(errors, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(log), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            bufsize=0,
        )
    writer = Writer(proc, errors)
    spawned.append(writer)
    return writer


# --- a real log to start from --------------------------------------------------------------


@pytest.fixture(scope="module")
def base_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[bytes], list[str]]:
    """A log written by the command line: its lines (newlines kept) and its three ids."""
    root = tmp_path_factory.mktemp("base")
    log = root / "base.jsonl"
    env = make_env(root)
    ids = []
    for text in TEXTS:
        done = retro(env, "checkin", text, log=log)
        assert done.code == EXIT_OK, done
        ids.append(done.out.strip())
    lines = log.read_bytes().splitlines(keepends=True)
    assert len(lines) == 4
    return lines, ids


def event_of(line: bytes) -> dict[str, object]:
    event: dict[str, object] = json.loads(line)
    return event


def resealed(event: dict[str, object]) -> bytes:
    """The line of ``event`` with its revision's hash matching its (changed) content."""
    rev = str(event["rev"])
    event["rev"] = rev[:-16] + content_hash(event)
    return encode(event)


# --- 1. writers killed at random instants ------------------------------------------------


@pytest.mark.slow
def test_writer_killed_at_random_instants_never_loses_an_acknowledged_entry(
    env: dict[str, str], tmp_path: Path, spawned: list[Writer]
) -> None:
    """Slow by nature (about 10 s): each round starts real writer processes and kills one
    at a random instant, so every kill costs a Python start-up."""
    log = tmp_path / "team.jsonl"
    first = retro(env, "checkin", "before the storm", log=log)
    assert first.code == EXIT_OK, first
    acked = [first.out.strip()]
    reader = load(log)  # kept open: it reads only what each round added
    rng = random.Random(SEED)
    torn: set[int] = set()  # where each torn last line starts
    for round_no in range(KILL_ROUNDS):
        writer = start_writer(spawned, env, log, "--seed", str(SEED + round_no), "--big-every", "8")
        writer.wait_ready()
        time.sleep(rng.uniform(0, 0.060))
        if round_no % 3 == 2:  # read while the writer writes: that must not raise either
            reader.refresh()
            assert len(reader.problems) <= len(torn), reader.problems
        os.kill(writer.proc.pid, signal.SIGKILL)
        acked += writer.finish()
        assert writer.proc.returncode == -signal.SIGKILL, writer.said()

        reader.refresh()
        present = {rec["id"] for rec in reader.all()}
        lost = [rid for rid in acked if rid not in present]
        assert not lost, f"round {round_no}: {len(lost)} acknowledged entries lost: {lost[:3]}"
        assert len(reader.problems) <= len(torn), reader.problems
        if not reader.incomplete_tail and round_no % 10 == 9:
            # The kernel seldom leaves a write half done, so some rounds end as if it had:
            # half of a line, no newline. The writers that follow must cope with it.
            data = log.read_bytes()
            last = data[data.rfind(b"\n", 0, -1) + 1 :]
            with open(log, "ab") as stream:
                stream.write(last[: len(last) // 2])
            reader.refresh()
            assert reader.incomplete_tail
        if reader.incomplete_tail:
            data = log.read_bytes()
            start = data.rfind(b"\n") + 1
            if start not in torn:
                torn.add(start)
                report = retro(env, "verify", log=log)
                assert report.code == EXIT_ERROR, report
                line = data.count(b"\n") + 1
                assert f"line {line}:" in report.out, report
                assert "incomplete" in report.out, report

    assert len(set(acked)) == len(acked)
    # A full read agrees with the reader that followed the log round by round.
    fresh = load(log)
    assert {rec["id"] for rec in fresh.all()} == {rec["id"] for rec in reader.all()}
    assert len(fresh.problems) == len(reader.problems)
    assert fresh.incomplete_tail == reader.incomplete_tail
    # The next append works after whatever the last kill left, and is readable.
    after = Repository(log, author="tester", team="qa").add("outcome", "after the storm")
    repo = load(log)
    assert not repo.incomplete_tail
    assert after["id"] in {rec["id"] for rec in repo.all()}
    assert log.read_bytes().endswith(b"\n")
    assert len(repo.problems) == len(torn), repo.problems
    for problem in repo.problems:
        assert "not valid JSON" in problem.message or "UTF-8" in problem.message, problem

    report = retro(env, "verify", log=log)
    assert report.code == (EXIT_ERROR if torn else EXIT_OK), report
    assert (f"{len(torn)} problems" if torn else "healthy") in report.out, report
    done = retro(env, "compact", log=log)
    assert done.code == EXIT_OK, done
    rejected = log.with_name(log.name + ".rejected")
    if torn:
        assert rejected.read_bytes().count(b"\n") == len(torn)
    else:
        assert not rejected.exists()
    report = retro(env, "verify", log=log)
    assert report.code == EXIT_OK and "healthy" in report.out, report
    present = {rec["id"] for rec in load(log).all()}
    assert set(acked) | {after["id"]} <= present
    print(f"{KILL_ROUNDS} kills, {len(acked)} acknowledged entries, {len(torn)} torn lines")


# --- 2. writers at once --------------------------------------------------------------------


@pytest.mark.slow
def test_four_writer_processes_at_once(
    env: dict[str, str], tmp_path: Path, spawned: list[Writer]
) -> None:
    log = tmp_path / "shared.jsonl"  # missing: the writers also race to create it
    go = tmp_path / "go"
    args = ("--count", "100", "--start-file", str(go), "--big-every", "10")
    writers = [start_writer(spawned, env, log, "--seed", str(n), *args) for n in range(4)]
    for writer in writers:
        writer.wait_ready()
    go.touch()
    printed: list[list[str]] = []
    for writer in writers:
        printed.append(writer.finish())
        assert writer.proc.returncode == 0, writer.said()

    everything = [rid for ids in printed for rid in ids]
    assert [len(ids) for ids in printed] == [100] * 4
    assert len(set(everything)) == 400
    repo = load(log)
    assert not repo.problems and not repo.incomplete_tail
    records = repo.all()
    assert len(records) == 400
    assert {rec["id"] for rec in records} == set(everything)

    lines = log.read_bytes().split(b"\n")
    assert lines[-1] == b""  # every line finished
    assert len(lines) - 1 == 401
    assert json.loads(lines[0]) == {"format": "retro-log", "version": "1.0"}
    position = {json.loads(line)["id"]: n for n, line in enumerate(lines[1:-1])}
    for ids in printed:  # each writer's entries are in the file in the order it wrote them
        assert [position[rid] for rid in ids] == sorted(position[rid] for rid in ids)

    report = retro(env, "verify", log=log)
    assert report.code == EXIT_OK, report
    assert "400 events, 400 records: healthy" in report.out, report


@pytest.mark.slow
def test_two_command_lines_checking_in_at_once(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "team.jsonl"
    runs: dict[int, list[Run]] = {0: [], 1: []}
    start = threading.Barrier(2)

    def check_in(n: int) -> None:
        start.wait(TIMEOUT)
        for i in range(25):
            runs[n].append(execute(env, "checkin", f"terminal {n} entry {i}", log=log))

    threads = [threading.Thread(target=check_in, args=(n,)) for n in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 25)
        assert not thread.is_alive()

    ids = []
    for done in runs[0] + runs[1]:
        assert done.code == EXIT_OK and "Traceback" not in done.err, done
        assert len(done.out.split()) == 1, done  # the id alone
        ids.append(done.out.strip())
    assert len(ids) == 50 and len(set(ids)) == 50
    shown, listed_ids = listed(env, log)
    assert shown.code == EXIT_OK, shown
    assert sorted(listed_ids) == sorted(ids)
    report = retro(env, "verify", log=log)
    assert report.code == EXIT_OK and "50 events" in report.out, report


@pytest.mark.slow
def test_compaction_while_a_writer_appends_loses_nothing(
    env: dict[str, str], tmp_path: Path, spawned: list[Writer]
) -> None:
    log = tmp_path / "team.jsonl"
    assert retro(env, "checkin", "first", log=log).code == EXIT_OK
    writer = start_writer(spawned, env, log, "--count", "150", "--big-every", "5")
    writer.wait_ready()
    compactions = 0
    while writer.proc.poll() is None or compactions < 3:
        done = retro(env, "compact", log=log)
        assert done.code == EXIT_OK, done
        compactions += 1
    acked = writer.finish()
    assert writer.proc.returncode == 0, writer.said()
    assert len(acked) == 150
    repo = load(log)
    assert not repo.problems and not repo.incomplete_tail
    assert set(acked) <= {rec["id"] for rec in repo.all()}
    assert len(repo.all()) == 151
    report = retro(env, "verify", log=log)
    assert report.code == EXIT_OK, report


@pytest.mark.slow
def test_compaction_killed_at_random_instants_leaves_a_whole_log(
    env: dict[str, str], tmp_path: Path, spawned: list[Writer]
) -> None:
    log = tmp_path / "team.jsonl"
    writer = start_writer(spawned, env, log, "--count", "40", "--big-every", "1")
    writer.wait_ready()
    ids = set(writer.finish())
    assert writer.proc.returncode == 0 and len(ids) == 40, writer.said()
    rng = random.Random(SEED)
    for _ in range(10):
        compactor = subprocess.Popen(
            [*RETRO, "--log", str(log), "compact"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.15, 0.45))
        compactor.kill()
        compactor.wait(TIMEOUT)
        repo = load(log)
        assert not repo.problems and not repo.incomplete_tail
        assert {rec["id"] for rec in repo.all()} == ids
    report = retro(env, "verify", log=log)
    assert report.code == EXIT_OK and "40 events" in report.out, report


# --- 3. a torn write ------------------------------------------------------------------------


def _cut_half(line: bytes) -> bytes:
    return line[: len(line) // 2]


def _cut_in_a_character(line: bytes) -> bytes:
    return line[: line.index("🙂".encode()) + 2]


@pytest.mark.parametrize("cut", [_cut_half, _cut_in_a_character], ids=["half", "mid-character"])
def test_torn_last_line_is_skipped_reported_and_recovered(
    env: dict[str, str],
    tmp_path: Path,
    base_log: tuple[list[bytes], list[str]],
    cut: Callable[[bytes], bytes],
) -> None:
    lines, ids = base_log
    log = tmp_path / "team.jsonl"
    good = b"".join(lines)
    torn = cut(lines[2])  # a crash in the middle of writing a copy of the second entry
    log.write_bytes(good + torn)
    before = digest(log)

    shown, listed_ids = listed(env, log)
    assert shown.code == EXIT_DAMAGED, shown
    assert listed_ids == ids
    assert "warning" in shown.err and "incomplete" in shown.err, shown
    table = retro(env, "log", log=log)
    assert table.code == EXIT_DAMAGED, table
    assert all(rid[:8] in table.out for rid in ids), table
    report = retro(env, "verify", log=log)
    assert report.code == EXIT_ERROR, report
    assert "line 5:" in report.out and "incomplete" in report.out, report
    assert digest(log) == before

    added = retro(env, "checkin", "after the crash", log=log)
    assert added.code == EXIT_OK, added
    new_id = added.out.strip()
    data = log.read_bytes()
    assert data.startswith(good + torn + b"\n")  # nothing rewritten, a fresh line started
    rest = data[len(good + torn + b"\n") :]
    assert rest.count(b"\n") == 1 and rest.endswith(b"\n")
    assert json.loads(rest)["id"] == new_id

    shown, listed_ids = listed(env, log)
    assert shown.code == EXIT_DAMAGED, shown
    assert listed_ids == [*ids, new_id]
    assert "line 5" in shown.err, shown
    report = retro(env, "verify", log=log)
    assert report.code == EXIT_ERROR and "line 5:" in report.out, report

    done, report = compacted(env, log, set_aside=torn + b"\n")
    assert ".rejected" in done.err, done
    assert "4 events, 4 records: healthy" in report.out, report
    shown, listed_ids = listed(env, log)
    assert shown.code == EXIT_OK, shown
    assert listed_ids == [*ids, new_id]


def test_compaction_sets_a_torn_last_line_aside(
    env: dict[str, str], tmp_path: Path, base_log: tuple[list[bytes], list[str]]
) -> None:
    lines, ids = base_log
    log = tmp_path / "team.jsonl"
    torn = _cut_half(lines[1])
    log.write_bytes(b"".join(lines) + torn)
    compacted(env, log, set_aside=torn + b"\n")
    shown, listed_ids = listed(env, log)
    assert shown.code == EXIT_OK, shown
    assert listed_ids == ids
    added = retro(env, "checkin", "after compaction", log=log)
    assert added.code == EXIT_OK, added
    assert listed(env, log)[1] == [*ids, added.out.strip()]


def test_last_line_without_its_newline_is_kept_and_the_next_entry_starts_a_line(
    env: dict[str, str], tmp_path: Path, base_log: tuple[list[bytes], list[str]]
) -> None:
    lines, ids = base_log
    log = tmp_path / "team.jsonl"
    body = b"".join(lines)[:-1]  # the crash came just before the final newline
    log.write_bytes(body)
    shown, listed_ids = listed(env, log)
    assert shown.code == EXIT_OK, shown
    assert listed_ids == ids
    added = retro(env, "checkin", "next", log=log)
    assert added.code == EXIT_OK, added
    assert log.read_bytes().startswith(body + b"\n{")
    report = retro(env, "verify", log=log)
    assert report.code == EXIT_OK and "4 events" in report.out, report


def test_incremental_reader_numbers_lines_like_a_full_read(
    env: dict[str, str], tmp_path: Path, base_log: tuple[list[bytes], list[str]]
) -> None:
    lines, ids = base_log
    log = tmp_path / "team.jsonl"
    log.write_bytes(b"".join(lines)[:-1])  # the last entry has no newline yet
    reader = load(log)
    assert [rec["id"] for rec in reader.all()] == ids
    assert retro(env, "checkin", "next", log=log).code == EXIT_OK  # line 5
    with open(log, "ab") as stream:
        stream.write(b'{"torn by a crash\n')  # line 6
    assert retro(env, "checkin", "after", log=log).code == EXIT_OK  # line 7
    reader.refresh()
    assert len(reader.all()) == 5
    report = retro(env, "verify", log=log)
    assert report.code == EXIT_ERROR and "line 6:" in report.out, report
    assert [problem.line for problem in load(log).problems] == [6]
    assert [problem.line for problem in reader.problems] == [6]


# --- 4. bad inputs --------------------------------------------------------------------------


def _read_commands(ref: str) -> list[tuple[str, ...]]:
    return [("log",), ("log", "--format", "json"), ("show", ref), ("verify",)]


def test_missing_log(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "nowhere.jsonl"
    for args in [*_read_commands("abcd"), ("compact",)]:
        done = retro(env, *args, log=log)
        assert done.code == EXIT_ERROR, (args, done)
        assert "no log at" in done.err and log.name in done.err, (args, done)
        assert "retro checkin" in done.err, (args, done)  # says how to start one
        assert not log.exists()
    folderless = tmp_path / "no-such-folder" / "team.jsonl"
    done = retro(env, "checkin", "x", log=folderless)
    assert done.code == EXIT_ERROR, done
    assert "does not exist" in done.err, done
    assert not folderless.parent.exists()


def test_empty_file_is_refused_by_readers_and_started_by_checkin(
    env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "team.jsonl"
    log.write_bytes(b"")
    for args in [*_read_commands("abcd"), ("compact",)]:
        done = retro(env, *args, log=log)
        assert done.code == EXIT_ERROR, (args, done)
        assert "empty" in done.err and "not a retro log" in done.err, (args, done)
        assert log.read_bytes() == b""
    added = retro(env, "checkin", "the first entry", log=log)  # starting the log is intended
    assert added.code == EXIT_OK, added
    first, second = log.read_bytes().splitlines()
    assert json.loads(first) == {"format": "retro-log", "version": "1.0"}
    assert json.loads(second)["id"] == added.out.strip()
    assert retro(env, "verify", log=log).code == EXIT_OK


NOT_LOGS: dict[str, tuple[Callable[[], bytes], tuple[str, ...]]] = {
    "csv": (lambda: b"team,text,when\nqa,faster refunds,2026-11-20\n", ("not a retro log",)),
    "json-array": (
        lambda: b'[{"format": "retro-log", "version": "1.0"}, {"id": 1}]',
        ("not a retro log",),
    ),
    "binary": (lambda: os.urandom(64 * 1024), ("not a retro log",)),
    "deep-nesting-first-line": (lambda: b"[" * 100_000 + b"\n", ("not a retro log",)),
    "newer-major-version": (
        lambda: b'{"format":"retro-log","version":"2.0"}\n{"anything": "new"}\n',
        ("newer retro", "2.0", "upgrade"),
    ),
}


@pytest.mark.parametrize("name", list(NOT_LOGS))
def test_file_that_is_not_a_usable_log_is_refused_and_left_alone(
    env: dict[str, str], tmp_path: Path, name: str
) -> None:
    make, words = NOT_LOGS[name]
    log = tmp_path / f"{name}.jsonl"
    log.write_bytes(make())
    before = digest(log)
    for args in [*_read_commands("abcd"), ("compact",), ("checkin", "an entry")]:
        done = retro(env, *args, log=log)
        assert done.code == EXIT_ERROR, (args, done)
        assert done.err.startswith("retro: ") and log.name in done.err, (args, done)
        assert all(word in done.err for word in words), (args, done)
        assert digest(log) == before, args
    assert [p.name for p in tmp_path.iterdir()] == [log.name]  # nothing made beside it


def test_directory_as_the_log(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    for args in [*_read_commands("abcd"), ("compact",), ("checkin", "an entry")]:
        done = retro(env, *args, log=folder)
        assert done.code == EXIT_ERROR, (args, done)
        assert "is a directory" in done.err and "logs" in done.err, (args, done)
        assert list(folder.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["logs"]


def _with_long_text(line: bytes) -> bytes:
    """A valid entry's line with a text twice the size allowed (its revision kept valid)."""
    event = event_of(line)
    event["rec"] = {**event["rec"], "text": "z" * 2 * MAX_TEXT_CHARS}  # type: ignore[dict-item]
    return resealed(event)


def _garbage_line() -> bytes:
    return os.urandom(4096).replace(b"\n", b"\x00")


# name: (the damaged line made from the base log's lines, whether it takes the place of the
# second entry or comes in addition, what the warning says)
DAMAGED: dict[str, tuple[Callable[[list[bytes]], bytes], bool, tuple[str, ...]]] = {
    "truncated-line": (lambda lines: _cut_half(lines[2]) + b"\n", True, ("not valid JSON",)),
    "garbage-bytes": (lambda lines: _garbage_line() + b"\n", False, ("skipped",)),
    "line-over-1-MiB": (
        lambda lines: b'{"text": "' + b"x" * (MAX_LINE_BYTES + 100) + b'"}\n',
        False,
        ("1,048,576-byte limit",),
    ),
    "deep-nesting": (lambda lines: b"[" * 100_000 + b"\n", False, ("nested too deeply",)),
    "text-over-limit": (
        lambda lines: _with_long_text(lines[2]),
        True,
        ("'text'", f"{MAX_TEXT_CHARS:,}"),
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DAMAGED))
def test_damaged_line_in_the_middle_is_skipped_reported_and_set_aside(
    env: dict[str, str], tmp_path: Path, base_log: tuple[list[bytes], list[str]], name: str
) -> None:
    make, replaces, words = DAMAGED[name]
    lines, ids = base_log
    bad = make(lines)  # line 3 of the log
    if replaces:
        content, kept = [lines[0], lines[1], bad, lines[3]], [ids[0], ids[2]]
    else:
        content, kept = [lines[0], lines[1], bad, *lines[2:]], ids
    log = tmp_path / "team.jsonl"
    log.write_bytes(b"".join(content))
    before = digest(log)

    shown, listed_ids = listed(env, log)
    assert shown.code == EXIT_DAMAGED, shown
    assert listed_ids == kept
    assert "line 3" in shown.err and "warning" in shown.err, shown
    assert all(word in shown.err for word in words), shown
    one = retro(env, "show", ids[0][:8], log=log)
    assert one.code == EXIT_DAMAGED and ids[0] in one.out, one
    report = retro(env, "verify", log=log)
    assert report.code == EXIT_ERROR, report
    assert "line 3:" in report.out and "records: 1 problem\n" in report.out, report
    assert digest(log) == before

    added = retro(env, "checkin", "still works", log=log)  # appending is allowed
    assert added.code == EXIT_OK, added
    assert log.read_bytes().startswith(b"".join(content))
    shown, listed_ids = listed(env, log)
    assert shown.code == EXIT_DAMAGED, shown
    assert listed_ids == [*kept, added.out.strip()]

    compacted(env, log, set_aside=bad)
    assert listed(env, log)[1] == [*kept, added.out.strip()]


def test_newer_minor_version_and_unknown_fields_are_kept(
    env: dict[str, str], tmp_path: Path, base_log: tuple[list[bytes], list[str]]
) -> None:
    lines, ids = base_log
    event = event_of(lines[2])
    rec = dict(event["rec"])  # type: ignore[call-overload]
    rec["mood"] = {"score": 4, "tags": ["calm"]}
    event["rec"] = rec
    event["signed_by"] = "key-7"
    newer = resealed(event)
    log = tmp_path / "team.jsonl"
    content = b'{"format":"retro-log","version":"1.7"}\n' + lines[1] + newer + lines[3]
    log.write_bytes(content)
    before = digest(log)

    shown = retro(env, "log", "--format", "json", log=log)
    assert shown.code == EXIT_OK, shown
    records = json.loads(shown.out)
    assert [r["id"] for r in records] == ids
    assert records[1]["mood"] == {"score": 4, "tags": ["calm"]}
    report = retro(env, "verify", log=log)
    assert report.code == EXIT_OK and "format 1.7" in report.out, report
    one = retro(env, "show", ids[1][:8], log=log)
    assert one.code == EXIT_OK and "mood" in one.out, one
    assert digest(log) == before

    added = retro(env, "checkin", "written by an older retro", log=log)
    assert added.code == EXIT_OK, added
    assert log.read_bytes().startswith(content)
    done = retro(env, "compact", log=log)
    assert done.code == EXIT_OK, done
    data = log.read_bytes()
    assert data.startswith(b'{"format":"retro-log","gen":')  # a rewrite names its generation
    assert data.split(b"\n")[0].endswith(b',"version":"1.7"}')
    assert newer in data  # the unknown fields survive compaction, byte for byte
    report = retro(env, "verify", log=log)
    assert report.code == EXIT_OK and "4 events" in report.out, report


def test_date_nobody_can_parse(
    env: dict[str, str], tmp_path: Path, base_log: tuple[list[bytes], list[str]]
) -> None:
    log = tmp_path / "team.jsonl"
    log.write_bytes(b"".join(base_log[0]))
    before = digest(log)
    missing = tmp_path / "missing.jsonl"
    for target in (log, missing):
        done = retro(env, "checkin", "x", "--at", "the day after never", log=target)
        assert done.code == EXIT_USAGE, done
        assert "cannot understand the date" in done.err, done
        assert "the day after never" in done.err, done
        for form in ("2026-11-20", "yesterday", "3 days ago", "last friday", "sprint"):
            assert form in done.err, (form, done)
    assert digest(log) == before
    assert not missing.exists()


@pytest.mark.slow
def test_huge_text_argument(
    env: dict[str, str], tmp_path: Path, base_log: tuple[list[bytes], list[str]]
) -> None:
    log = tmp_path / "team.jsonl"
    log.write_bytes(b"".join(base_log[0]))
    before = digest(log)
    done = retro_argv(env, tmp_path, ["--log", str(log), "checkin", "a" * 2_000_000])
    assert done.code == EXIT_USAGE, done
    assert "'text'" in done.err and f"{MAX_TEXT_CHARS:,} characters" in done.err, done
    assert len(done.err) < 2000, done  # the text is not echoed back
    assert digest(log) == before
    # as large as one real command-line argument can be
    done = retro(env, "checkin", "b" * 120_000, log=log)
    assert done.code == EXIT_USAGE, done
    assert f"{MAX_TEXT_CHARS:,} characters" in done.err, done
    assert digest(log) == before


@pytest.mark.slow
def test_entry_over_the_line_limit_is_refused(
    env: dict[str, str], tmp_path: Path, base_log: tuple[list[bytes], list[str]]
) -> None:
    log = tmp_path / "team.jsonl"
    log.write_bytes(b"".join(base_log[0]))
    before = digest(log)
    fields = [arg for n in range(30) for arg in ("--field", f"note_{n}=" + "🙂" * MAX_TEXT_CHARS)]
    done = retro_argv(env, tmp_path, ["--log", str(log), "checkin", "big", *fields])
    assert done.code == EXIT_ERROR, done
    assert "line limit" in done.err and "1,048,576" in done.err, done
    assert digest(log) == before


@pytest.mark.slow
def test_fifo_as_the_log_is_refused_without_hanging(env: dict[str, str], tmp_path: Path) -> None:
    fifo = tmp_path / "team.jsonl"
    os.mkfifo(fifo)
    readers = [
        subprocess.Popen(
            [*RETRO, "--log", str(fifo), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            encoding="utf-8",
            errors="replace",
        )
        for args in (("log",), ("verify",), ("show", "abcd"))
    ]
    deadline = time.monotonic() + 15  # each should answer in a fraction of that
    hung, answers = [], []
    for proc in readers:
        try:
            _, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            hung.append(proc.args[-1])
            continue
        answers.append((proc.returncode, err))
    assert not hung, f"blocked reading a FIFO: {hung}"
    for code, err in answers:
        assert code == EXIT_ERROR and fifo.name in err and "Traceback" not in err, err
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_checkin_into_something_that_is_not_a_file_says_so(
    env: dict[str, str], tmp_path: Path, kind: str
) -> None:
    target = Path(os.devnull)
    if kind == "fifo":
        target = tmp_path / "team.jsonl"
        os.mkfifo(target)
    done = retro(env, "checkin", "x", log=target)
    assert done.code == EXIT_ERROR, done
    assert target.name in done.err, done
