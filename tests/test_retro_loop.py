"""A team's first three sprints, from `retro init` on: real commands, the app, a teammate.

The retro loop holds when follow-ups chain from sprint to sprint, the same retro shows the
same figures in the summary, home, the export and the report, and nothing typed is lost.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from textual.widgets import Input, Select

from retro.cli import cli
from retro.config import Settings, config_path
from retro.model import ACTION_STATUSES
from retro.resources import resource_dir
from retro.store import Repository
from retro.tui.app import RetroApp
from retro.tui.screens.confirm import ConfirmScreen
from retro.tui.screens.home import HomeScreen
from retro.tui.screens.steps import EntryStep
from retro.tui.widgets import EntryTable
from tests.screens import screen_text
from tests.test_tui import type_text, wait_for_step

SIZE = (120, 40)
SPRINT_1 = "2026-11-13T15:00:00+01:00"  # a Friday, the last of sprint 1 (2 – 15 Nov)
SPRINT_2 = "2026-11-27T15:00:00+01:00"  # sprint 2: 16 – 29 Nov
SPRINT_3 = "2026-12-11T15:00:00+01:00"  # sprint 3: 30 Nov – 13 Dec


@pytest.fixture
def team(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A new user's machine: `retro init` with no log named; returns the default log."""
    monkeypatch.setenv("RETRO_NOW", "2026-11-02T09:00:00+01:00")
    log = isolated / "data" / "retro" / "retro-log.jsonl"
    assert not log.parent.exists()
    done = run_cli("init", "--team", "payments", "--author", "Ana", "--sprint-start",
                   "2026-11-02", "--sprint-length", "2w")  # fmt: skip
    assert log.parent.is_dir() and str(log) in done.stderr
    yield log


def run_cli(*args: str) -> Any:
    """`retro ARGS` in this process; fails the test on a non-zero exit."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def teammate(*args: str) -> subprocess.CompletedProcess[str]:
    """`retro ARGS` run by Bo in another process (another terminal)."""
    env = {**os.environ, "RETRO_AUTHOR": "Bo"}
    done = subprocess.run([sys.executable, "-m", "retro", *args], capture_output=True, text=True,
                          env=env, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def summary_json(*args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run_cli("summary", "--format", "json", *args).stdout)
    return data


def report_rows() -> dict[str | None, dict[str, Any]]:
    """The report's rows by retro id."""
    data = json.loads(run_cli("report", "--format", "json").stdout)
    return {row["retro"]: row for row in data["periods"]}


METRICS = ("outputs", "outcomes", "outcome_ratio", "orphan_outputs", "unanchored_outcomes",
           "risks", "risk_reduction", "lessons", "late_lessons", "dependencies",
           "late_dependencies", "actions", "open_actions", "coherence")  # fmt: skip


def assert_agree(summary: dict[str, Any], row: dict[str, Any]) -> None:
    """The summary of a retro and the report's row for it give the same figures."""
    assert {k: summary[k] for k in METRICS} == {k: row[k] for k in METRICS}
    assert (summary["period_start"], summary["period_end"]) == (row["period_start"],
                                                                row["period_end"])  # fmt: skip


async def home_ratios(app: RetroApp) -> dict[str, str]:
    """Home's ratio column, by retro id."""
    table = app.screen.query_one("#retros", EntryTable)
    column = list(table.columns).index("ratio")
    return {str(key.value): str(table.get_row(key)[column]) for key in table.rows}


def expected_ratio(summary: dict[str, Any]) -> str:
    ratio = summary["outcome_ratio"]
    return "—" if ratio is None else f"{ratio:.2f}"


async def choose(pilot: Any, select_id: str, value: str) -> None:
    """Pick an action's status by keyboard: open the list, move down to it, Enter."""
    select = pilot.app.screen.query_one(select_id, Select)
    select.focus()
    steps = ACTION_STATUSES.index(value) - ACTION_STATUSES.index(str(select.value))
    await pilot.press("enter", *["down"] * steps, "enter")
    assert select.value == value


def shows(app: RetroApp, *texts: str) -> bool:
    """True when the screen shows every one of ``texts``."""
    shown = screen_text(app)
    return all(text in shown for text in texts)


async def wait_for(pilot: Any, check: Any, what: str) -> None:
    for _ in range(60):
        await pilot.pause(0.1)
        if check():
            return
    raise AssertionError(f"never saw {what}")


async def sprint_1(monkeypatch: pytest.MonkeyPatch) -> None:
    # During the sprint, Bo checks in an outcome from their own terminal.
    monkeypatch.setenv("RETRO_NOW", "2026-11-10T11:00:00+01:00")
    teammate("checkin", "Refund tickets down by a third", "--evidence", "support dashboard")
    monkeypatch.setenv("RETRO_NOW", SPRINT_1)
    app = RetroApp(Settings(), start="run", poll=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_step(pilot, "frame")
        await pilot.press("tab")
        await type_text(pilot, "Ana, Bo")
        await pilot.press("pagedown")  # the frame saves itself on the way out
        await wait_for_step(pilot, "outputs")  # no earlier retro: no follow-ups
        await type_text(pilot, "One-click refunds")
        await pilot.press("enter")
        # Bo adds an output to the running retro from the command line: it shows up here.
        await asyncio.to_thread(teammate, "checkin", "-k", "output", "Dispute dashboard",
                                "--retro", "current")  # fmt: skip
        await wait_for(pilot, lambda: "Dispute dashboard" in screen_text(app), "Bo's output")
        await pilot.press("pagedown")
        await wait_for_step(pilot, "outcomes")
        await type_text(pilot, "Disputes settle in a day")
        app.screen.query_one("#field-outputs").query_one("SelectionList").focus()
        await pilot.press("space")  # the first output, chosen at once
        await pilot.press("ctrl+s")
        for step in ("risks", "lessons", "dependencies", "actions"):
            await pilot.press("pagedown")
            await wait_for_step(pilot, step)
        for text, owner, due, expected in (
            ("Give every flag an owner", "Bo", "next friday", "no orphan flags"),
            ("Call the acquirer", "Ana", "Dec 11", "chargebacks down"),
        ):
            await type_text(pilot, text)
            await pilot.press("tab")
            await type_text(pilot, owner)
            await pilot.press("tab")
            await type_text(pilot, due)
            await pilot.press("tab")
            await type_text(pilot, expected)
            await pilot.press("enter")
            await pilot.pause(0.1)
        await pilot.press("pagedown")
        await wait_for_step(pilot, "summary")
        assert "1.00" in screen_text(app)  # 2 outcomes / 2 outputs: Bo's check-ins count
        await pilot.press("enter")  # close the retro
        await pilot.pause(0.1)


async def sprint_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETRO_NOW", SPRINT_2)
    app = RetroApp(Settings(), start="run", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_step(pilot, "frame")
        assert app.screen.query_one("#frame-participants", Input).value == "Ana, Bo"
        await pilot.press("pagedown")
        await wait_for_step(pilot, "follow-ups")
        await wait_for(pilot, lambda: shows(app, "no orphan flags", "chargebacks down"),
                       "the expected outcomes")  # fmt: skip
        # The first action is done; the second is carried over.
        await choose(pilot, "#fu-status", "done")
        app.screen.query_one("#fu-evidence", Input).focus()
        await type_text(pilot, "all flags owned")
        await pilot.press("enter")
        await pilot.pause(0.2)
        await choose(pilot, "#fu-status", "carried")
        app.screen.query_one("#fu-evidence", Input).focus()
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.press("pagedown")
        await wait_for_step(pilot, "outputs")
        await lose_nothing(pilot, app)
        for step in ("outcomes", "risks", "lessons", "dependencies", "actions", "summary"):
            await pilot.press("pagedown")
            await wait_for_step(pilot, step)
        await pilot.press("enter")
        await pilot.pause(0.1)


async def lose_nothing(pilot: Any, app: RetroApp) -> None:
    """Half-typed text survives PgDn and Esc; a delete asks first and can be undone."""
    screen = app.screen
    assert isinstance(screen, EntryStep)
    await type_text(pilot, "Webhook retries")
    for key in ("pagedown", "escape"):
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("escape")  # stay
        await pilot.pause(0.1)
        assert app.screen is screen
        assert screen.query_one("#field-text", Input).value == "Webhook retries"
    await pilot.press("ctrl+s")
    await pilot.pause(0.1)
    await pilot.press("ctrl+d")  # an empty form: nothing is deleted
    await pilot.pause(0.1)
    assert not isinstance(app.screen, ConfirmScreen)
    assert [r["text"] for r in app.session.retro_entries(["output"])] == ["Webhook retries"]
    table = screen.query_one("#entries", EntryTable)
    table.focus()
    await pilot.press("enter")  # load the row into the form
    await pilot.pause(0.1)
    await pilot.press("ctrl+d")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
    assert "Webhook retries" in screen_text(app)
    await pilot.press("escape")  # keep it
    await pilot.pause(0.1)
    assert len(app.session.retro_entries(["output"])) == 1
    await pilot.press("ctrl+d")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
    await pilot.click("#answer-delete")
    await pilot.pause(0.1)
    assert app.session.retro_entries(["output"]) == []
    await pilot.press("ctrl+z")
    await pilot.pause(0.1)
    assert [r["text"] for r in app.session.retro_entries(["output"])] == ["Webhook retries"]


async def sprint_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETRO_NOW", SPRINT_3)
    app = RetroApp(Settings(), poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.shown,
                       "home filled")  # fmt: skip
        await wait_for(pilot, lambda: shows(app, "Call the acquirer"), "the carried action due")
        assert "Give every flag an owner" not in screen_text(app)  # done
        ratios = await home_ratios(app)
        for retro_id, ratio in ratios.items():
            assert ratio == expected_ratio(summary_json(retro_id))
        await pilot.press("s")
        await wait_for_step(pilot, "frame")
        await pilot.press("pagedown")
        await wait_for_step(pilot, "follow-ups")
        await wait_for(pilot, lambda: shows(app, "Call the acquirer", "×1"), "the carried action")
        assert "Give every flag an owner" not in screen_text(app)


async def test_three_sprints_of_one_team(team: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The slowest test (about 20 s), by nature: three retros through the real app, a
    teammate's two processes, and every figure compared across four commands."""
    await sprint_1(monkeypatch)
    first = summary_json("--sprint", "current")
    assert (first["outputs"], first["outcomes"], first["outcome_ratio"]) == (2, 2, 1.0)
    assert len(first["orphan_outputs"]) == 1 and first["follow_ups"] == []  # Bo's output
    repo = Repository(team, author="x", team="payments").load()
    actions = {a["text"]: a for a in repo.find(kinds=["action"])}
    assert actions["Give every flag an owner"]["due"] == "2026-11-20"  # forward, not back
    assert actions["Call the acquirer"]["due"] == "2026-12-11"
    assert_agree(first, report_rows()[first["retro"]])

    await sprint_2(monkeypatch)
    second = summary_json()
    assert [f["text"] for f in second["follow_ups"]] == ["Give every flag an owner",
                                                         "Call the acquirer"]  # fmt: skip
    assert {f["status"] for f in second["follow_ups"]} == {"done", "carried"}
    assert_agree(second, report_rows()[second["retro"]])

    monkeypatch.setenv("RETRO_NOW", SPRINT_3)
    ahead = summary_json("--sprint", "current")  # not held yet: nothing is created
    assert ahead["retro"] is None and ahead["status"] == "not held"
    [carried] = ahead["follow_ups"]
    assert carried["text"] == "Call the acquirer" and carried["carried"] == 1
    assert set(carried) == {"id", "text", "owner", "due", "status", "expected", "carried"}
    await sprint_3(monkeypatch)
    held = [r for r in Repository(team, author="x", team="p").load().all() if r["kind"] == "retro"]
    assert len(held) == 2  # sprint 3's retro was only looked at: it is still a draft

    markdown = run_cli("summary", first["retro"], "--format", "md").stdout
    assert "Dispute dashboard" in markdown and "Refund tickets down by a third" in markdown


@pytest.mark.parametrize("team_name", ["payments", "onboarding", "platform", "mobile"])
def test_every_sample_retro_shows_the_report_figures(
    team_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / f"{team_name}.jsonl"
    log.write_bytes((resource_dir("sample_data") / f"{team_name}.jsonl").read_bytes())
    monkeypatch.setenv("RETRO_LOG", str(log))
    monkeypatch.setenv("RETRO_TEAM", team_name)
    assert not config_path().exists()
    rows = report_rows()
    retros = [r for r in Repository(log, author="x", team="x").load().all()
              if r["kind"] == "retro"]  # fmt: skip
    assert len(retros) >= 6
    for retro in retros:
        summary = summary_json(retro["id"])
        assert_agree(summary, rows[retro["id"]])


async def test_home_shows_the_summary_figures_of_every_sample_retro(sample_config: Path) -> None:
    app = RetroApp(Settings(config_file=sample_config), poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.shown,
                       "home filled")  # fmt: skip
        ratios = await home_ratios(app)
    assert len(ratios) >= 6
    rows = report_rows()
    for retro_id, ratio in ratios.items():
        summary = summary_json(retro_id)
        assert ratio == expected_ratio(summary)
        assert_agree(summary, rows[retro_id])
