"""CSV: one tidy table, with spreadsheet formulas neutralised."""

from __future__ import annotations

import csv
import io

from retro.present.sanitize import clean
from retro.present.tables import Table, cell

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> str:
    """A cell a spreadsheet will never run: text starting like a formula gets an apostrophe.

    Figures retro computed (numbers) are left as numbers, negative ones included.
    """
    text = cell(value)
    if text.startswith(_FORMULA_START) and not isinstance(value, int | float):
        text = "'" + text
    return clean(text, multiline=True)


def to_csv(table: Table) -> str:
    """``table`` as CSV text (header row first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # Header cells are no safer than data: custom field names and focuses come from logs.
    writer.writerow([safe_cell(c) for c in table.columns])
    writer.writerows([safe_cell(v) for v in row] for row in table.rows)
    return out.getvalue()
