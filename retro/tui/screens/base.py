"""What a screen is given besides the session: a way to ask the app to move, and the news
that the log changed. Screens never import the app: they receive it as a :class:`Navigator`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from textual.screen import Screen
from textual.signal import Signal

from retro.tui.room import Room
from retro.tui.session import Session


class Navigator(Protocol):
    """The app, as a screen sees it."""

    log_changed: Signal[None]  # published once whenever the log changes
    room: Room  # the room of a live retro: who is in it, its phase, cards and votes

    def goto_step(self, step: str) -> None:
        """Show a step of the open retro."""

    def open_retro(self, retro_id: str, step: str | None = None) -> None:
        """Show a retro at ``step`` (default: where it was left)."""

    def go_home(self) -> None:
        """Back to the home screen."""

    def next_phase(self) -> None:
        """Move the step's group exercise on (start it; after discussing: the next step)."""

    def toggle_exercise(self) -> None:
        """Run the current step as a group exercise, or no longer."""

    def extend_timer(self) -> None:
        """One more minute for the phase the room is in."""


class SessionScreen(Screen[None]):
    """A screen of the log: the session to read and write it, the navigator to move on."""

    def __init__(self, session: Session, nav: Navigator) -> None:
        super().__init__()
        self.session = session
        self.nav = nav


def watch_log(screen: Screen[Any], nav: Navigator, refresh: Callable[[], object]) -> None:
    """Call ``refresh`` each time the log changes while ``screen`` is in front (a screen
    behind catches up when it is resumed)."""

    def changed(_: None) -> None:
        if screen.is_active:
            screen.call_next(refresh)

    nav.log_changed.subscribe(screen, changed, immediate=True)
