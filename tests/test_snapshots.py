"""Snapshots of the main screens, on the payments sample log with a frozen clock.

Review a failing snapshot in the report pytest writes (``snapshot_report.html``) and accept
a deliberate change with ``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label

from retro.config import Settings
from retro.store import Repository
from retro.tui.app import RetroApp
from retro.tui.screens.checkin import CheckinScreen
from retro.tui.screens.help import HelpScreen
from retro.tui.screens.home import HomeScreen
from retro.tui.screens.room import RoomScreen
from retro.tui.screens.steps import StepScreen
from retro.tui.widgets import Picker

NOW = "2026-11-20T15:00:00+01:00"  # a Friday in sprint 6 (2026-11-09 – 2026-11-22)
SIZE = (100, 30)
SMALL = (80, 24)
SPRINT_6 = "357c0cef-8cc0-4e24-a05c-7f8ea9b144ae"  # the payments team's retro of sprint 6
WAIT_STEPS = 200  # pauses of 0.05 s: ten seconds for a busy machine

Compare = Callable[..., bool]
RunBefore = Callable[[Pilot[None]], Awaitable[None]]


@pytest.fixture
def settings(sample_config: Path) -> Settings:
    """The payments sample log, its cadence, a clock in its sixth sprint."""
    return Settings(config_file=sample_config)


async def settle(pilot: Pilot[None], ready: Callable[[Any], bool], what: str) -> None:
    """Pause until ``ready(screen)`` holds, then stop the cursors blinking."""
    for _ in range(WAIT_STEPS):
        await pilot.pause(0.05)
        screen = pilot.app.screen
        if getattr(pilot.app, "loaded", False) and getattr(screen, "ready", False) and \
                ready(screen) and filled(screen):  # fmt: skip
            break
    else:
        raise AssertionError(f"never showed {what}: on {pilot.app.screen!r}")
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False  # a blinking cursor would make the snapshot flaky
    await pilot.pause()


def filled(screen: Any) -> bool:
    """True once the screen shows the log (its tables and counts are filled)."""
    if isinstance(screen, HomeScreen):
        return screen.shown
    if isinstance(screen, StepScreen):
        return bool(str(screen.query_one("#count-outputs", Label).content))
    if isinstance(screen, CheckinScreen):
        return bool(screen.query_one("#ask-decisions", Picker).choices)
    return True


async def on_home(pilot: Pilot[None]) -> None:
    await settle(pilot, lambda screen: isinstance(screen, HomeScreen), "home")


def at_step(step: str) -> RunBefore:
    """Open the sprint-6 retro at ``step`` once the log is loaded."""

    async def run_before(pilot: Pilot[None]) -> None:
        await on_home(pilot)
        app = pilot.app
        assert isinstance(app, RetroApp)
        app.open_retro(SPRINT_6, step)
        await settle(pilot, lambda s: isinstance(s, StepScreen) and s.STEP == step, step)

    return run_before


def test_home(snap_compare: Compare, settings: Settings) -> None:
    """Home: six payments retros (sprint 6 on top), follow-ups due on the right, the buttons."""
    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=on_home)


def test_home_small(snap_compare: Compare, settings: Settings) -> None:
    """Home at 80x24: both panes with every column, the three buttons and the footer fit."""
    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SMALL, run_before=on_home)


def test_step_frame(snap_compare: Compare, settings: Settings) -> None:
    """Step 1, Frame: period, facilitator, participants, focus and the decisions in play."""
    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=at_step("frame"))


def test_step_follow_ups(snap_compare: Compare, settings: Settings) -> None:
    """Step 2, Follow-ups: sprint 5's actions with status and "moved?", and the form below."""
    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=at_step("follow-ups"))


def test_step_outputs(snap_compare: Compare, settings: Settings) -> None:
    """Step 3, Outputs: the empty form, then sprint 6's outputs and whether each has an outcome."""
    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=at_step("outputs"))


def test_step_outcomes(snap_compare: Compare, settings: Settings) -> None:
    """Step 4, Outcomes: the outcome form with its pickers, the outcomes, the orphan outputs."""
    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=at_step("outcomes"))


def test_step_risks(snap_compare: Compare, settings: Settings) -> None:
    """Step 5, Risks: the risk form and sprint 6's risks with scores before, after, reduced."""
    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=at_step("risks"))


def test_step_lessons(snap_compare: Compare, settings: Settings) -> None:
    """Step 6, Lessons: the lesson form and sprint 6's lessons, late ones flagged."""
    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=at_step("lessons"))


def test_step_dependencies(snap_compare: Compare, settings: Settings) -> None:
    """Step 7, Dependencies: the form and sprint 6's dependencies, late ones flagged."""
    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=at_step("dependencies"))


def test_step_actions(snap_compare: Compare, settings: Settings) -> None:
    """Step 8, Actions: the form and sprint 6's actions with owner, due date, expected outcome."""
    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=at_step("actions"))


def test_step_summary(snap_compare: Compare, settings: Settings) -> None:
    """Step 9, Summary: sprint 6's figures, the lists, and "Reopen the retro" (it is closed)."""
    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=at_step("summary"))


def test_checkin(snap_compare: Compare, settings: Settings) -> None:
    """Quick check-in over home: three questions, scores, when, the decisions, Save/Cancel."""

    async def run_before(pilot: Pilot[None]) -> None:
        await on_home(pilot)
        await pilot.press("c")
        await settle(pilot, lambda screen: isinstance(screen, CheckinScreen), "the check-in")

    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_checkin_standalone(snap_compare: Compare, settings: Settings) -> None:
    """The check-in form on its own (`retro checkin` with no text), decisions listed."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot, lambda screen: isinstance(screen, CheckinScreen), "the check-in")

    app = RetroApp(settings, start="checkin", poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare: Compare, settings: Settings) -> None:
    """Help over home: the keys, the nine steps and the words, in a bordered box."""

    async def run_before(pilot: Pilot[None]) -> None:
        await on_home(pilot)
        await pilot.press("question_mark")
        for _ in range(WAIT_STEPS):
            await pilot.pause(0.05)
            if isinstance(pilot.app.screen, HelpScreen):
                break
        else:
            raise AssertionError(f"help never opened: on {pilot.app.screen!r}")

    app = RetroApp(settings, poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_room_revealed(snap_compare: Compare, settings: Settings) -> None:
    """A participant's screen once the room's cards are revealed: the phase and its timer,
    every card of the step, the near-duplicates suggested, who is in the room."""
    repo = Repository(settings.log, author="Fay", team="payments")
    repo.edit(SPRINT_6, fields={"status": "open", "step": "risks", "phase": "reveal",
                                "phase_started_at": "2026-11-20T14:58:00+01:00",
                                "phase_ends_at": "2026-11-20T15:01:30+01:00"})  # fmt: skip
    for minute, (who, text) in enumerate([("Ana", "Chargeback fines from the old processor"),
                                          ("Bo", "Chargeback fines: the old processor"),
                                          ("Cy", "On-call paged at night by retries")]):
        repo.author = who
        repo.add("risk", text, retro=SPRINT_6, at=datetime.fromisoformat(
            f"2026-11-20T14:5{minute}:00+01:00"))  # fmt: skip
    for who, role in (("Fay", "facilitator"), ("Bo", "participant")):
        repo.author = who
        repo.add("presence", who, retro=SPRINT_6, fields={
            "role": role, "seen_at": "2026-11-20T14:59:00+01:00"})  # fmt: skip

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot, lambda screen: isinstance(screen, RoomScreen), "the room")

    app = RetroApp(settings, start="join", name="Ana", poll=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
