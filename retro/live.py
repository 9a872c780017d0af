"""The room of a live retro: phases and timers, cards, groups, votes and presence.

Pure functions over records; everything the room shares lives in the log:

- the **retro** record (written by the facilitator alone) holds the step's ``phase``
  (write, reveal, group, vote, discuss), when it started and when it ends (the timer;
  extending it is one more revision), ``dots`` per participant and step, and whether
  cards are recorded ``anonymous``;
- a **card** is an entry of the step's kind; ``group_of`` folds it into another card
  (its lead), whose ``authors`` and links gather its members';
- a **vote** record per participant and step: ``dots``, the ids of the cards they put a
  dot on (an id twice is two dots), revised as they vote, so votes merge like any record;
- a **presence** record per participant: when they were last ``seen``, when they said
  they were ``done`` writing, when they ``left``.

Each record has one writer, so that appends from many processes never undo each other;
the ids of votes and presences are derived from what they are about (:func:`room_id`),
so a participant who comes back revises their own.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from retro.fields import PHASES
from retro.model import Record
from retro.present.sanitize import clean

WRITE, REVEAL, GROUP, VOTE, DISCUSS = PHASES
DEFAULT_DOTS = 3
MAX_NAME = 40  # the characters of a name in the room
AWAY_AFTER = timedelta(seconds=150)  # a participant not seen for this long is away
HEARTBEAT = timedelta(seconds=30)  # how often a participant's presence is written again
SIMILAR = 0.5  # the share of words two cards must have in common to be suggested as a group

_ROOM = uuid.UUID("6f1d5a52-0c3e-4f0e-9a51-7a1f3c2b9e10")  # names the ids the room derives
_WORD = re.compile(r"[a-z0-9%]+")
_SMALL = frozenset({"a", "an", "the", "on", "onto", "to", "of", "and", "or", "in", "for", "we"})


def person_name(text: str) -> str:
    """A name as the room keeps it: shown as it is (never markup or an escape), one line,
    its spaces single. Empty: no name."""
    return " ".join(clean(text).split())


def room_id(retro_id: str, what: str, who: str) -> str:
    """The id of a record the room keeps one of per person (a vote per step, a presence):
    the same in every process, so that coming back revises it."""
    return str(uuid.uuid5(_ROOM, f"{retro_id}/{what}/{who}"))


@dataclass(frozen=True)
class Phase:
    """Where a group exercise stands: its step, its phase and its timer."""

    step: str
    phase: str
    started_at: datetime | None = None
    ends_at: datetime | None = None

    def remaining(self, now: datetime) -> timedelta | None:
        """Time left on the timer (never below zero); None: no timer."""
        if self.ends_at is None:
            return None
        return max(self.ends_at - now, timedelta(0))


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def phase_of(retro: Mapping[str, Any]) -> Phase | None:
    """The phase a retro's current step is in (None: not a group exercise now)."""
    phase, step = retro.get("phase"), retro.get("step")
    if phase not in PHASES or not isinstance(step, str):
        return None
    return Phase(step, phase, _moment(retro.get("phase_started_at")),
                 _moment(retro.get("phase_ends_at")))  # fmt: skip


def phase_fields(phase: str | None, now: datetime,
                 timebox: Mapping[str, int] | None = None) -> dict[str, Any]:  # fmt: skip
    """The retro's fields for a step entering ``phase`` at ``now`` (None: no exercise):
    its timer runs for the minutes ``timebox`` gives that phase, none when it gives none."""
    if phase is None:
        return {"phase": None, "phase_started_at": None, "phase_ends_at": None}
    minutes = (timebox or {}).get(phase)
    ends = now + timedelta(minutes=minutes) if minutes else None
    return {"phase": phase, "phase_started_at": now.isoformat(),
            "phase_ends_at": ends.isoformat() if ends else None}  # fmt: skip


def next_phase(phase: str) -> str | None:
    """The phase after ``phase`` (None: the exercise is over)."""
    index = PHASES.index(phase) + 1
    return PHASES[index] if index < len(PHASES) else None


def extended(phase: Phase, now: datetime, minutes: int) -> datetime:
    """When the timer ends once extended by ``minutes``: from its end, or from now when
    it has run out or there is none."""
    ends = phase.ends_at if phase.ends_at is not None and phase.ends_at > now else now
    return ends + timedelta(minutes=minutes)


def timer_text(left: timedelta | None) -> str:
    """``mm:ss`` left (``""``: no timer)."""
    if left is None:
        return ""
    seconds = int(left.total_seconds() + 0.999)  # 0.2 s left still shows 00:01
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


# --- presence ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Someone in the room, and what they are doing: writing, done, away or left."""

    name: str
    role: str
    state: str


def people(presences: Iterable[Mapping[str, Any]], phase: Phase | None,
           now: datetime) -> list[Person]:  # fmt: skip
    """Who has joined and what each is doing, facilitator first, then by name.

    Left: they quit. Away: not seen for :data:`AWAY_AFTER` (their terminal died, or their
    laptop slept). Done: they said so since the phase began. Writing: otherwise.
    """
    found = [Person(str(presence.get("text") or ""), str(presence.get("role") or "participant"),
                    state_of(presence, phase, now)) for presence in presences]  # fmt: skip
    return sorted(found, key=lambda p: (p.role != "facilitator", p.name.casefold(), p.name))


def state_of(presence: Mapping[str, Any], phase: Phase | None, now: datetime) -> str:
    """What one person is doing: left, away, done (writing, since ``phase`` began) or
    writing (see :func:`people`)."""
    seen, done = _moment(presence.get("seen_at")), _moment(presence.get("done_at"))
    began = phase.started_at if phase is not None else None
    if _moment(presence.get("left_at")) is not None:
        return "left"
    if seen is None or now - seen > AWAY_AFTER:
        return "away"
    if done is not None and (began is None or done >= began):
        return "done"
    return "writing"


def stale(presence: Mapping[str, Any] | None, now: datetime) -> bool:
    """Whether a presence is to be written again to say its person is still here: it was
    not seen for :data:`HEARTBEAT` (or never)."""
    seen = _moment((presence or {}).get("seen_at"))
    return seen is None or now - seen >= HEARTBEAT


# --- cards ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardsView:
    """The cards of a step as one participant may see them now."""

    shown: list[Record]  # the cards whose text is shown, leads first, members after theirs
    total: int  # every card of the step
    yours: int  # how many are this participant's
    members: Mapping[str, list[Record]] = field(default_factory=dict)  # lead id -> members


def cards_view(cards: Sequence[Record], phase: Phase | None, mine: Iterable[str]) -> CardsView:
    """What a participant sees of a step's ``cards``: while the room writes silently, their
    own cards and how many there are; from the reveal on, every card, members under their
    lead. ``mine``: the ids of the cards this participant wrote.

    The log is a shared file: hiding the others' cards while writing keeps people from
    being swayed, it does not keep them secret.
    """
    own = set(mine)
    yours = sum(1 for card in cards if card["id"] in own)
    ordered = sorted(cards, key=lambda c: (c["created_at"], c["id"]))
    if phase is not None and phase.phase == WRITE:
        return CardsView([c for c in ordered if c["id"] in own], len(cards), yours)
    ids = {card["id"] for card in cards}
    members: dict[str, list[Record]] = {}
    leads = []
    for card in ordered:
        lead = card.get("group_of")
        if isinstance(lead, str) and lead in ids and lead != card["id"]:
            members.setdefault(lead, []).append(card)
        else:
            leads.append(card)
    return CardsView(leads, len(cards), yours, members)


def counted(entries: Iterable[Record]) -> list[Record]:
    """The entries that count on their own: a card folded into another of them counts
    once, as its lead (an anonymous card counts like any other)."""
    every = entries if isinstance(entries, list) else list(entries)
    ids = {rec["id"] for rec in every}
    return [rec for rec in every
            if rec.get("group_of") not in ids or rec["group_of"] == rec["id"]]


def lead_of(card: Mapping[str, Any], cards: Mapping[str, Mapping[str, Any]]) -> str:
    """The card a card counts as: its lead when it is folded into one (one level)."""
    lead = card.get("group_of")
    return lead if isinstance(lead, str) and lead in cards else str(card["id"])


def fold(lead: Mapping[str, Any], members: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The fields a lead takes on when ``members`` are folded into it: the links and the
    named authors of all of them (anonymous cards add none)."""
    links = list(dict.fromkeys([*(lead.get("links") or []),
                                *(link for m in members for link in m.get("links") or [])]))
    named = [lead.get("author"), *(lead.get("authors") or []),
             *(m.get("author") for m in members)]  # fmt: skip
    authors = list(dict.fromkeys(str(name) for name in named if name))
    return {"links": [link for link in links if link != lead["id"]], "authors": authors}


def _words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if word not in _SMALL}


def suggest_groups(cards: Sequence[Record], similar: float = SIMILAR) -> list[list[str]]:
    """Near-duplicate cards, suggested as groups: ids, oldest first, groups of two or more.

    Two cards are near when the words they share are at least ``similar`` of the words of
    the shorter; groups are what nearness joins (transitively). Cards already folded are
    left out.
    """
    free = sorted((c for c in cards if not c.get("group_of")),
                  key=lambda c: (c["created_at"], c["id"]))  # fmt: skip
    words = [_words(str(card.get("text") or "")) for card in free]
    parent = list(range(len(free)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    holders: dict[str, list[int]] = {}
    for index, these in enumerate(words):
        for word in these:
            holders.setdefault(word, []).append(index)
    for index, these in enumerate(words):
        for other in sorted({o for word in these for o in holders[word] if o > index}):
            theirs = words[other]
            shared = len(these & theirs)
            if shared and shared >= similar * min(len(these), len(theirs)):
                parent[root(other)] = root(index)
    groups: dict[int, list[str]] = {}
    for index, card in enumerate(free):
        groups.setdefault(root(index), []).append(card["id"])
    return [ids for ids in groups.values() if len(ids) > 1]


# --- votes ------------------------------------------------------------------------------


def tally(votes: Iterable[Mapping[str, Any]], cards: Sequence[Mapping[str, Any]],
          dots: int = DEFAULT_DOTS) -> Counter[str]:  # fmt: skip
    """Dots per card (a member's dots count for its lead): each voter's first ``dots``
    dots on the step's cards; dots on anything else are not counted."""
    by_id = {str(card["id"]): card for card in cards}
    counted: Counter[str] = Counter()
    for vote in votes:
        given = [rid for rid in vote.get("dots") or [] if rid in by_id][:dots]
        counted.update(lead_of(by_id[rid], by_id) for rid in given)
    return counted


def dots_left(vote: Mapping[str, Any] | None, dots: int = DEFAULT_DOTS) -> int:
    """How many dots a participant has still to give."""
    given = len((vote or {}).get("dots") or [])
    return max(dots - given, 0)


def vote_order(cards: Sequence[Record], counted: Mapping[str, int]) -> list[Record]:
    """The cards to discuss: most dots first, then oldest first."""
    return sorted(cards, key=lambda c: (-counted.get(c["id"], 0), c["created_at"], c["id"]))
