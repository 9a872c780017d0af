"""Who writes a log, and the one append a check-in needs: no TinyDB, no read of the log."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from retro.model import Record, new_record
from retro.store.events import PUT, Event, life_of, make_event


def _new_origin() -> str:
    return uuid.uuid4().hex[:8]


@dataclass
class Writer:
    """Who writes, from where, and the clock that stamps revisions."""

    author: str
    clock: Callable[[], datetime]
    origin: str = field(default_factory=_new_origin)

    def event(
        self,
        op: str,
        record_id: str,
        rec: Record | None,
        head: Event | None,
        *,
        restore: bool = False,
    ) -> Event:
        """A new event by this writer, following ``head`` (the record's current revision).

        It carries the head's ``life``, one more when it is a ``restore`` of a deletion.
        """
        prev, life = (None, 0) if head is None else (head["rev"], life_of(head))
        return make_event(
            op, record_id, rec=rec, prev=prev, at=self.clock(), by=self.author,
            origin=self.origin, life=life + 1 if restore else life,
        )  # fmt: skip

    def new_entry(
        self,
        kind: str,
        text: str,
        *,
        team: str,
        fields: Mapping[str, Any] | None = None,
        links: Iterable[str] = (),
        retro: str | None = None,
        at: datetime | None = None,
    ) -> tuple[Record, Event]:
        """A new, validated entry by this writer, and the event that records it."""
        rec = new_record(kind, text, team=team, author=self.author, at=at or self.clock(),
                         fields=fields, links=links, retro=retro)  # fmt: skip
        return rec, self.event(PUT, rec["id"], rec, None)
