"""What every screen of a live retro shows: the phase and its timer, who is in the room,
and the step's cards."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from retro.live import Person, Phase, timer_text
from retro.model import Record, first_line
from retro.present.sanitize import clean
from retro.tui.room import FACILITATOR, GONE
from retro.tui.widgets import STEP_TITLES

PHASE_TITLES = {
    "write": "writing silently",
    "reveal": "every card revealed",
    "group": "grouping",
    "vote": "voting",
    "discuss": "discussing, in vote order",
}
NAME_SHOWN = 20  # the characters of a name the room's lists show
STATE_MARKS = {"writing": "✎", "done": "✓", "away": "…", "left": "×"}


class PhaseBar(Label):
    """The step, its phase and the time left, counted down each second; the bell rings
    once when the time is up (and a notice says so, for terminals that ring silently)."""

    DEFAULT_CLASSES = "phase-bar"

    def __init__(self, clock: Callable[[], datetime], **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self.phase: Phase | None = None
        self._rung: datetime | None = None  # the end the bell last rang for

    def on_mount(self) -> None:
        self.set_interval(1.0, self.tick)

    def show(self, phase: Phase | None) -> None:
        """Show ``phase`` (None: the step is not a group exercise now)."""
        ends = phase.ends_at if phase is not None else None
        shown = self.phase.ends_at if self.phase is not None else None
        if ends is not None and ends != shown and ends <= self.clock():
            self._rung = ends  # over before it was shown here: no bell
        self.phase = phase
        self.tick()

    def tick(self) -> None:
        """Count down, and ring once at the end."""
        phase = self.phase
        self.display = phase is not None
        if phase is None:
            return
        left = phase.remaining(self.clock())
        parts = [STEP_TITLES.get(phase.step) or clean(phase.step), PHASE_TITLES[phase.phase]]
        if left is not None:
            parts.append(f"{timer_text(left)} left" if left else "time's up")
        self.update("  ·  ".join(parts))
        self.set_class(left is not None and not left, "over")
        if left is not None and not left and phase.ends_at != self._rung:
            self._rung = phase.ends_at
            self.app.bell()
            self.notify(f"Time's up: {PHASE_TITLES[phase.phase]}.", timeout=5, markup=False)


def who(person: Person) -> str:
    """A person's name as the room shows it: ``Fay (facilitator)``."""
    role = " (facilitator)" if person.role == FACILITATOR else ""
    return clean(person.name)[:NAME_SHOWN] + role


def people_line(people: Sequence[Person]) -> str:
    """Who is in the room, on one line: ``In the room: Fay (facilitator) · Ana · Bo (away)``."""
    shown = [who(p) + (" (away)" if p.state == "away" else "")
             for p in people if p.state != "left"]  # fmt: skip
    return "In the room: " + " · ".join(shown) if shown else ""


class PresencePanel(Vertical):
    """Who has joined the room, and who is still writing."""

    DEFAULT_CLASSES = "presence"

    def compose(self) -> ComposeResult:
        yield Label("In the room", classes="counts-title")
        yield Label("", id="people", markup=False)

    def show(self, people: Sequence[Person], *, writing: bool) -> None:
        """Update the list (``writing``: the room writes now, so say who is done)."""
        lines = []
        for person in people:
            state = person.state if writing or person.state in GONE else "here"
            lines.append(f"{STATE_MARKS.get(state, '•')} {who(person)}  {state}")
        self.query_one("#people", Label).update("\n".join(lines) or "nobody yet")


def card_label(card: Record, *, mark: str = "", indent: int = 0) -> Content:
    """One card as a line of a list: its text as it is, never markup."""
    text = clean(first_line(str(card.get("text") or "")))
    return Content(f"{'  ' * indent}{mark}{text}")


class CardList(OptionList):
    """A step's cards, leads first with their members beneath; each option's id is the
    card's id."""

    def show(self, leads: Iterable[Record], members: Mapping[str, list[Record]],
             mark: Callable[[Record], str] = lambda _: "") -> None:  # fmt: skip
        """Show these cards, keeping the highlighted one where it was."""
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        options = []
        for lead in leads:
            options.append(Option(card_label(lead, mark=mark(lead)), id=lead["id"]))
            for member in members.get(lead["id"], []):
                options.append(Option(card_label(member, mark=mark(member), indent=2),
                                      id=member["id"]))  # fmt: skip
        self.set_options(options)
        self.display = bool(options)
        ids = [option.id for option in options]
        if highlighted in ids:
            self.highlighted = ids.index(highlighted)
        elif options and self.highlighted is None:
            self.highlighted = 0

    @property
    def current(self) -> str | None:
        """The id of the highlighted card."""
        option = self.highlighted_option
        return option.id if option is not None else None
