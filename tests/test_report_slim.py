"""The report reads records cut down to the fields it uses: every output stays the same."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from retro.inputs import read_inputs
from retro.present.html import report_html
from retro.present.json import report_data, safe_json
from retro.present.markdown import report_markdown
from retro.present.tables import report_tables
from retro.report import build_report, slimmer
from retro.resources import sample_logs
from tests.test_report import make_org

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def generated(tmp_path: Path) -> list[dict]:
    """The current records of two logs the benchmarks' generator writes (3,000 events each)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from make_log import make_log
    finally:
        sys.path.remove(str(BENCHMARKS))
    logs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    make_log(logs[0], 3_000, seed=1)
    make_log(logs[1], 3_000, seed=2, team="identity")
    inputs = read_inputs(logs, skip_bad=False)
    try:
        return inputs.current()
    finally:
        inputs.close()


def documents(records: list[dict]) -> list[str]:
    """The report over ``records`` in every format a report is written in."""
    report = build_report(records)
    tables = [str(table) for table in report_tables(report)]
    return [safe_json(report_data(report, scope="s")), report_markdown(report, scope="s"),
            report_html(report, scope="s"), *tables]  # fmt: skip


def folded_org() -> list[dict]:
    """The test organisation with a live retro's cards folded: an output into another."""
    records = make_org()
    outputs = [rec for rec in records if rec["kind"] == "output" and rec.get("retro")]
    lead, member = outputs[0], dict(outputs[1])
    member["retro"], member["group_of"] = lead["retro"], lead["id"]
    return [member if rec["id"] == member["id"] else rec for rec in records]


@pytest.mark.parametrize("source", ["org", "folded", "samples", "generated"])
def test_the_report_of_slim_records_is_the_report_of_whole_ones(source: str, tmp_path: Path
                                                                ) -> None:  # fmt: skip
    if source == "org":
        records = make_org()
    elif source == "folded":
        records = folded_org()
    elif source == "samples":
        inputs = read_inputs(sample_logs(), skip_bad=False)
        records = inputs.current()
        inputs.close()
    else:
        records = generated(tmp_path)
    slim = slimmer()
    cut = [slim(rec) for rec in records]
    assert sum(len(rec) for rec in cut) < sum(len(rec) for rec in records)
    assert documents(cut) == documents(records)
