"""The report as one self-contained HTML page, with inline SVG charts; all text escaped."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

from retro.insights import Metrics
from retro.present.format import month_day, ratio_text
from retro.present.sanitize import clean
from retro.present.tables import LONG_TEXT, Table, cell, label, legend, people_tables
from retro.report import Report

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
# A chart is as wide as the page: x is in percent of it, y in pixels, so that its text keeps
# its size (px) at any width. LEFT and RIGHT are the plot's edges, in percent.
HEIGHT, TOP, BOTTOM, LEFT, RIGHT = 240, 16, 32, 7, 97

STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0 auto;padding:1.5rem 2rem;color:#1f2329;
background:#fff;max-width:75rem;font-size:16px;line-height:1.4}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.2rem;margin:2rem 0 .5rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0;width:100%}
th,td{border:1px solid #d0d4da;padding:.3rem .45rem;text-align:left;vertical-align:top;
overflow-wrap:break-word}
td.long{overflow-wrap:anywhere;min-width:6rem}th{background:#f0f2f5;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th.num{white-space:normal}
.chart{display:block;width:100%;height:auto;margin:.5rem 0;overflow:visible}
.chart text{font-size:13px;fill:#1f2329}
.keys{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;list-style:none;margin:.25rem 0 1rem;
padding:0;font-size:.9rem}
.keys span{display:inline-block;width:.9rem;height:.9rem;margin-right:.4rem;
vertical-align:-.1rem;border-radius:2px}
.legend{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.5rem 0 0;
font-size:.85rem;color:#4a515c}
.legend dt{font-weight:600}.legend dd{margin:0}
.muted{color:#5b6370}.nw{white-space:nowrap}.wide{overflow-x:auto}
@media (max-width:900px){body{padding:1rem}table{font-size:.8rem}th,td{padding:.25rem .3rem}}
@media (max-width:560px){.legend{grid-template-columns:1fr}.legend dd{margin-bottom:.3rem}}
"""


# Dates break at their hyphens; a cell keeps each whole.
_DATE = re.compile(r"\b(?:\d{4}-)?\d\d-\d\d\b")


def _text(value: object) -> str:
    return _DATE.sub(r"<span class=nw>\g<0></span>", escape(clean(cell(value))))


def _numeric(table: Table, n: int) -> bool:
    values = [row[n] for row in table.rows if row[n] not in ("", None)]
    return bool(values) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                for v in values)  # fmt: skip


def table_html(table: Table) -> str:
    """A table as HTML, headers in words and a legend of what its figures mean."""
    if not table.rows:
        return f"<h2>{escape(table.title)}</h2><p class=muted>None.</p>"
    kind = [" class=num" if _numeric(table, n) else " class=long" if c in LONG_TEXT else ""
            for n, c in enumerate(table.columns)]  # fmt: skip
    head = "".join(f"<th scope=col{k}>{escape(clean(label(c)))}</th>"
                   for c, k in zip(table.columns, kind, strict=True))  # fmt: skip
    rows = "".join(
        "<tr>" + "".join(f"<td{k}>{_text(v)}</td>" for v, k in zip(row, kind, strict=True))
        + "</tr>"
        for row in table.rows
    )
    meanings = "".join(f"<dt>{escape(name)}</dt><dd>{escape(meaning)}</dd>"
                       for name, meaning in legend(table))  # fmt: skip
    notes = f"<dl class=legend>{meanings}</dl>" if meanings else ""
    # On a screen too narrow for it, a table scrolls in its own box, never the page.
    return (f"<h2>{escape(table.title)}</h2><div class=wide><table><thead><tr>{head}</tr>"
            f"</thead><tbody>{rows}</tbody></table></div>{notes}")  # fmt: skip


def _series(
    report: Report, figure: Callable[[Metrics], float | None]
) -> tuple[list[str], dict[str, list[tuple[int, float]]]]:
    """The periods charted, and per team its (period number, value) points."""
    periods = sorted({p.period_start for p in report.periods if p.period_start})
    series: dict[str, list[tuple[int, float]]] = {}
    for team in report.teams:
        points = []
        for p in report.trend(team):
            value = figure(p.metrics)
            if value is not None and p.period_start in periods:
                points.append((periods.index(p.period_start), value))
        if points:
            series[team] = points
    return periods, series


def line_chart(
    title: str, report: Report, figure: Callable[[Metrics], float | None]
) -> str:
    """An SVG line chart of ``figure`` per period, one line per team, as wide as the page."""
    periods, series = _series(report, figure)
    if not series:
        return f"<h2>{escape(title)}</h2><p class=muted>No periods to chart.</p>"
    top = max(1.0, max(v for points in series.values() for _, v in points))
    span = max(1, len(periods) - 1)

    def x(i: int) -> str:
        return f"{LEFT + i * (RIGHT - LEFT) / span:.2f}%"

    def y(v: float) -> float:
        return HEIGHT - BOTTOM - v * (HEIGHT - TOP - BOTTOM) / top

    parts = [f'<svg class=chart height="{HEIGHT}" role="img" aria-label="{escape(title)}" '
             'xmlns="http://www.w3.org/2000/svg">']  # fmt: skip
    for value in (0.0, top / 2, top):
        parts.append(f'<line x1="{LEFT}%" y1="{y(value):.1f}" x2="{RIGHT}%" y2="{y(value):.1f}" '
                     f'stroke="{"#888" if value == 0 else "#e3e6ea"}"/>'
                     f'<text x="{LEFT - 1}%" y="{y(value) + 4:.1f}" '
                     f'text-anchor="end">{ratio_text(value)}</text>')  # fmt: skip
    step = max(1, len(periods) // 12)  # at most about twelve dates under the axis
    for i, start in enumerate(periods):
        if i % step == 0 or i == len(periods) - 1:
            shown = escape(clean(month_day(start)))
            parts.append(f'<text x="{x(i)}" y="{HEIGHT - BOTTOM + 20}" '
                         f'text-anchor="middle">{shown}</text>')  # fmt: skip
    keys = []
    for n, (team, points) in enumerate(sorted(series.items())):
        colour = PALETTE[n % len(PALETTE)]
        for (i, v), (j, w) in zip(points, points[1:], strict=False):
            parts.append(f'<line x1="{x(i)}" y1="{y(v):.1f}" x2="{x(j)}" y2="{y(w):.1f}" '
                         f'stroke="{colour}" stroke-width="2.5"/>')  # fmt: skip
        for i, v in points:
            tip = escape(f"{clean(team)} {clean(periods[i])}: {ratio_text(v)}")
            parts.append(f'<circle cx="{x(i)}" cy="{y(v):.1f}" r="4" fill="{colour}">'
                         f"<title>{tip}</title></circle>")  # fmt: skip
        keys.append(f'<li><span style="background:{colour}"></span>{escape(clean(team))}</li>')
    parts.append("</svg>")
    return (f"<h2>{escape(title)}</h2>" + "".join(parts)
            + f"<ul class=keys>{''.join(keys)}</ul>")  # fmt: skip


def report_html(report: Report, *, scope: str) -> str:
    """The whole report as one HTML file that opens offline and fits the page at any width."""
    unreinforced = "; ".join(escape(clean(d.title)) for d in report.unreinforced) or "None."
    body = [
        "<h1>Outcomes across teams</h1>",
        f"<p class=muted>{escape(clean(scope))}</p>",
        f"<p><strong>Decisions no team reinforces:</strong> {unreinforced}</p>",
        line_chart("Outcome ratio per sprint (outcomes per output)", report,
                   lambda m: m.outcome_ratio),  # fmt: skip
        line_chart("Coherence per sprint (share of outputs tracing output → outcome → decision)",
                   report, lambda m: m.coherence),  # fmt: skip
        *(table_html(t) for t in people_tables(report)),
    ]
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            "<title>retro report</title><style>" + STYLE + "</style></head><body>"
            + "".join(body) + "</body></html>\n")  # fmt: skip
