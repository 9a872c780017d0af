"""TinyDB over the journal: the current records of a log, replayed, for TinyDB's queries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from retro.bulk import gc_paused
from retro.model import Record
from retro.store.events import DEL, PUT, Event, outranks
from retro.store.indexes import Indexes
from retro.store.journal import Batch, Journal, Problem

TABLE = "records"


class JournalStorage(Storage):
    """A read-only TinyDB storage whose single table, ``records``, is the current state of a
    journal, keyed by record UUID.

    TinyDB only queries it: the log changes by appending events (see
    :class:`~retro.store.repository.Repository`), which :meth:`apply` folds in;
    TinyDB's own writes are refused.
    """

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.heads: dict[str, Event] = {}
        self.records: dict[str, Record] = {}
        self.buried: dict[str, Event] = {}  # deleted id -> the revision a restore brings back
        self.problems: list[Problem] = []
        self.incomplete_tail = False
        self.loaded = False
        self.missing_ok = False
        self.version = 0  # grows whenever the current state changes
        self._indexes: Indexes | None = None

    @property
    def indexes(self) -> Indexes:
        """Ids by kind and retro, and links: built on first use, then kept up to date."""
        if self._indexes is None:
            self._indexes = Indexes(self.records)
        return self._indexes

    # --- replay ----------------------------------------------------------------------

    def load(self) -> None:
        """Replay the whole journal.

        The cyclic garbage collector is paused meanwhile (a log makes many
        objects and no cycles) and what was loaded is then frozen out of its
        reach, so that a large log is not rescanned for as long as it is open.
        """
        self.heads, self.records, self.buried, self.problems = {}, {}, {}, []
        self._indexes = None
        self.version += 1
        with gc_paused(freeze=True):
            if not (self.missing_ok and not self.journal.path.exists()):
                self._apply(self.journal.read())
        self.loaded = True

    def refresh(self) -> set[str]:
        """Pick up what other writers appended; return the ids of records that changed."""
        if not self.loaded:
            self.load()
            return set(self.records)
        batch = self.journal.read_new()
        if batch is None:  # the file was replaced (compacted, merged into): replay it all
            before = self.heads
            self.load()
            gone = {rid for rid in before if rid not in self.heads}
            return gone | {
                rid
                for rid, head in self.heads.items()
                if rid not in before or before[rid]["rev"] != head["rev"]
            }
        return self._apply(batch)

    def _apply(self, batch: Batch) -> set[str]:
        self.problems.extend(batch.problems)
        self.incomplete_tail = batch.incomplete_tail
        return self.apply(batch.events)

    def apply(self, events: Iterable[Event]) -> set[str]:
        """Fold ``events`` into the state; return the ids whose current revision changed.

        For each deleted record, the greatest of its ``put`` revisions is kept
        aside in :attr:`buried`: what a restore brings back.
        """
        changed: set[str] = set()
        heads, records, buried, indexes = self.heads, self.records, self.buried, self._indexes
        for event in events:
            rid = event["id"]
            head = heads.get(rid)
            if head is not None and not outranks(event, head):
                if head["op"] == DEL and event["op"] == PUT:
                    best = buried.get(rid)
                    if best is None or outranks(event, best):
                        buried[rid] = event
                continue
            heads[rid] = event
            changed.add(rid)
            old = records.get(rid)
            if indexes is not None and old is not None:
                indexes.discard(old)
            if event["op"] == PUT:
                records[rid] = event["rec"]  # an update keeps the record's place in the order
                if indexes is not None:
                    indexes.add(event["rec"])
                if old is None and head is not None:
                    buried.pop(rid, None)  # restored
            elif old is not None and head is not None:
                del records[rid]
                buried[rid] = head  # the greatest put so far: it was the head
        if changed:
            self.version += 1
        return changed

    # --- the TinyDB storage interface ----------------------------------------------------

    def read(self) -> dict[str, dict[str, Any]]:
        if not self.loaded:
            self.load()
        return {TABLE: self.records}

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        raise NotImplementedError("a log changes by appending events, not through TinyDB")


class RecordTable(Table):
    """A TinyDB table keyed by record UUID."""

    document_id_class = str  # type: ignore[assignment]


class RecordDB(TinyDB):
    """TinyDB whose default table holds the records."""

    table_class = RecordTable
    default_table_name = TABLE


def open_db(journal: Journal) -> RecordDB:
    """A TinyDB that queries the current records of ``journal``."""
    return RecordDB(journal, storage=JournalStorage)
