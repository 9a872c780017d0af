"""Markdown that pastes cleanly into a wiki: the report, the entries, and the pieces a
retro's summary is made of; every piece of user text made inert."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from retro.insights import chronological, moment
from retro.model import ENTRY_KINDS, Record, title
from retro.present.format import DASH, RISK_SCORE, author_of, plural, risk
from retro.present.sanitize import clean

if TYPE_CHECKING:
    from retro.present.tables import Table
    from retro.report import Report

_BREAKS = re.compile("\r\n|[\r\n\v\f\x85\u2028\u2029]")
# Characters that start Markdown structure anywhere in a line: escapes, code, emphasis,
# links and images, table cells, strikethrough, math, raw HTML and entities.
_ACTIVE = re.compile(r"[\\`*_\[\]|~$<>&]|!(?=\[)")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# What opens a block at the start of a line: headings, bullets, thematic breaks, setext
# underlines, numbered items.
_BLOCK_START = re.compile(r"[#+\-=]|\d{1,9}[.)](?=\s|$)")
NONE = "None."  # an empty section


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _ENTITIES.get(char) or "\\" + char


def md_text(text: str) -> str:
    """``text`` from anyone, made safe to place in Markdown: one line, shown as written.

    Control characters and escape sequences are made visible, line breaks become
    spaces, HTML is escaped and characters that Markdown would act on are
    backslash-escaped, so that the text can never add structure, links, images or HTML.
    """
    line = clean(_BREAKS.sub(" ", text)).strip()
    line = _ACTIVE.sub(_escape, line)
    start = _BLOCK_START.match(line)
    if start:
        line = line[: start.end() - 1] + "\\" + line[start.end() - 1 :]
    return line


def md_value(value: Any) -> str:
    """A field's value as safe Markdown text (a dash when missing)."""
    if value is None or value == "" or value == []:
        return DASH
    if isinstance(value, list):
        return ", ".join(md_text(str(item)) for item in value)
    return md_text(str(value)) or DASH


def md_day(stamp: Any) -> str:
    """The calendar day of a timestamp, in its own offset."""
    when = moment(stamp)
    if when is not None:
        return when.date().isoformat()
    return md_value(stamp)


def md_titles(records: Iterable[Record]) -> str:
    """Records named by their titles, oldest first."""
    return "; ".join(md_text(title(rec, 80)) for rec in chronological(records))


def md_section(heading: str, lines: list[str]) -> list[str]:
    """A second-level section; one saying so when it has no lines."""
    return [f"## {heading}", "", *(lines or [NONE]), ""]


def table_markdown(table: Table) -> list[str]:
    """A table as Markdown lines, headers in words, a legend under it; every cell inert."""
    from retro.present.tables import cell, label, legend

    if not table.rows:
        return [f"## {md_text(table.title)}", "", NONE, ""]
    head = "| " + " | ".join(md_text(label(c)) for c in table.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in table.columns) + "|"
    rows = ["| " + " | ".join(md_text(cell(v)) or " " for v in row) + " |" for row in table.rows]
    notes = [f"- **{md_text(name)}**: {md_text(meaning)}" for name, meaning in legend(table)]
    notes += [""] if notes else []
    return [f"## {md_text(table.title)}", "", head, rule, *rows, "", *notes]


def report_markdown(report: Report, *, scope: str) -> str:
    """The organisation report as Markdown that pastes cleanly into a wiki."""
    from retro.present.tables import people_tables

    lines = ["# Outcomes across teams", "", md_text(scope), ""]
    unreinforced = [md_text(d.title) for d in report.unreinforced]
    lines += ["**Decisions no team reinforces:** " + ("; ".join(unreinforced) or NONE), ""]
    for table in people_tables(report):
        lines += table_markdown(table)
    return "\n".join(lines)


# --- the entries themselves, for people: grouped by kind, the fields that matter -------

_ORDER = (*ENTRY_KINDS, "retro")
_PLURALS = {"dependency": "Dependencies"}
# Fields every line already shows (or that name nothing to a reader).
_SHOWN = frozenset({"id", "kind", "text", "team", "author", "created_at", "updated_at", "retro"})
# Two fields read as one change: first → second, under one name.
_PAIRS = {
    "confidence_before": ("confidence_after", "confidence"),
    "baseline": ("observed", "baseline → observed"),
    "before": ("after", "risk"),
    "period_start": ("period_end", "period"),
}
_SECONDS = {second: first for first, (second, _) in _PAIRS.items()}
_LABELS = {
    "for_whom": "for", "alias_of": "same as", "links": "linked to", "learned_at": "learned",
    "discovered_at": "discovered", "needed_at": "needed", "observed_at": "observed on",
}  # fmt: skip


def _reading_order(rec: Record) -> list[str]:
    """The fields of ``rec`` in the order people read them: the kind's short fields as
    declared, then any others, then links, then long text (criteria, evidence...)."""
    from retro.model import COMMON_FIELDS, KIND_FIELDS, field_type

    declared = [*KIND_FIELDS.get(str(rec.get("kind")), {}), *COMMON_FIELDS]

    def key(name: str) -> tuple[int, int, str]:
        long = field_type(str(rec.get("kind")), name) == "text"
        place = declared.index(name) if name in declared else len(declared)
        return (2 if long else 1 if name == "links" else 0, place, name)

    return sorted(rec, key=key)


def _named(rid: Any, known: Mapping[str, Record]) -> str:
    """A linked record named by its title, or by the start of its id when not in view."""
    rec = known.get(str(rid))
    return md_text(title(rec, 60)) if rec is not None else md_text(str(rid)[:8])


def _field_value(kind: str, name: str, value: Any, known: Mapping[str, Record]) -> str:
    """One field's value as inert Markdown, in the form its type reads best."""
    from retro.model import field_type

    kind_of = field_type(kind, name)
    if kind_of in ("ids", "ref"):
        ids = value if isinstance(value, list) else [value]
        return "; ".join(_named(rid, known) for rid in ids) or DASH
    if kind_of == "datetime":
        return md_day(value)
    if kind_of == "risk":
        return risk(value, RISK_SCORE) or md_value(value)
    return md_value(value)


def _entry_line(rec: Record, known: Mapping[str, Record]) -> str:
    """``- **text** — team · author · day · field: value …`` for one entry."""
    kind = str(rec.get("kind", ""))
    parts = [md_value(rec.get("team")), md_value(author_of(rec)), md_day(rec.get("created_at"))]
    for name in _reading_order(rec):
        value = rec[name]
        if name in _SHOWN or value is None or value in ("", []):
            continue
        if name in _SECONDS and rec.get(_SECONDS[name]) is not None:
            continue  # shown with the first of its pair
        shown = _field_value(kind, name, value, known)
        if name in _PAIRS:
            second, heading = _PAIRS[name]
            after = rec.get(second)
            shown += " → " + (DASH if after is None else _field_value(kind, second, after, known))
            name = heading
        parts.append(f"{md_text(_LABELS.get(name, name.replace('_', ' ')))}: {shown}")
    text = md_text(title(rec, 500))
    return f"- **{text}** — " + " · ".join(parts) if text else "- — " + " · ".join(parts)


def entries_markdown(
    records: Iterable[Record], *, context: Mapping[str, Record] | None = None
) -> str:
    """Entries as a document people read: grouped by kind, each with the fields that matter.

    Links are named by the linked entry's title (``context``: every record known, by id);
    no ids, but the start of one whose entry is not in view.
    """
    rows = chronological(records)
    known = {**(context or {}), **{rec["id"]: rec for rec in rows}}
    of: dict[str, list[Record]] = {}
    for rec in rows:
        of.setdefault(str(rec.get("kind", "")), []).append(rec)
    teams = sorted({str(rec.get("team", "")) for rec in rows})
    days = sorted(md_day(rec.get("created_at")) for rec in rows)
    lines = ["# Entries", ""]
    if rows:
        count = f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}"
        lines += [f"{count} from "
                  f"{plural(len(teams), 'team')} ({', '.join(md_text(t) for t in teams)}), "
                  f"{days[0]} to {days[-1]}.", ""]  # fmt: skip
    else:
        lines += [NONE, ""]
    for kind in sorted(of, key=lambda k: (_ORDER.index(k) if k in _ORDER else 99, k)):
        heading = _PLURALS.get(kind) or md_text(kind.capitalize() + "s")
        lines += md_section(f"{heading} ({len(of[kind])})",
                          [_entry_line(rec, known) for rec in of[kind]])  # fmt: skip
    return "\n".join(lines).rstrip("\n") + "\n"

