"""TinyDB over the journal: reads replay the log, writes append only what changed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from retro.bulk import gc_paused
from retro.errors import ValidationError
from retro.model import Record, record_problem
from retro.store.events import DEL, PUT, Event, outranks
from retro.store.indexes import Indexes
from retro.store.journal import Batch, Journal, Problem
from retro.store.writer import Writer as Writer  # where it long lived: still importable here

TABLE = "records"


class JournalStorage(Storage):
    """A TinyDB storage whose single table, ``records``, is the current state of a journal.

    Documents are keyed by record UUID. :meth:`write` compares what TinyDB hands
    back with the state it knows and appends one event for each record that
    changed, appeared (``put``) or disappeared (``del``).
    """

    def __init__(self, journal: Journal, writer: Writer) -> None:
        self.journal = journal
        self.writer = writer
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
            self._indexes = Indexes(self.records.values())
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
        wanted: dict[str, Record] = data.get(TABLE, {})
        events: list[Event] = []
        for rid, rec in wanted.items():
            known = self.records.get(rid)
            if known is not None and (known is rec or known == rec):
                continue
            head = self.heads.get(rid)
            if head is not None and head["op"] == DEL:
                raise ValidationError(f"record {rid} was deleted and cannot be changed")
            rec = dict(rec)
            problem = record_problem(rec)
            if problem:
                raise ValidationError(problem)
            if rec["id"] != rid:
                raise ValidationError("a record's id cannot be changed")
            events.append(self.writer.event(PUT, rid, rec, head))
        for rid in sorted(self.records.keys() - wanted.keys()):
            events.append(self.writer.event(DEL, rid, None, self.heads[rid]))
        if events:
            self.journal.append(events)
            self.apply(events)


class RecordTable(Table):
    """A TinyDB table keyed by record UUID whose updates never touch the stored state in place."""

    document_id_class = str  # type: ignore[assignment]

    def _update_table(self, updater: Callable[[dict[Any, Any]], None]) -> None:
        def on_copies(table: dict[Any, Any]) -> None:
            for doc_id in table:
                table[doc_id] = dict(table[doc_id])
            updater(table)

        super()._update_table(on_copies)


class RecordDB(TinyDB):
    """TinyDB whose default table holds the records."""

    table_class = RecordTable
    default_table_name = TABLE


def open_db(journal: Journal, writer: Writer) -> RecordDB:
    """A TinyDB over ``journal``."""
    return RecordDB(journal, writer, storage=JournalStorage)
