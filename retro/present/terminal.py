"""Records as terminal text: the entries table, one record, its history; all text made safe."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from retro.model import COMMON_FIELDS, KIND_FIELDS, Record, title
from retro.present.format import DASH, RISK_FIELD, author_of, day_of, risk
from retro.present.sanitize import clean

KIND_STYLES = {
    "decision": "bold magenta",
    "output": "cyan",
    "outcome": "bold green",
    "risk": "yellow",
    "lesson": "blue",
    "dependency": "red",
    "action": "bold white",
    "retro": "dim",
}


def short_id(rid: str) -> str:
    """The first eight characters of an id: enough to name a record in a command."""
    return rid[:8]


def describe(value: Any) -> str:
    """A field's value as one line of safe text."""
    if value is None:
        return DASH
    shown = risk(value, RISK_FIELD) if isinstance(value, dict) else None
    if shown is not None:
        return shown
    if isinstance(value, list):
        return ", ".join(describe(item) for item in value) or DASH
    if isinstance(value, str):
        return clean(value)
    return clean(json.dumps(value, ensure_ascii=False, allow_nan=False))


def entries_table(records: Sequence[Record], *, total: int, width: int | None = None) -> None:
    """Print ``records`` as a Rich table that fits the terminal."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(width=width, highlight=False)
    if not records:
        console.print(Text("No entries match.", style="dim"))
        return
    table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    teams = len({rec["team"] for rec in records}) > 1
    table.add_column("id", no_wrap=True, style="dim")
    table.add_column("kind", no_wrap=True)
    table.add_column("when", no_wrap=True)
    if teams:
        table.add_column("team", no_wrap=True, overflow="ellipsis", max_width=12)
    table.add_column("author", no_wrap=True, overflow="ellipsis", max_width=14)
    table.add_column("text", overflow="fold", ratio=1)
    for rec in records:
        kind = rec["kind"]
        cells = [
            Text(short_id(rec["id"])),
            Text(kind, style=KIND_STYLES.get(kind, "")),
            Text(day_of(rec.get("created_at"))),
            Text(clean(rec["team"])),
            Text(clean(author_of(rec))),
            Text(clean(title(rec, 500))),
        ]
        if not teams:
            del cells[3]
        table.add_row(*cells)
    console.print(table)
    if total > len(records):
        console.print(
            Text(f"showing the last {len(records)} of {total} entries (--limit 0 shows all)"),
            style="dim",
        )


# Columns too wide for a terminal (the other formats show them).
TEXT_HIDDEN = {"focus_by_team"}


def _longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


def _column_widths(headers: Sequence[str], cells: Sequence[Sequence[str]], wrapped: Sequence[bool],
                   width: int) -> list[int | None]:  # fmt: skip
    """Widths for the columns that keep their values on one line (None: the column wraps).

    Each is at least as wide as its longest value and its header's longest word; where
    the terminal has room left, after leaving the wrapping columns some, headers get one line.
    """
    widest = [max((len(row[n]) for row in cells), default=1) for n in range(len(headers))]
    least = [max(w, _longest_word(h)) for w, h in zip(widest, headers, strict=True)]
    natural = [max(w, len(h)) for w, h in zip(widest, headers, strict=True)]
    spare = width - (len(headers) - 1) - sum(
        min(natural[n], 24) if wrapped[n] else least[n] for n in range(len(headers)))
    chosen: list[int | None] = [None if wrapped[n] else least[n] for n in range(len(headers))]
    for n in sorted(range(len(headers)), key=lambda n: natural[n] - least[n]):
        grow = natural[n] - least[n]
        if not wrapped[n] and 0 < grow <= spare:
            chosen[n] = natural[n]
            spare -= grow
    return chosen


def print_tables(tables: Sequence[Any], *, heading: str = "", width: int | None = None) -> None:
    """Print tables people read (retro.present.tables.people_tables) to fit the terminal.

    Headers are words, over several lines where the terminal is narrow; under each table
    a legend says what its figures mean.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from retro.present.tables import LONG_TEXT, cell, label, legend, pick

    console = Console(width=width, highlight=False)
    if heading:
        console.print(Text(clean(heading, multiline=True), style="bold"))
    for plain in tables:
        plain = pick(plain, plain.name, plain.title,
                     [c for c in plain.columns if c not in TEXT_HIDDEN])  # fmt: skip
        table = Table(title=Text(plain.title, style="bold"), title_justify="left",
                      header_style="bold", pad_edge=False, box=None,
                      collapse_padding=True)  # fmt: skip
        headers = [label(column) for column in plain.columns]
        empty = [["—", *[""] * (len(headers) - 1)]]  # a table with no rows says so
        cells = [[clean(cell(value)) for value in row] for row in plain.rows] or empty
        wrapped = [column in LONG_TEXT for column in plain.columns]
        widths = _column_widths(headers, cells, wrapped, console.width)
        for n, header in enumerate(headers):
            values = [row[n] for row in plain.rows if row[n] not in ("", None)]
            numeric = bool(values) and all(isinstance(v, int | float) for v in values)
            table.add_column(Text(header), overflow="fold", width=widths[n],
                             justify="right" if numeric else "left")  # fmt: skip
        for row in cells:
            table.add_row(*(Text(value) for value in row))
        console.print(table)
        meanings = Table.grid(padding=(0, 2))
        meanings.add_column(style="dim bold", no_wrap=True)
        meanings.add_column(style="dim")
        for name, meaning in legend(plain):
            meanings.add_row(name, meaning)
        console.print(meanings)
        console.print()


def _field_order(rec: Mapping[str, Any]) -> list[str]:
    known = [*COMMON_FIELDS, *KIND_FIELDS.get(rec.get("kind", ""), {})]
    return [k for k in known if k in rec] + sorted(k for k in rec if k not in known)


def record_lines(rec: Record, labels: Mapping[str, str] | None = None) -> list[str]:
    """One record as ``field  value`` lines; linked ids are followed by their labels."""
    labels = labels or {}
    lines = [f"{rec['kind']} {rec['id']}"]
    for key in _field_order(rec):
        if key in ("id", "kind"):
            continue
        value = rec[key]
        if key == "text":
            text = clean(str(value), multiline=True).replace("\n", "\n" + " " * 19)
            lines.append(f"  {'text':<16} {text}")
        elif isinstance(value, list) and value and key in ("links", "applies_to", "decisions"):
            label = clean(key)[:40]
            for rid in value:
                lines.append(f"  {label:<16} {describe(rid)}  {labels.get(rid, '')}")
                label = ""
        else:
            lines.append(f"  {clean(key)[:40]:<16} {describe(value)}")
    return lines


def history_lines(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """Each revision of a record: when, by whom, and what changed since the one before."""
    lines: list[str] = []
    before: Mapping[str, Any] = {}
    life = 0  # a put of a greater life than every revision before it is a restore
    for event in events:
        at = datetime.fromisoformat(event["at"]).strftime("%Y-%m-%d %H:%M")
        head = f"{at}  {clean(event['by'] or 'anonymous')}  rev {event['rev']}"
        restored, life = event.get("life", 0) > life, max(life, event.get("life", 0))
        if event["op"] == "del":
            lines.append(f"{head}  deleted")
            continue
        rec = event["rec"]
        lines.append(f"{head}  {'created' if not before else 'restored' if restored else 'edited'}")
        for key in _field_order(rec):
            if key in ("updated_at",) or before.get(key) == rec.get(key):
                continue
            name = clean(key)[:40]
            if before:
                lines.append(f"    {name}: {describe(before.get(key))} → {describe(rec[key])}")
            elif key not in ("id", "kind", "created_at"):
                lines.append(f"    {name}: {describe(rec[key])}")
        before = rec
    return lines
