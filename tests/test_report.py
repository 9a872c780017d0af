"""The organisation report: figures checked by hand, every format, hostile text."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest

from retro.model import new_record
from retro.present.csv import safe_cell, to_csv
from retro.present.html import report_html
from retro.present.markdown import report_markdown
from retro.present.tables import entries_table, report_tables
from retro.report import build_report, canonical_decisions
from retro.resources import sample_logs
from tests.conftest import START


def rec(kind: str, text: str, team: str, **fields: object) -> dict:
    links = fields.pop("links", [])
    record = new_record(kind, text, team=team, author="a", at=START, fields=fields)
    record["links"] = list(links)  # type: ignore[arg-type]
    return record


def retro(team: str, focus: str, start: str, end: str) -> dict:
    return rec("retro", f"{team} retro", team, period_start=start, period_end=end, focus=focus,
               status="closed")  # fmt: skip


@pytest.fixture
def org() -> list[dict]:
    """Two teams, one sprint each, one shared decision, one nobody works on, one alias."""
    return make_org()


def make_org() -> list[dict]:
    """The records of :func:`org`."""
    grow = rec("decision", "Grow self-serve revenue", "leadership", review_by="2026-11-01")
    idle = rec("decision", "Open an office in Lisbon", "leadership")
    dup = rec("decision", "Grow self serve revenue", "leadership", alias_of=grow["id"])
    pay = retro("payments", "stability", "2026-11-09", "2026-11-22")
    mob = retro("mobile", "speed", "2026-11-09", "2026-11-22")
    out1 = rec("output", "One-click refunds", "payments")
    out2 = rec("output", "Dispute dashboard", "payments")  # an orphan
    out3 = rec("output", "New onboarding flow", "mobile")
    outcome1 = rec("outcome", "Refunds settle in a day", "payments", links=[out1["id"], grow["id"]],
                   confidence_before=2, confidence_after=4)  # fmt: skip
    outcome2 = rec("outcome", "Sign-ups finish faster", "mobile", links=[out3["id"], dup["id"]])
    risk = rec("risk", "Chargeback fines", "payments", before={"likelihood": 4, "impact": 3},
               after={"likelihood": 2, "impact": 3}, links=[grow["id"]])  # fmt: skip
    dep1 = rec("dependency", "SSO", "payments", on="Identity team")
    dep2 = rec("dependency", "SSO too", "mobile", on="identity  TEAM ")
    for entry, owner in ((out1, pay), (out2, pay), (outcome1, pay), (risk, pay), (dep1, pay),
                         (out3, mob), (outcome2, mob), (dep2, mob)):  # fmt: skip
        entry["retro"] = owner["id"]
    return [grow, idle, dup, pay, mob, out1, out2, out3, outcome1, outcome2, risk, dep1, dep2]


def test_figures_by_hand(org: list[dict]) -> None:
    report = build_report(org)
    assert report.teams == ["mobile", "payments"]
    mobile, payments = report.periods
    # payments: 2 outputs, 1 outcome -> ratio 0.5; out2 is an orphan; 12 - 6 = 6 risk reduced;
    # one outcome with confidence 2 -> 4; out1 traces to a decision: coherence 1/2.
    assert (payments.metrics.outputs, payments.metrics.outcomes) == (2, 1)
    assert payments.metrics.outcome_ratio == 0.5 and len(payments.metrics.orphan_outputs) == 1
    assert payments.metrics.risk_reduction == 6 and payments.metrics.predictability_gained == 1
    assert payments.metrics.coherence == 0.5 and payments.focus == "stability"
    # mobile: 1 output, 1 outcome (anchored through the alias) -> coherence 1
    assert mobile.metrics.outcome_ratio == 1.0 and mobile.metrics.coherence == 1.0
    assert report.coherence_by_team == {"mobile": 1.0, "payments": 0.5}
    assert report.coherence == pytest.approx(2 / 3)
    [grow, idle] = report.decisions  # the alias is folded into its decision
    assert grow.title == "Grow self-serve revenue" and grow.teams == ["mobile", "payments"]
    assert len(grow.outcomes) == 2 and len(grow.risks) == 1 and grow.risk_reduction == 6
    assert grow.focus == {"mobile": "speed", "payments": "stability"} and grow.aligned is False
    assert len(grow.aliases) == 1
    assert [d.title for d in report.unreinforced] == ["Open an office in Lisbon"] == [idle.title]
    assert report.focus_by_team == {"mobile": {"speed": 1}, "payments": {"stability": 1}}
    [shared] = report.dependencies
    assert shared.teams == ("mobile", "payments") and shared.entries == 2


def test_filters_by_team_and_time(org: list[dict]) -> None:
    assert build_report(org, teams=["mobile"]).teams == ["mobile"]
    assert build_report(org, since=START + timedelta(days=1)).periods == []


def test_alias_cycles_stop() -> None:
    a = rec("decision", "A", "t")
    b = rec("decision", "B", "t", alias_of=a["id"])
    a["alias_of"] = b["id"]
    canon = canonical_decisions({a["id"]: a, b["id"]: b})
    assert set(canon) == {a["id"], b["id"]}  # no endless loop, each maps somewhere known


def sample_records() -> list[dict]:
    from retro.merge import merge
    from retro.store.events import PUT, replay
    from retro.store.journal import Journal

    merged = merge([(str(p), Journal(p).read().events) for p in sample_logs()])
    return [e["rec"] for e in replay(merged.events).values() if e["op"] == PUT]


def test_sample_data_report() -> None:
    records = sample_records()
    report = build_report(records)
    assert report.teams == ["mobile", "onboarding", "payments", "platform"]
    assert len([p for p in report.periods if p.period_start]) == 24
    for team in report.teams:  # independent recount: outputs per team
        outputs = sum(1 for r in records if r["kind"] == "output" and r["team"] == team)
        assert sum(p.metrics.outputs for p in report.periods if p.team == team) == outputs
    assert [d.title for d in report.unreinforced] == ["Consolidate onto one event platform"]
    assert any(d.aligned is False for d in report.decisions)
    assert report.dependencies[0].on.lower() == "identity team sso api"
    assert len(report.dependencies[0].teams) == 4


HOSTILE = "=cmd|' /C calc'!A0 <script>alert(1)</script> [x](javascript:alert(1)) \x1b[31m"


def test_every_format_makes_hostile_text_inert(org: list[dict]) -> None:
    org[0]["text"] = HOSTILE
    report = build_report(org)
    page = report_html(report, scope="scope")
    assert "<script>" not in page and "&lt;script&gt;" in page and "\x1b" not in page
    markdown = report_markdown(report, scope="scope")
    assert "<script>" not in markdown and "[x](javascript" not in markdown  # brackets escaped
    table = to_csv(next(t for t in report_tables(report) if t.name == "decisions"))
    cells = [row[1] for row in csv.reader(io.StringIO(table))][1:]
    assert any(c.startswith("'=cmd") for c in cells) and "\x1b" not in table
    entries = to_csv(entries_table(org))
    assert "'=cmd" in entries


@pytest.mark.parametrize("value", ["=1+1", "+1", "-cmd", "@SUM(A1)", "\tx", "\rx", "\nx"])
def test_csv_formulas_are_neutralised(value: str) -> None:
    assert safe_cell(value).startswith("'")


def test_csv_numbers_stay_numbers() -> None:
    assert safe_cell(-3) == "-3" and safe_cell(0.5) == "0.50"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "retro", *args], capture_output=True,
                          text=True, check=False, cwd=cwd)  # fmt: skip


def test_report_command_in_every_format(tmp_path: Path) -> None:
    logs = [str(p) for p in sample_logs()]
    for fmt in ("text", "md", "html", "csv", "json"):
        done = run_cli("report", *logs, "--format", fmt)
        assert done.returncode == 0 and done.stdout, (fmt, done.stderr)
    data = json.loads(run_cli("report", *logs, "--format", "json").stdout)
    assert data["teams"] == ["mobile", "onboarding", "payments", "platform"]
    assert {"outcome_ratio", "coherence", "late_lessons"} <= data["periods"][0].keys()
    out = tmp_path / "report.html"
    assert run_cli("report", *logs, "--format", "html", "-o", str(out)).returncode == 0
    assert out.read_text().startswith("<!doctype html>") and "<svg" in out.read_text()
    rows = list(csv.DictReader(io.StringIO(
        run_cli("report", *logs, "--format", "csv", "--table", "entries").stdout)))
    assert rows and {"id", "kind", "team", "text"} <= rows[0].keys()
    bad = run_cli("report", str(tmp_path / "missing.jsonl"))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


def test_export_entries(tmp_path: Path) -> None:
    log = tmp_path / "x.jsonl"
    run_cli("--log", str(log), "checkin", HOSTILE)
    for fmt in ("csv", "json", "md"):
        done = run_cli("--log", str(log), "export", "--format", fmt)
        assert done.returncode == 0 and "\x1b" not in done.stdout, fmt
    assert "'=cmd" in run_cli("--log", str(log), "export", "--format", "csv").stdout
    assert json.loads(run_cli("--log", str(log), "export", "--format", "json").stdout)[0][
        "text"] == HOSTILE  # fmt: skip


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


# Run in the page once laid out: does anything reach past the window, or a table past its box?
FIT_PROBE = """<script>
const root = document.documentElement;
const tables = [...document.querySelectorAll("table")];
document.body.dataset.fit = JSON.stringify({page: root.scrollWidth, window: root.clientWidth,
  tables: tables.map(t => [t.scrollWidth, t.parentElement.clientWidth])});
</script>"""


def browser_dom(page: Path, profile: Path, width: int) -> str:
    """The page's DOM after Chromium laid it out in a window ``width`` pixels wide."""
    done = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", f"--window-size={width},900",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "</html>" in done.stdout, done.stderr[-500:]
    return done.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed on this machine")
@pytest.mark.parametrize("width", [800, 1280])
def test_html_opens_in_a_real_browser_and_fits_the_window(
    tmp_path: Path, org: list[dict], width: int
) -> None:
    org[0]["text"] = HOSTILE
    hostile = tmp_path / "hostile.html"
    hostile.write_text(report_html(build_report(org), scope="scope"))
    dom = browser_dom(hostile, tmp_path / "profile", width)
    assert "<table>" in dom and "<svg" in dom and "Decision ledger" in dom
    assert "<script>" not in dom  # the hostile title stayed text
    page = tmp_path / "report.html"  # the sample report, with a probe that measures it
    page.write_text(report_html(build_report(sample_records()), scope="scope")
                    .replace("</body>", FIT_PROBE + "</body>"))  # fmt: skip
    found = re.search(r'data-fit="([^"]*)"', browser_dom(page, tmp_path / "profile", width))
    assert found, "the probe did not run"
    fit = json.loads(unescape(found.group(1)))
    assert fit["page"] <= fit["window"], fit  # no horizontal scrollbar
    assert all(table <= box for table, box in fit["tables"]), fit  # no table scrolls either
