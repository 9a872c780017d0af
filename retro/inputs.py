"""Reading the logs a merge takes in, every one checked before anything is written.

An input is checked line by line (:class:`~retro.store.checked.CheckedLog`: only the lines
a check kept in the cache does not vouch for) into :class:`~retro.merge.Entry` items (where
each event is, and the little merging decides on); its lines are read back from the file by
offset when they are written, each checked to be the line read (its CRC).
"""

from __future__ import annotations

import os
import weakref
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import orjson

from retro.bulk import gc_paused
from retro.errors import LogError
from retro.merge import Entry, Merge, merge_entries
from retro.model import Record
from retro.store.checked import CheckedLog
from retro.store.events import PUT, Event, decode_exactly, has_long_number
from retro.store.journal import Journal, Problem
from retro.trust import Claim, Trust

_CHUNK = 1024 * 1024  # bytes read at once when lines are read back in file order
_GAP = 4096  # a line starting this close after the last one read is read with its neighbours


class FileLines:
    """One input log, open, its lines read back by offset (see :class:`~retro.merge.Lines`).

    The file stays open from the first read to the last, so a log replaced meanwhile
    (a rewrite, a ``git pull``) is still read as it was; each line read back is checked
    to be the one read first (by its hash), so a log changed in place stops the merge.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1
        self._chunk, self._start, self._next = b"", 0, 0

    def attach(self, stream: BinaryIO) -> None:
        """Read back from ``stream``, the log open (closed with this object or by :meth:`close`)."""
        self._fd = stream.fileno()
        self._closer = weakref.finalize(self, stream.close)

    def close(self) -> None:
        if self._fd >= 0:
            self._closer()

    def line(self, entry: Entry) -> bytes:
        off, size = entry.place, entry.size
        start = off - self._start
        if start >= 0 and start + size <= len(self._chunk):
            line = self._chunk[start : start + size]
        elif 0 <= off - self._next < _GAP and size < _CHUNK:  # in file order: read ahead
            self._chunk, self._start = os.pread(self._fd, _CHUNK, off), off
            line = self._chunk[:size]
        else:
            line = os.pread(self._fd, size, off)
        self._next = off + size
        if zlib.crc32(line) != entry.check:
            raise LogError(f"{self.path} changed while it was read: nothing was written; "
                           "run it again")  # fmt: skip
        return line

    def event(self, entry: Entry) -> Event:
        """The event of ``entry``: its line (checked to be the one read) as decode reads it."""
        line = self.line(entry)
        decoded = decode_exactly(line) if has_long_number(line) else orjson.loads(line)
        if type(decoded) is not dict:
            raise LogError(f"{self.path} changed while it was read: run it again")
        return decoded


@dataclass
class Inputs:
    """Each input log's entries, version and damaged lines, and the open files they are in."""

    logs: list[tuple[str, list[Entry]]] = field(default_factory=list)
    versions: list[tuple[int, int]] = field(default_factory=list)
    damaged: list[tuple[Path, list[Problem]]] = field(default_factory=list)
    files: list[FileLines] = field(default_factory=list)

    def merged(
        self, base: Inputs | None = None, version: tuple[int, int] | None = None,
        trust: Trust | None = None,
    ) -> Merge:  # fmt: skip
        """Their merge, onto ``base`` (the log merged into, of ``version``) if given.

        With ``trust``, what it does not take in is held back (see :class:`Trust`).
        """
        versions = self.versions if version is None else [*self.versions, version]
        below = [entry for _, entries in base.logs for entry in entries] if base else []
        return merge_entries(self.logs, base=below, versions=versions, trust=trust)

    def current(self) -> list[Record]:
        """The current records of the inputs merged, oldest first."""
        found = [event["rec"] for event in self.merged().heads.values() if event["op"] == PUT]
        found.sort(key=lambda rec: datetime.fromisoformat(rec["created_at"]))
        return found

    def close(self) -> None:
        """Let go of the input files (their lines can no longer be read back)."""
        for lines in self.files:
            lines.close()


def read_held(path: Path) -> list[tuple[Event, bytes | None]]:
    """The events an earlier merge held back in the side file ``path`` (none if it is absent).

    A side file that is not a log, or has damaged lines, stops the merge before anything
    is written: it holds events the user has not decided on yet.
    """
    if not path.exists():
        return []
    batch = Journal(path).read(raw=True)
    if batch.problems or batch.incomplete_tail:
        raise LogError(f"{path} has damaged lines: move it away, or run "
                       f"`retro --log {path} compact` first")  # fmt: skip
    return list(zip(batch.events, batch.raw or [], strict=True))


def read_inputs(
    paths: Sequence[Path], *, skip_bad: bool, keep: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Inputs:  # fmt: skip
    """Every input's entries, its lines left in the file to be read back.

    A damaged line stops everything, naming file and line, unless ``skip_bad``.
    ``progress`` is told the size of each file once it is read. With ``keep`` False,
    nothing of these files is kept in the cache (copies that will not be seen again).
    """
    found = Inputs()
    for path in paths:
        journal, lines, entries, bad = read_log(path, keep=keep)
        found.files.append(lines)
        if bad and not skip_bad:
            found.close()
            raise LogError(f"{path}: {bad[0]} (nothing was written; --skip-bad merges "
                           "the good lines and sets the bad ones aside)")  # fmt: skip
        if bad:
            found.damaged.append((path, bad))
        found.logs.append((str(path), entries))
        found.versions.append(journal.version)
        if progress is not None:
            progress(path.stat().st_size)
    return found


@gc_paused()
def read_log(path: Path, *, keep: bool = True) -> tuple[Journal, FileLines, list[Entry],
                                                         list[Problem]]:  # fmt: skip
    """One log's entries and damaged lines (a torn last line included), and its file open.

    Every line is checked, but for those a check kept in the cache vouches for (see
    :mod:`retro.store.checked`); ``keep`` False keeps nothing of this one there.
    """
    checked, lines = CheckedLog(path, keep=keep, at_once=True), FileLines(path)
    claims = _Claims({(None, None): None})
    make = Entry._make
    entries = [make((f"{rev}\0{rid}", rid, prev, life, dead == 1, claims[team, kind], lines,
                     off, size, crc))
               for _, off, size, rev, rid, prev, life, dead, team, kind, crc in checked]
    journal = checked.journal
    if entries:
        stream = journal.reopen()
        if stream is None:
            raise LogError(f"{path} changed while it was read: run it again")
        lines.attach(stream)
    damaged = [problem for problem in checked.problems if problem.offset >= 0]
    return journal, lines, entries, _with_tail(journal, damaged)


class _Claims(dict[tuple[str | None, str | None], Claim | None]):
    """One (team, kind) tuple for every put that claims it, shared; None for deletions."""

    def __missing__(self, key: tuple[str | None, str | None]) -> Claim | None:
        team, kind = key
        assert team is not None and kind is not None
        self[key] = claim = (team, kind)
        return claim


def _with_tail(journal: Journal, problems: Sequence[Problem]) -> list[Problem]:
    """``problems``, and the last line when it is torn (read by ``journal``)."""
    bad = list(problems)
    if journal.incomplete_tail:
        size = journal.path.stat().st_size
        bad.append(Problem(journal.lines_read + 1, "the last line is incomplete",
                           journal.offset, size - journal.offset))  # fmt: skip
    return bad

