"""Reading the logs a merge or a report takes in, every one checked before anything is written.

An input is read once, line by line, into :class:`~retro.merge.Entry` items (where each
event is, and the little merging decides on); its lines are read back from the file by
offset when they are written. A log read before on this machine has a snapshot in the
cache (:mod:`retro.store.snapshot`): when it is current for this very file, its lines
were validated when it was built or caught up, and each is only checked to be the event
it claims (its content hash) rather than validated again. A log without one is
validated line by line, and no snapshot is made for it (a merge's inputs are often
copies: git's merge driver is handed temporary files).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import orjson

from retro.bulk import gc_paused
from retro.errors import LogError
from retro.merge import Entry, Merge, entry_of, merge_entries
from retro.model import Record
from retro.store.events import DEL, PUT, Event, decode_exactly, hash_matches, is_header
from retro.store.journal import Journal, Position, Problem, read_lines
from retro.store.snapshot import Snapshot, snapshot_file
from retro.trust import Claim, Trust

_CHUNK = 1024 * 1024  # bytes read at once when lines are read back in file order
_GAP = 4096  # a line starting this close after the last one read is read with its neighbours
_DIGITS = bytes.maketrans(b"123456789", b"000000000")  # a run of digits becomes one of zeros
_LONG_NUMBER = b"0" * 19  # an integer beyond 64 bits, which orjson may read as a float


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
        if hash(line) != entry.check:
            raise LogError(f"{self.path} changed while it was read: nothing was written; "
                           "run it again")  # fmt: skip
        return line

    def event(self, entry: Entry) -> Event:
        """The event of ``entry``: its line (checked to be the one read) as decode reads it."""
        line = self.line(entry)
        long = _LONG_NUMBER in line.translate(_DIGITS)
        decoded = decode_exactly(line) if long else orjson.loads(line)
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
    paths: Sequence[Path], *, skip_bad: bool, raw: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Inputs:  # fmt: skip
    """Every input's entries, its lines left in the file to be read back.

    A damaged line stops everything, naming file and line, unless ``skip_bad``.
    ``progress`` is told the size of each file once it is read. (``raw`` is no longer
    needed: the lines are always read back from the files.)
    """
    found = Inputs()
    for path in paths:
        journal, lines, entries, bad = read_log(path)
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
def read_log(path: Path) -> tuple[Journal, FileLines, list[Entry], list[Problem]]:
    """One log's entries and damaged lines (a torn last line included), and its file open.

    Through its snapshot when one is kept (caught up, or rebuilt when stale), else
    validated line by line.
    """
    kept = snapshot_file(path)
    if kept is not None and kept.exists():
        snapshot = Snapshot(Journal(path))
        try:
            snapshot.sync()
        finally:
            snapshot.close()
        journal, lines = snapshot.journal, FileLines(path)
        stream = journal.reopen()
        if stream is not None:
            lines.attach(stream)
            try:
                entries = _checked(stream, journal.position, snapshot.problems, lines)
            except _Untrusted:  # the file changed in place since: validate it all
                lines.close()
            else:
                return journal, lines, entries, _with_tail(journal, snapshot.problems)
    return _validated(path)


class _Untrusted(Exception):
    """A line the snapshot vouched for is not what it claims: the log changed in place."""


def _checked(stream: BinaryIO, position: Position | None, problems: Sequence[Problem],
             lines: FileLines) -> list[Entry]:  # fmt: skip
    """The entries of the lines a current snapshot validated, each checked against its hash."""
    if position is None:
        return []
    skip = {problem.offset for problem in problems}
    claims: dict[Claim, Claim] = {}
    entries: list[Entry] = []
    off, end = len(position.head), position.offset
    stream.seek(off)
    for raw, size, terminated in read_lines(stream):
        if off >= end:
            break
        here, off = off, off + size + terminated
        if skip and here in skip:
            continue
        text, lead = _stripped(raw)
        if not text or (text.startswith(b'{"format":') and is_header(text)):
            continue
        try:
            event = orjson.loads(text)
            if not (_shaped(event) and hash_matches(event, text)):
                raise _Untrusted
        except (orjson.JSONDecodeError, UnicodeEncodeError) as err:
            raise _Untrusted from err
        entries.append(entry_of(event, lines, here + lead, len(text), hash(text), claims))
    return entries


def _shaped(event: object) -> bool:
    """True when ``event`` has what a merge reads of it, of the right types."""
    if type(event) is not dict:
        return False
    prev, op, rec = event.get("prev"), event.get("op"), event.get("rec")
    return (type(event.get("rev")) is str and type(event.get("id")) is str
            and (prev is None or type(prev) is str) and type(event.get("life", 0)) is int
            and (op == DEL or (op == PUT and type(rec) is dict and type(rec.get("team")) is str
                               and type(rec.get("kind")) is str)))  # fmt: skip


def _validated(path: Path) -> tuple[Journal, FileLines, list[Entry], list[Problem]]:
    """One log's entries, every line validated."""
    journal, lines = Journal(path), FileLines(path)
    claims: dict[Claim, Claim] = {}
    entries: list[Entry] = []
    problems: list[Problem] = []
    for line, offset, size, raw, decoded in journal.lines():
        if type(decoded) is str:
            problems.append(Problem(line, decoded, offset, size))
            continue
        text, lead = _stripped(raw)
        entries.append(entry_of(decoded, lines, offset + lead, len(text), hash(text),  # type: ignore[arg-type]
                                claims))  # fmt: skip
    if entries:
        stream = journal.reopen()
        if stream is None:
            raise LogError(f"{path} changed while it was read: run it again")
        lines.attach(stream)
    return journal, lines, entries, _with_tail(journal, problems)


def _stripped(raw: bytes) -> tuple[bytes, int]:
    """A line without the blanks around it, and how many it began with."""
    if raw[:1] == b"{" and raw[-1:] == b"}":
        return raw, 0
    text = raw.strip()
    return text, len(raw) - len(raw.lstrip())


def _with_tail(journal: Journal, problems: Sequence[Problem]) -> list[Problem]:
    """``problems``, and the last line when it is torn (read by ``journal``)."""
    bad = list(problems)
    if journal.incomplete_tail:
        size = journal.path.stat().st_size
        bad.append(Problem(journal.lines_read + 1, "the last line is incomplete",
                           journal.offset, size - journal.offset))  # fmt: skip
    return bad

