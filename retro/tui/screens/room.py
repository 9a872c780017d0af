"""The room of a live retro: what a step run as a group exercise shows everyone.

Participants (``retro join``) see this screen for the whole retro: it follows the step and
the phase the facilitator sets. The facilitator sees it while the room writes, reveals,
groups and votes; discussing is the step's own screen, with the cards in vote order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Header, Label, OptionList

from retro.errors import RetroError
from retro.live import DISCUSS, GROUP, REVEAL, VOTE, WRITE
from retro.model import Record, first_line
from retro.present.format import plural
from retro.present.sanitize import clean
from retro.tui.room import FACILITATOR, Room
from retro.tui.room_widgets import CardList, PhaseBar, PresencePanel
from retro.tui.screens.base import Navigator, SessionScreen, watch_log
from retro.tui.screens.steps import STEP_SCREENS
from retro.tui.text import LiteralInput, period_label
from retro.tui.widgets import STEP_TITLES, StepBar

FACILITATING = frozenset({"next_phase", "extend", "exercise", "next_step", "prev_step", "home",
                          "mark", "fold", "unfold", "take_suggestion"})  # fmt: skip
ADD_CARD = "a card: Enter adds it"
WAITING = "Waiting for the facilitator: the retro opens here when they start it."
CLOSED = "The retro is closed: thank you. The next one opens here when the facilitator starts it."
ALIKE_GROUPS, ALIKE_CARDS = 3, 3  # the suggestions shown, and the cards of each named


class RoomScreen(SessionScreen):
    """A step of a live retro, as one person in the room sees and works it."""

    BINDINGS = [
        Binding("plus,equals_sign", "dot(1)", "Dot", key_display="+"),
        Binding("minus", "dot(-1)", "Take a dot back", key_display="-"),
        Binding("space", "mark", "Mark", show=False),
        Binding("g", "fold", "Fold marked", show=False),
        Binding("u", "unfold", "Unfold", show=False),
        Binding("s", "take_suggestion", "Fold suggestion", show=False),
        # the facilitator's alone (see check_action): keys a browser keeps for itself
        # (F5, F11, Ctrl+N/T/W) are only ever the facilitator's, in a terminal
        Binding("f5", "next_phase", "Next phase"),
        Binding("f6", "extend", "+1 min"),
        Binding("f7", "exercise", "Exercise on/off"),
        Binding("pagedown", "next_step", "Next step", key_display="PgDn", priority=True),
        Binding("pageup", "prev_step", "Previous", key_display="PgUp", priority=True),
        Binding("escape", "home", "Home"),
    ]

    def __init__(self, room: Room, nav: Navigator) -> None:
        super().__init__(room.session, nav)
        self.room = room
        self.marked: list[str] = []  # cards the facilitator marked, to fold into the first
        self.editing: str | None = None  # one's own card being changed in the input
        self.shown_at: tuple[str | None, str | None] = (None, None)  # step and phase shown
        self.ready = False  # set once the room is shown as the log has it
        self.been_in = False  # this screen has shown a retro (one closed since says so)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A participant's keys are a participant's: moving the retro on is the
        facilitator's; a dot is given only while voting."""
        if action in FACILITATING and self.room.role != FACILITATOR:
            return False
        if action == "dot":
            phase = self.room.phase() if self.session.loaded else None
            return phase is not None and phase.phase == VOTE and self.room.kind() is not None
        return True

    def compose(self) -> ComposeResult:
        yield Header()
        yield StepBar("frame", (), id="step-bar")
        with Horizontal(id="step-main"):
            with VerticalScroll(id="room-body", can_focus=False):
                yield Label("", id="room-title", classes="step-title", markup=False)
                yield Label("", id="room-hint", classes="step-hint", markup=False)
                yield PhaseBar(self.session.now, id="phase-bar")
                yield Label("", id="room-status", classes="section", markup=False)
                yield LiteralInput(placeholder=ADD_CARD, id="card-input")
                yield CardList(id="cards")
                yield Label("", id="suggestions", classes="step-hint", markup=False)
                with Horizontal(classes="buttons"):
                    yield Button("I'm done writing", id="done", compact=True)
            yield PresencePanel(id="presence")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_room()
        watch_log(self, self.nav, self.refresh_room)

    def on_screen_resume(self) -> None:
        self.refresh_room()

    # --- showing the room -------------------------------------------------------------

    def refresh_room(self) -> None:
        """Show the room as the log has it now (once the log is read)."""
        room = self.room
        retro = room.retro() if self.session.loaded else None
        phase = room.phase() if retro is not None else None
        step = room.step() if retro is not None else None
        kind = room.kind() if retro is not None else None
        if retro is not None:
            self.sub_title = f"{clean(str(retro.get('team') or ''))} · retro {period_label(retro)}"
        bar = self.query_one(StepBar)
        bar.steps, bar.current = self.session.steps() if retro else (), step or ""
        bar.refresh()
        self.query_one(PresencePanel).show(room.people() if retro is not None else [],
                                           writing=phase is not None and phase.phase == WRITE)
        self.query_one(PhaseBar).show(phase if kind is not None else None)
        title = STEP_TITLES.get(step or "", "") if retro is not None else "Waiting"
        self.query_one("#room-title", Label).update(title)
        hint = self._hint(retro, step, kind)
        self.been_in = self.been_in or retro is not None
        self.query_one("#room-hint", Label).update(hint)
        self._show_cards(kind, phase.phase if phase is not None else None)
        self.ready = self.session.loaded
        where = (step, phase.phase if phase is not None else None)
        if where != self.shown_at:  # a new step or phase: the keys go where the work is
            if step != self.shown_at[0]:
                self.marked.clear()
            self._stop_editing()
            self.shown_at = where
            self._focus_first()

    def _hint(self, retro: Record | None, step: str | None, kind: str | None) -> str:
        if retro is None:
            return CLOSED if self.been_in else WAITING
        spec = self.session.step_spec(step or "")
        screen = STEP_SCREENS.get(step or "")
        prompt = clean(spec.prompt) if spec is not None and spec.prompt else ""
        prompt = prompt or (screen.HINT if screen is not None else "")
        if kind is None:
            return (f"{prompt}\n" if prompt else "") + "The facilitator leads this step."
        return prompt

    def _show_cards(self, kind: str | None, phase: str | None) -> None:
        """The step's cards as this phase shows them, and the line above them."""
        self.query_one("#card-input").display = kind is not None and phase in (None, WRITE)
        self.query_one("#done").display = kind is not None and phase == WRITE
        self.query_one(CardList).display = kind is not None
        self.query_one("#suggestions").display = False
        if kind is None:
            self._status("")
        elif phase == WRITE:
            self._show_writing()
        elif phase == VOTE:
            self._show_voting()
        elif phase == DISCUSS:
            self._show_discussion()
        else:
            self._show_board(phase)

    def _status(self, text: str) -> None:
        self.query_one("#room-status", Label).update(text)

    def _show_writing(self) -> None:
        """One's own cards, and of the others only how many."""
        view = self.room.view()
        writers = [p for p in self.room.people() if p.state in ("writing", "done")]
        done = sum(1 for p in writers if p.state == "done")
        self._status(f"{len(writers) - done} writing · {done} done · "
                     f"{plural(view.total, 'card')} ({view.yours} yours)")  # fmt: skip
        self.query_one(CardList).show(view.shown, {})

    def _show_voting(self) -> None:
        """Every card with one's own dots on it; nobody's counts."""
        room, view = self.room, self.room.view()
        self._status(f"{room.dots_left()} of {room.dots()} dots left: + and - on a card "
                     "(the counts show once the vote is closed)")  # fmt: skip
        mine = room.my_dots()  # read once, not once a card
        self.query_one(CardList).show(view.shown, view.members,
                                      lambda c: "● " * mine[c["id"]])  # fmt: skip

    def _show_discussion(self) -> None:
        """The cards most dots first, with their dots."""
        view = self.room.view()
        counted: Mapping[str, int] = self.room.tally() or {}
        self._status(f"{plural(view.total, 'card')}, most dots first")
        self.query_one(CardList).show(
            self.room.ordered(), view.members,
            lambda c: "↳ " if c.get("group_of") else f"{counted.get(c['id'], 0)}● ")

    def _show_board(self, phase: str | None) -> None:
        """Every card (revealed, grouping, or a step that is no exercise), the marked ones
        marked, and the groups suggested."""
        view, grouping = self.room.view(), phase in (REVEAL, GROUP)
        keys = ("  ·  Space marks, g folds the marked into the first, u unfolds, s takes a "
                "suggestion") if grouping and self.room.role == FACILITATOR else ""  # fmt: skip
        self._status(plural(view.total, "card") + keys)
        marks = set(self.marked)
        self.query_one(CardList).show(view.shown, view.members,
                                      lambda c: "▣ " if c["id"] in marks else "")  # fmt: skip
        groups = self.room.suggestions() if grouping else []
        if groups:
            suggestions = self.query_one("#suggestions", Label)
            suggestions.display = True
            texts = [self._alike(group) for group in groups[:ALIKE_GROUPS]]
            suggestions.update("Alike: " + "   |   ".join(texts))

    def _alike(self, group: list[str]) -> str:
        """A suggested group in a few words: its first cards, and how many more it holds."""
        more = len(group) - ALIKE_CARDS
        named = " + ".join(self._short(rid) for rid in group[:ALIKE_CARDS])
        return named + (f" + {more} more" if more > 0 else "")

    def _short(self, rid: str) -> str:
        card = self.session.record(rid)
        return f"“{clean(first_line(str(card.get('text') or ''), 30))}”" if card else "?"

    def _focus_first(self) -> None:
        target = self.query_one("#card-input")
        if not target.display:
            target = self.query_one(CardList)
        self.call_after_refresh(target.focus)

    # --- everyone ---------------------------------------------------------------------

    def _do(self, move: Callable[[], object]) -> bool:
        """Make one of the room's moves; a refusal or a failed write is one notice (False)."""
        try:
            move()
        except RetroError as err:
            self.notify(str(err), severity="warning", markup=False, timeout=4)
            return False
        return True

    @on(LiteralInput.Submitted, "#card-input")
    def add_card(self, event: LiteralInput.Submitted) -> None:
        """Enter: add the card typed, or save the one being changed."""
        text = event.value.strip()
        if not text:
            return
        editing = self.editing
        if self._do(lambda: self.room.edit_card(editing, text) if editing
                    else self.room.add_card(text)):
            self._stop_editing()

    def _stop_editing(self) -> None:
        """An empty input that adds a card (a change not saved is dropped)."""
        self.editing = None
        field = self.query_one("#card-input", LiteralInput)
        field.value, field.placeholder = "", ADD_CARD

    @on(Button.Pressed, "#done")
    def done(self) -> None:
        if self._do(self.room.done_writing):
            self.notify("Thanks: the room sees you are done.", timeout=3, markup=False)

    def action_dot(self, delta: int) -> None:
        card = self.query_one(CardList).current
        if card is not None:
            self._do(lambda: self.room.vote(card, delta))

    @on(OptionList.OptionSelected, "#cards")
    def selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a card: a dot while voting; the facilitator marks it while grouping;
        while writing, one's own card comes back into the input to be changed."""
        phase = self.room.phase()
        if phase is not None and phase.phase == VOTE:
            self.action_dot(1)
        elif self.query_one("#card-input").display:
            card = self.session.record(event.option.id or "")
            if card is not None and not self.room.owns(card):
                self.notify("Only your own cards can be changed.", timeout=3, markup=False)
            elif card is not None:
                field = self.query_one("#card-input", LiteralInput)
                self.editing, field.value = card["id"], str(card.get("text") or "")
                field.placeholder = "your card: Enter saves it"
                field.focus()
        elif self.room.role == FACILITATOR:
            self.action_mark()

    # --- the facilitator ----------------------------------------------------------------

    def action_mark(self) -> None:
        card = self.query_one(CardList).current
        if card is None:
            return
        if card in self.marked:
            self.marked.remove(card)
        else:
            self.marked.append(card)
        self.refresh_room()

    def action_fold(self) -> None:
        if len(self.marked) < 2:
            self.notify("Mark two cards or more with Space first: the first marked leads.",
                        timeout=4, markup=False)  # fmt: skip
            return
        lead, *members = self.marked
        self._do(lambda: self.room.fold(lead, members))
        self.marked.clear()
        self.refresh_room()

    def action_unfold(self) -> None:
        card = self.query_one(CardList).current
        if card is not None:
            self._do(lambda: self.room.unfold(card))

    def action_take_suggestion(self) -> None:
        groups = self.room.suggestions()
        if groups:
            lead, *members = groups[0]
            self._do(lambda: self.room.fold(lead, members))

    def action_next_phase(self) -> None:
        self.nav.next_phase()

    def action_extend(self) -> None:
        self.nav.extend_timer()

    def action_exercise(self) -> None:
        self.nav.toggle_exercise()

    def action_next_step(self) -> None:
        step = self.room.step()
        if step:
            self.nav.goto_step(self.session.step_after(step, +1))

    def action_prev_step(self) -> None:
        step = self.room.step()
        if step:
            self.nav.goto_step(self.session.step_after(step, -1))

    def action_home(self) -> None:
        self.nav.go_home()
