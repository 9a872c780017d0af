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
        anonymous: bool = False,
    ) -> Event:
        """A new event by this writer, following ``head`` (the record's current revision).

        It carries the head's ``life``, one more when it is a ``restore`` of a deletion.
        An ``anonymous`` event names nobody and comes from a one-off origin, so that
        nothing in it ties it to this writer's other revisions.
        """
        prev, life = (None, 0) if head is None else (head["rev"], life_of(head))
        by, origin = ("", _new_origin()) if anonymous else (self.author, self.origin)
        return make_event(
            op, record_id, rec=rec, prev=prev, at=self.clock(), by=by, origin=origin,
            life=life + 1 if restore else life,
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
        rid: str | None = None,
        anonymous: bool = False,
    ) -> tuple[Record, Event]:
        """A new, validated entry by this writer (with the id ``rid``, or a fresh one), and
        the event that records it; an ``anonymous`` one records no author (see :meth:`event`)."""
        rec = new_record(kind, text, team=team, author="" if anonymous else self.author,
                         at=at or self.clock(), fields=fields, links=links, retro=retro,
                         rid=rid)  # fmt: skip
        return rec, self.event(PUT, rec["id"], rec, None, anonymous=anonymous)
