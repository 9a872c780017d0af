"""Indexes over the current records, kept up to date as events are applied.

They answer the questions the app asks on every change — the records of a kind,
the entries of a retro, the neighbours of a record — without scanning the log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Set
from datetime import datetime

from retro.model import Record, link_targets

_EMPTY: frozenset[str] = frozenset()


class Indexes(Mapping[str, Set[str]]):
    """Ids by kind, team and retro, and links in both directions.

    As a mapping it is the undirected link index: id -> the ids it links to or
    that link to it.
    """

    def __init__(self, records: Iterable[Record] = ()) -> None:
        self.by_kind: defaultdict[str, set[str]] = defaultdict(set)
        self.by_team: defaultdict[str, set[str]] = defaultdict(set)
        self.by_retro: defaultdict[str, set[str]] = defaultdict(set)
        self.out: dict[str, list[str]] = {}
        self.into: defaultdict[str, set[str]] = defaultdict(set)
        self.order: dict[str, int] = {}  # when each record was first seen
        self.created: dict[str, float] = {}  # each record's created_at, as a timestamp
        for rec in records:
            self.add(rec)

    def add(self, rec: Record) -> None:
        """Index a current record."""
        rid = rec["id"]
        self.order.setdefault(rid, len(self.order))
        self.created[rid] = datetime.fromisoformat(rec["created_at"]).timestamp()
        self.by_kind[rec["kind"]].add(rid)
        self.by_team[rec["team"]].add(rid)
        if rec.get("retro"):
            self.by_retro[rec["retro"]].add(rid)
        targets = link_targets(rec)
        self.out[rid] = targets
        for target in targets:
            self.into[target].add(rid)

    def discard(self, rec: Record) -> None:
        """Forget a record that is no longer current."""
        rid = rec["id"]
        self.created.pop(rid, None)
        self.by_kind[rec["kind"]].discard(rid)
        self.by_team[rec["team"]].discard(rid)
        if rec.get("retro"):
            self.by_retro[rec["retro"]].discard(rid)
        for target in self.out.pop(rid, ()):
            self.into[target].discard(rid)

    def __getitem__(self, rid: str) -> Set[str]:
        found = self.into.get(rid, _EMPTY) | set(self.out.get(rid, ()))
        if not found and rid not in self.out:
            raise KeyError(rid)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self.out)

    def __len__(self) -> int:
        return len(self.out)
