"""The user's cache of what retro derives from logs: where it is, and its SQLite files.

Nothing in it is authoritative: a file that is missing, damaged or of another version
is built anew from the log. The cache lives in ``$RETRO_CACHE_DIR``, else
``$XDG_CACHE_HOME/retro``, else ``~/.cache/retro``: a private folder, never a shared
one, each file keyed by the log's real path. Links are never followed to write it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import orjson
import platformdirs


def cache_dir() -> Path:
    """Where the cache is kept: ``RETRO_CACHE_DIR``, else the user's cache folder."""
    named = os.environ.get("RETRO_CACHE_DIR")
    if named:
        return Path(named).expanduser()
    return platformdirs.user_cache_path("retro")


def _private_folder(folder: Path) -> bool:
    """Make ``folder`` if needed; True when it is a real folder of ours that others cannot
    write to (a link, or anyone else's folder, is not used)."""
    with contextlib.suppress(OSError):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & 0o022)  # fmt: skip


def _files_of(path: Path) -> tuple[Path, Path, Path]:
    """A cache file and the two SQLite keeps beside it in WAL mode."""
    return path, Path(f"{path}-wal"), Path(f"{path}-shm")


def remove(path: Path) -> None:
    """Remove a cache file and its companions (those that are there)."""
    for name in _files_of(path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def cache_file(log: Path, suffix: str) -> Path | None:
    """The cache's file of ``log`` ending in ``suffix`` (None: no private folder to keep
    it in, or something that is not a file in its place)."""
    folder = cache_dir()
    if not _private_folder(folder):
        return None
    key = hashlib.sha256(os.fsencode(os.path.realpath(log))).hexdigest()[:32]
    path = folder / f"{key}{suffix}"
    for name in _files_of(path):
        try:
            if not stat.S_ISREG(os.lstat(name).st_mode):  # planted: not ours to follow
                os.unlink(name)
        except FileNotFoundError:
            pass
        except OSError:  # e.g. a folder in its place: do without the file
            return None
    return path


def connect(path: Path | None, busy_ms: int) -> sqlite3.Connection:
    """An SQLite cache file (``path`` None: in memory), private, in WAL mode, not synced:
    a crash costs at worst a rebuild. Transactions are begun explicitly."""
    db = sqlite3.connect(":memory:" if path is None else str(path), timeout=busy_ms / 1000,
                         isolation_level=None, check_same_thread=False)  # fmt: skip
    if path is not None:
        os.chmod(path, 0o600)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    return db


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Run SQL statements one by one, inside the transaction open (unlike ``executescript``)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def get_meta(db: sqlite3.Connection, key: str) -> Any:
    """The value kept under ``key`` in the file's ``meta`` table (None: none)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else orjson.loads(row[0])


def set_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, orjson.dumps(value)))


def prepare(db: sqlite3.Connection, tables: str, stamp: Any) -> None:
    """Make ``db`` hold ``tables`` (an SQL script) as made under ``stamp`` (a schema and a
    version of retro): a file of another stamp, or a new one, is emptied and made anew.
    Only then is the file locked to write."""
    if _stamp(db) == stamp:
        return
    db.execute("BEGIN IMMEDIATE")
    if _stamp(db) != stamp:  # another version's, or none yet (checked again, locked)
        listed = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        for (name,) in listed:
            db.execute(f"DROP TABLE {name}")
        run_script(db, tables)
        set_meta(db, "schema", stamp)
    db.execute("COMMIT")


def _stamp(db: sqlite3.Connection) -> Any:
    """What a cache file was made under (None: not one of ours)."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is None:
        return None
    return get_meta(db, "schema")
