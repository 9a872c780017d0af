"""Untrusted text for widgets: always literal, never markup, never an escape sequence."""

from __future__ import annotations

from datetime import date
from typing import Any

from textual.content import Content

from retro.model import Record
from retro.sanitize import clean


def literal(text: Any, *, multiline: bool = False, style: str = "") -> Content:
    """``text`` as Content that shows exactly what it says."""
    return Content.styled(clean(str(text), multiline=multiline), style)




def short_day(value: Any) -> str:
    """``27 Nov`` for a date, short enough for a narrow column; other text as it is."""
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value or "")
    return f"{day:%d %b}"


def period_label(retro: Record) -> str:
    """``09 Nov – 22 Nov 2026``: a retro's period, short enough for narrow terminals."""
    try:
        start = date.fromisoformat(str(retro.get("period_start")))
        end = date.fromisoformat(str(retro.get("period_end")))
    except ValueError:
        return "?"
    return f"{start:%d %b} – {end:%d %b %Y}"
