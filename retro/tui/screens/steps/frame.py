"""Step 1, the frame: period, facilitator, participants, the team's focus, the decisions in play."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Select, SelectionList

from retro.errors import RetroError, ValidationError
from retro.model import FOCUSES, parse_count
from retro.tui.screens.steps.base import StepScreen
from retro.tui.text import LiteralInput, Loaded, literal
from retro.tui.widgets import Picker


class FrameStep(StepScreen):
    """Period, facilitator, participants, the decisions in play and the team's focus."""

    STEP = "frame"
    HINT = "Who is here, which period, what the team optimised for, which decisions are in play."
    SAVE_DELAY = 0.6
    _save_timer: Timer | None = None
    _loaded: Loaded  # the retro's values as the fields showed them: see save

    def body(self) -> ComposeResult:
        retro = self.session.retro or {}
        self._loaded = Loaded()
        for name, caption in (
            ("period_start", "Period start"),
            ("period_end", "Period end"),
            ("facilitator", "Facilitator"),
            ("participants", "Participants"),
        ):
            value = retro.get(name)
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value or "")
            field = LiteralInput(value=shown, id=f"frame-{name}", compact=True,
                                 select_on_focus=False)  # fmt: skip
            if value is not None:
                self._loaded.remember(name, value, field.value.strip())
            with Horizontal(classes="field"):
                yield Label(caption, classes="field-label")
                yield field
            yield Label("", id=f"error-{name}", classes="field-error", markup=False)
        focus = retro.get("focus")
        shown_focus = focus if focus in FOCUSES else Select.NULL
        if focus is not None:
            self._loaded.remember("focus", focus, shown_focus)
        with Horizontal(classes="field"):
            yield Label("Focus", classes="field-label")
            yield Select([(literal(f), f) for f in FOCUSES], value=shown_focus, id="frame-focus",
                         compact=True, prompt="what the team optimised for")  # fmt: skip
        # A live retro (retro join): whether cards record their author; dots per person.
        cards = "anonymous" if retro.get("cards") == "anonymous" else "named"
        with Horizontal(classes="field"):
            yield Label("Cards", classes="field-label")
            yield Select([("named: each card shows its author", "named"),
                          ("anonymous: no author recorded", "anonymous")],
                         value=cards, allow_blank=False, id="frame-cards", compact=True)
        dots = retro.get("dots")
        field = LiteralInput(value="" if dots is None else str(dots), id="frame-dots",
                             compact=True, select_on_focus=False,
                             placeholder="as the format says, per step (3 by default)")
        with Horizontal(classes="field"):
            yield Label("Dots each", classes="field-label")
            yield field
        yield Label("", id="error-dots", classes="field-error", markup=False)
        yield Label("Strategic decisions in play (space picks)", classes="section")
        yield Picker(self.session.decisions(), chosen=retro.get("decisions") or [],
                     id="frame-decisions", placeholder="type to filter decisions")  # fmt: skip
        yield Label("Add a decision", classes="section")
        with Horizontal(classes="field"):
            yield Label("Decision", classes="field-label")
            yield LiteralInput(placeholder="the strategic decision or bet", id="new-decision",
                               compact=True)  # fmt: skip
        with Horizontal(classes="field"):
            yield Label("Criteria", classes="field-label")
            yield LiteralInput(placeholder="how we will know", id="new-criteria", compact=True)
        with Horizontal(classes="field"):
            yield Label("Review by", classes="field-label")
            yield LiteralInput(placeholder="WHEN it is revisited", id="new-review", compact=True)
        yield Label("", id="error-new", classes="field-error", markup=False)
        yield Button("Add decision", id="add-decision", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#frame-facilitator").focus()

    @on(Input.Changed, "#step-body Input")
    @on(Select.Changed, "#frame-focus, #frame-cards")
    @on(SelectionList.SelectionToggled, "#frame-decisions SelectionList")
    def schedule_save(self, event: Any) -> None:
        if isinstance(event, Input.Changed) and (event.input.id or "").startswith("new-"):
            return
        self._stop_timer()
        self._save_timer = self.set_timer(self.SAVE_DELAY, self.save)

    def _stop_timer(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None

    def on_screen_suspend(self) -> None:
        self.save()

    def on_unmount(self) -> None:
        self._stop_timer()

    def _typed(self, name: str) -> str:
        return self.query_one(f"#frame-{name}", Input).value.strip()

    def save(self) -> None:
        """Write the frame to the retro record (only what changed).

        A field left as it was shown keeps the retro's own value, byte for byte: the
        fields show it made safe, which is not what the log holds.
        """
        self._stop_timer()
        session = self.session
        retro = session.retro
        if retro is None or not self.is_attached:
            return
        changes: dict[str, Any] = {}
        for name in ("period_start", "period_end"):
            self.query_one(f"#error-{name}", Label).display = False
        for name in ("period_start", "period_end"):
            raw = self._typed(name)
            if not self._loaded.touched(name, raw):
                continue
            try:
                changes[name] = session.settings.day(raw).isoformat() if raw else None
            except ValueError as err:
                self._show_error(name, str(err))
                return
        start, end = (changes.get(n, retro.get(n)) for n in ("period_start", "period_end"))
        if isinstance(start, str) and isinstance(end, str) and start and end and start > end:
            self._show_error("period_end", "The period must end after it starts.")
            return
        if self._loaded.touched("facilitator", typed := self._typed("facilitator")):
            changes["facilitator"] = typed or None
        if self._loaded.touched("participants", typed := self._typed("participants")):
            changes["participants"] = [p.strip() for p in typed.split(",") if p.strip()]
        focus = self.query_one("#frame-focus", Select).value
        if self._loaded.touched("focus", focus):
            changes["focus"] = None if focus is Select.NULL else str(focus)
        cards = self.query_one("#frame-cards", Select).value
        if cards != ("anonymous" if retro.get("cards") == "anonymous" else "named"):
            changes["cards"] = cards
        self.query_one("#error-dots", Label).display = False
        typed = self._typed("dots")
        try:
            dots = parse_count(typed) if typed else None
        except ValidationError as err:
            self._show_error("dots", str(err))
            return
        if dots != retro.get("dots"):
            changes["dots"] = dots
        chosen = self.query_one("#frame-decisions", Picker).selected
        if set(chosen) != set(retro.get("decisions") or []):
            changes["decisions"] = chosen
        try:
            session.save_frame(changes)
        except RetroError as err:
            self.notify(str(err), severity="error", markup=False)

    def _show_error(self, name: str, message: str) -> None:
        error = self.query_one(f"#error-{name}", Label)
        error.update(literal(message))
        error.display = True

    @on(Button.Pressed, "#add-decision")
    @on(Input.Submitted, "#new-decision, #new-criteria, #new-review")
    def add_decision(self) -> None:
        text = self.query_one("#new-decision", Input).value.strip()
        error = self.query_one("#error-new", Label)
        if not text:
            error.update("Name the decision first.")
            error.display = True
            return
        criteria = self.query_one("#new-criteria", Input).value.strip()
        review = self.query_one("#new-review", Input).value.strip()
        try:
            decision = self.session.add_decision(text, criteria=criteria, review=review)
        except (RetroError, ValueError) as err:
            error.update(literal(str(err)))
            error.display = True
            return
        error.display = False
        for wid in ("#new-decision", "#new-criteria", "#new-review"):
            self.query_one(wid, Input).value = ""
        self.query_one("#frame-decisions", Picker).add_choice(decision)
        self.save()
        self.notify(f"Decision added: {text[:60]}", markup=False)
