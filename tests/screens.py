"""What the tests read off a running app and how they type into it, shared by the Pilot
tests and the driver of separate app processes (``live_driver.py``)."""

from __future__ import annotations

from textual import events
from textual.app import App

CHARACTERS = {"\t": "tab", "\r": "enter", " ": "space"}


def screen_text(app: App[object]) -> str:
    """What the screen shows, line by line, as a screenshot has it (the screens under a
    dialog included), without the cost of drawing the screenshot's SVG."""
    update = app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens
    )
    lines = getattr(update, "strips", [])  # a full update is a LayoutUpdate: lines of strips
    return "\n".join("".join(strip.text for strip in line) for line in lines)


def burst(app: App[object], text: str) -> None:
    """Queue every key of ``text`` before the app handles any: what a terminal does with a
    fast typist or an unbracketed paste (one read, many keys)."""
    for char in text:
        app.post_message(events.Key(CHARACTERS.get(char, char), char))
