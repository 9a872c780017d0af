"""The repository: the one API the rest of retro uses to read and change a log."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Set as AbstractSet
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb import Query
from tinydb.queries import QueryInstance

from retro.dates import now_local
from retro.errors import RecordNotFound, RetroError
from retro.insights import LinkIndex
from retro.model import Record, validate
from retro.store.events import DEL, MAX_LIFE, PUT, Event, life_of
from retro.store.journal import Journal, Problem
from retro.store.storage import TABLE, JournalStorage, open_db
from retro.store.writer import Writer

MIN_PREFIX = 4


def creation_time(rec: Record) -> datetime:
    """The time an entry is about: its ``created_at``."""
    return datetime.fromisoformat(rec["created_at"])


def _search_fields(rec: Mapping[str, Any]) -> Iterable[str]:
    for value in rec.values():
        if isinstance(value, str):
            yield value


class Repository:
    """Records of one log: appended in O(1), queried through TinyDB, kept fresh from the file.

    Adding a record appends one event without reading the log. Everything else
    (queries, lookups, edits, deletions) works on the replayed state, which
    :meth:`refresh` brings up to date with what other processes appended.

    What the rest of retro uses: :attr:`path`, :attr:`team`, :attr:`author`;
    the state read so far: :meth:`load`, :meth:`refresh`, :attr:`loaded`,
    :attr:`version`, :attr:`problems`, :attr:`incomplete_tail`; changes, each one
    append: :meth:`add`, :meth:`edit`, :meth:`remove`, :meth:`restore`; reads:
    :meth:`record`, :meth:`records`, :meth:`all`, :meth:`find`, :meth:`get`,
    :meth:`resolve`, :meth:`links`, :meth:`history`; and :meth:`clock`.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        author: str,
        team: str,
        clock: Callable[[], datetime] = now_local,
        origin: str | None = None,
    ) -> None:
        """``origin`` names this writer in the revisions it writes (a fresh random one
        by default): give it only to write reproducible logs."""
        self.path = Path(path)
        self.team = team
        self._journal = Journal(self.path)
        self._writer = Writer(author, clock) if origin is None else Writer(author, clock, origin)
        db = open_db(self._journal)
        self._table = db.table(TABLE)
        self._storage: JournalStorage = db.storage  # type: ignore[assignment]

    # --- state ------------------------------------------------------------------------

    @property
    def problems(self) -> list[Problem]:
        """Damaged lines met while reading (skipped)."""
        return self._storage.problems

    @property
    def incomplete_tail(self) -> bool:
        """True when the last line is torn (or still being written)."""
        return self._storage.incomplete_tail

    @property
    def loaded(self) -> bool:
        """True once the log was read (:meth:`load`, or a first query): until then, adding
        an entry only appends."""
        return self._storage.loaded

    @property
    def author(self) -> str:
        """Who this repository records as (who the next revisions are by)."""
        return self._writer.author

    @author.setter
    def author(self, name: str) -> None:
        self._writer.author = name

    @property
    def version(self) -> int:
        """A number that changes whenever the state read from the log changes."""
        return self._storage.version

    def record(self, rid: str) -> Record | None:
        """The current record with id ``rid`` as read so far (None: unknown or deleted)."""
        return self._storage.records.get(rid)

    def records(self) -> Mapping[str, Record]:
        """Every current record by id, as read so far: the context the insights and the
        report read. A live view, not a copy: it follows the log; do not change it."""
        return self._storage.records

    def clock(self) -> datetime:
        """Now, as this repository stamps it."""
        return self._writer.clock()

    def load(self, *, missing_ok: bool = False) -> Repository:
        """Read the whole log (raises :class:`~retro.errors.LogError` if it is unusable).

        With ``missing_ok``, a log that does not exist yet reads as empty.
        """
        self._storage.missing_ok = missing_ok
        self._storage.load()
        self._table.clear_cache()
        return self

    def refresh(self) -> set[str]:
        """Read what was appended since; return the ids of records that changed."""
        changed = self._storage.refresh()
        if changed:
            self._table.clear_cache()
        return changed

    # --- writing ---------------------------------------------------------------------

    def add(
        self,
        kind: str,
        text: str,
        *,
        fields: Mapping[str, Any] | None = None,
        links: Iterable[str] = (),
        retro: str | None = None,
        at: datetime | None = None,
    ) -> Record:
        """Record a new entry: one durable append, whatever the size of the log."""
        rec, event = self._writer.new_entry(kind, text, team=self.team, fields=fields,
                                            links=links, retro=retro, at=at)  # fmt: skip
        self._append(event)
        return rec

    def edit(
        self,
        ref: str,
        *,
        text: str | None = None,
        fields: Mapping[str, Any] | None = None,
        link: Sequence[str] = (),
        unlink: Sequence[str] = (),
    ) -> Record:
        """Change an entry; appends one revision if anything changed. Returns the new state."""
        rec = dict(self.get(ref))
        if text is not None:
            rec["text"] = text
        rec.update(fields or {})
        dropped = set(unlink)
        links = [i for i in rec.get("links") or [] if i not in dropped]
        rec["links"] = list(dict.fromkeys([*links, *link]))
        if rec != self._storage.records[rec["id"]]:
            rec["updated_at"] = self.clock().isoformat()
            self._write(PUT, validate(rec))
        return self._storage.records[rec["id"]]

    def remove(self, ref: str) -> Record:
        """Delete an entry (a tombstone: it stays deleted after merges, until
        :meth:`restore`). Returns what it was."""
        rec = self.get(ref)
        self._write(DEL, rec)
        return rec

    def restore(self, ref: str) -> Record:
        """Undo the deletion of an entry (named by id or id prefix). Returns it as restored.

        The entry comes back as it was before it was deleted, in a new revision
        that outranks that deletion (and only it), so the restore survives merges
        with logs that still hold the deletion, like any edit.
        """
        rid = self.resolve(ref, deleted=True)
        head = self._storage.heads[rid]
        if head["op"] != DEL:
            raise RetroError(f"entry {rid[:8]} is not deleted: there is nothing to restore")
        buried = self._storage.buried.get(rid)
        if buried is None:
            raise RetroError(f"entry {rid[:8]} has no revision before its deletion to restore")
        if life_of(head) + 1 >= MAX_LIFE:
            raise RetroError(f"entry {rid[:8]} was restored too many times to restore again")
        self._write(PUT, buried["rec"], restore=True)
        return self._storage.records[rid]

    def _write(self, op: str, rec: Record, *, restore: bool = False) -> None:
        """One revision of one loaded record: a single append, like :meth:`add`."""
        head = self._storage.heads[rec["id"]]
        self._append(
            self._writer.event(op, rec["id"], rec if op == PUT else None, head, restore=restore)
        )

    def _append(self, event: Event) -> None:
        """The one way the log changes: append ``event``, then fold it into the state read
        so far (if any) and drop TinyDB's cached query results."""
        self._journal.append([event])
        if self._storage.loaded:
            self._storage.apply([event])
            self._table.clear_cache()

    # --- reading ---------------------------------------------------------------------

    def _ensure(self) -> None:
        if not self._storage.loaded:
            self.load()

    def all(self) -> list[Record]:
        """Every current record, oldest first."""
        return self.find()

    def find(
        self,
        *,
        kinds: Sequence[str] = (),
        teams: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        search: str | None = None,
        retro: str | None = None,
        where: Callable[[Mapping[str, Any]], bool] | None = None,
    ) -> list[Record]:
        """Current records matching every filter given, oldest first.

        ``where`` is any further test of a record (it must not change it).
        """
        self._ensure()
        entry = Query()
        conditions: list[QueryInstance] = []
        if since or until:
            low, high = since, until

            def in_range(value: str) -> bool:
                moment = datetime.fromisoformat(value)
                return (low is None or moment >= low) and (high is None or moment <= high)

            conditions.append(entry.created_at.test(in_range))
        if search:
            needle = re.compile(re.escape(search), re.IGNORECASE)
            conditions.append(
                QueryInstance(
                    lambda rec: any(needle.search(v) for v in _search_fields(rec)),
                    ("search", search),
                )
            )
        if where is not None:
            conditions.append(QueryInstance(where, None))
        condition = None
        for more in conditions:
            condition = more if condition is None else condition & more
        candidates = self._candidates(kinds, teams, retro)
        found: list[Record]
        if candidates is not None:  # narrowed by an index, then filtered by the same query
            records = self._storage.records
            found = [dict(records[rid]) for rid in candidates
                     if condition is None or condition(records[rid])]  # fmt: skip
        elif condition is not None:
            found = list(self._table.search(condition))
        else:  # everything: plain copies, without TinyDB's per-document wrappers
            found = [dict(rec) for rec in self._storage.records.values()]
        # Stable sorts: ties keep the order of the log. The indexes, when they narrowed the
        # search, also know each record's time; otherwise it is read from the record.
        if candidates is not None:
            created = self._storage.indexes.created
            found.sort(key=lambda rec: created[rec["id"]])
        else:
            found.sort(key=creation_time)
        return found

    def _candidates(
        self, kinds: Sequence[str], teams: Sequence[str], retro: str | None
    ) -> list[str] | None:
        """Ids that can match the kind, team and retro filters, in log order (None: no such
        filter). A retro holds few entries: its own are checked one by one."""
        if not (kinds or teams or retro):
            return None
        indexes, records = self._storage.indexes, self._storage.records
        ids: AbstractSet[str]
        if retro:
            ids = indexes.by_retro.get(retro, set())
            for field, wanted in (("kind", set(kinds)), ("team", set(teams))):
                if wanted:
                    ids = {rid for rid in ids if records[rid][field] in wanted}
        else:
            pools = [set().union(*(index.get(key, set()) for key in keys))
                     for index, keys in ((indexes.by_kind, kinds), (indexes.by_team, teams))
                     if keys]  # fmt: skip
            ids = set.intersection(*pools)
        return sorted(ids, key=indexes.order.__getitem__)

    def links(self) -> LinkIndex:
        """Every record's neighbours (links either way), kept up to date: what
        :func:`retro.insights.link_index` finds over :meth:`records`."""
        self._ensure()
        return self._storage.indexes.links

    def get(self, ref: str, *, kinds: Sequence[str] = ()) -> Record:
        """The current record that ``ref`` names (see :meth:`resolve`)."""
        rid = self.resolve(ref, kinds=kinds)
        return self._storage.records[rid]

    def resolve(self, ref: str, *, kinds: Sequence[str] = (), deleted: bool = False) -> str:
        """The id of the one current record named by ``ref``.

        ``ref`` is a full id, an id prefix of at least four characters, or a
        fragment of a decision's text (case-insensitive). With ``deleted``,
        deleted records are found too (by id or prefix).
        """
        self._ensure()
        records = self._storage.records
        ref = ref.strip()
        if ref in records and (not kinds or records[ref]["kind"] in kinds):
            return ref
        if deleted:
            ids = [rid for rid in self._storage.heads if rid.startswith(ref.lower())]
            if len(ref) >= MIN_PREFIX and len(ids) == 1:
                return ids[0]
        lowered = ref.lower()
        matches = []
        if len(lowered) >= MIN_PREFIX:
            matches = [rid for rid in records if rid.startswith(lowered)]
        if not matches and (not kinds or "decision" in kinds) and ref:
            matches = [
                rid
                for rid, rec in records.items()
                if rec["kind"] == "decision" and lowered in rec["text"].lower()
            ]
        if kinds:
            matches = [rid for rid in matches if records[rid]["kind"] in kinds]
        if len(matches) == 1:
            return matches[0]
        shown = repr(ref[:40])
        if not matches:
            if ref in self._storage.heads:
                raise RecordNotFound(f"entry {shown} was deleted")
            raise RecordNotFound(f"no entry matches {shown} in {self.path}")
        listing = "; ".join(f"{rid[:8]} {records[rid]['text'][:40]!r}" for rid in matches[:5])
        raise RecordNotFound(f"{shown} matches {len(matches)} entries ({listing}): be more precise")

    def history(self, ref: str) -> list[Event]:
        """Every revision of the entry ``ref`` names, oldest first (tombstone included)."""
        self._ensure()
        rid = self.resolve(ref, deleted=True)
        events = [e for e in Journal(self.path).read().events if e["id"] == rid]
        unique = {e["rev"]: e for e in events}
        return [unique[rev] for rev in sorted(unique)]
