"""A question before something is lost: say what, offer the choices, Esc backs out."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from retro.tui.text import literal

Choice = tuple[str, str]  # (answer, button label); the first is the default


class ConfirmScreen(ModalScreen[str]):
    """Ask ``question``; dismiss with the chosen answer, or ``cancel`` on Esc."""

    BINDINGS = [Binding("escape", "cancel", "Back")]

    def __init__(self, question: str, choices: Sequence[Choice], *, cancel: str) -> None:
        super().__init__()
        self.question = question
        self.choices = list(choices)
        self.cancel = cancel

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(literal(self.question, multiline=True), id="confirm-question")
            with Horizontal(classes="buttons"):
                for number, (answer, label) in enumerate(self.choices):
                    yield Button(label, id=f"answer-{answer}", compact=True,
                                 variant="primary" if number == 0 else "default")

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    @on(Button.Pressed)
    def answer(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("answer-"))

    def action_cancel(self) -> None:
        self.dismiss(self.cancel)
