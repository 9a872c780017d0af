"""The quick check-in: three optional questions, each becoming an entry of its kind."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from retro import dates
from retro.errors import RetroError, ValidationError
from retro.model import first_line, parse_risk
from retro.tui.screens.base import Navigator, watch_log
from retro.tui.session import Answer, Session
from retro.tui.text import LiteralInput, literal
from retro.tui.widgets import Picker

QUESTIONS = (
    ("outcome", "What changed?", "an outcome: something that changed, for someone"),
    ("risk", "What risk went down?", "a risk that is now smaller"),
    ("lesson", "What did we learn?", "a lesson"),
)
# Every field of the form, in order: (name, label, placeholder, initial value).
FIELDS = (
    (*QUESTIONS[0], ""),
    ("evidence", "Evidence", "what shows the outcome: a link, a figure, a quote", ""),
    (*QUESTIONS[1], ""),
    ("scores", "Risk before/after", "likelihood x impact, e.g. 4x3 / 2x3", ""),
    (*QUESTIONS[2], ""),
    ("when", "When", "WHEN it happened", "now"),
)


class CheckinScreen(ModalScreen[None]):
    """Three questions between retros; answer any of them."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, session: Session, nav: Navigator, *, standalone: bool = False) -> None:
        super().__init__()
        self.session = session
        self.nav = nav
        self.standalone = standalone

    def compose(self) -> ComposeResult:
        with Vertical(id="checkin-box"):
            yield Label("Quick check-in", classes="step-title")
            yield Label("Answer any of the three; each answer becomes an entry.",
                        classes="step-hint")  # fmt: skip
            for name, question, placeholder, value in FIELDS:
                with Horizontal(classes="field"):
                    yield Label(question, classes="field-label")
                    yield LiteralInput(value=value, placeholder=placeholder, id=f"ask-{name}",
                                       compact=True)  # fmt: skip
                yield Label("", id=f"error-{name}", classes="field-error", markup=False)
            yield Label("Decisions these reinforce (optional)", classes="section")
            yield Picker([], id="ask-decisions", placeholder="type to filter decisions")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="checkin-save", variant="primary", compact=True)
                yield Button("Cancel", id="checkin-cancel", compact=True)

    ready = False  # set once mounted: only then can the log's changes be shown

    def on_mount(self) -> None:
        self.query_one("#ask-outcome").focus()
        self.ready = True
        watch_log(self, self.nav, self.refresh_data)
        self.refresh_data()

    def refresh_data(self) -> None:
        """List the log's decisions (once it is loaded)."""
        picker = self.query_one("#ask-decisions", Picker)
        if picker.choices or not self.session.loaded:
            return
        for decision in reversed(self.session.decisions(200)):
            picker.add_choice(decision, chosen=False)

    def _fail(self, message: str, field: str = "outcome") -> None:
        """Show ``message`` under ``field``, and only there."""
        for name, *_ in FIELDS:
            error = self.query_one(f"#error-{name}", Label)
            error.update(literal(message) if name == field else "")
            error.display = name == field

    @on(Input.Submitted)
    @on(Button.Pressed, "#checkin-save")
    def action_save(self) -> None:
        session = self.session
        if not session.loaded:
            self._fail("The log is still loading: try again in a moment.")
            return
        answers = {kind: self.query_one(f"#ask-{kind}", Input).value.strip()
                   for kind, _, _ in QUESTIONS}  # fmt: skip
        if not any(answers.values()):
            self._fail("Answer at least one question.")
            return
        try:
            at = session.settings.when(self.query_one("#ask-when", Input).value.strip() or "now")
        except dates.DateError as err:
            self._fail(str(err), "when")
            return
        try:
            scores = [s for s in self.query_one("#ask-scores", Input).value.split("/") if s.strip()]
            risk: dict[str, Any] = {}
            if scores:
                risk["before"] = parse_risk(scores[0])
            if len(scores) > 1:
                risk["after"] = parse_risk(scores[1])
        except ValidationError as err:
            self._fail(str(err), "scores")
            return
        evidence = self.query_one("#ask-evidence", Input).value.strip()
        orphans = ((risk, "risk", "Name the risk these scores are for (or clear them)."),
                   (evidence, "outcome", "Say what changed: the evidence is for an outcome."))
        for typed, needs, message in orphans:
            if typed and not answers[needs]:  # it would be thrown away: say so instead
                self._fail(message, needs)
                return
        links = self.query_one("#ask-decisions", Picker).selected
        extra = {"outcome": {"observed_at": at.isoformat(), "evidence": evidence or None},
                 "risk": risk, "lesson": {"learned_at": at.isoformat()}}  # fmt: skip
        given: list[Answer] = [
            (kind, text, {k: v for k, v in extra[kind].items() if v is not None})
            for kind, text in answers.items() if text
        ]  # fmt: skip
        try:
            session.check_in(given, links=links, at=at)
        except RetroError as err:
            self._fail(str(err))
            return
        saved = [f"{kind} “{first_line(text, 40)}”" for kind, text, _ in given]
        self._close()
        self.app.notify("Checked in: " + "; ".join(saved) + f" ({at:%d %b %H:%M}).",
                        timeout=6, markup=False)  # fmt: skip

    @on(Button.Pressed, "#checkin-cancel")
    def action_cancel(self) -> None:
        self._close()

    def _close(self) -> None:
        if self.standalone:
            self.app.exit()
        else:
            self.dismiss()
