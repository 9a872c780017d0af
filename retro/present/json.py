"""JSON for scripts: every figure of the report, and any data made safe to print."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import orjson

from retro.model import Record, full_view
from retro.present.sanitize import clean_json, clean_json_bytes

if TYPE_CHECKING:
    from retro.report import Report


def report_data(report: Report, *, scope: str) -> dict[str, Any]:
    """Every figure of the report as plain data."""
    return {
        "scope": scope,
        "teams": report.teams,
        "coherence": report.coherence,
        "coherence_by_team": report.coherence_by_team,
        "focus_by_team": report.focus_by_team,
        "periods": [
            {
                "team": p.team,
                "period_start": p.period_start,
                "period_end": p.period_end,
                "focus": p.focus,
                "retro": p.retro,
                **asdict(p.metrics),
            }
            for p in report.periods
        ],
        "decisions": [
            {
                "id": d.id,
                "title": d.title,
                "review_by": d.review_by,
                "aliases": d.aliases,
                "teams": d.teams,
                "focus_by_team": d.focus,
                "aligned": d.aligned,
                "outcomes": [r["id"] for r in d.outcomes],
                "risks": [r["id"] for r in d.risks],
                "risk_reduction": d.risk_reduction,
                "lessons": [r["id"] for r in d.lessons],
            }
            for d in report.decisions
        ],
        "unreinforced_decisions": [d.id for d in report.unreinforced],
        "shared_dependencies": [asdict(d) for d in report.dependencies],
    }


def safe_json(obj: Any, *, indent: int | None = None) -> str:
    """JSON text with every terminal-active character written as a ``\\u`` escape.

    NaN and Infinity are not JSON: a value holding one is an error, never written.
    """
    return clean_json(json.dumps(obj, ensure_ascii=False, indent=indent, allow_nan=False))


def safe_json_bytes(obj: Any, *, indent: bool = False) -> bytes:
    """:func:`safe_json` as UTF-8 (compact, or indented by two), for many records at once:
    only for records, which never hold NaN or Infinity (this would write them as null)."""
    return clean_json_bytes(orjson.dumps(obj, option=orjson.OPT_INDENT_2 if indent else 0))


def records_json(
    records: Iterable[Record], *, lines: bool = False, indent: bool = False, chunk: int = 1000
) -> Iterator[bytes]:
    """Records, every field of their kind shown, as one JSON array (or JSON Lines), made
    safe to print and written a chunk at a time: a whole log is never one string."""
    items = iter(records)
    first = True
    if not lines:
        yield b"["
    while views := [full_view(rec) for rec in itertools.islice(items, chunk)]:
        if lines:
            yield b"".join(safe_json_bytes(view) + b"\n" for view in views)
        else:
            text = safe_json_bytes(views, indent=indent)[1:-1].rstrip(b"\n")
            yield text if first else b"," + text
        first = False
    if not lines:
        yield b"\n]\n" if indent else b"]\n"
