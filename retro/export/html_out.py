"""The report as one self-contained HTML page, with inline SVG charts; all text escaped."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from retro.export.tables import Table, cell, report_tables
from retro.insights import Metrics
from retro.report import Report
from retro.sanitize import clean

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
WIDTH, HEIGHT, PAD = 640, 240, 40

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1f2329;background:#fff;max-width:75rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #d0d4da;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f2f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.chart{margin:1rem 0}.muted{color:#5b6370}
"""


def _text(value: object) -> str:
    return escape(clean(cell(value)))


def table_html(table: Table) -> str:
    """A table as HTML."""
    if not table.rows:
        return f"<h2>{escape(table.title)}</h2><p class=muted>None.</p>"
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    rows = "".join(
        "<tr>" + "".join(
            f"<td class=num>{_text(v)}</td>" if isinstance(v, int | float) and
            not isinstance(v, bool) else f"<td>{_text(v)}</td>" for v in row) + "</tr>"
        for row in table.rows
    )  # fmt: skip
    return f"<h2>{escape(table.title)}</h2><table><tr>{head}</tr>{rows}</table>"


def line_chart(
    title: str, report: Report, figure: Callable[[Metrics], float | None]
) -> str:
    """An SVG line chart of ``figure`` per period, one line per team."""
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
    if not series:
        return f"<h2>{escape(title)}</h2><p class=muted>No periods to chart.</p>"
    top = max(1.0, max(v for points in series.values() for _, v in points))
    span = max(1, len(periods) - 1)

    def x(i: int) -> float:
        return PAD + i * (WIDTH - 2 * PAD) / span

    def y(v: float) -> float:
        return HEIGHT - PAD - v * (HEIGHT - 2 * PAD) / top

    parts = [f'<svg class=chart width="{WIDTH}" height="{HEIGHT + 20 * len(series)}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT + 20 * len(series)}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">']  # fmt: skip
    parts.append(f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
                 'stroke="#888"/>')  # fmt: skip
    parts.append(f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>')
    for value in (0.0, top / 2, top):
        parts.append(f'<text x="{PAD - 6}" y="{y(value) + 4:.1f}" font-size="10" '
                     f'text-anchor="end">{value:.2f}</text>')  # fmt: skip
    for i, start in enumerate(periods):
        parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - PAD + 14}" font-size="9" '
                     f'text-anchor="middle">{escape(start[5:])}</text>')  # fmt: skip
    for n, (team, points) in enumerate(sorted(series.items())):
        colour = PALETTE[n % len(PALETTE)]
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in points)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                     f'points="{coords}"/>')  # fmt: skip
        for i, v in points:
            label = escape(f"{clean(team)} {periods[i]}: {v:.2f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                         f"<title>{label}</title></circle>")  # fmt: skip
        legend_y = HEIGHT + 14 + 20 * n
        parts.append(f'<rect x="{PAD}" y="{legend_y - 9}" width="12" height="12" '
                     f'fill="{colour}"/><text x="{PAD + 18}" y="{legend_y + 1}" '
                     f'font-size="11">{escape(clean(team))}</text>')  # fmt: skip
    parts.append("</svg>")
    return f"<h2>{escape(title)}</h2>" + "".join(parts)


def report_html(report: Report, *, scope: str) -> str:
    """The whole report as one HTML file that opens offline."""
    unreinforced = "; ".join(escape(clean(d.title)) for d in report.unreinforced) or "None."
    body = [
        "<h1>Outcomes across teams</h1>",
        f"<p class=muted>{escape(clean(scope))}</p>",
        f"<p><strong>Decisions no team reinforces:</strong> {unreinforced}</p>",
        line_chart("Outcome ratio per sprint", report, lambda m: m.outcome_ratio),
        line_chart("Coherence per sprint (output → outcome → decision)", report,
                   lambda m: m.coherence),  # fmt: skip
        *(table_html(t) for t in report_tables(report)),
    ]
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            "<title>retro report</title><style>" + STYLE + "</style></head><body>"
            + "".join(body) + "</body></html>\n")  # fmt: skip
