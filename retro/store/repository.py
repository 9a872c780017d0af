"""The repository: the one API the rest of retro uses to read and change a log."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set as AbstractSet
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb.queries import QueryInstance

from retro.dates import now_local
from retro.errors import RecordNotFound, RetroError
from retro.model import Record, validate
from retro.store.events import DEL, MAX_LIFE, PUT, Event
from retro.store.journal import Journal, Problem
from retro.store.snapshot import Head, Snapshot
from retro.store.writer import Writer

MIN_PREFIX = 4
KEPT_RECORDS = 20_000  # records kept as read, at most (about 40 MB)
_ORDER = "created, seq"


def creation_time(rec: Record) -> datetime:
    """The time an entry is about: its ``created_at``."""
    return datetime.fromisoformat(rec["created_at"])


def _search_fields(rec: Mapping[str, Any]) -> Iterable[str]:
    for value in rec.values():
        if isinstance(value, str):
            yield value


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join('?' * len(values))})"


class _Records(Mapping[str, Record]):
    """The current records by id, read from the log through the snapshot as they are asked
    for (and kept until they change)."""

    def __init__(self, repo: Repository) -> None:
        self._repo = repo
        self.kept: dict[str, Record] = {}
        self.absent: set[str] = set()  # ids asked for and not there (links to deleted records)

    def __getitem__(self, rid: str) -> Record:
        rec = self.kept.get(rid)
        if rec is None:
            if rid in self.absent:
                raise KeyError(rid)
            head = self._repo._snapshot.head(rid) if self._repo._synced else None
            if head is None or head.seq is None:
                self.absent.add(rid)
                raise KeyError(rid)
            if len(self.kept) >= KEPT_RECORDS:  # a bound on memory: read again if asked
                self.kept.clear()
            rec = self.kept[rid] = self._repo._snapshot.event_at(head.rev, head.off,
                                                                 head.size)["rec"]  # fmt: skip
        return rec

    def __contains__(self, rid: object) -> bool:
        """Whether ``rid`` is a current record: its head is enough, the record is not read."""
        if not isinstance(rid, str) or rid in self.absent or not self._repo._synced:
            return False
        if rid in self.kept:
            return True
        head = self._repo._snapshot.head(rid)
        if head is None or head.seq is None:
            self.absent.add(rid)
            return False
        return True

    def __len__(self) -> int:
        return self._repo._snapshot.count() if self._repo._synced else 0

    def __iter__(self) -> Iterator[str]:
        if self._repo._synced:
            yield from (row[0] for row in self._repo._snapshot.select(order=_ORDER))

    def values(self) -> Iterator[Record]:  # type: ignore[override]
        """Every record, oldest first, read one at a time (not kept: a log may be large)."""
        return self._repo._read(self._repo._snapshot.select(order=_ORDER)
                                if self._repo._synced else [])  # fmt: skip

    def items(self) -> Iterator[tuple[str, Record]]:  # type: ignore[override]
        return ((rec["id"], rec) for rec in self.values())


class _Links(Mapping[str, AbstractSet[str]]):
    """Every record's neighbours (links either way), read from the snapshot when asked."""

    def __init__(self, repo: Repository) -> None:
        self._repo = repo
        self.kept: dict[str, AbstractSet[str]] = {}

    def __getitem__(self, rid: str) -> AbstractSet[str]:
        found = self.kept.get(rid)
        if found is None:
            found = self._repo._snapshot.neighbours(rid) if self._repo._synced else set()
            self.kept[rid] = found
        if not found:
            raise KeyError(rid)
        return found

    def _all(self) -> dict[str, set[str]]:
        every: dict[str, set[str]] = {}
        if self._repo._synced:
            for src, dst in self._repo._snapshot.linked():
                if src != dst:
                    every.setdefault(src, set()).add(dst)
                    every.setdefault(dst, set()).add(src)
        return every

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class Repository:
    """Records of one log: appended in O(1), read through its snapshot, kept fresh from the file.

    Adding a record appends one event without reading the log. Reading catches the
    snapshot (:mod:`retro.store.snapshot`) up with the log, then costs what it reads:
    a lookup reads one line back, the newest entries read their own lines; only what
    asks for every record reads them all. :meth:`refresh` brings the state up to date
    with what other processes appended.

    What the rest of retro uses: :attr:`path`, :attr:`team`, :attr:`author`;
    the state read so far: :meth:`load`, :meth:`refresh`, :attr:`loaded`,
    :attr:`version`, :attr:`problems`, :attr:`incomplete_tail`; changes, each one
    append: :meth:`add`, :meth:`upsert`, :meth:`edit`, :meth:`remove`, :meth:`restore`; reads:
    :meth:`record`, :meth:`records`, :meth:`all`, :meth:`find`, :meth:`count`,
    :meth:`get`, :meth:`resolve`, :meth:`links`, :meth:`history`; and :meth:`clock`.
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
        self._snapshot = Snapshot(self._journal)
        self._writer = Writer(author, clock) if origin is None else Writer(author, clock, origin)
        self._loaded = False
        self._synced = False  # the snapshot was caught up (False: no log yet, or not read)
        self._missing_ok = False
        self._version = 0
        self._seen = ("", 0)  # the snapshot's build and offset as this repository last read it
        self._records = _Records(self)
        self._links = _Links(self)

    # --- state ------------------------------------------------------------------------

    @property
    def problems(self) -> list[Problem]:
        """Damaged lines met while reading (skipped)."""
        return self._snapshot.problems

    @property
    def incomplete_tail(self) -> bool:
        """True when the last line is torn (or still being written)."""
        return self._snapshot.incomplete_tail

    @property
    def loaded(self) -> bool:
        """True once the log was read (:meth:`load`, or a first query): until then, adding
        an entry only appends."""
        return self._loaded

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
        return self._version

    def record(self, rid: str) -> Record | None:
        """The current record with id ``rid`` as read so far (None: unknown or deleted)."""
        self._ensure()
        return self._records.get(rid)

    def records(self) -> Mapping[str, Record]:
        """Every current record by id, as read so far: the context the insights and the
        report read. A live view, read as asked (iterating it reads every record): it
        follows the log; do not change what it gives."""
        self._ensure()
        return self._records

    def clock(self) -> datetime:
        """Now, as this repository stamps it."""
        return self._writer.clock()

    def load(self, *, missing_ok: bool = False) -> Repository:
        """Catch up with the whole log (raises :class:`~retro.errors.LogError` if it is
        unusable). With ``missing_ok``, a log that does not exist yet reads as empty."""
        self._missing_ok = missing_ok
        self._sync()
        return self

    def refresh(self) -> set[str]:
        """Read what was appended since; return the ids of records that changed."""
        had = self._synced
        changed = self._sync()
        if changed is not None:
            return changed
        return set(self._snapshot.ids(deleted=True)) if self._synced or had else set()

    def _sync(self) -> set[str] | None:
        """Catch the snapshot up; forget what changed; return the ids that did (None: any
        may have)."""
        if self._missing_ok and not self.path.exists():
            self._synced, self._loaded = False, True
            self._forget(None)
            return None
        snapshot = self._snapshot
        snapshot.sync()
        changed = snapshot.changed_since(*self._seen) if self._synced else None
        self._synced = self._loaded = True
        self._seen = (snapshot.build, snapshot.offset)
        self._forget(changed)
        return changed

    def _forget(self, changed: set[str] | None) -> None:
        """Drop what was read of the records that changed (None: of every record)."""
        if changed is None:
            self._records.kept.clear()
        else:
            for rid in changed:
                self._records.kept.pop(rid, None)
        if changed is None or changed:
            self._records.absent.clear()
            self._links.kept.clear()
            self._version += 1

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
        rid: str | None = None,
        anonymous: bool = False,
    ) -> Record:
        """Record a new entry: one durable append, whatever the size of the log.

        ``rid`` gives it that id (a UUID): the log is read first, an id in use is refused
        and a deleted one comes back as this new record. An ``anonymous`` entry records no
        author, neither in itself nor in its revision (see :meth:`Writer.event`).
        """
        rec, event = self._writer.new_entry(kind, text, team=self.team, fields=fields,
                                            links=links, retro=retro, at=at, rid=rid,
                                            anonymous=anonymous)  # fmt: skip
        head = self._head(rid) if rid is not None else None
        if head is not None:
            if head.seq is not None:
                raise RetroError(f"entry {rec['id'][:8]} exists already")
            event = self._writer.event(PUT, rec["id"], rec, _base(head), restore=True,
                                       anonymous=anonymous)  # fmt: skip
        self._append(event)
        return rec

    def upsert(
        self, rid: str, kind: str, text: str, *, fields: Mapping[str, Any], retro: str | None
    ) -> Record:
        """The record ``rid`` with this text and these fields: created if it is absent (or
        deleted), else edited (one append, none if nothing changes). Returns it as it is.

        For records with one writer each, whose id says what they are about (a person's
        vote, their presence in a live retro): coming back revises the same record.
        """
        head = self._head(rid)
        if head is None or head.seq is None:
            return self.add(kind, text, fields=fields, retro=retro, rid=rid)
        current = self._records[rid]
        if current["kind"] != kind:
            raise RetroError(f"entry {rid[:8]} is a {current['kind']}, not a {kind}")
        return self.edit(rid, text=text, fields={**fields, "retro": retro})

    def edit(
        self,
        ref: str,
        *,
        text: str | None = None,
        fields: Mapping[str, Any] | None = None,
        link: Sequence[str] = (),
        unlink: Sequence[str] = (),
        anonymous: bool = False,
    ) -> Record:
        """Change an entry; appends one revision if anything changed. Returns the new state.

        An ``anonymous`` revision names nobody (for an entry recorded without its author)."""
        current = self.get(ref)
        rec = dict(current)
        if text is not None:
            rec["text"] = text
        rec.update(fields or {})
        dropped = set(unlink)
        links = [i for i in rec.get("links") or [] if i not in dropped]
        rec["links"] = list(dict.fromkeys([*links, *link]))
        if rec != current:
            rec["updated_at"] = self.clock().isoformat()
            self._write(PUT, validate(rec), anonymous=anonymous)
        return self._records[rec["id"]]

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
        head = self._snapshot.head(rid)
        if head is None or not head.rank_del:
            raise RetroError(f"entry {rid[:8]} is not deleted: there is nothing to restore")
        buried = self._snapshot.buried_event(rid)
        if buried is None:
            raise RetroError(f"entry {rid[:8]} has no revision before its deletion to restore")
        if head.rank_life + 1 >= MAX_LIFE:
            raise RetroError(f"entry {rid[:8]} was restored too many times to restore again")
        self._write(PUT, buried["rec"], restore=True)
        return self._records[rid]

    def _write(self, op: str, rec: Record, *, restore: bool = False,
               anonymous: bool = False) -> None:  # fmt: skip
        """One revision of one loaded record: a single append, like :meth:`add`."""
        head = self._snapshot.head(rec["id"])
        base = None if head is None else _base(head)
        self._append(self._writer.event(op, rec["id"], rec if op == PUT else None, base,
                                        restore=restore, anonymous=anonymous))  # fmt: skip

    def _head(self, rid: str) -> Head | None:
        """The current revision of ``rid`` (a deletion included), the log read first
        (None: unknown, or no log yet)."""
        if not self._loaded and not self.path.exists():
            return None
        self._ensure()
        return self._snapshot.head(rid) if self._synced else None

    def _append(self, event: Event) -> None:
        """The one way the log changes: append ``event``, then (once the log was read)
        catch up with it, and with whatever else was appended meanwhile."""
        self._journal.append([event])
        if self._loaded:
            self._missing_ok = False
            self._sync()

    # --- reading ---------------------------------------------------------------------

    def _ensure(self) -> None:
        if not self._loaded:
            self.load()

    def _read(self, rows: Iterable[tuple[str, str, int, int]]) -> Iterator[Record]:
        """The records at ``rows`` (id, rev, offset, size), those already read kept as read."""
        kept = self._records.kept
        for rid, rev, off, size in rows:
            rec = kept.get(rid)
            yield rec if rec is not None else self._snapshot.event_at(rev, off, size)["rec"]

    def all(self) -> list[Record]:
        """Every current record, oldest first."""
        return self.find()

    @staticmethod
    def _where(
        kinds: Sequence[str] = (), teams: Sequence[str] = (), since: datetime | None = None,
        until: datetime | None = None, retro: str | None = None, due: bool = False,
        closed_in: str | None = None,
    ) -> tuple[str, list[Any]]:  # fmt: skip
        """The snapshot's selection for the filters it can answer itself."""
        clauses: list[str] = ["due IS NOT NULL"] if due else []
        params: list[Any] = []
        if closed_in:  # what is due, or was closed in that retro
            clauses.append("(due IS NOT NULL OR closed_in = ?)")
            params.append(closed_in)
        for column, values in (("kind", kinds), ("team", teams)):
            if values:
                clauses.append(_in(column, values))
                params.extend(values)
        if retro:
            clauses.append("retro = ?")
            params.append(retro)
        if since is not None:
            clauses.append("created >= ?")
            params.append(since.timestamp())
        if until is not None:
            clauses.append("created <= ?")
            params.append(until.timestamp())
        return " AND ".join(clauses), params

    @staticmethod
    def _condition(
        search: str | None, where: Callable[[Mapping[str, Any]], bool] | None
    ) -> QueryInstance | None:
        """The test of what the snapshot cannot select by (a TinyDB query), if any."""
        conditions: list[QueryInstance] = []
        if search:
            needle = re.compile(re.escape(search), re.IGNORECASE)
            conditions.append(QueryInstance(
                lambda rec: any(needle.search(v) for v in _search_fields(rec)),
                ("search", search),
            ))  # fmt: skip
        if where is not None:
            conditions.append(QueryInstance(where, None))
        condition = None
        for more in conditions:
            condition = more if condition is None else condition & more
        return condition

    def find(self, *, last: int | None = None, limit: int | None = None,
             **filters: Any) -> list[Record]:  # fmt: skip
        """Current records matching every filter given (see :meth:`each`), oldest first
        (ties in log order), or, with ``due``, in the order they fall due.

        With ``last``, only the newest ``last`` of them; with ``limit``, only the first
        ``limit``: only those are read when the other filters are ones the snapshot answers.
        """
        if last is not None:
            found = [dict(rec) for rec in self.each(newest=True, limit=last, **filters)]
            found.reverse()
            return found
        return [dict(rec) for rec in self.each(limit=limit, **filters)]

    def each(
        self,
        *,
        kinds: Sequence[str] = (),
        teams: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        search: str | None = None,
        retro: str | None = None,
        due: bool = False,
        closed_in: str | None = None,
        where: Callable[[Mapping[str, Any]], bool] | None = None,
        newest: bool = False,
        limit: int | None = None,
    ) -> Iterator[Record]:
        """Current records, read one at a time as they are asked for (do not change them):
        of these ``kinds`` and ``teams``, created from ``since`` until ``until``, holding
        ``search`` in a text, of the retro ``retro`` (by name), only what is ``due`` (open
        actions, outcomes awaiting evidence; see :func:`retro.model.due_order`), only what
        is due or was closed in the retro ``closed_in``, passing the test ``where`` (it
        must not change them).

        Oldest first, or ``newest`` first, or, with ``due``, in the order they fall due; at
        most ``limit`` of them.
        """
        self._ensure()
        if not self._synced or limit == 0:
            return
        sql, params = self._where(kinds, teams, since, until, retro, due, closed_in)
        condition = self._condition(search, where)
        order = "due, created, seq" if due else "created DESC, seq DESC" if newest else _ORDER
        rows = self._snapshot.select(sql, params, order=order,
                                     limit=limit if condition is None else None)  # fmt: skip
        count = 0
        for rec in self._read(rows):
            if condition is None or condition(rec):
                yield rec
                count += 1
                if count == limit:
                    return

    def newest(self, last: int | None, *, search: str | None = None,
               where: Callable[[Mapping[str, Any]], bool] | None = None,
               **filters: Any) -> tuple[list[Record], int]:  # fmt: skip
        """The newest ``last`` records :meth:`find` gives (all when None), oldest first, and
        how many match in all: from the snapshot's indexes alone, or in one pass over the
        records when a ``search`` or a ``where`` test must read them."""
        if search is None and where is None:
            return self.find(last=last, **filters), self.count(**filters)
        kept: deque[Record] = deque(maxlen=last)
        total = 0
        for rec in self.each(search=search, where=where, **filters):
            kept.append(dict(rec))
            total += 1
        return list(kept), total

    def count(self, *, search: str | None = None,
              where: Callable[[Mapping[str, Any]], bool] | None = None,
              **filters: Any) -> int:  # fmt: skip
        """How many current records :meth:`find` would give for the same filters."""
        self._ensure()
        if not self._synced:
            return 0
        sql, params = self._where(**filters)
        condition = self._condition(search, where)
        if condition is None:
            return self._snapshot.count(sql, params)
        return sum(1 for rec in self._read(self._snapshot.select(sql, params)) if condition(rec))

    def links(self) -> Mapping[str, AbstractSet[str]]:
        """Every record's neighbours (links either way), kept up to date: what
        :func:`retro.insights.link_index` finds over :meth:`records`."""
        self._ensure()
        return self._links

    def get(self, ref: str, *, kinds: Sequence[str] = ()) -> Record:
        """The current record that ``ref`` names (see :meth:`resolve`)."""
        rid = self.resolve(ref, kinds=kinds)
        return self._records[rid]

    def resolve(self, ref: str, *, kinds: Sequence[str] = (), deleted: bool = False) -> str:
        """The id of the one current record named by ``ref``.

        ``ref`` is a full id, an id prefix of at least four characters, or a
        fragment of a decision's text (case-insensitive). With ``deleted``,
        deleted records are found too (by id or prefix).
        """
        self._ensure()
        records = self._records
        ref = ref.strip()
        if ref in records and (not kinds or records[ref]["kind"] in kinds):
            return ref
        lowered = ref.lower()
        if deleted and len(ref) >= MIN_PREFIX and self._synced:
            ids = self._snapshot.ids(lowered, deleted=True)
            if len(ids) == 1:
                return ids[0]
        matches = []
        if len(lowered) >= MIN_PREFIX and self._synced:
            matches = self._snapshot.ids(lowered)
        if not matches and (not kinds or "decision" in kinds) and ref:
            matches = [rec["id"] for rec in self.find(kinds=["decision"])
                       if lowered in rec["text"].lower()]  # fmt: skip
        if kinds:
            matches = [rid for rid in matches if records[rid]["kind"] in kinds]
        if len(matches) == 1:
            return matches[0]
        shown = repr(ref[:40])
        if not matches:
            if self._synced and self._snapshot.head(ref) is not None:
                raise RecordNotFound(f"entry {shown} was deleted")
            raise RecordNotFound(f"no entry matches {shown} in {self.path}")
        listing = "; ".join(f"{rid[:8]} {records[rid]['text'][:40]!r}" for rid in matches[:5])
        raise RecordNotFound(f"{shown} matches {len(matches)} entries ({listing}): be more precise")

    def history(self, ref: str) -> list[Event]:
        """Every revision of the entry ``ref`` names, oldest first (tombstone included)."""
        self._ensure()
        rid = self.resolve(ref, deleted=True)
        unique = {e["rev"]: e for e in Journal(self.path).matching(rid.encode())
                  if e["id"] == rid}  # fmt: skip
        return [unique[rev] for rev in sorted(unique)]


def _base(head: Head) -> Event:
    """What a new revision needs of the one it follows."""
    return {"rev": head.rev, "life": head.rank_life}


def union_records(repos: Sequence[Repository],
                  view: Callable[[Record], Record] | None = None) -> list[Record]:  # fmt: skip
    """The current records of several logs taken together, oldest first: each record's
    greatest revision among them, as a merge of the logs would hold (without a merge's
    checks of whom it trusts), read through each log's snapshot; each given as ``view``
    shows it, if given (only what is shown is kept)."""
    if len(repos) == 1:  # the union of one log is the log: no need to hold every head
        return list(map(view or dict, repos[0].each()))
    best: dict[str, tuple[tuple[int, int, str], tuple[float, int, int], int, int]] = {}
    for index, repo in enumerate(repos):
        repo._ensure()
        if not repo._synced:
            continue
        for rid, life, dead, rev, off, size, created, seq in repo._snapshot.heads():
            rank = (life, dead, rev)
            held = best.get(rid)
            if held is None or rank > held[0]:
                best[rid] = (rank, (created or 0.0, index, seq or 0), off, size)
    chosen = sorted((place, rank[2], off, size) for rank, place, off, size in best.values()
                    if not rank[1])  # fmt: skip
    del best
    found = (repos[place[1]]._snapshot.event_at(rev, off, size)["rec"]
             for place, rev, off, size in chosen)  # fmt: skip
    return list(found if view is None else map(view, found))
