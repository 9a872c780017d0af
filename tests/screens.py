"""What the tests read off a running app and how they type into it, shared by the Pilot
tests and the driver of separate app processes (``live_driver.py``)."""

from __future__ import annotations

import html
import re

from textual import events
from textual.app import App

LINE_TEXT = re.compile(r'<text [^>]*x="([\d.]+)"[^>]*-line-(\d+)\)">([^<]*)</text>')
CELL_WIDTH = 12.2  # the width of a cell in Rich's SVG export
CHARACTERS = {"\t": "tab", "\r": "enter", " ": "space"}


def screen_text(app: App[object]) -> str:
    """What the screen shows, line by line: the screenshot's text put back in its columns."""
    rows: dict[int, list[str]] = {}
    for x, line, text in LINE_TEXT.findall(app.export_screenshot()):
        row = rows.setdefault(int(line), [])
        column = round(float(x) / CELL_WIDTH)
        for offset, char in enumerate(html.unescape(text).replace("\xa0", " ")):
            row.extend(" " * (column + offset + 1 - len(row)))
            row[column + offset] = char
    return "\n".join("".join(row) for _, row in sorted(rows.items()))


def burst(app: App[object], text: str) -> None:
    """Queue every key of ``text`` before the app handles any: what a terminal does with a
    fast typist or an unbracketed paste (one read, many keys)."""
    for char in text:
        app.post_message(events.Key(CHARACTERS.get(char, char), char))
