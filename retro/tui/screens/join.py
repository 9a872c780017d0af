"""Who is joining: a browser's participant says their name before entering the room."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from retro.live import MAX_NAME, person_name
from retro.tui.room import FACILITATOR, GONE, Room
from retro.tui.text import LiteralInput


class NameScreen(ModalScreen[str]):
    """Ask a participant's name; a name someone in the room already has is asked twice."""

    def __init__(self, room: Room) -> None:
        super().__init__()
        self.room = room
        self._confirming = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="name-box"):
            yield Label("Who is joining? Your name, as the room will see it.", markup=False)
            yield LiteralInput(placeholder="your name", max_length=MAX_NAME, id="name")
            yield Label("", id="name-note", markup=False)

    def on_mount(self) -> None:
        self.query_one("#name").focus()

    @on(LiteralInput.Submitted, "#name")
    def chosen(self, event: LiteralInput.Submitted) -> None:
        name = person_name(event.value)
        if not name:
            return
        here = {p.name: p.role for p in self.room.people() if p.state not in GONE}
        note = self.query_one("#name-note", Label)
        if here.get(name) == FACILITATOR or name == (self.room.retro() or {}).get("facilitator"):
            note.update(f"{name} leads this retro: choose your own name.")
            return
        if name in here and name != self._confirming:
            self._confirming = name
            note.update(f"Someone named {name} is here already. Enter again if that is you, "
                        "or choose another name.")  # fmt: skip
            return
        self.dismiss(name)
