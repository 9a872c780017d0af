"""The room of a live retro as one person in it sees and changes it (no Textual).

A plain object over a :class:`~retro.tui.session.Session`: the facilitator's moves the
retro on (its phase and timer, folding cards), everyone writes cards, votes and says
they are here. The rules are :mod:`retro.live`'s; this only reads and writes the log:

- each record has one writer: the facilitator alone writes the retro; a voter their vote
  record, a person their presence (ids from :func:`retro.live.room_id`, so coming back
  revises the same record); a card is written by its author, later by the facilitator;
- reads are kept until the log changes, so that a screen may ask every second;
- each write tells the session's listeners once, and raises :class:`RetroError` when it
  cannot be made.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar

from retro import live
from retro.errors import RetroError
from retro.formats import StepSpec
from retro.live import CardsView, Person, Phase
from retro.model import STEP_KINDS, Record
from retro.store import Repository
from retro.tui.session import Session

Role = Literal["facilitator", "participant"]
FACILITATOR: Role = "facilitator"
PARTICIPANT: Role = "participant"
GONE = ("away", "left")  # the states of people not in the room now

T = TypeVar("T")


class Room:
    """One person in a live retro: the facilitator, or a participant."""

    def __init__(self, session: Session, *, name: str, role: Role) -> None:
        """``name``: who this person is in the room; the session records as them."""
        self.session = session
        self.role = role
        self.mine: set[str] = set()  # the cards written here (anonymous ones are known only so)
        self.name = name

    @property
    def name(self) -> str:
        """Who this person is in the room: what they write is recorded as theirs."""
        return self.session.repo.author

    @name.setter
    def name(self, name: str) -> None:
        self.session.repo.author = name

    @property
    def _repo(self) -> Repository:
        return self.session.repo

    def _now(self) -> datetime:
        return self._repo.clock()

    def _kept(self, what: str, gather: Callable[[], T]) -> T:
        """What ``gather`` reads of the room, read again only once the log has changed."""
        return self.session.kept(f"room {what}", gather)

    # --- reading ------------------------------------------------------------------------

    def retro(self) -> Record | None:
        """The room's retro: the facilitator's open retro; for a participant, the team's
        retro not closed whose facilitator is in the room, else its newest not closed
        (opened in the session too), None if there is none."""
        if self.role == FACILITATOR:
            return self.session.retro
        found = self._kept("retro", self._choose)
        if found is not None and found["id"] != self.session.retro_id:
            self.session.open_retro(found["id"])
        return found

    def _choose(self) -> Record | None:
        """A participant's retro, as the log stands (see :meth:`retro`)."""
        retros, _ = self.session.team_retros()
        open_ones = [r for r in retros if r.get("status") != "closed"]
        # an old retro left open, or one beside it in the same sprint, does not draw the
        # room away from the one its facilitator is running now
        return next((r for r in open_ones if self._led(str(r["id"]))),
                    next(iter(open_ones), None))  # fmt: skip

    def _presences(self, rid: str) -> list[Record]:
        """The presence records of retro ``rid``."""
        return self._kept(f"presences {rid}",
                          lambda: self._repo.find(kinds=["presence"], retro=rid))  # fmt: skip

    def _led(self, rid: str) -> bool:
        """Whether retro ``rid``'s facilitator is in the room now."""
        people = live.people(self._presences(rid), None, self._now())
        return any(p.role == FACILITATOR and p.state not in GONE for p in people)

    def _id(self) -> str | None:
        """The room's retro's id (None: no retro, or one not recorded yet)."""
        retro = self.retro()
        return str(retro["id"]) if retro and retro.get("id") else None

    def phase(self) -> Phase | None:
        """Where the current step's group exercise stands (None: it is not one now)."""
        retro = self.retro()
        return live.phase_of(retro) if retro is not None else None

    def step(self) -> str | None:
        """The step the retro is at."""
        retro = self.retro()
        step = retro.get("step") if retro is not None else None
        return step if isinstance(step, str) else None

    def kind(self) -> str | None:
        """The kind of entry the current step's cards are (None: a step without cards)."""
        return STEP_KINDS.get(self.step() or "")

    def _spec(self, step: str | None) -> StepSpec | None:
        """How ``step`` runs in the room's retro's format."""
        if step is None or self.retro() is None:
            return None
        return self.session.step_spec(step)

    def dots(self) -> int:
        """Each person's dots on the current step: the retro's, the format's, or three."""
        retro = self.retro() or {}
        spec = self._spec(self.step())
        return int(retro.get("dots") or (spec.dots if spec else 0) or live.DEFAULT_DOTS)

    def anonymous(self) -> bool:
        """Whether the retro's cards are recorded without their author."""
        retro = self.retro()
        return retro is not None and retro.get("cards") == "anonymous"

    def people(self, now: datetime | None = None) -> list[Person]:
        """Who has joined the retro and what each is doing (see :func:`retro.live.people`)."""
        rid = self._id()
        if rid is None:
            return []
        return live.people(self._presences(rid), self.phase(), now or self._now())

    def cards(self, step: str | None = None) -> list[Record]:
        """The current cards of ``step`` (default: the current one), oldest first: the
        entries of its kind recorded in this retro (kept: do not change them)."""
        kind = STEP_KINDS.get(step or self.step() or "")
        rid = self._id()
        if kind is None or rid is None:
            return []
        return self._kept(f"cards {rid} {kind}",
                          lambda: self._repo.find(kinds=[kind], retro=rid))  # fmt: skip

    def owns(self, card: Mapping[str, Any]) -> bool:
        """Whether this person wrote ``card`` (here, or under their name)."""
        return card["id"] in self.mine or (bool(card.get("author")) and
                                           card.get("author") == self.name)  # fmt: skip

    def view(self, step: str | None = None) -> CardsView:
        """The cards of ``step`` (default: the current one) as this person may see them now."""
        step = step or self.step()
        cards = self.cards(step)
        phase = self.phase()
        if phase is not None and phase.step != step:
            phase = None  # the exercise is on another step: this one is open to all
        return live.cards_view(cards, phase, {card["id"] for card in cards if self.owns(card)})

    def suggestions(self) -> list[list[str]]:
        """The current step's near-duplicate cards, suggested as groups (ids)."""
        return live.suggest_groups(self.cards())

    def _vote_id(self, rid: str, step: str) -> str:
        return live.room_id(rid, f"vote:{step}", self.name)

    def my_vote(self) -> Record | None:
        """This person's vote on the current step, if they have voted."""
        rid, step = self._id(), self.step()
        return self._repo.record(self._vote_id(rid, step)) if rid and step else None

    def dots_left(self) -> int:
        """How many dots this person has still to give on the current step."""
        return live.dots_left(self.my_vote(), self.dots())

    def my_dots(self) -> Counter[str]:
        """This person's dots on the current step, per card."""
        return Counter((self.my_vote() or {}).get("dots") or [])
    def tally(self) -> Counter[str] | None:
        """Dots per card (a member's for its lead) once the vote is closed and the step is
        discussed; None until then: nobody sees the counts while people vote."""
        phase, rid = self.phase(), self._id()
        if phase is None or phase.phase != live.DISCUSS or rid is None:
            return None
        votes = self._kept(f"votes {rid}", lambda: self._repo.find(kinds=["vote"], retro=rid))
        step_votes = [vote for vote in votes if vote.get("step") == phase.step]
        return live.tally(step_votes, self.cards(phase.step), self.dots())

    def ordered(self) -> list[Record]:
        """The current step's leads: in vote order once discussed, else oldest first."""
        leads = self.view().shown
        counted = self.tally()
        return leads if counted is None else live.vote_order(leads, counted)

    def owners(self) -> list[str]:
        """Who may own an action: the retro's participants and its facilitator, then the
        people in the room, each once."""
        retro = self.retro() or {}
        names = [*(retro.get("participants") or []), retro.get("facilitator"),
                 *(person.name for person in self.people())]  # fmt: skip
        return list(dict.fromkeys(str(name) for name in names if name))

    # --- anyone's writes ----------------------------------------------------------------

    def _recorded_id(self) -> str:
        """The room's retro's id, the facilitator's draft recorded first if need be."""
        if self.role == FACILITATOR:
            return str(self.session.saved_retro()["id"])
        rid = self._id()
        if rid is None:
            raise RetroError("no retro is open: the facilitator opens one with `retro run`")
        return rid

    def _presence_id(self, rid: str) -> str:
        return live.room_id(rid, "presence", self.name)

    def _presence(self, fields: Mapping[str, Any]) -> Record:
        """Write this person's presence with ``fields``."""
        with self.session.announcing():
            rid = self._recorded_id()
            return self._repo.upsert(self._presence_id(rid), "presence", self.name,
                                     fields={"role": self.role, **fields}, retro=rid)

    def join(self) -> None:
        """Say this person is in the room (again). A name is who someone is in the room:
        a name in the room in another role (the facilitator's, say) is refused."""
        rid = self._recorded_id()
        if self.role == PARTICIPANT and self.name == (self.retro() or {}).get("facilitator"):
            raise RetroError(f"{self.name} facilitates this retro: join under your own name "
                             "(--name)")
        held = self._repo.record(self._presence_id(rid))
        if (held is not None and held.get("role") != self.role
                and live.state_of(held, None, self._now()) not in GONE):  # fmt: skip
            raise RetroError(f"{self.name} is in this retro already, as its "
                             f"{held.get('role')}: join under your own name (--name)")
        self._presence({"seen_at": self._now().isoformat(), "left_at": None})

    def heartbeat(self) -> None:
        """Say this person is still here, if it was not said lately (nothing when there
        is no retro to be in)."""
        rid, now = self._id(), self._now()
        if rid is not None and live.stale(self._repo.record(self._presence_id(rid)), now):
            self._presence({"seen_at": now.isoformat()})

    def leave(self) -> None:
        """Say this person has left (nothing when there is no retro to leave)."""
        if self._id() is not None:
            self._presence({"left_at": self._now().isoformat()})

    def done_writing(self) -> None:
        """Say this person is done writing for this phase."""
        now = self._now().isoformat()
        self._presence({"seen_at": now, "done_at": now})

    def add_card(self, text: str) -> Record:
        """Write a card of the current step's kind (without its author in an anonymous retro)."""
        kind = self.kind()
        if kind is None:
            raise RetroError(f"the step {self.step() or '?'} takes no cards")
        with self.session.announcing():
            card = self._repo.add(kind, text, retro=self._recorded_id(),
                                  anonymous=self.anonymous())  # fmt: skip
        self.mine.add(card["id"])
        return card

    def edit_card(self, rid: str, text: str) -> Record:
        """Change the text of one of this person's own cards."""
        card = self._repo.record(rid)
        if card is None or not self.owns(card):
            raise RetroError("you can change only your own cards")
        with self.session.announcing():
            return self._repo.edit(rid, text=text, anonymous=not card.get("author"))

    def vote(self, card_id: str, delta: int) -> int:
        """Put a dot on ``card_id`` (``delta`` 1) or take one back (-1) while the room
        votes; returns the dots left."""
        phase, rid = self.phase(), self._id()
        if phase is None or phase.phase != live.VOTE or rid is None:
            raise RetroError("the room is not voting now")
        if all(card["id"] != card_id for card in self.cards(phase.step)):
            raise RetroError("there is no such card in this step")
        vote, dots = self.my_vote(), self.dots()
        given: list[str] = list((vote or {}).get("dots") or [])
        if delta > 0 and live.dots_left(vote, dots) < delta:
            raise RetroError("no dots left: take one back first")
        before = list(given)
        given += [card_id] * max(delta, 0)
        for _ in range(max(-delta, 0)):
            if card_id in given:  # the last dot put on it goes
                del given[len(given) - 1 - given[::-1].index(card_id)]
        if given != before:
            with self.session.announcing():
                self._repo.upsert(self._vote_id(rid, phase.step), "vote", self.name,
                                  fields={"step": phase.step, "dots": given},
                                  retro=rid)  # fmt: skip
        return live.dots_left({"dots": given}, dots)

    # --- the facilitator's writes -------------------------------------------------------

    def _facilitating(self) -> None:
        if self.role != FACILITATOR:
            raise RetroError("only the facilitator moves the room on")

    def _phase_fields(self, phase: str | None, step: str | None = None) -> dict[str, Any]:
        """The retro's fields for ``step`` (default: the current one) entering ``phase``."""
        spec = self._spec(step or self.step())
        return live.phase_fields(phase, self._now(), spec.timebox if spec else None)

    def start_exercise(self) -> None:
        """Run the current step as a group exercise: everyone writes, the timer starts."""
        self._facilitating()
        if self.kind() is None:
            raise RetroError(f"the step {self.step() or '?'} has no cards to write together")
        self.session.save_frame(self._phase_fields(live.WRITE))

    def stop_exercise(self) -> None:
        """Make the current step a plain step again."""
        self._facilitating()
        self.session.save_frame(self._phase_fields(None))

    def next_phase(self) -> str | None:
        """Move the exercise on (write, reveal, group, vote, discuss); returns the new
        phase, None once discuss is over (the step is a plain one again)."""
        self._facilitating()
        phase = self.phase()
        if phase is None:
            raise RetroError("no group exercise is running: start one first")
        after = live.next_phase(phase.phase)
        self.session.save_frame(self._phase_fields(after))
        return after

    def extend(self, minutes: int = 1) -> None:
        """Give the phase ``minutes`` more (from now if its time is up or it has no timer)."""
        self._facilitating()
        phase = self.phase()
        if phase is None:
            raise RetroError("no group exercise is running: there is no timer to extend")
        if minutes < 1:
            raise RetroError("extend the timer by at least a minute")
        ends = live.extended(phase, self._now(), minutes)
        self.session.save_frame({"phase_ends_at": ends.isoformat()})

    def fold(self, lead: str, members: Sequence[str]) -> None:
        """Fold ``members`` (and the cards folded into them) into ``lead``, which gathers
        their links and named authors."""
        self._facilitating()
        cards = {card["id"]: card for card in self.cards()}
        folded = [rid for rid in dict.fromkeys(members) if rid != lead]
        if lead not in cards or any(rid not in cards for rid in folded):
            raise RetroError("only cards of this step fold together")
        folded += [rid for rid, card in cards.items()
                   if card.get("group_of") in folded and rid != lead and rid not in folded]
        if not folded:
            return
        gathered = live.fold(cards[lead], [cards[rid] for rid in folded])
        if cards[lead].get("group_of"):
            gathered["group_of"] = None  # a lead is folded into no other
        with self.session.announcing():
            for rid in folded:
                self._repo.edit(rid, fields={"group_of": lead})
            self._repo.edit(lead, fields=gathered)

    def unfold(self, rid: str) -> None:
        """Take a card out of its group (its lead keeps the links and authors it gathered)."""
        self._facilitating()
        card = next((card for card in self.cards() if card["id"] == rid), None)
        if card is None:
            raise RetroError("there is no such card in this step")
        if card.get("group_of"):
            with self.session.announcing():
                self._repo.edit(rid, fields={"group_of": None})

    def arrive(self, step: str) -> None:
        """Move the retro to ``step``: a plain step, or at once a group exercise when its
        format runs it as one and someone besides the facilitator is in the room."""
        self._facilitating()
        if self.session.retro_id is None:  # a draft: it is recorded with the step it is at
            self.session.remember_step(step)
            return
        spec = self._spec(step)
        here = any(person.name != self.name and person.state not in GONE
                   for person in self.people())  # fmt: skip
        start = spec is not None and spec.group and step in STEP_KINDS and here
        self.session.save_frame({"step": step,
                                 **self._phase_fields(live.WRITE if start else None, step)})
