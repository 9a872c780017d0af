"""Indexes over the current records, kept up to date as events are applied.

They answer the questions the app asks on every change — the records of a kind,
the entries of a retro, the neighbours of a record — without scanning the log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from retro.insights import Links
from retro.model import Record


class Indexes:
    """Ids by kind, team and retro, each record's place and time, and :attr:`links`
    (the same neighbours :func:`retro.insights.link_index` finds, kept up to date)."""

    def __init__(self, records: Mapping[str, Record]) -> None:
        """Index ``records`` (current records by id), then follow their changes: call
        :meth:`discard` before a record changes or goes, :meth:`add` once it is in."""
        self._records = records
        self.by_kind: defaultdict[str, set[str]] = defaultdict(set)
        self.by_team: defaultdict[str, set[str]] = defaultdict(set)
        self.by_retro: defaultdict[str, set[str]] = defaultdict(set)
        self.links = Links()
        self.order: dict[str, int] = {}  # when each record was first seen
        self.created: dict[str, float] = {}  # each record's created_at, as a timestamp
        for rec in records.values():
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
        self.links.add(rec)

    def discard(self, rec: Record) -> None:
        """Forget a record that is no longer current."""
        rid = rec["id"]
        self.created.pop(rid, None)
        self.by_kind[rec["kind"]].discard(rid)
        self.by_team[rec["team"]].discard(rid)
        if rec.get("retro"):
            self.by_retro[rec["retro"]].discard(rid)
        self.links.discard(rec, self._records)
