"""The snapshot: a log's current state, derived from it and kept in the user's cache.

The log stays the only authority. The snapshot is an SQLite file that says, for each
record, where its current revision lies in the log (offset and size), with the few
fields reads select and sort by (kind, team, retro, creation time), the links between
records, the revision a restore brings back, the damaged lines met, and where reading
stopped. A read catches up by replaying only the lines appended since; the snapshot
is rebuilt from the whole log whenever it is stale (the log was rewritten or replaced),
damaged, or written by another version. A record is read back from the log itself
(one ``pread``), and checked to be the revision the snapshot expects.

It is kept in the user's cache (:mod:`retro.store.cachedb`); where no private folder
can be had, in memory for the life of the process.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from retro import __version__
from retro.errors import LogError
from retro.model import Record, due_order, link_targets
from retro.store.cachedb import (
    cache_file,
    connect,
    get_meta,
    prepare,
    remove,
    run_script,
    set_meta,
)
from retro.store.events import DEL, Event
from retro.store.journal import Item, Journal, Position, Problem

SCHEMA = 6
_CHUNK = 20_000  # appended events folded at once when catching up
_BUSY_MS = 30_000  # how long to wait for another process writing the same snapshot

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;
CREATE TABLE heads (
    id TEXT PRIMARY KEY, rank_life INTEGER NOT NULL, rank_del INTEGER NOT NULL,
    rev TEXT NOT NULL, off INTEGER NOT NULL, size INTEGER NOT NULL, seq INTEGER,
    kind TEXT, team TEXT, retro TEXT, created REAL, due TEXT, closed_in TEXT
) WITHOUT ROWID;
CREATE TABLE buried (
    id TEXT PRIMARY KEY, rank_life INTEGER NOT NULL, rev TEXT NOT NULL,
    off INTEGER NOT NULL, size INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE edges (src TEXT NOT NULL, dst TEXT NOT NULL, PRIMARY KEY (src, dst)) WITHOUT ROWID;
CREATE TABLE problems (line INTEGER, message TEXT, off INTEGER, size INTEGER);
CREATE TABLE rebuilt (id TEXT PRIMARY KEY) WITHOUT ROWID;
"""
_INDEXES = """
CREATE INDEX heads_time ON heads (created, seq, kind, rev, off, size) WHERE seq IS NOT NULL;
CREATE INDEX heads_kind ON heads (kind, created, seq, rev, off, size) WHERE seq IS NOT NULL;
CREATE INDEX heads_due ON heads (due, created, seq, rev, off, size, team) WHERE due IS NOT NULL;
CREATE INDEX heads_retro ON heads (retro) WHERE retro IS NOT NULL;
CREATE INDEX heads_closed ON heads (closed_in) WHERE closed_in IS NOT NULL;
CREATE INDEX heads_off ON heads (off);
CREATE INDEX edges_dst ON edges (dst);
"""  # the first three cover what reads select (heads_time the kinds too: whole-log output
# leaves a live retro's votes out), so that rows are read in index order only
_HEAD_COLUMNS = (
    "id, rank_life, rank_del, rev, off, size, seq, kind, team, retro, created, due, closed_in"
)


class Stale(LogError):
    """The log no longer holds what the snapshot says: it changed under the reader."""


class Head(NamedTuple):
    """Where a record's current revision lies, and what it is (``seq`` None: deleted)."""

    rank_life: int
    rank_del: int
    rev: str
    off: int
    size: int
    seq: int | None
    kind: str | None
    team: str | None
    retro: str | None
    created: float | None
    due: str | None  # where it falls among what is due (see retro.model.due_order)
    closed_in: str | None
    targets: tuple[str, ...] = ()

    @property
    def rank(self) -> tuple[int, int, str]:
        return self.rank_life, self.rank_del, self.rev


class Buried(NamedTuple):
    """The greatest ``put`` of a deleted record: what a restore brings back."""

    rank_life: int
    rev: str
    off: int
    size: int


def snapshot_file(log: Path) -> Path | None:
    """The snapshot file of ``log`` (None: no private cache folder to keep it in)."""
    return cache_file(log, ".sqlite3")


def _created(rec: Record) -> float:
    return datetime.fromisoformat(rec["created_at"]).timestamp()


def _head(event: Event, off: int, size: int, seq: int | None) -> Head:
    """The head row of ``event``, read at ``off`` (``seq``: its place among live records)."""
    life, dead = event.get("life", 0), event["op"] == DEL
    if dead:
        return Head(life, 1, event["rev"], off, size, None, None, None, None, None, None, None)
    rec = event["rec"]
    return Head(life, 0, event["rev"], off, size, seq, rec["kind"], rec["team"], rec.get("retro"),
                _created(rec), due_order(rec), rec.get("closed_in"),
                tuple(link_targets(rec)))  # fmt: skip


class _Fold:
    """The replay of events over the heads they touch: the one place it is decided."""

    def __init__(self, heads: dict[str, Head], buried: dict[str, Buried], seq: int) -> None:
        self.heads, self.buried, self.seq = heads, buried, seq
        self.changed: set[str] = set()
        self.unburied: set[str] = set()

    def add(self, event: Event, off: int, size: int) -> None:
        """Fold one event in (as :meth:`JournalStorage.apply` used to, in memory)."""
        rid = event["id"]
        head = self.heads.get(rid)
        life, dead = event.get("life", 0), event["op"] == DEL
        rank = (life, int(dead), event["rev"])
        if head is not None and not rank > head.rank:
            if head.rank_del and not dead:
                best = self.buried.get(rid)
                if best is None or (life, 0, event["rev"]) > (best.rank_life, 0, best.rev):
                    self.buried[rid] = Buried(life, event["rev"], off, size)
                    self.unburied.discard(rid)
            return
        self.changed.add(rid)
        alive = head is not None and head.seq is not None
        if dead:
            self.heads[rid] = _head(event, off, size, None)
            if alive and head is not None:  # the greatest put so far: it was the head
                self.buried[rid] = Buried(head.rank_life, head.rev, head.off, head.size)
                self.unburied.discard(rid)
            return
        seq = head.seq if alive and head is not None else None
        if seq is None:
            seq, self.seq = self.seq, self.seq + 1
        self.heads[rid] = _head(event, off, size, seq)
        if head is not None and not alive and self.buried.pop(rid, None) is not None:
            self.unburied.add(rid)  # restored


class Snapshot:
    """The current state of one log, as the snapshot keeps it (see the module's notes)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._db: sqlite3.Connection | None = None
        self._fd: int | None = None  # the log, as synced, for reading records back
        self._in_memory = False  # no usable snapshot file: kept in memory for this run
        self._removed = False  # a damaged snapshot file was removed once
        self._synced_state: tuple[int, ...] | None = None  # the log's file, as last caught up
        self.problems: list[Problem] = []
        self.incomplete_tail = False
        self.build = ""  # names the last rebuild: offsets of one build mean nothing in another
        self.offset = 0  # how far into the log the snapshot reaches

    # --- the file ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        for _ in range(3):
            path = None if self._in_memory else snapshot_file(self.journal.path)
            try:
                self._db = self._open(path)
                return self._db
            except sqlite3.DatabaseError as err:
                if path is None:
                    raise
                self._give_up_file(err)
        raise AssertionError("an in-memory snapshot always opens")

    def _give_up_file(self, err: sqlite3.DatabaseError) -> None:
        """After a failure of the snapshot file: remove it the first time (damaged: the next
        try builds it anew), and keep this run's snapshot in memory after that, or at once
        when another process holds the file."""
        self.close()
        if self._in_memory:
            raise LogError(f"cannot keep the state of {self.journal.path}: {err}") from err
        path = snapshot_file(self.journal.path)
        if path is None or "locked" in str(err) or self._removed:
            self._in_memory = True
            return
        remove(path)
        self._removed = True

    @staticmethod
    def _open(path: Path | None) -> sqlite3.Connection:
        db = connect(path, _BUSY_MS)
        prepare(db, _TABLES + _INDEXES, [SCHEMA, __version__])
        return db

    def close(self) -> None:
        """Let go of the snapshot and the log."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- catching up ------------------------------------------------------------------

    def sync(self) -> None:
        """Catch up with the log (see :attr:`build`, :attr:`offset` and :meth:`changed_since`
        for what changed). Raises :class:`~retro.errors.LogError` when the log is missing
        or not a log.

        When the log's file is the same as at the last catching up (inode, size and time
        of change), nothing was appended: that costs one ``stat``, so that an app polling
        every second, or a dozen of them on one log, do not write to the snapshot for
        nothing.
        """
        seen = _file_state(self.journal.path)
        if seen is not None and seen == self._synced_state and self._fd is not None:
            return
        for _ in range(3):
            try:
                self._sync()
            except sqlite3.DatabaseError as err:
                self._give_up_file(err)
                continue
            except LogError:
                self._forget_unread()
                raise
            if self._reopen():
                self.problems = [Problem(*row) for row in self._connect().execute(
                    "SELECT line, message, off, size FROM problems ORDER BY rowid")]  # fmt: skip
                self._synced_state = seen  # taken before reading: a later append differs
                return
        raise LogError(f"{self.journal.path} keeps changing while it is read: try again")

    def _forget_unread(self) -> None:
        """Leave no snapshot behind for a log that could not be read at all (a typo in
        ``--log``, a file that is not a log)."""
        if self._db is None or self._in_memory or get_meta(self._db, "position") is not None:
            return
        path = snapshot_file(self.journal.path)
        self.close()
        if path is not None:
            remove(path)

    def _reopen(self) -> bool:
        """Open the log for reading records back; False when it is not the file synced."""
        position = self.journal.position
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if position is None:
            return True
        fd = os.open(self.journal.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) != position.file or info.st_size < position.offset:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def _sync(self) -> None:
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            stored = get_meta(db, "position")
            items = None
            if stored is not None:
                self.journal.resume(_position(stored))
                items = self.journal.new_lines()
            if items is None:
                self._rebuild(db)
            else:
                self._catch_up(db, items)
            self.incomplete_tail = self.journal.incomplete_tail
            position = self.journal.position
            set_meta(db, "position", None if position is None else _stored(position))
            self.build = get_meta(db, "build")
            self.offset = 0 if position is None else position.offset
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _rebuild(self, db: sqlite3.Connection) -> None:
        """Build the snapshot anew from the whole log, and keep which records differ from
        the last build's (see :meth:`changed_since`)."""
        before = (get_meta(db, "build"), get_meta(db, "position"))
        for table in ("buried", "edges", "problems", "rebuilt"):
            db.execute(f"DELETE FROM {table}")
        run_script(db, "".join(f"DROP INDEX {name};" for name in _index_names()))
        db.execute("ALTER TABLE heads RENAME TO heads_old")
        run_script(db, _TABLES.split(";")[1])  # heads, anew
        self._build(db, self.journal.lines())
        if before[0] is not None:  # a reader of the last build learns what differs
            db.execute(
                "INSERT INTO rebuilt SELECT id FROM heads_old WHERE id NOT IN (SELECT id FROM "
                "heads) UNION SELECT h.id FROM heads h LEFT JOIN heads_old o ON o.id = h.id "
                "WHERE o.rev IS NOT h.rev"
            )
        db.execute("DROP TABLE heads_old")
        position = self.journal.position
        end = 0 if position is None else position.offset
        old_offset = before[1]["offset"] if before[1] else 0
        set_meta(db, "previous", [before[0], old_offset, end])
        db.execute("ANALYZE")  # how selective each index is: the planner picks the right one
        set_meta(db, "build", os.urandom(8).hex())

    def _build(self, db: sqlite3.Connection, items: Iterator[Item]) -> None:
        """Fold the whole log in memory (the places, not the records), then write it."""
        fold = _Fold({}, {}, 0)
        problems = []
        for line, off, size, _raw, decoded in items:
            if type(decoded) is str:
                problems.append((line, decoded, off, size))
            else:
                fold.add(decoded, off, size)  # type: ignore[arg-type]
        heads = sorted(fold.heads.items())  # in key order, B-trees are written front to back
        _write_heads(db, heads)
        db.executemany("INSERT INTO buried VALUES (?, ?, ?, ?, ?)",
                       ((rid, *row) for rid, row in sorted(fold.buried.items())))  # fmt: skip
        db.executemany("INSERT OR IGNORE INTO edges VALUES (?, ?)", _edges(heads))
        db.executemany("INSERT INTO problems VALUES (?, ?, ?, ?)", problems)
        run_script(db, _INDEXES)
        set_meta(db, "seq", fold.seq)

    def _catch_up(self, db: sqlite3.Connection, items: Iterator[Item]) -> None:
        """Fold what was appended, a chunk at a time, into the heads it touches."""
        seq = get_meta(db, "seq") or 0
        chunk: list[tuple[Event, int, int]] = []
        problems = []

        def flush() -> None:
            nonlocal seq
            ids = list({event["id"] for event, _, _ in chunk})
            fold = _Fold(_heads(db, ids), _buried(db, ids), seq)
            for event, off, size in chunk:
                fold.add(event, off, size)
            touched = list(fold.changed)
            db.executemany("DELETE FROM edges WHERE src = ?", ((rid,) for rid in touched))
            _write_heads(db, ((rid, fold.heads[rid]) for rid in touched), replace=True)
            db.executemany("INSERT OR IGNORE INTO edges VALUES (?, ?)",
                           _edges((rid, fold.heads[rid]) for rid in touched))  # fmt: skip
            kept = ((rid, *fold.buried[rid]) for rid in ids if rid in fold.buried)
            db.executemany("INSERT OR REPLACE INTO buried VALUES (?, ?, ?, ?, ?)", kept)
            db.executemany("DELETE FROM buried WHERE id = ?", ((rid,) for rid in fold.unburied))
            seq = fold.seq
            chunk.clear()

        for line, off, size, _raw, decoded in items:
            if type(decoded) is str:
                problems.append((line, decoded, off, size))
                continue
            chunk.append((decoded, off, size))  # type: ignore[arg-type]
            if len(chunk) >= _CHUNK:
                flush()
        if chunk:
            flush()
        db.executemany("INSERT INTO problems VALUES (?, ?, ?, ?)", problems)
        set_meta(db, "seq", seq)

    # --- reading ----------------------------------------------------------------------

    def _line(self, off: int, size: int) -> bytes:
        if self._fd is None:
            raise Stale(f"{self.journal.path} was not read yet")
        return os.pread(self._fd, size, off)

    def event_at(self, rev: str, off: int, size: int) -> Event:
        """The event the snapshot places at ``off``; raises :class:`Stale` when it is not
        there (the log was changed in place)."""
        try:
            event: Event = orjson.loads(self._line(off, size))
        except orjson.JSONDecodeError:
            event = {}
        if not isinstance(event, dict) or event.get("rev") != rev:
            with contextlib.suppress(sqlite3.Error):  # the next read builds it anew
                set_meta(self._connect(), "position", None)
            raise Stale(f"{self.journal.path} changed while it was read: run it again")
        return event

    def head(self, rid: str) -> Head | None:
        """The current revision of ``rid`` (a deletion included); None: unknown."""
        found = _heads(self._connect(), [rid])
        return found.get(rid)

    def buried_event(self, rid: str) -> Event | None:
        """The revision a restore of ``rid`` brings back (None: none)."""
        found = _buried(self._connect(), [rid]).get(rid)
        return None if found is None else self.event_at(found.rev, found.off, found.size)

    def select(self, where: str = "", params: Sequence[Any] = (), *, order: str = "",
               limit: int | None = None) -> list[tuple[str, str, int, int]]:  # fmt: skip
        """(id, rev, offset, size) of the live records matching ``where``."""
        sql = "SELECT id, rev, off, size FROM heads WHERE seq IS NOT NULL"
        if where:
            sql += f" AND ({where})"
        if order:
            sql += f" ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self._connect().execute(sql, params).fetchall()

    def count(self, where: str = "", params: Sequence[Any] = ()) -> int:
        """How many live records match ``where``."""
        sql = "SELECT count(*) FROM heads WHERE seq IS NOT NULL"
        if where:
            sql += f" AND ({where})"
        row = self._connect().execute(sql, params).fetchone()
        return int(row[0])

    def changed_since(self, build: str, offset: int) -> set[str] | None:
        """The ids whose current revision changed since a reader saw ``build`` up to
        ``offset`` (None: it is too far behind to say; any may have)."""
        db = self._connect()
        if build != self.build:
            previous = get_meta(db, "previous")
            if previous is None or previous[:2] != [build, offset]:
                return None
            changed = {row[0] for row in db.execute("SELECT id FROM rebuilt")}
            offset = previous[2]
        else:
            changed = set()
        if offset < self.offset:
            rows = db.execute("SELECT id FROM heads WHERE off >= ?", (offset,))
            changed.update(row[0] for row in rows)
        return changed

    def heads(self) -> Iterator[tuple[str, int, int, str, int, int, float | None, int | None]]:
        """Every record's current revision, a deletion included: (id, life, 1 when deleted,
        rev, offset, size, creation time, place among the live records)."""
        yield from self._connect().execute("SELECT id, rank_life, rank_del, rev, off, size, "
                                           "created, seq FROM heads")  # fmt: skip

    def ids(self, prefix: str = "", *, deleted: bool = False) -> list[str]:
        """The ids starting with ``prefix`` (live ones, or every one with ``deleted``)."""
        sql = "SELECT id FROM heads WHERE id >= ? AND id < ?"
        if not deleted:
            sql += " AND seq IS NOT NULL"
        rows = self._connect().execute(sql, (prefix, prefix + "\uffff"))
        return [row[0] for row in rows]

    def neighbours(self, rid: str) -> set[str]:
        """The live records ``rid`` links to or that link to it (not itself)."""
        rows = self._connect().execute(
            "SELECT dst FROM edges WHERE src = ? UNION SELECT src FROM edges WHERE dst = ?",
            (rid, rid),
        )
        return {row[0] for row in rows if row[0] != rid}

    def linked(self) -> Iterator[tuple[str, str]]:
        """Every link between records: (from, to)."""
        yield from self._connect().execute("SELECT src, dst FROM edges")


def _file_state(path: Path) -> tuple[int, ...] | None:
    """What changes when a file is appended to or replaced: device, inode, size, mtime."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def _index_names() -> list[str]:
    return [line.split()[2] for line in _INDEXES.strip().splitlines()]


def _write_heads(db: sqlite3.Connection, heads: Iterable[tuple[str, Head]], *,
                 replace: bool = False) -> None:  # fmt: skip
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    db.executemany(f"{verb} INTO heads VALUES ({', '.join('?' * 13)})",
                   ((rid, *head[:12]) for rid, head in heads))  # fmt: skip


def _edges(heads: Iterable[tuple[str, Head]]) -> Iterator[tuple[str, str]]:
    for rid, head in heads:
        for target in head.targets:
            if target != rid:
                yield rid, target


def _heads(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Head]:
    found: dict[str, Head] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        rows = db.execute(
            f"SELECT {_HEAD_COLUMNS} FROM heads WHERE id IN ({', '.join('?' * len(part))})",
            part,
        )
        for rid, *row in rows:
            found[rid] = Head(*row)
    return found


def _buried(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, Buried]:
    found: dict[str, Buried] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        rows = db.execute(
            "SELECT id, rank_life, rev, off, size FROM buried "
            f"WHERE id IN ({', '.join('?' * len(part))})",
            part,
        )
        for rid, *row in rows:
            found[rid] = Buried(*row)
    return found


def _stored(position: Position) -> dict[str, Any]:
    return {"file": list(position.file), "head": position.head.hex(), "offset": position.offset,
            "mark": position.mark.hex(), "line": position.line, "open": position.open_line,
            "version": list(position.version)}  # fmt: skip


def _position(stored: dict[str, Any]) -> Position:
    file, version = stored["file"], stored["version"]
    return Position((file[0], file[1]), bytes.fromhex(stored["head"]), stored["offset"],
                    bytes.fromhex(stored["mark"]), stored["line"], stored["open"],
                    (version[0], version[1]))  # fmt: skip
