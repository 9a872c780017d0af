"""Untrusted text for widgets: always literal, never markup, never an escape sequence."""

from __future__ import annotations

from datetime import date
from typing import Any

from textual.content import Content
from textual.widgets import Input

from retro.model import Record
from retro.present.format import period_text
from retro.present.sanitize import clean


def literal(text: Any, *, multiline: bool = False, style: str = "") -> Content:
    """``text`` as Content that shows exactly what it says."""
    return Content.styled(clean(str(text), multiline=multiline), style)


class LiteralInput(Input):
    """An input that never holds a control character or an escape sequence.

    Whatever is set, pasted or suggested is cleaned first (see :func:`clean`),
    so the input shows it made visible. What the log held is kept by :class:`Loaded`.
    """

    def validate_value(self, value: str) -> str:
        return clean(value)

    def validate__suggestion(self, value: str) -> str:
        return clean(value)

    def replace(self, text: str, start: int, end: int) -> None:
        super().replace(clean(text), start, end)


class Loaded:
    """Values from the log as widgets show them, so that an edit writes only what was changed.

    A widget shows a cleaned copy of a value (or none of it, if it is not one of a choice's
    options). Saving what it holds would rewrite the value; instead, a field whose widget
    still holds what it showed when loaded is left as the log has it.
    """

    def __init__(self) -> None:
        self._values: dict[str, tuple[Any, object]] = {}

    def remember(self, name: str, original: Any, shown: object) -> None:
        """``name`` was loaded with ``original`` and its widget then held ``shown``."""
        self._values[name] = (original, shown)

    def forget(self) -> None:
        """Nothing is loaded any more."""
        self._values.clear()

    def touched(self, name: str, now: object) -> bool:
        """False while ``name`` was loaded and its widget still holds ``now`` what it showed."""
        kept = self._values.get(name)
        return kept is None or kept[1] != now

    def original(self, name: str) -> Any:
        """The value ``name`` was loaded with."""
        return self._values[name][0]


def period_label(retro: Record) -> str:
    """``09 Nov – 22 Nov 2026``: a retro's period, short enough for narrow terminals."""
    try:
        start = date.fromisoformat(str(retro.get("period_start")))
        end = date.fromisoformat(str(retro.get("period_end")))
    except ValueError:
        return "?"
    return period_text(start, end)
