"""A whole-log check kept in the cache: the next check reads only what was appended, and
says exactly what a check of every line says."""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st

from retro.cli import cli
from retro.errors import RetroError
from retro.store import Repository, journal
from retro.store.cachedb import cache_file
from retro.store.checked import SUFFIX, CheckedLog
from retro.store.journal import Journal
from tests.conftest import LOG_PLANS, Clock, append_raw


def check(path: Path, **options: bool) -> tuple[list[tuple[object, ...]], list[str], bool, int]:
    """What a check says of ``path``: rows, problems, torn tail, lines read."""
    checked = CheckedLog(path, **options)
    rows = list(checked)
    said = sorted(f"{p.line} {p.offset} {p.size} {p.message}" for p in checked.problems)
    return rows, said, checked.journal.incomplete_tail, checked.journal.lines_read


def kept(path: Path) -> Path:
    found = cache_file(path, SUFFIX)
    assert found is not None
    return found


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the lines decoded (checked) from now on."""
    calls: list[int] = []
    real = journal.decode_line

    def counting(raw: bytes, size: int | None = None) -> object:
        calls.append(1)
        return real(raw, size)

    monkeypatch.setattr(journal, "decode_line", counting)
    return calls


# What happens to a log between two checks.
changes = st.lists(
    st.sampled_from(["add", "add", "edit", "compact", "torn", "finish", "garbage",
                     "in place", "replace", "blank", "unsorted"]),
    min_size=1, max_size=12,
)  # fmt: skip


@LOG_PLANS
@given(plan=changes, picks=st.randoms(use_true_random=False))
def test_a_check_through_the_cache_says_what_a_check_of_every_line_says(
    plan: list[str], picks: random.Random, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("log")
    path = folder / "log.jsonl"
    repo = Repository(path, author="Ana", team="payments", clock=Clock())
    first = repo.add("output", "first")["id"]
    for change in plan:
        data = path.read_bytes()
        if change == "add":
            repo.add("lesson", f"lesson {picks.random()}")
        elif change == "edit":
            with contextlib.suppress(RetroError):  # e.g. its line was damaged in place
                repo.load().edit(first, text=f"edited {picks.random()}")
        elif change == "compact":
            Journal(path).compact()
        elif append_raw(path, change):
            pass
        elif change == "in place":  # one byte of a text changed, the size kept
            at = data.rfind(b'"text":"') + 8
            if at > 8:
                with path.open("r+b") as stream:
                    stream.seek(at)
                    stream.write(b"Z" if data[at:at + 1] != b"Z" else b"Y")
        elif change == "replace":  # another file by the same name, the same first bytes
            tmp = folder / "new.jsonl"
            tmp.write_bytes(data[: max(data.index(b"\n") + 1, len(data) // 2)])
            os.replace(tmp, path)
        elif change == "unsorted":  # a valid event, not in canonical form
            line = data.splitlines()[-1] if data.endswith(b"}\n") else b""
            if line.startswith(b'{"at"'):
                with path.open("ab") as stream:
                    stream.write(b'{ "at"' + line[5:] + b"\n")
        assert check(path) == check(path, keep=False, full=True)


def test_an_unchanged_log_is_not_checked_again_and_an_append_only_after(
    tmp_path: Path, decoded: list[int]
) -> None:
    path = tmp_path / "log.jsonl"
    repo = Repository(path, author="Ana", team="payments", clock=Clock())
    for n in range(5):
        repo.add("output", f"output {n}")
    first = check(path)
    assert len(decoded) == 5 and len(first[0]) == 5
    decoded.clear()
    assert check(path) == first and decoded == []
    repo.add("lesson", "one more")
    with path.open("ab") as stream:
        stream.write(b"{broken\n")
    rows, problems, _, _ = check(path)
    assert len(decoded) == 2 and len(rows) == 6 and len(problems) == 1
    decoded.clear()
    assert check(path, full=True)[:2] == (rows, problems) and len(decoded) == 7


def test_verify_finds_a_line_changed_in_place_after_a_check(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    repo = Repository(path, author="Ana", team="payments", clock=Clock())
    for text in ("Flags need owners", "Refunds settle in a day", "Payouts on time"):
        repo.add("lesson", text)
    runner = CliRunner()
    assert runner.invoke(cli, ["verify", "--log", str(path)]).exit_code == 0
    data = path.read_bytes()
    with path.open("r+b") as out:  # the same file, the same size, the same last bytes
        out.write(data.replace(b"in a day", b"in 9 day"))
    done = runner.invoke(cli, ["verify", "--log", str(path)])
    assert done.exit_code == 1 and "line 3: the content does not match" in done.output


def test_a_damaged_or_outdated_cache_file_is_built_anew(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    Repository(path, author="Ana", team="payments").add("output", "kept")
    truth = check(path, keep=False, full=True)
    kept(path).write_bytes(b"this is not a database" * 100)
    assert check(path) == truth
    with sqlite3.connect(kept(path)) as db:
        assert db.execute("SELECT sum(count) FROM rows").fetchone() == (1,)
        db.execute("UPDATE meta SET value = '[0, \"0.0\"]' WHERE key = 'schema'")
        db.execute("DELETE FROM rows")
    assert check(path) == truth


def test_a_planted_link_in_the_cache_is_not_followed(tmp_path: Path) -> None:
    path, victim = tmp_path / "log.jsonl", tmp_path / "victim.txt"
    Repository(path, author="Ana", team="payments").add("output", "kept")
    victim.write_text("precious")
    kept(path).symlink_to(victim)
    assert len(check(path)[0]) == 1
    assert victim.read_text() == "precious" and not kept(path).is_symlink()


def test_nothing_is_kept_of_a_copy_or_of_what_is_not_a_log(tmp_path: Path) -> None:
    copy, missing, other = tmp_path / "copy.jsonl", tmp_path / "missing.jsonl", tmp_path / "x"
    Repository(copy, author="Ana", team="payments").add("output", "kept")
    other.write_text("not a log\n")
    assert len(check(copy, keep=False)[0]) == 1 and not kept(copy).exists()
    for path in (missing, other):
        with pytest.raises(Exception, match="no log|not a retro log"):
            check(path)
        assert not kept(path).exists()


def test_rows_kept_in_many_chunks_read_back_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retro.store import checked

    monkeypatch.setattr(checked, "_CHUNK", 3)
    path = tmp_path / "log.jsonl"
    repo = Repository(path, author="Ana", team="payments", clock=Clock())
    for n in range(7):
        repo.add("output", f"output {n}")
    for more in (1, 4, 0, 2):
        for n in range(more):
            repo.add("lesson", f"lesson {n}")
        assert check(path) == check(path, keep=False, full=True)
        assert check(path, at_once=True) == check(path, keep=False, full=True)
    with sqlite3.connect(kept(path)) as db:
        counts = [row[0] for row in db.execute("SELECT count FROM rows ORDER BY first")]
    assert counts == [3, 3, 3, 3, 2]
