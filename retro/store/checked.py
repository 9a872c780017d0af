"""What checking a whole log learned, kept so that the next check reads only what was appended.

``retro verify`` and ``retro merge`` check every line of a log: that it is a valid event
whose revision's hash matches its content (:func:`~retro.store.events.decode`), in its
canonical form too (:func:`~retro.store.events.canonical_hash_matches`). That costs about
three times parsing the line. What a check learns is kept in the user's cache beside the
snapshot (:mod:`retro.store.cachedb`): for each event its line number, where its line is,
what a merge decides on (revision, id, the revision it follows, its life, whether it is a
deletion, its team and kind) and a CRC of the line; every damaged line and every line whose
canonical form does not match its revision; and a BLAKE2b digest of the bytes checked,
hashed as they were read.

The next check hashes those bytes again, at a fraction of the cost of parsing them. The
same digest means the same bytes: only the lines after them are checked. Any other (the
log was rewritten, or changed in place), and the whole log is checked again. With
``full``, it always is.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, cast

import orjson

from retro import __version__, fsio
from retro.errors import LogError
from retro.store.cachedb import cache_file, connect, get_meta, prepare, remove, set_meta
from retro.store.events import DEL, HASH_MISMATCH, PUT, Event, canonical_hash_matches
from retro.store.journal import Item, Journal, Position, Problem, mark_before

SCHEMA = 2  # raise it when what a check accepts, or what is kept, changes
SUFFIX = ".checked.sqlite3"
_CHUNK = 20_000  # rows written at once
_READ = 16 * 1024 * 1024  # bytes hashed at once: few turns for the GIL, for another thread
_BUSY_MS = 2_000  # another process storing the same log's check: leave it to that one

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;
CREATE TABLE rows (first INTEGER PRIMARY KEY, count INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE problems (line INTEGER NOT NULL, message TEXT NOT NULL, off INTEGER NOT NULL,
                       size INTEGER NOT NULL);
"""

# One event as a check keeps it: line number, offset and size of its line (without the
# blanks around it), rev, id, prev, life, 1 for a deletion (else 0), team and kind (a
# put's; else None), and the CRC-32 of the line. Kept as JSON arrays of up to _CHUNK rows:
# read back at a fraction of the cost of an SQLite row each.
Row = list[Any]


class _Tap:
    """A log's stream that hashes what is read from it.

    Each line read is hashed once the next one is asked for; the last one only when
    :meth:`end` finds that reading consumed it (a torn last line is not).
    """

    def __init__(self, digest: Any, start: int) -> None:
        self.digest, self.hashed = digest, start
        self._stream: BinaryIO | None = None
        self._held = b""

    def attach(self, stream: BinaryIO) -> BinaryIO:
        self._stream = stream
        return cast(BinaryIO, self)

    def readline(self, size: int = -1) -> bytes:
        assert self._stream is not None
        if self._held:
            self.digest.update(self._held)
            self.hashed += len(self._held)
        self._held = self._stream.readline(size)
        return self._held

    def seek(self, offset: int, whence: int = 0) -> int:
        assert self._stream is not None
        return self._stream.seek(offset, whence)

    def fileno(self) -> int:
        assert self._stream is not None
        return self._stream.fileno()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()

    def __enter__(self) -> _Tap:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def end(self, offset: int) -> bool:
        """True when the digest covers exactly the bytes before ``offset`` (where reading
        stopped), the last line read included if it was consumed."""
        if self._held and self.hashed + len(self._held) == offset:
            self.digest.update(self._held)
            self.hashed, self._held = offset, b""
        return self.hashed == offset


class CheckedLog:
    """One log as a whole-log check sees it: iterate for its events' rows, in line order.

    Only what the cache does not vouch for is read and checked (see the module's notes).
    Afterwards, :attr:`problems` holds every damaged line (with its offset) and every line
    whose canonical form does not match its revision (offset -1), and :attr:`journal` says
    where reading stopped and whether the last line is torn. Raises
    :class:`~retro.errors.LogError` when the log is missing or not a log. With ``keep``
    False, nothing is written to the cache (for a file that will not be seen again). With
    ``at_once`` (for a caller that holds every row anyway), the rows kept are read while
    the bytes they cover are hashed, on another core, rather than streamed after it.
    """

    def __init__(self, path: Path, *, keep: bool = True, full: bool = False,
                 at_once: bool = False) -> None:  # fmt: skip
        self.journal = Journal(path)
        self.problems: list[Problem] = []
        self._keep, self._full, self._at_once = keep, full, at_once
        self._db: sqlite3.Connection | None = None
        self._writing = False

    def __iter__(self) -> Iterator[Row]:
        self._db = self._open()
        try:
            yield from self._rows()
        except LogError:  # missing, or not a log: keep nothing of it
            if self._db is not None and get_meta(self._db, "state") is None:
                self._db.close()
                self._db = None
                path = cache_file(self.journal.path, SUFFIX)
                if path is not None:
                    remove(path)
            raise
        finally:
            if self._db is not None:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                self._db.close()
                self._db = None

    # --- the cache file ---------------------------------------------------------------

    def _open(self) -> sqlite3.Connection | None:
        """The cache file of this log, ready (None: none to use). A damaged one is removed
        and started anew; one another process holds is done without."""
        path = cache_file(self.journal.path, SUFFIX)
        if path is None or not (path.exists() if not self._keep else self.journal.path.exists()):
            return None
        for _ in range(2):
            db = None
            try:
                db = connect(path, _BUSY_MS)
                prepare(db, _TABLES, [SCHEMA, __version__])
                return db
            except sqlite3.DatabaseError as err:
                if db is not None:
                    db.close()
                if isinstance(err, sqlite3.OperationalError) and "locked" in str(err):
                    return None
                remove(path)
        return None

    def _rows(self) -> Iterator[Row]:
        db, stored, kept = self._db, None, None
        if db is not None and not self._full:
            db.execute("BEGIN")  # what is read of it below is of one state
            stored = get_meta(db, "state")
        if stored is None:
            tap = None
        elif self._at_once:  # the rows read while the bytes are hashed, on another core
            with ThreadPoolExecutor(1) as pool:
                resumed = pool.submit(self._resume, stored)
                kept = [row for data in self._kept_rows() for row in orjson.loads(data)]
                tap = resumed.result()
        else:
            tap = self._resume(stored)
        items = self.journal.new_lines() if tap is not None else None
        if items is None:  # nothing kept, or not these bytes: check it all
            if db is not None and db.in_transaction:
                db.execute("COMMIT")
            tap, stored = _Tap(hashlib.blake2b(), 0), None
            self.journal.tap = tap.attach
            items = self.journal.lines()
        else:
            assert db is not None and tap is not None
            self.problems = [Problem(*row) for row in db.execute(
                "SELECT line, message, off, size FROM problems ORDER BY rowid")]  # fmt: skip
            if kept is None:
                for data in self._kept_rows():
                    yield from orjson.loads(data)
            else:
                yield from kept
            db.execute("COMMIT")
        self.journal.tap = None
        new: list[Row] = []
        found = len(self.problems)
        for item in items:
            row = self._check(item)
            if row is not None:
                new.append(row)
                yield row
                if len(new) >= _CHUNK:
                    self._store(stored, new)
        state = self._state(tap) if tap.end(self.journal.offset) else None
        if state is not None and (state != stored or new):
            self._store(stored, new, self.problems[found:], state)

    def _kept_rows(self) -> Iterator[bytes]:
        """The kept rows, a chunk (a JSON array) at a time."""
        assert self._db is not None
        for (data,) in self._db.execute("SELECT data FROM rows ORDER BY first"):
            yield data

    def _resume(self, stored: dict[str, Any]) -> _Tap | None:
        """Set the journal to go on after the bytes ``stored`` vouches for, when the file
        still begins with them; the tap goes on hashing from there (None: it does not)."""
        end, head = stored["end"], bytes.fromhex(stored["head"])
        try:
            fd = os.open(self.journal.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            return None  # the journal says what is wrong with it
        try:
            info = os.fstat(fd)
            if info.st_size < end or os.pread(fd, len(head), 0) != head:
                return None
            digest = hashlib.blake2b()
            for start in range(0, end, _READ):
                digest.update(os.pread(fd, min(_READ, end - start), start))
            if digest.hexdigest() != stored["digest"]:
                return None
            mark = mark_before(fd, end, head)
        finally:
            os.close(fd)
        version = stored["version"]
        self.journal.resume(Position(fsio.identity(info), head, end, mark, stored["line"],
                                     stored["open"], (version[0], version[1])))  # fmt: skip
        tap = _Tap(digest, end)
        self.journal.tap = tap.attach
        return tap

    def _state(self, tap: _Tap) -> dict[str, Any] | None:
        """What the next check needs to go on from here (None: nothing was read)."""
        position = self.journal.position
        if position is None:
            return None
        return {"end": position.offset, "digest": tap.digest.hexdigest(),
                "head": position.head.hex(), "line": position.line,
                "open": position.open_line, "version": list(position.version)}  # fmt: skip

    def _check(self, item: Item) -> Row | None:
        """The row of one line read, or None for a damaged line (kept among the problems)."""
        line, offset, size, raw, decoded = item
        if type(decoded) is str:
            self.problems.append(Problem(line, decoded, offset, size))
            return None
        event: Event = decoded  # type: ignore[assignment]
        text, lead = stripped(raw)
        if not canonical_hash_matches(event, text):
            self.problems.append(Problem(line, HASH_MISMATCH))
        team = kind = None
        if event["op"] == PUT:
            rec = event["rec"]
            team, kind = rec["team"], rec["kind"]
        return [line, offset + lead, len(text), event["rev"], event["id"], event["prev"],
                event.get("life", 0), int(event["op"] == DEL), team, kind, zlib.crc32(text)]

    def _store(self, stored: dict[str, Any] | None, rows: list[Row],
               problems: list[Problem] | None = None, state: dict[str, Any] | None = None,
               ) -> None:  # fmt: skip
        """Write ``rows`` to the cache; with ``state``, also ``problems`` and the state, and
        commit. The first write checks that the cache still holds ``stored`` (None: starts
        it anew); if another process changed it meanwhile, this one writes nothing."""
        db = self._db
        if db is None or not self._keep:
            rows.clear()
            return
        try:
            if not self._writing:
                db.execute("BEGIN IMMEDIATE")
                if stored is None:
                    db.execute("DELETE FROM rows")
                    db.execute("DELETE FROM problems")
                elif get_meta(db, "state") != stored:
                    raise sqlite3.OperationalError("changed by another process")
                self._writing = True
            _append_rows(db, rows)
            rows.clear()
            if state is not None:
                found = [(p.line, p.message, p.offset, p.size) for p in problems or ()]
                db.executemany("INSERT INTO problems VALUES (?, ?, ?, ?)", found)
                set_meta(db, "state", state)
                db.execute("COMMIT")
                self._writing = False
        except sqlite3.OperationalError:  # busy, or changed meanwhile: leave it be
            if db.in_transaction:
                db.execute("ROLLBACK")
            self._db, self._writing = None, False
            db.close()
            rows.clear()


def _append_rows(db: sqlite3.Connection, rows: list[Row]) -> None:
    """Keep ``rows`` after those kept, filling the last chunk first."""
    if not rows:
        return
    last = db.execute("SELECT first, count, data FROM rows ORDER BY first DESC LIMIT 1").fetchone()
    start = 0
    if last is not None and last[1] < _CHUNK:
        start, rows = last[0], [*orjson.loads(last[2]), *rows]
        db.execute("DELETE FROM rows WHERE first = ?", (start,))
    elif last is not None:
        start = last[0] + last[1]
    for at in range(0, len(rows), _CHUNK):
        part = rows[at : at + _CHUNK]
        db.execute("INSERT INTO rows VALUES (?, ?, ?)", (start + at, len(part), orjson.dumps(part)))


def stripped(raw: bytes) -> tuple[bytes, int]:
    """A line without the blanks around it, and how many it began with."""
    if raw[:1] == b"{" and raw[-1:] == b"}":
        return raw, 0
    text = raw.strip()
    return text, len(raw) - len(raw.lstrip())
