"""Hostile logs through every command that prints: nothing reaches the terminal raw, and
nothing is interpreted (markup shown as it is, CSV formulas neutralised, HTML escaped).

One log is built per module, with each hostile string in every free-text field of every
kind, as team, author, custom field name and value; each command runs once, as a real
process.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from retro.config import write_config
from retro.model import MAX_KEY_CHARS, MAX_SHORT_CHARS, MAX_TEXT_CHARS
from retro.store import Repository

NOW = datetime(2026, 11, 20, 15, tzinfo=timezone(timedelta(hours=1)))
OSC52 = "\x1b]52;c;aGVsbG8=\x07"
HOSTILE = {
    "markup": "[bold]b[/] [@click=app.quit]quit[/] [link=http://e.vil]l[/]",
    "osc52": f"clip{OSC52}",
    "osc8": "\x1b]8;;http://e.vil\x1b\\link\x1b]8;;\x1b\\",
    "clear": "\x1b[2J\x1b[3J\x1b[H",
    "c1": "\x9b31m\x9d0;title\x9c\x85",
    "bidi": "\u202etxt.exe\u202c \u2066x\u2069\u200f",
    "controls": "a\x00b\x07c\x08d\x7fe\x0bf\x0cg",
    "formula": "=1+1",
    "hyperlink": '=HYPERLINK("http://e.vil","click")',
    "plus": "+SUM(A1)",
    "minus": "-2+3",
    "at": "@cmd",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "lf": "\n=1+1",
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "pipes": "a | b || c \\| d",
    "newlines": "one\ntwo\r\nthree\u2028four",
}
# What a hostile log must never make a terminal receive: C0 controls but newline and tab
# (tab only where a format keeps it, e.g. inside a quoted CSV cell), DEL, C1 controls, and
# the format characters that reorder or hide text.
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]"
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
FREE_TEXT = {  # the free-text fields of each kind (the others are dates, scores, choices)
    "decision": ("criteria",),
    "output": (),
    "outcome": ("for_whom", "evidence", "metric", "baseline", "observed"),
    "risk": ("evidence",),
    "lesson": (),
    "dependency": ("on",),
    "action": ("owner", "expected_outcome", "moved_evidence"),
}
SHORT_FIELDS = {"for_whom", "metric", "baseline", "observed", "on", "owner"}
TEAM = HOSTILE["markup"] + HOSTILE["osc52"]  # the configured team, a hostile one


def fit(text: str, limit: int) -> str:
    """``text`` repeated up to ``limit`` characters: a huge string at the field's limit."""
    return (text * (limit // max(1, len(text)) + 1))[:limit]


def build(log: Path) -> dict[str, str]:
    """Write the hostile log; returns ids worth naming (a retro, an edited entry)."""
    ids: dict[str, str] = {}
    at = NOW - timedelta(days=3)
    for n, (name, raw) in enumerate(HOSTILE.items()):
        team = TEAM if n % 2 == 0 else raw[:MAX_SHORT_CHARS]
        repo = Repository(log, author=raw[:MAX_SHORT_CHARS], team=team)
        retro = repo.add("retro", raw, at=at, fields={
            "period_start": "2026-11-09", "period_end": "2026-11-22", "facilitator": raw,
            "participants": [raw, name], "focus": "speed", "status": "open"})  # fmt: skip
        ids.setdefault("retro", retro["id"])
        decision = repo.add("decision", raw, at=at, fields={"criteria": raw,
                                                           "review_by": "2026-11-01"})
        for kind, names in FREE_TEXT.items():
            fields: dict[str, object] = {f: raw[:MAX_SHORT_CHARS] if f in SHORT_FIELDS else raw
                                         for f in names}  # fmt: skip
            fields[f"{raw}"[:MAX_KEY_CHARS] or "x"] = raw  # a custom field named by the log
            if kind == "risk":
                fields |= {"before": {"likelihood": 4, "impact": 3},
                           "after": {"likelihood": 2, "impact": 3}}  # fmt: skip
            rec = repo.add(kind, raw, fields=fields, retro=retro["id"], at=at,
                           links=[decision["id"]] if kind in ("outcome", "risk") else [])
            if kind == "action":
                repo.edit(rec["id"], text=raw + " (edited)", fields={"owner": name})
                ids.setdefault("edited", rec["id"])
    huge = Repository(log, author="Ana", team=TEAM)
    huge.add("outcome", fit("".join(HOSTILE.values()), MAX_TEXT_CHARS), retro=ids["retro"],
             at=at, fields={"for_whom": fit(OSC52, MAX_SHORT_CHARS),
                            fit(OSC52 + "=", MAX_KEY_CHARS): fit("\x1b[2J", MAX_TEXT_CHARS)})
    return ids


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """The folder with the hostile log (``team.jsonl``) and a second one to merge."""
    folder = tmp_path_factory.mktemp("hostile")
    log = folder / "team.jsonl"
    ids = build(log)
    other = folder / f"other{OSC52}[b].jsonl"  # file names are the log's too
    shutil.copyfile(log, other)
    mine, theirs = Repository(log, author="Ana", team=TEAM), Repository(other, author="Bo",
                                                                        team=TEAM)
    for repo, side in ((mine, HOSTILE["clear"]), (theirs, HOSTILE["bidi"])):
        repo.load()
        repo.edit(ids["edited"], text=side + HOSTILE["markup"])  # a concurrent edit
        repo.add("decision", HOSTILE["osc8"] + " grow revenue", at=NOW)  # duplicates
    damaged = folder / "damaged.jsonl"
    shutil.copyfile(log, damaged)
    with damaged.open("a", encoding="utf-8") as out:
        out.write(f'{{"v":1,"op":"put","text":"{HOSTILE["c1"]}\x1b[2J"\n')
        out.write(f"{OSC52}not json at all {HOSTILE['bidi']}\n")
    write_config(folder / "config.toml", {"sprint_start": "2026-08-31", "sprint_length": "14d"})
    yield folder, ids


def retro(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``retro ARGS`` as a real process, on the hostile log, as a hostile team and author."""
    env = {
        **os.environ,
        "RETRO_CONFIG": str(folder / "config.toml"),
        "RETRO_LOG": str(folder / "team.jsonl"),
        "RETRO_TEAM": TEAM,
        "RETRO_AUTHOR": HOSTILE["osc8"],
        "RETRO_NOW": NOW.isoformat(),
        "XDG_DATA_HOME": str(folder / "data"),
        "COLUMNS": "200",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]),
                                                    os.environ.get("PYTHONPATH")])),
    }  # fmt: skip
    return subprocess.run([sys.executable, "-m", "retro", *args], capture_output=True,
                          text=True, encoding="utf-8", errors="strict", env=env, timeout=60,
                          check=False)  # fmt: skip


def assert_inert(done: subprocess.CompletedProcess[str], *, tab: bool = False) -> None:
    """No raw control byte, escape sequence or bidi override on stdout or stderr."""
    for stream, text in (("stdout", done.stdout), ("stderr", done.stderr)):
        found = UNSAFE.findall(text.replace("\t", "") if tab else text)
        assert not found, (done.args[3:], stream, sorted(set(found)))
        assert "Traceback" not in text, text[-2000:]


def assert_cells_inert(text: str) -> None:
    """Every CSV cell, the header row included, is a number or starts like no formula."""
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) > 1
    for row in rows:
        for value in row:
            if value.startswith(FORMULA_START):
                float(value)  # only retro's own figures (negative numbers) start so


LINES = len(HOSTILE)


def test_log_table_shows_markup_literally(world: tuple[Path, dict[str, str]]) -> None:
    done = retro(world[0], "log", "--limit", "0")
    assert done.returncode == 0, done.stderr
    assert_inert(done)
    assert "[bold]b[/] [@click=app.quit]quit[/]" in done.stdout
    assert "\\x1b]52;c;aGVsbG8=\\x07" in done.stdout  # made visible, not dropped


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_log_json_keeps_every_byte_escaped(world: tuple[Path, dict[str, str]], fmt: str) -> None:
    done = retro(world[0], "log", "--limit", "0", "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert_inert(done)
    lines = [done.stdout] if fmt == "json" else done.stdout.splitlines()
    records = [r for line in lines for r in (json.loads(line) if fmt == "json" else
                                             [json.loads(line)])]  # fmt: skip
    texts = {r["text"] for r in records}
    assert set(HOSTILE.values()) <= texts  # exactly what the log holds, once decoded
    assert any(HOSTILE["osc52"][:MAX_KEY_CHARS] in r for r in records)  # custom field names


@pytest.mark.parametrize("history", [False, True])
def test_show(world: tuple[Path, dict[str, str]], history: bool) -> None:
    folder, ids = world
    for key in ("retro", "edited"):
        done = retro(folder, "show", ids[key], *(["--history"] if history else []))
        assert done.returncode == 0, done.stderr
        assert_inert(done)
        assert "[bold]b[/]" in done.stdout or "\\x1b" in done.stdout


@pytest.mark.parametrize("fmt", ["text", "md", "json"])
def test_summary(world: tuple[Path, dict[str, str]], fmt: str) -> None:
    done = retro(world[0], "summary", "--sprint", "current", "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert_inert(done)
    if fmt == "json":
        json.loads(done.stdout)
    if fmt == "md":
        assert "<script>" not in done.stdout


@pytest.mark.parametrize("fmt", ["text", "md", "html", "json"])
def test_report(world: tuple[Path, dict[str, str]], fmt: str) -> None:
    done = retro(world[0], "report", "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert_inert(done)
    if fmt == "json":
        assert TEAM in json.loads(done.stdout)["teams"]
    if fmt in ("md", "html"):
        assert "<script>" not in done.stdout and "<img" not in done.stdout
    if fmt == "html":
        assert "&lt;script&gt;" in done.stdout
    if fmt == "md":
        assert_tables_keep_their_columns(done.stdout)


def assert_tables_keep_their_columns(markdown: str) -> None:
    """No cell adds a column to a Markdown table: a pipe in text is escaped."""
    width = None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = len(re.findall(r"(?<!\\)\|", line))
        width = width or cells
        assert cells == width, line


@pytest.mark.parametrize("table", ["teams", "decisions", "fragmentation", "dependencies",
                                   "entries"])  # fmt: skip
def test_report_csv(world: tuple[Path, dict[str, str]], table: str) -> None:
    done = retro(world[0], "report", "--format", "csv", "--table", table)
    assert done.returncode == 0, done.stderr
    assert_inert(done, tab=True)
    assert_cells_inert(done.stdout)


@pytest.mark.parametrize("fmt", ["csv", "json", "md"])
def test_export(world: tuple[Path, dict[str, str]], fmt: str) -> None:
    done = retro(world[0], "export", "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert_inert(done, tab=fmt == "csv")
    if fmt == "csv":
        assert_cells_inert(done.stdout)
        header = next(csv.reader(io.StringIO(done.stdout)))
        assert "'=1+1" in header and "'=HYPERLINK(\"http://e.vil\",\"click\")" in header
    if fmt == "json":
        assert {r["text"] for r in json.loads(done.stdout)} >= set(HOSTILE.values())
    if fmt == "md":
        assert "<script>" not in done.stdout


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_merge_report(world: tuple[Path, dict[str, str]], fmt: str) -> None:
    folder, _ = world
    other = next(folder.glob("other*"))
    done = retro(folder, "merge", str(folder / "team.jsonl"), str(other), "--dry-run",
                 "--format", fmt)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_inert(done)
    if fmt == "table":
        assert "Concurrent edits" in done.stdout and "[bold]b[/]" in done.stdout


def test_verify(world: tuple[Path, dict[str, str]]) -> None:
    folder, _ = world
    healthy = retro(folder, "verify")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert_inert(healthy)
    damaged = retro(folder, "verify", "--log", str(folder / "damaged.jsonl"))
    assert damaged.returncode == 1, damaged.stdout + damaged.stderr
    assert_inert(damaged)


def test_checkin_stores_what_was_typed_and_prints_it_inert(
    world: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    folder, _ = world
    log = tmp_path / "new.jsonl"
    text = HOSTILE["markup"] + HOSTILE["osc52"] + HOSTILE["bidi"]
    done = retro(folder, "--log", str(log), "checkin", text, "--for", HOSTILE["c1"],
                 "--field", f"note={HOSTILE['osc8']}")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_inert(done)
    (rec,) = Repository(log, author="x", team="y").load().all()
    assert rec["text"] == text and rec["for_whom"] == HOSTILE["c1"]
    assert rec["note"] == HOSTILE["osc8"]
