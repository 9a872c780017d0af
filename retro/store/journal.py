"""The journal: a log file of JSON Lines, appended under a lock and read as a stream.

Appending costs one locked, fsynced write whatever the size of the log; nothing
written is ever rewritten except by :meth:`Journal.compact`, which replaces the
file atomically. Reading never modifies the file: damaged lines are reported as
:class:`Problem` and skipped.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO

from retro import fsio
from retro.bulk import gc_paused
from retro.errors import LogError, NotALogError, TooLargeError
from retro.fsio import copy_lines, write_atomically
from retro.model import MAX_LINE_BYTES
from retro.store.events import (
    VERSION,
    Event,
    canonical_text,
    decode,
    encode,
    generation,
    header,
    is_header,
    parse_header,
)

DEFAULT_MAX_LOG_BYTES = 2 * 1024**3
_HEADER_PEEK = 4096
_YIELD_EVERY = 256  # lines read between two chances for other threads to run
_MARK_BYTES = 64  # bytes before the offset read so far that must still be there to go on


def mark_before(fd: int, offset: int, head: bytes) -> bytes:
    """The bytes of the open log ``fd`` just before ``offset`` (after its header ``head``):
    what tells, with the header, that a log read up to there is still the file read."""
    size = min(_MARK_BYTES, offset - len(head))
    return os.pread(fd, size, offset - size) if size > 0 else b""


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


# One line of a log as read: its number, offset, size (without the newline), its bytes
# (without the newline), and its event or what is wrong with it.
Item = tuple[int, int, int, bytes, "Event | str"]


@dataclass(frozen=True)
class Position:
    """Where reading a log stopped, and what tells that it is still the same file."""

    file: tuple[int, int]  # device and inode
    head: bytes  # the header line, as read
    offset: int
    mark: bytes  # the bytes just before the offset
    line: int
    open_line: bool  # the last line consumed had no newline
    version: tuple[int, int]


@dataclass(frozen=True)
class Compaction:
    """What :meth:`Journal.compact` did."""

    kept: int  # events written
    dropped: int  # duplicate events left out
    rejected: int  # damaged lines set aside
    side: Path | None  # where they were set aside (None: there were none)


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


class Journal:
    """One log file: locked appends, full and incremental reads, verification, compaction."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.version = VERSION
        self._offset = 0
        self._file: tuple[int, int] | None = None  # the device and inode read so far
        self._head = b""  # its header line, as read
        self._mark = b""  # the bytes just before the offset, as read
        self._line = 1
        self._open_line = False  # the last line consumed had no newline
        self.incomplete_tail = False  # the last read met a torn (or unfinished) last line
        # Sees each stream opened to read lines (e.g. to hash what is read); None: no one.
        self.tap: Callable[[BinaryIO], BinaryIO] | None = None

    # --- writing --------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, create: bool) -> Iterator[int]:
        """Open the log and hold its lock, retrying if compaction replaced the file meanwhile."""
        flags = os.O_RDWR | os.O_APPEND | (os.O_CREAT if create else 0)
        with fsio.locked(self.path, lambda: self._open(flags, create)) as fd:
            yield fd

    def _open(self, flags: int, create: bool) -> int:
        """Open the log file; refuse anything that is not a regular file, without blocking."""
        try:
            return fsio.open_regular(self.path, flags)
        except FileNotFoundError as err:
            raise LogError(self._missing_message(create)) from err
        except IsADirectoryError as err:
            raise LogError(f"{self.path} is a directory, not a log") from err
        except OSError as err:
            if err.errno == errno.EINVAL:
                raise LogError(f"{self.path} is not a regular file, not a log") from err
            raise LogError(f"cannot open {self.path}: {err.strerror}") from err

    @contextlib.contextmanager
    def locked(self, *, create: bool = True) -> Iterator[None]:
        """Hold the log's lock (creating the file if needed and asked): appends wait meanwhile."""
        with self._locked(create=create):
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
            lead = self._lead(fd, os.fstat(fd).st_size)
            size = os.fstat(fd).st_size
            try:
                fsio.write_all(fd, lead + data)
                os.fsync(fd)
            except OSError as err:
                self._take_back(fd, size)
                raise LogError(f"cannot write {self.path}: {err.strerror} "
                               "(nothing was recorded)") from err  # fmt: skip
            if lead.startswith(b"{"):  # the file was (re)started
                fsio.fsync_dir(fsio.resolve_link(self.path).parent)

    @staticmethod
    def _take_back(fd: int, size: int) -> None:
        """Cut a failed append's partial line off (the lock is still held): the log stays whole."""
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
            os.fsync(fd)

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

    def _open_lines(self) -> tuple[BinaryIO, os.stat_result]:
        """The log open to read its lines, through :attr:`tap` if one is set."""
        stream, info = self._open_for_read()
        return (stream if self.tap is None else self.tap(stream)), info

    def read(self, *, raw: bool = False) -> Batch:
        """Read the whole log. Raises :class:`LogError` when it is missing or not a log.

        With ``raw``, the batch also holds the line each event was read from.
        """
        return self._collect(self.lines(), raw)

    def read_new(self) -> Batch | None:
        """Read only what was appended since the last read; None when the file was replaced
        (see :meth:`new_lines`)."""
        items = self.new_lines()
        return None if items is None else self._collect(items, False)

    def _collect(self, items: Iterator[Item], raw: bool) -> Batch:
        batch = Batch(raw=[] if raw else None)
        events, lines, problems, kept = batch.events, batch.lines, batch.problems, batch.raw
        with gc_paused():
            for line, offset, size, text, decoded in items:
                if type(decoded) is str:
                    problems.append(Problem(line, decoded, offset, size))
                    continue
                events.append(decoded)  # type: ignore[arg-type]
                lines.append(line)
                if kept is not None:
                    kept.append(text.strip() + b"\n")
        batch.incomplete_tail = self.incomplete_tail
        return batch

    def lines(self) -> Iterator[Item]:
        """Stream the whole log, line by line: (line number, offset, size, the line without its
        newline, the event or what is wrong with the line). Raises :class:`LogError` when the
        log is missing or not a log. Afterwards, :attr:`incomplete_tail` says whether the last
        line is torn (or still being written): it is not among the lines.
        """
        stream, info = self._open_lines()
        try:
            first = stream.readline(_HEADER_PEEK)
            if not first:
                raise NotALogError(
                    f"{self.path} is empty, not a retro log yet "
                    "(record an entry with `retro checkin` to start it)"
                )
            if not first.endswith(b"\n") and header().startswith(first):
                stream.close()
                self._file = None  # its creation was cut short: nothing recorded yet
                self.incomplete_tail = True
                return iter(())
            self.version = parse_header(first.rstrip(b"\n"), str(self.path))
        except BaseException:
            stream.close()
            raise
        self._file, self._head = fsio.identity(info), first
        self._offset, self._line = len(first), 1
        self._open_line = not first.endswith(b"\n")
        return self._stream(stream)

    def new_lines(self) -> Iterator[Item] | None:
        """Stream only what was appended since the last read, like :meth:`lines`; None when
        the file was replaced.

        Replaced means more than another inode (a file system reuses the number of
        a deleted file at once): a header that changed (a rewrite names its
        generation there), a file shorter than what was read, or other bytes just
        before where reading stopped. When in doubt, the caller reads it all again.
        """
        if self._file is None:
            return None
        try:
            stream, info = self._open_lines()
        except LogError:
            if not self.path.exists():
                return None
            raise
        if not self._still_read(stream.fileno(), info):
            stream.close()
            return None
        if info.st_size == self._offset:
            stream.close()
            self.incomplete_tail = False
            return iter(())
        return self._stream(stream)

    def reopen(self) -> BinaryIO | None:
        """The file read so far, open again (at its start) to read its lines back by offset;
        None when nothing was read or the file was replaced since (see :meth:`new_lines`)."""
        if self._file is None:
            return None
        stream, info = self._open_for_read()
        if not self._still_read(stream.fileno(), info):
            stream.close()
            return None
        return stream

    def _stream(self, stream: BinaryIO) -> Iterator[Item]:
        """The lines of the open log from the offset read so far; closes it when done."""
        with stream:
            stream.seek(self._offset)
            yield from self._items(stream)
            self._remember(stream.fileno())

    def matching(self, needle: bytes) -> Iterator[Event]:
        """The events on the lines that hold ``needle``, in log order: only those lines are
        decoded (e.g. the revisions of one record, by its id)."""
        stream, _ = self._open_for_read()
        with stream:
            for raw, size, _terminated in read_lines(stream):
                if needle in raw:
                    decoded = decode_line(raw, size)
                    if type(decoded) is not str:
                        yield decoded  # type: ignore[misc]

    @property
    def position(self) -> Position | None:
        """Where reading stopped, to :meth:`resume` from in another process (None: nothing
        read yet)."""
        if self._file is None:
            return None
        return Position(self._file, self._head, self._offset, self._mark, self._line,
                        self._open_line, self.version)  # fmt: skip

    def resume(self, position: Position) -> None:
        """Go on from ``position`` (see :attr:`position`): :meth:`new_lines` then reads only
        what was appended since, or says the file was replaced."""
        self._file, self._head, self._offset = position.file, position.head, position.offset
        self._mark, self._line, self._open_line = position.mark, position.line, position.open_line
        self.version = position.version

    def _still_read(self, fd: int, info: os.stat_result) -> bool:
        """True when the open file is the one read so far, grown at most."""
        if fsio.identity(info) != self._file or info.st_size < self._offset:
            return False
        mark = self._mark
        return (os.pread(fd, len(self._head), 0) == self._head
                and os.pread(fd, len(mark), self._offset - len(mark)) == mark)  # fmt: skip

    def _remember(self, fd: int) -> None:
        """Keep the bytes just before the offset: a replaced file is unlikely to hold them there."""
        self._mark = mark_before(fd, self._offset, self._head)

    def _items(self, stream: BinaryIO) -> Iterator[Item]:
        """Decode lines from the current position, advancing over complete lines only."""
        self.incomplete_tail = False
        line, offset = self._line, self._offset
        shared = threading.active_count() > 1  # e.g. the app's screen, while this thread reads
        for raw, size, terminated in read_lines(stream):
            if shared and not line % _YIELD_EVERY:
                time.sleep(0)  # let the other threads run: the GIL is not handed over promptly
            if self._open_line:  # the last line read had no newline: this one ends it
                self._open_line = False
                if not raw and terminated:
                    offset += 1
                    self._offset = offset
                    continue
            if not raw.strip() or is_header(raw):  # a header inside: from a union of two logs
                line, offset = line + 1, offset + size + terminated
                self._open_line = not terminated
                self._line, self._offset = line, offset
                continue
            decoded = decode_line(raw, size)
            if not terminated and type(decoded) is str:
                self.incomplete_tail = True  # being written now, or torn by a crash
                break
            line += 1
            self._open_line = not terminated
            self._line, self._offset = line, offset + size + terminated
            yield line, offset, size, raw, decoded
            offset += size + terminated

    # --- rewriting ------------------------------------------------------------------

    def rewrite(self, lines: Iterable[bytes] | fsio.Headed) -> None:
        """Replace the log by ``lines`` atomically (hold :meth:`locked` meanwhile).

        A log reached through a symbolic link stays linked: the link's target is
        rewritten, but only when it is a retro log already; a link to anything
        else (or to nothing) is refused, so that a planted link cannot turn a
        rewrite into an overwrite of another file.
        """
        if os.path.islink(self.path):
            self._check_link()
        write_atomically(self.path, lines, follow_link=True)

    def _check_link(self) -> None:
        refusal = f"{self.path} is a link to something that is not a retro log: not rewritten"
        try:
            fd = self._open(os.O_RDONLY, create=False)
        except LogError as err:
            raise LogError(refusal) from err
        with os.fdopen(fd, "rb") as stream:
            first = stream.readline(_HEADER_PEEK)
        try:
            parse_header(first.rstrip(b"\n"), str(self.path))
        except NotALogError as err:
            raise LogError(refusal) from err


    def compact(self) -> Compaction:
        """Rewrite the log atomically: duplicates dropped, deterministic order.

        Damaged lines (a torn last line included) are moved, verbatim, to
        ``<log>.rejected``. The log is streamed: memory holds each event's place in the
        file (its revision, id, offset and size), and the lines are copied from there.
        """
        with self._locked(create=False):
            places, rejected = self._places()
            size = os.stat(self.path).st_size
            if self.incomplete_tail:
                rejected.append(Problem(self._line + 1, "torn", self._offset, size - self._offset))
            side = None
            if rejected:
                side = fsio.side_file(self.path, ".rejected")
                copy_lines(self.path, rejected, side)
            with open(self.path, "rb") as source:  # read by offset: not mapped, not held
                fd = source.fileno()
                kept = sum(1 for _ in _distinct(places, fd))
                lead = header(max(self.version, VERSION), generation(_distinct(places, fd)))
                self.rewrite(itertools.chain([lead], _distinct(places, fd)))
        self._file = None
        return Compaction(kept, len(places) - kept, len(rejected), side)

    def _places(self) -> tuple[list[_Place], list[Problem]]:
        """Where each event is (sorted by revision and id), and the damaged lines."""
        places: list[_Place] = []
        rejected: list[Problem] = []
        with gc_paused():
            for line, offset, size, raw, decoded in self.lines():
                if type(decoded) is str:
                    rejected.append(Problem(line, decoded, offset, size))
                    continue
                event: Event = decoded  # type: ignore[assignment]
                text = canonical_text(event, raw)
                key = f"{event['rev']}\0{event['id']}"  # sorts as (rev, id): \0 is below all
                places.append((key, offset, size, None if text is raw else text))
            places.sort(key=itemgetter(0))
        return places, rejected


# Where an event's line is: "<rev>\0<id>", offset, size, and its canonical text when the
# line is not that already (None: copy the line).
_Place = tuple[str, int, int, bytes | None]


def _distinct(places: list[_Place], fd: int) -> Iterator[bytes]:
    """Each distinct line of ``places`` once, in (rev, id, line) order, read from ``fd``."""

    def text(place: _Place) -> bytes:
        return place[3] if place[3] is not None else os.pread(fd, place[2], place[1])

    n, count = 0, len(places)
    while n < count:
        key, end = places[n][0], n + 1
        while end < count and places[end][0] == key:
            end += 1
        if end == n + 1:
            yield text(places[n]) + b"\n"
        else:  # the same event more than once (or two altered alike): each text once
            yield from (line + b"\n" for line in sorted({text(p) for p in places[n:end]}))
        n = end
