"""The reports people read: headers in words, legends, no ids, no folders, text inert."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from retro.present.html import report_html
from retro.present.markdown import entries_markdown, report_markdown
from retro.present.tables import for_people, people_tables, report_tables
from retro.report import build_report
from retro.resources import sample_logs
from tests.test_report import HOSTILE, make_org

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TERSE = {"out", "outc", "orph", "unan", "risk-", "pred+", "less", "lateL", "lateD", "coh"}
TEAMS = ("mobile", "onboarding", "payments", "platform")


def run(*args: str, columns: int = 100) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "retro", *args], capture_output=True,
                          text=True, check=False, env=env)  # fmt: skip


@pytest.mark.parametrize("columns", [80, 120])
def test_the_text_report_has_headers_in_words_and_a_legend(columns: int) -> None:
    done = run("report", *map(str, sample_logs()), columns=columns)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert not TERSE & set(text.split()), text[:2000]
    for words in ("Orphan", "Coherence", "Risk reduced", "Late lessons", "Alignment"):
        assert words in text
    assert "Orphan outputs" in text and "outputs linked to no outcome" in text  # the legend
    assert all(len(line) <= columns for line in text.splitlines())
    # Every figure of every row shows: the first table's rows have all nine columns.
    rows = [line.split() for line in text.splitlines()
            if line.split()[:1] and line.split()[0] in TEAMS and "." in line]  # fmt: skip
    assert len(rows) >= 24 and all(len(row) == 9 for row in rows[:24]), rows[:3]
    assert not UUID.search(text)


def test_no_report_names_a_folder(tmp_path: Path) -> None:
    home = tmp_path / "home" / "jdoe7"
    home.mkdir(parents=True)
    logs = [str(shutil.copy(p, home)) for p in sample_logs()]
    outputs = {fmt: run("report", *logs, "--format", fmt).stdout
               for fmt in ("text", "md", "html", "json")}  # fmt: skip
    merged = home / "org.jsonl"
    assert run("merge", *logs, "-o", str(merged)).returncode == 0
    outputs["configured"] = run("--log", str(merged), "report", "--format", "html").stdout
    for fmt, out in outputs.items():
        assert out and str(tmp_path) not in out and "jdoe7" not in out, fmt
    assert "from mobile.jsonl, onboarding.jsonl" in outputs["md"]
    assert json.loads(outputs["json"])["scope"].endswith("payments.jsonl, platform.jsonl")
    assert "from org.jsonl" in outputs["configured"]


def test_people_see_no_ids_and_one_sprint_column() -> None:
    report = build_report(make_org())
    decisions = for_people(next(t for t in report_tables(report) if t.name == "decisions"))
    assert "id" not in decisions.columns and "aliases" not in decisions.columns
    assert decisions.rows[0][0] == "Grow self-serve revenue (+1 duplicate)"
    first = people_tables(report)[0]
    assert first.columns[:2] == ("team", "sprint") and first.rows[0][1] == "2026-11-09 – 11-22"
    assert people_tables(report, compact=True)[0].rows[0][1] == "11-09"
    for table in people_tables(report):
        assert not any(UUID.search(str(value)) for row in table.rows for value in row)


def test_html_headers_are_words_with_no_ids_and_text_stays_inert() -> None:
    org = make_org()
    org[0]["text"] = HOSTILE
    page = report_html(build_report(org), scope="2 teams, from a.jsonl")
    headers = re.findall(r"<th[^>]*>(.*?)</th>", page)
    assert "Orphan outputs" in headers and "Outcomes with no decision" in headers
    assert not any("_" in header for header in headers) and "Id" not in headers
    assert not UUID.search(page)
    assert "<script>" not in page and "&lt;script&gt;alert(1)" in page and "\x1b" not in page
    assert "<dt>Coherence</dt>" in page  # the legend under the table


def test_markdown_report_has_words_and_no_ids() -> None:
    text = report_markdown(build_report(make_org()), scope="scope")
    assert "| Team | Sprint | Focus | Outputs |" in text and "outcome\\_ratio" not in text
    assert "- **Orphan outputs**: outputs linked to no outcome" in text
    assert not UUID.search(text)


def test_the_markdown_export_is_grouped_by_kind_without_ids() -> None:
    org = make_org()
    org[5]["text"] = HOSTILE  # an output
    text = entries_markdown(org)
    assert not UUID.search(text)
    assert "## Decisions (3)" in text and "## Outputs (3)" in text and "## Retros (2)" in text
    refunds = next(line for line in text.splitlines() if line.startswith("- **Refunds settle"))
    assert "payments · a ·" in refunds and "confidence: 2 → 4" in refunds
    assert "linked to: " in refunds and "Grow self-serve revenue" in refunds
    risk = next(line for line in text.splitlines() if line.startswith("- **Chargeback"))
    assert "risk: 12 (4×3) → 6 (2×3)" in risk
    assert "<script>" not in text and "[x](javascript" not in text and "\x1b" not in text


def test_the_markdown_export_names_a_link_out_of_view_by_a_short_id() -> None:
    org = make_org()
    outcome = next(r for r in org if r["text"] == "Refunds settle in a day")
    text = entries_markdown([outcome])
    assert outcome["links"][0][:8] in text and outcome["links"][0] not in text
    assert "One-click refunds" in entries_markdown([outcome], context={r["id"]: r for r in org})


def test_export_md_through_the_command_has_no_ids_and_csv_keeps_them(tmp_path: Path) -> None:
    log = tmp_path / "x.jsonl"
    assert run("--log", str(log), "checkin", "Shipped the refunds page").returncode == 0
    [entry] = json.loads(run("--log", str(log), "export", "--format", "json").stdout)
    markdown = run("--log", str(log), "export", "--format", "md").stdout
    assert "Shipped the refunds page" in markdown and entry["id"][:8] not in markdown
    header = run("--log", str(log), "export", "--format", "csv").stdout.splitlines()[0]
    assert header.startswith("id,kind,team") and "links" in header
