"""Records as terminal text: the entries table, one record, its history; all text made safe."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from retro.model import COMMON_FIELDS, KIND_FIELDS, Record, risk_score, title
from retro.sanitize import clean

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

# JSON escapes \u0000-\u001f itself; these would otherwise reach a terminal raw.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]")


def safe_json(obj: Any, *, indent: int | None = None) -> str:
    """JSON text with every terminal-active character written as a ``\\u`` escape."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    if _JSON_UNSAFE.search(text):
        text = _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def short_id(rid: str) -> str:
    """The first eight characters of an id: enough to name a record in a command."""
    return rid[:8]


def day_of(stamp: str | None) -> str:
    """``2026-11-20`` from an ISO timestamp."""
    return stamp[:10] if stamp else ""


def describe(value: Any) -> str:
    """A field's value as one line of safe text."""
    if value is None:
        return "—"
    if isinstance(value, dict) and {"likelihood", "impact"} <= value.keys():
        try:
            return f"{value['likelihood']}x{value['impact']} (score {risk_score(value)})"
        except (TypeError, ValueError):
            pass
    if isinstance(value, list):
        return ", ".join(describe(item) for item in value) or "—"
    if isinstance(value, str):
        return clean(value)
    return clean(json.dumps(value, ensure_ascii=False))


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
            Text(clean(rec["author"])),
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


# Terse headers for the terminal; the other formats keep the full column names.
TEXT_HEADERS = {
    "period_start": "from", "period_end": "to", "outputs": "out", "outcomes": "outc",
    "outcome_ratio": "ratio", "orphan_outputs": "orph", "unanchored_outcomes": "unan",
    "risk_reduction": "risk-", "predictability_gained": "pred+", "lessons": "less",
    "late_lessons": "lateL", "late_dependencies": "lateD", "coherence": "coh",
    "review_by": "review", "focus": "focus",
}  # fmt: skip
TEXT_HIDDEN = {"id", "focus_by_team", "aliases", "period_end"}
TEXT_WRAPPED = {"decision", "teams", "on"}  # long text; the other columns stay on one line


def _terse(column: str, value: Any) -> str:
    from retro.export.tables import cell

    text = cell(value)
    if column in ("period_start", "period_end", "review_by") and len(text) == 10:
        return text[5:]  # 2026-11-09 -> 11-09
    return text


def print_tables(tables: Sequence[Any], *, heading: str = "", width: int | None = None) -> None:
    """Print plain tables (retro.export.tables.Table) as Rich tables that fit the terminal."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


    console = Console(width=width, highlight=False)
    if heading:
        console.print(Text(clean(heading, multiline=True), style="bold"))
    for plain in tables:
        table = Table(title=Text(plain.title, style="bold"), title_justify="left",
                      header_style="bold", pad_edge=False, box=None,
                      collapse_padding=True)  # fmt: skip
        shown = [n for n, column in enumerate(plain.columns) if column not in TEXT_HIDDEN]
        cells = [[clean(_terse(plain.columns[n], row[n])) for n in shown] for row in plain.rows]
        for position, number in enumerate(shown):
            column = plain.columns[number]
            widest = max((len(row[position]) for row in cells), default=1)
            table.add_column(Text(clean(TEXT_HEADERS.get(column, column))), overflow="fold",
                             min_width=None if column in TEXT_WRAPPED else min(widest, 12))
        for row in cells:
            table.add_row(*(Text(value) for value in row))
        if not plain.rows:
            table.add_row(*(Text("—" if n == 0 else "") for n in range(len(plain.columns))))
        console.print(table)
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
        head = f"{at}  {clean(event['by'])}  rev {event['rev']}"
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
