"""A retro's summary as Markdown, with every piece of user text made inert."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date
from itertools import chain
from typing import TYPE_CHECKING, Any

from retro.insights import (
    LinkIndex,
    Metrics,
    chronological,
    day,
    learning_latency_days,
    link_index,
    moment,
)
from retro.model import ENTRY_KINDS, Record, plural, risk_score, title
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
_NONE = "None."
_DASH = "—"


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


def _text(value: Any) -> str:
    """A field's value as safe Markdown text (a dash when missing)."""
    if value is None or value == "" or value == []:
        return _DASH
    if isinstance(value, list):
        return ", ".join(md_text(str(item)) for item in value)
    return md_text(str(value)) or _DASH


def _day_of(stamp: Any) -> str:
    """The calendar day of a timestamp, in its own offset."""
    when = moment(stamp)
    if when is not None:
        return when.date().isoformat()
    return _text(stamp)


def _risk(value: Any) -> tuple[int, str] | None:
    try:
        return risk_score(value), f"{int(value['likelihood'])}×{int(value['impact'])}"
    except (KeyError, TypeError, ValueError):
        return None


def _titles(records: Iterable[Record]) -> str:
    return "; ".join(md_text(title(rec, 80)) for rec in chronological(records))


def _figures(m: Metrics) -> list[str]:
    counts = f"{plural(m.outcomes, 'outcome')} / {plural(m.outputs, 'output')}"
    ratio = _DASH if m.outcome_ratio is None else f"{m.outcome_ratio:.2f}"
    coherence = _DASH if m.coherence is None else f"{m.coherence:.0%} of outputs"
    rows = [
        ("Outcome ratio", f"{ratio} ({counts})"),
        ("Orphan outputs", f"{len(m.orphan_outputs)} of {m.outputs}"),
        ("Unanchored outcomes", f"{len(m.unanchored_outcomes)} of {m.outcomes}"),
        ("Risk reduction", f"{m.risk_reduction:+d} ({plural(m.risks, 'risk')})"),
        (
            "Predictability gained",
            f"{m.predictability_gained} of {plural(m.outcomes, 'outcome')} "
            f"(confidence {m.confidence_delta:+d})",
        ),
        ("Late lessons", f"{len(m.late_lessons)} of {m.lessons}"),
        ("Late dependencies", f"{len(m.late_dependencies)} of {m.dependencies}"),
        ("Actions", f"{m.actions} ({len(m.open_actions)} open)"),
        ("Decisions reinforced", str(len(m.decisions_reinforced))),
        ("Coherence (output → outcome → decision)", coherence),
    ]
    return ["| Figure | Value |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows)]


def _section(heading: str, lines: list[str]) -> list[str]:
    return [f"## {heading}", "", *(lines or [_NONE]), ""]


@dataclass(frozen=True)
class _Links:
    """Records by id and their links, to name what an entry is linked to."""

    known: Mapping[str, Record]
    index: LinkIndex

    def of_kind(self, rec: Record, kind: str) -> list[Record]:
        ids = {*self.index.get(rec["id"], ()), *(rec.get("links") or ())}
        ids.discard(rec["id"])
        found = (self.known.get(rid) for rid in ids)
        return [other for other in found if other is not None and other.get("kind") == kind]


def _outcome_lines(outcomes: list[Record], links: _Links, unanchored: Set[str]) -> list[str]:
    lines = []
    for rec in outcomes:
        parts = [f"for {_text(rec.get('for_whom'))}"]
        if rec.get("evidence"):
            parts.append(f"evidence: {_text(rec['evidence'])}")
        if rec.get("baseline") is not None or rec.get("observed") is not None:
            metric = f"{_text(rec['metric'])}: " if rec.get("metric") else ""
            parts.append(f"{metric}{_text(rec.get('baseline'))} → {_text(rec.get('observed'))}")
        if rec.get("observed_at"):
            parts.append(f"observed {_day_of(rec['observed_at'])}")
        before, after = rec.get("confidence_before"), rec.get("confidence_after")
        if before is not None or after is not None:
            parts.append(f"confidence {_text(before)} → {_text(after)}")
        if rec["id"] not in unanchored:
            parts.append(f"reinforces: {_titles(links.of_kind(rec, 'decision')) or _DASH}")
        line = f"- {_text(rec.get('text'))} — {'; '.join(parts)}"
        lines.append(line + (" — no decision yet" if rec["id"] in unanchored else ""))
    return lines


def _output_lines(outputs: list[Record], links: _Links, orphans: Set[str]) -> list[str]:
    lines = []
    for rec in outputs:
        if rec["id"] in orphans:
            lines.append(f"- {_text(rec.get('text'))} — no outcome yet")
        else:
            outcomes = _titles(links.of_kind(rec, "outcome"))
            lines.append(f"- {_text(rec.get('text'))}" + (f" → {outcomes}" if outcomes else ""))
    return lines


def _risk_lines(risks: list[Record]) -> list[str]:
    lines = []
    for rec in risks:
        before, after = _risk(rec.get("before")), _risk(rec.get("after"))
        was = f"{before[0]} ({before[1]})" if before else _DASH
        if after is None:
            change = f"{was} → not reassessed"
        else:
            change = f"{was} → {after[0]} ({after[1]})"
            if before is not None:
                moved = before[0] - after[0]
                change += (
                    f", reduced by {moved}"
                    if moved > 0
                    else f", grew by {-moved}"
                    if moved < 0
                    else ", unchanged"
                )
        lines.append(f"- {_text(rec.get('text'))} — score {change}")
    return lines


def _lesson_lines(lessons: list[Record], links: _Links, late: Set[str]) -> list[str]:
    lines = []
    for rec in lessons:
        parts = [f"learned {_day_of(rec.get('learned_at'))}"]
        applies = [links.known[rid] for rid in rec.get("applies_to") or () if rid in links.known]
        applies += [d for d in links.of_kind(rec, "decision") if d not in applies]
        if applies:
            parts.append(f"applies to: {_titles(applies)}")
        line = f"- {_text(rec.get('text'))} — {'; '.join(parts)}"
        if rec["id"] in late:
            latency = learning_latency_days(rec, links.known, index=links.index)
            if latency is not None and latency > 0:
                line += f" — late: {plural(latency, 'day')} after the decision's review"
            else:
                line += " — late: learned after the period ended"
        lines.append(line)
    return lines


def _dependency_lines(dependencies: list[Record], late: Set[str], end: date | None) -> list[str]:
    lines = []
    for rec in dependencies:
        line = (
            f"- {_text(rec.get('text'))} — on {_text(rec.get('on'))}; "
            f"discovered {_day_of(rec.get('discovered_at'))}, "
            f"needed {_day_of(rec.get('needed_at'))}"
        )
        if rec["id"] in late:
            found, needed = moment(rec.get("discovered_at")), moment(rec.get("needed_at"))
            if found is not None and needed is not None and found > needed:
                line += " — late: discovered after it was needed"
            elif found is not None and end is not None and found.date() > end:
                line += " — late: discovered after the period ended"
            else:
                line += " — late: discovered in the last days of the period"
        lines.append(line)
    return lines


def _action_lines(actions: list[Record]) -> list[str]:
    if not actions:
        return []
    lines = [
        "| Action | Owner | Due | Expected outcome | Status |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rec in actions:
        due = day(rec.get("due"))
        cells = [
            _text(rec.get("text")),
            _text(rec.get("owner")),
            due.isoformat() if due else _text(rec.get("due")),
            _text(rec.get("expected_outcome")),
            _text(rec.get("status") or "open"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def retro_summary(
    retro: Record,
    entries: Sequence[Record],
    metrics: Metrics,
    *,
    context: Mapping[str, Record],
    index: LinkIndex | None = None,
) -> str:
    """The summary of ``retro`` as Markdown: who and when, the figures, then each kind.

    ``entries`` are the retro's entries, ``metrics`` their figures and ``context``
    everything known by id (to name linked decisions and outcomes). ``index``, a
    :func:`~retro.insights.link_index` over the context, spares building one.
    Entries are listed by ``created_at``, then id: the same input gives the same text.
    """
    rows = [rec for rec in chronological(entries) if rec.get("kind") != "retro"]
    known = {**context, **{rec["id"]: rec for rec in rows}}
    links = _Links(known, link_index(chain(context.values(), rows)) if index is None else index)
    of: dict[str, list[Record]] = {kind: [] for kind in ENTRY_KINDS}
    for rec in rows:
        of.setdefault(rec.get("kind", ""), []).append(rec)
    in_view = [known[rid] for rid in retro.get("decisions") or () if rid in known]
    in_view += [rec for rec in of["decision"] if rec not in in_view]
    start, end = _text(retro.get("period_start")), _text(retro.get("period_end"))
    lines = [
        f"# Retro: {_text(retro.get('team'))}, {start}–{end}",
        "",
        _text(retro.get("text")),
        "",
        f"- Facilitator: {_text(retro.get('facilitator'))}",
        f"- Participants: {_text(retro.get('participants'))}",
        f"- Focus: {_text(retro.get('focus'))}",
        f"- Status: {_text(retro.get('status'))}",
        f"- Decisions in view: {_titles(in_view) or _DASH}",
        "",
        *_section("Figures", _figures(metrics)),
        *_section("Outcomes", _outcome_lines(of["outcome"], links, {*metrics.unanchored_outcomes})),
        *_section("Outputs", _output_lines(of["output"], links, {*metrics.orphan_outputs})),
        *_section("Risks reduced", _risk_lines(of["risk"])),
        *_section("Lessons", _lesson_lines(of["lesson"], links, {*metrics.late_lessons})),
        *_section(
            "Dependencies",
            _dependency_lines(
                of["dependency"], {*metrics.late_dependencies}, day(retro.get("period_end"))
            ),
        ),
        *_section("Actions", _action_lines(of["action"])),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def table_markdown(table: Table) -> list[str]:
    """A table as Markdown lines, headers in words, a legend under it; every cell inert."""
    from retro.present.tables import cell, label, legend

    if not table.rows:
        return [f"## {md_text(table.title)}", "", _NONE, ""]
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
    lines += ["**Decisions no team reinforces:** " + ("; ".join(unreinforced) or _NONE), ""]
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
        return "; ".join(_named(rid, known) for rid in ids) or _DASH
    if kind_of == "datetime":
        return _day_of(value)
    if kind_of == "risk":
        risk = _risk(value)
        return f"{risk[0]} ({risk[1]})" if risk else _text(value)
    return _text(value)


def _entry_line(rec: Record, known: Mapping[str, Record]) -> str:
    """``- **text** — team · author · day · field: value …`` for one entry."""
    kind = str(rec.get("kind", ""))
    parts = [_text(rec.get("team")), _text(rec.get("author")), _day_of(rec.get("created_at"))]
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
            shown += " → " + (_DASH if after is None else _field_value(kind, second, after, known))
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
    days = sorted(_day_of(rec.get("created_at")) for rec in rows)
    lines = ["# Entries", ""]
    if rows:
        count = f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}"
        lines += [f"{count} from "
                  f"{plural(len(teams), 'team')} ({', '.join(md_text(t) for t in teams)}), "
                  f"{days[0]} to {days[-1]}.", ""]  # fmt: skip
    else:
        lines += [_NONE, ""]
    for kind in sorted(of, key=lambda k: (_ORDER.index(k) if k in _ORDER else 99, k)):
        heading = _PLURALS.get(kind) or md_text(kind.capitalize() + "s")
        lines += _section(f"{heading} ({len(of[kind])})",
                          [_entry_line(rec, known) for rec in of[kind]])  # fmt: skip
    return "\n".join(lines).rstrip("\n") + "\n"

