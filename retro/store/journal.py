"""The journal: a log file of JSON Lines, appended under a lock and read as a stream.

Appending costs one locked, fsynced write whatever the size of the log; nothing
written is ever rewritten except by :meth:`Journal.compact`, which replaces the
file atomically. Reading never modifies the file: damaged lines are reported as
:class:`Problem` and skipped.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from retro.bulk import gc_paused
from retro.errors import LogError, NotALogError, TooLargeError
from retro.model import MAX_LINE_BYTES
from retro.store.events import (
    VERSION,
    Event,
    canonical,
    content_hash,
    decode,
    encode,
    header,
    parse_header,
)

DEFAULT_MAX_LOG_BYTES = 2 * 1024**3
_HEADER_PEEK = 4096
_YIELD_EVERY = 256  # lines read between two chances for other threads to run


def max_log_bytes() -> int:
    """The largest log retro will read (``RETRO_MAX_LOG_BYTES`` overrides the default)."""
    try:
        return int(os.environ.get("RETRO_MAX_LOG_BYTES", DEFAULT_MAX_LOG_BYTES))
    except ValueError:
        return DEFAULT_MAX_LOG_BYTES


@dataclass
class Problem:
    """A line of a log that could not be used: where it is and what is wrong."""

    line: int
    message: str
    offset: int = -1
    size: int = 0

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class Batch:
    """What one read of a log produced."""

    events: list[Event] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line number of each event
    problems: list[Problem] = field(default_factory=list)
    incomplete_tail: bool = False  # the last line has no newline yet and does not parse
    raw: list[bytes] | None = None  # each event's line as read, when asked for


def decode_line(raw: bytes, size: int | None = None) -> Event | str:
    """The event on one line, or a message saying what is wrong with it."""
    size = len(raw) if size is None else size
    if size > MAX_LINE_BYTES:
        return f"the line is {size:,} bytes, over the {MAX_LINE_BYTES:,}-byte limit"
    return decode(raw)


def read_lines(stream: BinaryIO) -> Iterator[tuple[bytes, int, bool]]:
    """Yield (line, its size, terminated) for each line; an oversized line is cut, not held."""
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 2)
        if not raw:
            return
        if raw.endswith(b"\n"):
            yield raw[:-1], len(raw) - 1, True
        elif len(raw) <= MAX_LINE_BYTES + 1:  # the end of the file, without a newline
            yield raw, len(raw), False
            return
        else:
            size, rest = len(raw), raw
            while rest and not rest.endswith(b"\n"):
                rest = stream.readline(1024 * 1024)
                size += len(rest)
            terminated = rest.endswith(b"\n")
            yield raw, size - terminated, terminated


def copy_lines(source: Path, problems: Sequence[Problem], target: Path) -> None:
    """Append the damaged lines of ``source`` to ``target`` verbatim, durably."""
    with open(source, "rb") as inp, open(target, "ab") as out:
        for problem in problems:
            inp.seek(problem.offset)
            left = problem.size
            while left:
                chunk = inp.read(min(left, 1024 * 1024))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
            out.write(b"\n")
        out.flush()
        os.fsync(out.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class Journal:
    """One log file: locked appends, full and incremental reads, verification, compaction."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.version = VERSION
        self._offset = 0
        self._inode: int | None = None
        self._line = 1
        self._open_line = False  # the last line consumed had no newline

    # --- writing --------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, create: bool) -> Iterator[int]:
        """Open the log and hold its lock, retrying if compaction replaced the file meanwhile."""
        flags = os.O_RDWR | os.O_APPEND | (os.O_CREAT if create else 0)
        while True:
            fd = self._open(flags, create)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
                except FileNotFoundError:
                    same = False
                if same:
                    yield fd
                    return
            finally:
                os.close(fd)

    def _open(self, flags: int, create: bool) -> int:
        """Open the log file; refuse anything that is not a regular file, without blocking."""
        try:
            fd = os.open(self.path, flags | os.O_CLOEXEC | os.O_NONBLOCK, 0o644)
        except FileNotFoundError as err:
            raise LogError(self._missing_message(create)) from err
        except IsADirectoryError as err:
            raise LogError(f"{self.path} is a directory, not a log") from err
        except OSError as err:
            raise LogError(f"cannot open {self.path}: {err.strerror}") from err
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            what = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise LogError(f"{self.path} is {what}, not a log")
        return fd

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the log's lock (creating the file if needed): appends wait meanwhile."""
        with self._locked(create=True):
            yield

    @property
    def offset(self) -> int:
        """Bytes of the file read so far (complete lines only)."""
        return self._offset

    @property
    def lines_read(self) -> int:
        """Lines read so far, header included."""
        return self._line

    def _missing_message(self, create: bool) -> str:
        if create:
            return f"cannot create {self.path}: its folder {self.path.parent} does not exist"
        return f"no log at {self.path} (record an entry with `retro checkin` to start one)"

    def _lead(self, fd: int, size: int) -> bytes:
        """Check the header of an open log; return the bytes to write before a new line.

        A file that holds only the start of a header (its creation was cut short)
        recorded nothing yet: it is started again.
        """
        if size == 0:
            return header()
        head = os.pread(fd, _HEADER_PEEK, 0)
        if size < len(header()) and header().startswith(head):
            os.ftruncate(fd, 0)
            return header()
        first = head.split(b"\n", 1)[0]
        if b"\n" not in head and size > len(first):
            raise NotALogError(f"{self.path} is not a retro log (no header line)")
        self.version = max(self.version, parse_header(first, str(self.path)))
        return b"" if os.pread(fd, 1, size - 1) == b"\n" else b"\n"

    def append(self, events: Sequence[Event]) -> None:
        """Append ``events`` durably: locked, one write, fsynced before returning."""
        lines = [encode(event) for event in events]
        if any(len(line) > MAX_LINE_BYTES for line in lines):
            raise TooLargeError(f"an entry is over the {MAX_LINE_BYTES:,}-byte line limit")
        data = b"".join(lines)
        with self._locked(create=True) as fd:
            size = os.fstat(fd).st_size
            lead = self._lead(fd, size)
            try:
                _write_all(fd, lead + data)
                os.fsync(fd)
            except OSError as err:
                raise LogError(f"cannot write {self.path}: {err.strerror}") from err
            if lead.startswith(b"{"):  # the file was (re)started
                _fsync_dir(self.path)

    # --- reading --------------------------------------------------------------------

    def _open_for_read(self) -> tuple[BinaryIO, os.stat_result]:
        stream = os.fdopen(self._open(os.O_RDONLY, create=False), "rb")
        info = os.fstat(stream.fileno())
        limit = max_log_bytes()
        if info.st_size > limit:
            stream.close()
            raise TooLargeError(
                f"{self.path} is {info.st_size:,} bytes, over the {limit:,}-byte limit "
                "(set RETRO_MAX_LOG_BYTES to allow more)"
            )
        return stream, info

    def read(self, *, raw: bool = False) -> Batch:
        """Read the whole log. Raises :class:`LogError` when it is missing or not a log.

        With ``raw``, the batch also holds the line each event was read from.
        """
        stream, info = self._open_for_read()
        with stream:
            first = stream.readline(_HEADER_PEEK)
            if not first:
                raise NotALogError(
                    f"{self.path} is empty, not a retro log yet "
                    "(record an entry with `retro checkin` to start it)"
                )
            if not first.endswith(b"\n") and header().startswith(first):
                self._inode = None  # its creation was cut short: nothing recorded yet
                return Batch(incomplete_tail=True, raw=[] if raw else None)
            self.version = parse_header(first.rstrip(b"\n"), str(self.path))
            self._inode, self._offset, self._line = info.st_ino, len(first), 1
            self._open_line = not first.endswith(b"\n")
            return self._read_from(stream, raw)

    def read_new(self) -> Batch | None:
        """Read only what was appended since the last read; None when the file was replaced."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        if info.st_ino != self._inode or info.st_size < self._offset:
            return None
        if info.st_size == self._offset:
            return Batch()
        stream, _ = self._open_for_read()
        with stream:
            stream.seek(self._offset)
            return self._read_from(stream)

    @gc_paused()
    def _read_from(self, stream: BinaryIO, raw_lines: bool = False) -> Batch:
        """Decode lines from the current position, advancing over complete lines only."""
        batch = Batch(raw=[] if raw_lines else None)
        events, lines, problems, kept = batch.events, batch.lines, batch.problems, batch.raw
        line, offset = self._line, self._offset
        shared = threading.active_count() > 1  # e.g. the app's screen, while this thread reads
        for raw, size, terminated in read_lines(stream):
            if shared and not line % _YIELD_EVERY:
                time.sleep(0)  # let the other threads run: the GIL is not handed over promptly
            if self._open_line:  # the last line read had no newline: this one ends it
                self._open_line = False
                if not raw and terminated:
                    offset += 1
                    continue
            if not raw.strip():
                line, offset = line + 1, offset + size + terminated
                continue
            decoded = decode_line(raw, size)
            if not terminated and isinstance(decoded, str):
                batch.incomplete_tail = True  # being written now, or torn by a crash
                break
            line += 1
            if isinstance(decoded, str):
                problems.append(Problem(line, decoded, offset, size))
            else:
                events.append(decoded)
                lines.append(line)
                if kept is not None:
                    kept.append(raw.strip() + b"\n")
            offset += size + terminated
            self._open_line = not terminated
        self._line, self._offset = line, offset
        return batch

    def scan(self) -> tuple[Batch, list[Problem]]:
        """Read everything like :meth:`read`, and also check what a reader can skip.

        Returns the batch and the extra problems: revisions whose hash does not
        match their content, one revision with two contents, and a torn last line.
        """
        batch = self.read()
        extra: list[Problem] = []
        seen: dict[str, str] = {}
        for line, event in zip(batch.lines, batch.events, strict=True):
            rev = event["rev"]
            if content_hash(event) != rev[-16:]:
                message = "the content does not match its revision (edited by hand or damaged)"
                extra.append(Problem(line, message))
            text = canonical(event)
            if seen.setdefault(rev, text) != text:
                extra.append(Problem(line, f"revision {rev} appears again with another content"))
        if batch.incomplete_tail:
            extra.append(Problem(self._line + 1, "the last line is incomplete (a torn write)"))
        return batch, extra

    # --- compaction -----------------------------------------------------------------

    def compact(self) -> tuple[int, int, int, Path | None]:
        """Rewrite the log atomically: duplicates dropped, deterministic order.

        Damaged lines (a torn last line included) are moved, verbatim, to
        ``<log>.rejected``. Returns (events kept, duplicates dropped, lines
        rejected, side file or None).
        """
        with self._locked(create=False):
            batch = self.read()
            rejected = list(batch.problems)
            size = os.stat(self.path).st_size
            if batch.incomplete_tail:
                rejected.append(Problem(self._line + 1, "torn", self._offset, size - self._offset))
            unique = {encode(event): (event["rev"], event["id"]) for event in batch.events}
            ordered = sorted(unique, key=lambda line: (*unique[line], line))
            side = None
            if rejected:
                side = self.path.with_name(self.path.name + ".rejected")
                copy_lines(self.path, rejected, side)
            write_atomically(self.path, [header(max(self.version, VERSION)), *ordered])
        self._inode = None
        return len(ordered), len(batch.events) - len(ordered), len(rejected), side


def write_atomically(path: Path, chunks: Sequence[bytes]) -> None:
    """Replace ``path`` by ``chunks``: temp file, fsync, rename, directory fsync."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
        try:
            for chunk in chunks:
                _write_all(fd, chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise LogError(f"cannot write {path}: {err.strerror}") from err
    _fsync_dir(path)
