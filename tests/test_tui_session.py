"""The app's shape: screens that never import the app nor reach the store, a session
that announces each change of the log once, and writes that fail in one line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from retro.config import Settings
from retro.store import Repository
from retro.tui.app import RetroApp
from retro.tui.screens.home import HomeScreen
from retro.tui.session import Session
from tests.test_tui import (
    SIZE,
    settings as settings,  # the fixture, shared
    wait_for_step,
)

TUI = Path(__file__).parents[1] / "retro" / "tui"


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, TYPE_CHECKING ones too."""
    package = ".".join(path.relative_to(TUI.parents[1]).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module or ""]))
            found |= {module, *(f"{module}.{alias.name}" for alias in node.names)}
    return found


def attributes(path: Path) -> set[str]:
    return {n.attr for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Attribute)}


SCREENS = sorted((TUI / "screens").rglob("*.py"))


@pytest.mark.parametrize("path", SCREENS, ids=lambda p: str(p.relative_to(TUI)))
def test_a_screen_never_imports_the_app_nor_reaches_the_store(path: Path) -> None:
    modules = imported(path)
    assert not {m for m in modules if m == "retro.tui.app" or m.startswith("retro.tui.app.")}
    assert not {m for m in modules if m == "retro.store" or m.startswith("retro.store.")}
    assert not attributes(path) & {"repo", "storage"}, "screens ask the session"


def test_the_checks_see_what_they_look_for() -> None:
    """The app itself imports the screens and reaches the store through the session."""
    assert "retro.tui.screens.home.HomeScreen" in imported(TUI / "app.py")
    assert "repo" in attributes(TUI / "session.py")
    assert len(SCREENS) >= 10


def test_the_session_holds_no_textual() -> None:
    assert not {m for m in imported(TUI / "session.py") if m.split(".")[0] in ("textual", "rich")}


def test_the_session_announces_each_change_of_the_log_once(settings: Settings) -> None:
    session = Session(settings)
    session.load()
    told: list[int] = []
    session.listen(lambda: told.append(session.repo.version))
    draft = session.start_retro("current")
    assert session.retro_id is None and draft["period_start"] == "2026-11-09"
    output = session.add_entry("output", "One-click refunds", {"owner": None}, [])
    assert len(told) == 1  # the retro, then the entry: two appends, one announcement
    assert session.retro_id is not None and output["retro"] == session.retro_id
    assert "owner" not in output
    assert not session.edit_entry(output["id"], "One-click refunds", {}, [])
    assert len(told) == 1  # nothing changed: nothing to show
    session.remember_step("outputs")
    assert len(told) == 1  # bookkeeping only
    Repository(settings.log, author="Bo", team="payments").add("lesson", "Flags need owners")
    assert session.refresh() and len(told) == 2
    assert not session.refresh() and len(told) == 2
    gone = session.remove_entry(output["id"])
    assert session.last_deleted == gone["id"] and session.retro_entries(["output"]) == []
    assert session.restore_last()["text"] == "One-click refunds" and len(told) == 4
    assert session.toggle_closed() == "closed" and session.retro["status"] == "closed"


def corrupt(log: Path) -> str:
    """Make every later append fail: the file is no longer a retro log. Its message."""
    log.write_bytes(b"team,text\n")
    return f"{log} is not a retro log"


def last_note(app: RetroApp) -> str:
    return [note.message for note in app._notifications][-1]


async def test_moving_or_closing_when_the_log_cannot_be_written_says_so(
    settings: Settings,
) -> None:
    repo = Repository(settings.log, author="Ana", team="payments")
    retro = repo.add("retro", "Sprint 6", fields={
        "period_start": "2026-11-09", "period_end": "2026-11-22", "status": "open",
        "step": "summary"})  # fmt: skip
    app = RetroApp(settings, poll=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause(0.3)
        app.open_retro(retro["id"])
        await wait_for_step(pilot, "summary")
        message = corrupt(settings.log)
        for key in ("enter", "pageup"):  # close the retro; go to the previous step
            await pilot.press(key)
            await pilot.pause(0.1)
            assert app.is_running and message in last_note(app), key
            assert getattr(app.screen, "STEP", None) == "summary"  # stayed where it was


async def test_starting_a_retro_with_a_broken_cadence_says_so(settings: Settings) -> None:
    settings.config["sprint_length"] = "fortnightly-ish"
    app = RetroApp(settings, poll=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause(0.3)
        await pilot.press("s")
        await pilot.pause(0.1)
        assert app.is_running and isinstance(app.screen, HomeScreen)
        assert "the sprint cadence in" in last_note(app) and "is not valid" in last_note(app)


def test_a_drafted_retro_is_recorded_at_the_step_it_is_at(settings: Settings) -> None:
    """A check-in into the current retro from another terminal lands in the step the
    facilitator is at, even when the retro was written by that step's first entry."""
    session = Session(settings)
    session.load()
    session.start_retro("current")
    session.remember_step("outputs")
    assert session.retro_id is None  # still a draft: looking at a step writes nothing
    session.add_entry("output", "One-click refunds", {}, [])
    assert session.retro is not None and session.retro["step"] == "outputs"
