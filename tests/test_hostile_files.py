"""Logs and folders from other teams, used as an attacker would: planted links, a log
replaced under a reader, merges onto a live log, a full disk.

Every command runs as its own process (see test_reliability), on real files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import Clock
from test_reliability import (  # the real-process helpers those tests use
    EXIT_DAMAGED,
    EXIT_ERROR,
    EXIT_OK,
    Writer,
    load,
    make_env,
    retro,
    spawned,
    start_writer,
)

from retro.config import Settings, write_config
from retro.store import Repository
from retro.store.events import parse_header
from retro.tui.app import RetroApp

__all__ = ["spawned"]  # a fixture, imported to be used here


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A user's home folder with a shell start-up file worth attacking."""
    folder = tmp_path / "home"
    folder.mkdir()
    (folder / ".bashrc").write_text("export PATH=$HOME/bin:$PATH\n")
    return folder


@pytest.fixture
def env(tmp_path: Path, home: Path) -> dict[str, str]:
    return {**make_env(tmp_path), "HOME": str(home)}


def damaged_log(env: dict[str, str], log: Path) -> bytes:
    """A log with one check-in and then a line that is not an event; its bytes."""
    assert retro(env, "checkin", "legit", log=log).code == EXIT_OK
    with open(log, "ab") as out:
        out.write(b"echo PWNED\n")
    return log.read_bytes()


# --- 1. links planted beside a log -------------------------------------------------------


def test_compact_never_appends_through_a_planted_link(
    env: dict[str, str], tmp_path: Path, home: Path
) -> None:
    """The issue's attack: `ln -s ~/.bashrc team.jsonl.rejected; retro compact`."""
    log = tmp_path / "team.jsonl"
    before = damaged_log(env, log)
    bashrc = home / ".bashrc"
    rc = bashrc.read_bytes()
    (tmp_path / "team.jsonl.rejected").symlink_to(bashrc)

    done = retro(env, "compact", log=log)

    assert done.code == EXIT_ERROR, done
    assert bashrc.read_bytes() == rc  # nothing appended through the link
    assert log.read_bytes() == before  # and the log was not rewritten without its side file
    [line] = done.err.splitlines()
    assert "team.jsonl.rejected" in line and "symbolic link" in line


def test_merge_skip_bad_never_appends_through_a_planted_link(
    env: dict[str, str], tmp_path: Path, home: Path
) -> None:
    theirs, ours = tmp_path / "theirs.jsonl", tmp_path / "ours.jsonl"
    damaged_log(env, theirs)
    assert retro(env, "checkin", "ours", log=ours).code == EXIT_OK
    rc = (home / ".bashrc").read_bytes()
    (tmp_path / "ours.jsonl.rejected").symlink_to(home / ".bashrc")

    done = retro(env, "merge", str(theirs), "--into", str(ours), "--skip-bad")

    assert done.code == EXIT_ERROR, done
    assert (home / ".bashrc").read_bytes() == rc
    assert "symbolic link" in done.err


def test_an_export_replaces_a_planted_link_and_leaves_its_target_alone(
    env: dict[str, str], tmp_path: Path, home: Path
) -> None:
    log = tmp_path / "team.jsonl"
    assert retro(env, "checkin", "legit", log=log).code == EXIT_OK
    out = tmp_path / "team.md"
    out.symlink_to(home / ".bashrc")
    rc = (home / ".bashrc").read_bytes()

    done = retro(env, "export", "--format", "md", "-o", str(out), log=log)

    assert done.code == EXIT_OK, done
    assert (home / ".bashrc").read_bytes() == rc
    assert not out.is_symlink() and "legit" in out.read_text()


def test_compacting_a_linked_log_rewrites_its_target_and_keeps_the_link(
    env: dict[str, str], tmp_path: Path
) -> None:
    shared = tmp_path / "repo" / "team.jsonl"
    shared.parent.mkdir()
    link = tmp_path / "team.jsonl"
    link.symlink_to(shared)
    assert retro(env, "checkin", "first", log=link).code == EXIT_OK
    assert retro(env, "checkin", "second", log=shared).code == EXIT_OK
    with open(shared, "ab") as out:
        out.write(b"{torn")

    done = retro(env, "compact", log=link)

    assert done.code == EXIT_OK, done
    assert link.is_symlink() and link.resolve() == shared.resolve()
    assert (tmp_path / "team.jsonl.rejected").read_bytes() == b"{torn\n"  # beside the name given
    assert not [p for p in shared.parent.iterdir() if p.name.endswith(".tmp")]
    assert retro(env, "checkin", "third", log=link).code == EXIT_OK
    texts = [rec["text"] for rec in load(shared).all()]
    assert texts == ["first", "second", "third"]  # later writes still reach the target
    assert retro(env, "verify", log=link).code == EXIT_OK


def test_merge_into_a_linked_log_keeps_the_link(env: dict[str, str], tmp_path: Path) -> None:
    target, link, other = tmp_path / "t.jsonl", tmp_path / "link.jsonl", tmp_path / "o.jsonl"
    assert retro(env, "checkin", "ours", log=target).code == EXIT_OK
    assert retro(env, "checkin", "theirs", log=other).code == EXIT_OK
    link.symlink_to(target.name)  # a relative link

    assert retro(env, "merge", str(other), "--into", str(link)).code == EXIT_OK

    assert link.is_symlink()
    assert {rec["text"] for rec in load(target).all()} == {"ours", "theirs"}


def test_a_merge_never_overwrites_what_a_planted_link_leads_to(
    env: dict[str, str], tmp_path: Path, home: Path
) -> None:
    """A rewrite goes through a link only to a retro log: not to ~/.bashrc, nor to nothing."""
    theirs = tmp_path / "theirs.jsonl"
    assert retro(env, "checkin", "theirs", log=theirs).code == EXIT_OK
    rc = (home / ".bashrc").read_bytes()
    for name, target in (("team.jsonl", home / ".bashrc"), ("new.jsonl", home / ".profile")):
        link = tmp_path / name
        link.symlink_to(target)
        for where in ("-o", "--into"):
            done = retro(env, "merge", str(theirs), where, str(link))
            assert done.code == EXIT_ERROR, done
            [line] = done.err.splitlines()
            assert "not a retro log" in line or line.startswith(f"retro: no log at {link}")
            assert link.is_symlink()
    assert (home / ".bashrc").read_bytes() == rc
    assert not (home / ".profile").exists()


# --- 6. a merge written onto a live log ----------------------------------------------------


@pytest.mark.slow
def test_merge_onto_a_live_log_keeps_every_acknowledged_checkin(
    env: dict[str, str], tmp_path: Path, spawned: list[Writer]
) -> None:
    log, other = tmp_path / "team.jsonl", tmp_path / "other.jsonl"
    assert retro(env, "checkin", "first", log=log).code == EXIT_OK
    assert retro(env, "checkin", "from another team", log=other).code == EXIT_OK
    writers = [start_writer(spawned, env, log, "--count", "120", "--seed", str(n),
                            "--big-every", "4")  # big lines: a merge takes a while
               for n in range(2)]  # fmt: skip
    for writer in writers:
        writer.wait_ready()
    merges = 0
    while any(w.proc.poll() is None for w in writers) or merges < 3:
        into = ("--into", str(log)) if merges % 2 else ("-o", str(log))
        args = (str(other),) if merges % 2 else (str(log), str(other))
        done = retro(env, "merge", *args, *into)
        assert done.code == EXIT_OK, done
        merges += 1
    acked = [id_ for writer in writers for id_ in writer.finish()]
    assert len(acked) == 240, [w.said() for w in writers]
    repo = load(log)
    assert not repo.problems and not repo.incomplete_tail
    assert set(acked) <= {rec["id"] for rec in repo.all()}
    assert len(repo.all()) == 242


# --- 7. a log replaced (twice) under a reader -------------------------------------------------

BURST_COUNT = 8
BURSTS = textwrap.dedent(
    """
    import contextlib, sys
    from retro.cli import cli

    log, others = sys.argv[1], sys.argv[2:]

    def retro(*args):
        with contextlib.redirect_stdout(sys.stderr):  # stdout says when a burst is done
            code = cli.main(["--log", log, *args], prog_name="retro", standalone_mode=False)
        assert not code, code

    for n, line in enumerate(sys.stdin):
        retro("checkin", f"before merge {n}")
        retro("merge", others[n], "--into", log)
        retro("checkin", f"after merge {n}")
        retro("compact")
        print("done", flush=True)
    """
)


def older_logs(folder: Path, count: int) -> list[Path]:
    """Logs of another team, made in the past: merged in, their events sort first."""
    clock = Clock(datetime(2020, 1, 6, 10, 0, tzinfo=UTC))
    logs = []
    for n in range(count):
        other = Repository(folder / f"other{n}.jsonl", author="Bo", team="ops", clock=clock)
        for k in range(3):
            other.add("outcome", f"old {n}.{k}")
        logs.append(other.path)
    return logs


@pytest.mark.slow
def test_a_reader_follows_a_log_replaced_twice_between_two_polls(
    env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "team.jsonl"
    assert retro(env, "checkin", "first", log=log).code == EXIT_OK
    others = older_logs(tmp_path, BURST_COUNT)
    reader = Repository(log, author="reader", team="qa").load()
    said = tmp_path / "bursts.err"
    with open(said, "w") as err:
        bursts = subprocess.Popen(
            [sys.executable, "-c", BURSTS, str(log), *map(str, others)], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
        )  # fmt: skip
    assert bursts.stdin is not None and bursts.stdout is not None
    try:
        for _ in others:  # one poll, a burst of four commands (two rewrites), the next poll
            reader.refresh()
            bursts.stdin.write("go\n")
            bursts.stdin.flush()
            assert bursts.stdout.readline() == "done\n", said.read_text()
        reader.refresh()
    finally:
        bursts.stdin.close()
        bursts.wait(60)
    assert bursts.returncode == 0, said.read_text()
    fresh = Repository(log, author="x", team="qa").load()
    assert len(fresh.all()) == 1 + BURST_COUNT * (2 + 3)
    assert reader.all() == fresh.all() and not reader.problems


def test_a_reader_notices_a_log_rewritten_in_place(tmp_path: Path, env: dict[str, str]) -> None:
    """The same inode with other bytes (what inode reuse amounts to): read again, all of it."""
    log, other = tmp_path / "team.jsonl", tmp_path / "old.jsonl"
    for text in ("one", "two"):
        assert retro(env, "checkin", text, log=log).code == EXIT_OK
    reader = Repository(log, author="reader", team="qa").load()
    assert retro({**env, "RETRO_NOW": "2020-01-05T10:00:00+01:00"}, "checkin", "old",
                 log=other).code == EXIT_OK  # fmt: skip
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(log.read_bytes())
    assert retro(env, "merge", str(other), "--into", str(copy)).code == EXIT_OK
    assert retro(env, "checkin", "three", log=copy).code == EXIT_OK
    inode = log.stat().st_ino
    with open(log, "r+b") as out:  # the rewritten bytes, in the file the reader knows
        out.write(copy.read_bytes())
    assert log.stat().st_ino == inode

    reader.refresh()

    assert [r["text"] for r in reader.all()] == [r["text"] for r in load(log).all()]
    assert {r["text"] for r in reader.all()} == {"old", "one", "two", "three"}


def test_a_header_left_inside_by_a_union_of_two_logs_is_not_damage(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Two compacted logs name two generations: a textual union keeps both headers."""
    ours, theirs = tmp_path / "ours.jsonl", tmp_path / "theirs.jsonl"
    for log, text in ((ours, "ours"), (theirs, "theirs")):
        assert retro(env, "checkin", text, log=log).code == EXIT_OK
        assert retro(env, "compact", log=log).code == EXIT_OK
    head_ours, *body_ours = ours.read_bytes().splitlines(keepends=True)
    head_theirs, *body_theirs = theirs.read_bytes().splitlines(keepends=True)
    assert head_ours != head_theirs and parse_header(head_ours, "ours") == (1, 0)
    union = tmp_path / "union.jsonl"
    union.write_bytes(b"".join([head_ours, head_theirs, *body_ours, *body_theirs]))

    listed = retro(env, "log", "--format", "json", log=union)
    assert listed.code == EXIT_OK, listed
    assert {rec["text"] for rec in json.loads(listed.out)} == {"ours", "theirs"}
    assert retro(env, "verify", log=union).code == EXIT_OK


# --- 8 and 9. errors while writing, damaged logs in reports --------------------------------


FULL_DISK = textwrap.dedent(
    """
    import resource, sys
    from retro.cli import main

    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # a disk that is full at limit
    sys.argv = ["retro", *sys.argv[2:]]
    main()
    """
)


def test_a_write_cut_short_leaves_no_partial_line(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "team.jsonl"
    assert retro(env, "checkin", "before the disk filled up", log=log).code == EXIT_OK
    before = log.read_bytes()
    limit = len(before) + 100  # room for part of the next line only

    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(limit), "--log", str(log), "checkin",
         "the disk is full " * 40],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert done.returncode == EXIT_ERROR, done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"retro: cannot write {log}: File too large"), line
    assert log.read_bytes() == before  # the partial line was cut off
    assert retro(env, "verify", log=log).code == EXIT_OK
    assert retro(env, "checkin", "after", log=log).code == EXIT_OK


def test_writes_that_fail_are_one_line(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "team.jsonl"
    assert retro(env, "checkin", "legit", log=log).code == EXIT_OK
    long_name = tmp_path / ("決" * 200 + ".md")  # 600 bytes: over the limit of a file name
    (tmp_path / "taken.md").mkdir()
    for out in (long_name, tmp_path / "taken.md", tmp_path / "no" / "such" / "folder.md"):
        done = retro(env, "export", "--format", "md", "-o", str(out), log=log)
        assert done.code == EXIT_ERROR, done
        [line] = done.err.splitlines()
        assert line.startswith("retro: cannot write "), line


def test_report_on_a_damaged_log_warns_and_exits_3(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "team.jsonl"
    damaged_log(env, log)
    for args in (("report", "--format", "md"), ("report", "--format", "json", str(log))):
        done = retro(env, *args, log=log)
        assert done.code == EXIT_DAMAGED, done
        assert "line 3" in done.err and "skipped" in done.err
        assert "PWNED" not in done.out
    clean = tmp_path / "clean.jsonl"
    assert retro(env, "checkin", "fine", log=clean).code == EXIT_OK
    assert retro(env, "report", "--format", "md", log=clean).code == EXIT_OK


def test_a_slow_poll_still_sees_every_append(env: dict[str, str], tmp_path: Path) -> None:
    """Appends alone never look like a replaced file (no needless full reloads)."""
    log = tmp_path / "team.jsonl"
    assert retro(env, "checkin", "first", log=log).code == EXIT_OK
    reader = Repository(log, author="reader", team="qa").load()
    version = reader.version
    for text in ("second", "third"):
        assert retro(env, "checkin", text, log=log).code == EXIT_OK
        time.sleep(0.01)
        assert len(reader.refresh()) == 1
    assert reader.version == version + 2  # two increments: no reload in between
    assert [r["text"] for r in reader.all()] == ["first", "second", "third"]
    os.utime(log)  # touched, not changed: still nothing new
    assert reader.refresh() == set()


# --- 8. the app's export (Ctrl+E) --------------------------------------------------------------


def app_settings(tmp_path: Path, team: str) -> Settings:
    config = tmp_path / "config.toml"
    write_config(config, {"team": team, "author": "Ana", "log": str(tmp_path / "log.jsonl"),
                          "sprint_start": "2026-08-31", "sprint_length": "14d"})  # fmt: skip
    return Settings(config_file=config)


async def export_from_the_summary(app: RetroApp) -> str:
    """Open this sprint's retro, go to its summary, press Ctrl+E: what the app said then."""
    from retro.tui.screens.steps import SummaryStep

    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, SummaryStep) and app.screen.ready:
                break
            if app.session.retro is not None:
                await pilot.press("pagedown")
        else:
            raise AssertionError(f"never reached the summary: on {app.screen}")
        await pilot.press("ctrl+e")
        await pilot.pause(0.2)
        assert app.is_running
        return "\n".join(note.message for note in app._notifications)


async def test_ctrl_e_with_a_long_team_name_writes_a_short_file_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETRO_NOW", "2026-11-20T15:00:00+01:00")
    team = "決" * 200  # within the limit on names, 600 bytes as a file name
    monkeypatch.setenv("RETRO_TEAM", team)
    app = RetroApp(app_settings(tmp_path, team), start="run", poll=False)
    shown = await export_from_the_summary(app)
    [written] = tmp_path.glob("*.md")
    assert len(written.name.encode()) <= 120 and written.name.endswith("-retro-2026-11-09.md")
    assert "Summary written" in shown
    assert written.read_text().startswith("#")


async def test_ctrl_e_that_cannot_write_says_so_and_the_app_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETRO_NOW", "2026-11-20T15:00:00+01:00")
    (tmp_path / "payments-retro-2026-11-09.md").mkdir()  # where the summary would go
    app = RetroApp(app_settings(tmp_path, "payments"), start="run", poll=False)
    shown = await export_from_the_summary(app)
    assert "cannot write" in shown and "Is a directory" in shown
