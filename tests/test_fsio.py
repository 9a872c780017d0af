"""The file system's sharp edges, on real files, links and folders."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from retro import fsio
from retro.errors import LogError, RetroError
from retro.store.journal import Problem

# --- side files -------------------------------------------------------------------------------


def test_a_side_file_is_created_appended_to_and_made_durable(tmp_path: Path) -> None:
    side = tmp_path / "team.jsonl.rejected"
    fsio.append_side(side, [b"one\n"])
    fsio.append_side(side, [b"two", b"\n"])
    assert side.read_bytes() == b"one\ntwo\n"


def test_a_side_file_is_never_written_through_a_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    for name, target in (("abs.rejected", victim), ("rel.rejected", Path("victim")),
                         ("dangling.rejected", tmp_path / "new-file")):  # fmt: skip
        side = tmp_path / name
        side.symlink_to(target)
        with pytest.raises(LogError, match="symbolic link"):
            fsio.append_side(side, [b"PWNED\n"])
        assert side.is_symlink()
    assert victim.read_bytes() == b"precious\n"
    assert not (tmp_path / "new-file").exists()  # nor created at a dangling link's end


def test_a_side_file_with_other_names_or_of_another_kind_is_left_alone(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    os.link(victim, tmp_path / "hard.rejected")
    with pytest.raises(LogError, match="hard links"):
        fsio.append_side(tmp_path / "hard.rejected", [b"PWNED\n"])
    assert victim.read_bytes() == b"precious\n"
    os.mkfifo(tmp_path / "fifo.rejected")
    opened = threading.Thread(target=lambda: open(tmp_path / "fifo.rejected", "rb").close())
    opened.start()  # someone reads the pipe: opening it would not fail on its own
    time.sleep(0.05)
    with pytest.raises(LogError, match="not a regular file"):
        fsio.append_side(tmp_path / "fifo.rejected", [b"x\n"])
    opened.join(5)


def test_a_users_own_linked_file_can_be_followed(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "attributes").write_bytes(b"*.md text\n")
    link = tmp_path / "attributes"
    link.symlink_to(dotfiles / "attributes")
    fsio.append_side(link, [b"*.jsonl merge=retro\n"], follow_link=True)
    assert link.is_symlink()
    assert (dotfiles / "attributes").read_bytes() == b"*.md text\n*.jsonl merge=retro\n"


def test_copy_lines_copies_the_damaged_lines_verbatim(tmp_path: Path) -> None:
    source, side = tmp_path / "log", tmp_path / "log.rejected"
    source.write_bytes(b"head\nbad one\ngood\nbad two")
    fsio.copy_lines(source, [Problem(2, "x", 5, 7), Problem(4, "y", 18, 7)], side)
    assert side.read_bytes() == b"bad one\nbad two\n"


# --- atomic writes ------------------------------------------------------------------------------


def test_write_atomically_replaces_a_file_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "out.md"
    path.write_bytes(b"old")
    path.chmod(0o600)
    fsio.write_atomically(path, [b"new ", b"text"])
    assert path.read_bytes() == b"new text"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]  # no temp file left


def test_write_atomically_replaces_a_link_but_never_writes_through_it(tmp_path: Path) -> None:
    victim, path = tmp_path / "victim", tmp_path / "summary.md"
    victim.write_bytes(b"precious\n")
    path.symlink_to(victim)
    fsio.write_atomically(path, [b"summary\n"])
    assert victim.read_bytes() == b"precious\n"
    assert not path.is_symlink() and path.read_bytes() == b"summary\n"


def test_write_atomically_through_a_log_link_rewrites_its_target(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    target, first, second = tmp_path / "repo" / "team.jsonl", tmp_path / "a", tmp_path / "b"
    target.write_bytes(b"old\n")
    first.symlink_to(second)  # a chain of links, the last one relative
    second.symlink_to(Path("repo") / "team.jsonl")
    fsio.write_atomically(first, [b"new\n"], follow_link=True)
    assert first.is_symlink() and second.is_symlink()
    assert target.read_bytes() == b"new\n"
    assert sorted(p.name for p in (tmp_path / "repo").iterdir()) == ["team.jsonl"]


@pytest.mark.parametrize("name", ["決" * 200 + ".md", "no/such/folder.md", "folder"])
def test_every_os_error_while_writing_is_one_clear_error(tmp_path: Path, name: str) -> None:
    """An over-long name (ENAMETOOLONG, once a traceback), a missing folder, a directory."""
    (tmp_path / "folder").mkdir()
    with pytest.raises(LogError, match=r"^cannot write .*: [A-Z]") as caught:
        fsio.write_atomically(tmp_path / name, [b"text"])
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, RetroError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]  # nothing left behind


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "out.md"
    path.write_bytes(b"old")

    def chunks() -> object:
        yield b"half of it"
        raise OSError(28, "No space left on device")

    with pytest.raises(LogError, match="No space left on device"):
        fsio.write_atomically(path, chunks())  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]


# --- locks ----------------------------------------------------------------------------------------


def test_locked_follows_the_file_a_rewrite_put_in_place(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"one\n")

    def opener() -> int:
        return fsio.open_regular(path, os.O_RDONLY)

    held = threading.Event()
    seen: list[bytes] = []

    def rewrite() -> None:
        with fsio.locked(path, opener):
            held.set()
            time.sleep(0.1)
            fsio.write_atomically(path, [b"two\n"])

    thread = threading.Thread(target=rewrite)
    thread.start()
    held.wait(5)
    with fsio.locked(path, opener) as fd:  # waits, then finds the old file replaced: retries
        seen.append(os.pread(fd, 10, 0))
    thread.join(5)
    assert seen == [b"two\n"]


# --- file names --------------------------------------------------------------------------------


def test_safe_file_names_are_short_plain_and_distinct() -> None:
    assert fsio.safe_file_name("payments", "-retro-2026-11-09.md") == "payments-retro-2026-11-09.md"
    assert fsio.safe_file_name("../a b/c", ".md") == "-a-b-c.md"
    long_a = fsio.safe_file_name("決" * 200, "-retro-2026-11-09.md")
    long_b = fsio.safe_file_name("決" * 199 + "定", "-retro-2026-11-09.md")
    for name in (long_a, long_b):
        assert len(name.encode()) <= fsio.MAX_NAME_BYTES
        assert name.startswith("決") and name.endswith("-retro-2026-11-09.md")
    assert long_a != long_b
