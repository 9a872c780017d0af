"""Formats in the app: a retro runs its format's steps, keeps them when resumed, and the
decision review records lessons and actions about each decision in play."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import Input

from retro.config import Settings
from retro.store import Repository
from retro.tui.app import RetroApp
from retro.tui.screens.help import HelpScreen
from retro.tui.widgets import StepBar
from tests.screens import screen_text
from tests.test_tui import (
    SIZE,
    seed_decision,
    settings as settings,  # the fixture, shared
    type_text,
    wait_for_step,
)

CHECK_STEPS = ("frame", "follow-ups", "outcomes", "actions", "summary")
CHECK_BAR = "1 Frame › 2 Follow-ups › 3 Outcomes › 4 Actions › 5 Summary"


def step_bar(shown: str) -> str:
    """The step bar's line of the screen."""
    return next(line for line in shown.splitlines() if "1 Frame" in line).strip()


def seed_last_sprint(settings: Settings, **fields: object) -> str:
    """A retro of the sprint before the current one (26 Oct to 8 Nov), with an open action."""
    repo = Repository(settings.log, author="Ana", team="payments")
    at = datetime(2026, 11, 6, 12, tzinfo=UTC)
    retro = repo.add("retro", "Retro 26 Oct – 8 Nov", at=at, fields={
        "period_start": "2026-10-26", "period_end": "2026-11-08", "status": "closed", **fields})
    repo.add("action", "Give every flag an owner", retro=retro["id"], at=at,
             fields={"owner": "Bo", "expected_outcome": "no stale flags"})  # fmt: skip
    return str(retro["id"])


def saved(settings: Settings) -> dict[str, list[dict]]:
    by_kind: dict[str, list[dict]] = {}
    for rec in Repository(settings.log, author="x", team="payments").load().all():
        by_kind.setdefault(rec["kind"], []).append(rec)
    return by_kind


async def test_the_outcome_check_runs_its_five_steps_and_keeps_them(settings: Settings) -> None:
    seed_last_sprint(settings)
    app = RetroApp(settings, start="run", fmt="outcome-check", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_step(pilot, "frame")
        assert app.screen.query_one(StepBar).steps == CHECK_STEPS
        shown = screen_text(app)
        assert step_bar(shown) == CHECK_BAR
        assert "Two minutes: who is here" in shown  # the format's prompt
        visited = ["frame"]
        for step in CHECK_STEPS[1:]:
            await pilot.press("pagedown")
            await wait_for_step(pilot, step)
            visited.append(step)
            if step == "outcomes":
                assert "3. Outcomes" in screen_text(app)
                await type_text(pilot, "Refunds settle in a day")
                await pilot.press("enter")
                await pilot.pause(0.1)
        assert visited == list(CHECK_STEPS)
        await pilot.press("pagedown")  # the last step stays
        await wait_for_step(pilot, "summary")
        await pilot.press("pageup")
        await wait_for_step(pilot, "actions")
        await pilot.press("f1")  # (? would be typed into the form)
        await pilot.pause(0.2)
        assert isinstance(app.screen, HelpScreen)
        help_shown = screen_text(app)
        assert "20-minute outcome check, step by step" in help_shown
        assert "3 Outcomes" in help_shown and "Dependencies " not in help_shown
    [retro] = [r for r in saved(settings)["retro"] if r["period_start"] == "2026-11-09"]
    assert retro["format"] == "outcome-check" and retro["step"] == "actions"
    [outcome] = [o for o in saved(settings)["outcome"]]
    assert outcome["retro"] == retro["id"]

    # Resumed without --format: the sprint's retro, with its own steps, where it was left.
    app = RetroApp(settings, start="run", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_step(pilot, "actions")
        assert app.screen.query_one(StepBar).steps == CHECK_STEPS
        assert step_bar(screen_text(app)) == CHECK_BAR
        assert "4. Actions" in screen_text(app)


async def test_another_format_in_the_same_sprint_is_a_retro_of_its_own(settings: Settings) -> None:
    app = RetroApp(settings, start="run", fmt="incident-review", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_step(pilot, "frame")
        await pilot.press("pagedown")
        await wait_for_step(pilot, "dependencies")  # its second step
        await type_text(pilot, "Payment gateway status page")
        await pilot.press("enter")
        await pilot.pause(0.1)
    app = RetroApp(settings, start="run", fmt="outcome-retro", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_step(pilot, "frame")  # a new retro: the incident review is not resumed
        assert len(app.screen.query_one(StepBar).steps) == 9
    retros = saved(settings)["retro"]
    assert [r["format"] for r in retros] == ["incident-review"]  # the other is a draft still


async def test_the_decision_review_records_a_lesson_applying_to_a_decision(
    settings: Settings,
) -> None:
    decision = seed_decision(settings)
    other = Repository(settings.log, author="Cy", team="mobile")
    other.add("outcome", "Self-serve sign-ups up 12%", links=[decision],
              fields={"observed": "12%", "evidence": "signup dashboard"})  # fmt: skip
    other.add("outcome", "Fewer sales calls", links=[decision])  # awaiting evidence
    seed_last_sprint(settings, decisions=[decision])  # in play: carried over to this retro
    app = RetroApp(settings, start="run", fmt="decision-review", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_step(pilot, "frame")
        await pilot.press("pagedown")
        await wait_for_step(pilot, "decisions")
        shown = screen_text(app)
        assert "2. Decisions" in shown
        assert "Grow self-serve revenue to 40%" in shown
        assert "Outcomes that reinforce it: 2, 1 arrived, 1 awaiting evidence" in shown
        assert "Self-serve sign-ups up 12%" in shown and "1 of 2" in shown
        await pilot.press("enter")  # on the decision: on to its lesson
        assert app.screen.focused is app.screen.query_one("#decision-lesson", Input)
        await type_text(pilot, "Sign-ups follow; revenue lags a quarter")
        await pilot.press("enter")
        await pilot.press("tab")
        await type_text(pilot, "Rewrite the criterion as revenue per sign-up")
        await pilot.press("enter")
        await pilot.pause(0.2)
        shown = screen_text(app)
        assert "Lessons on it: 1" in shown and "Actions on it: 1" in shown
        assert "Sign-ups follow; revenue lags a quarter" in shown
    by_kind = saved(settings)
    [retro] = [r for r in by_kind["retro"] if r["period_start"] == "2026-11-09"]
    assert retro["format"] == "decision-review" and retro["decisions"] == [decision]
    [lesson] = by_kind["lesson"]
    assert lesson["applies_to"] == [decision] and lesson["retro"] == retro["id"]
    assert lesson["learned_at"].startswith("2026-11-20T15:00:00")
    [action] = [a for a in by_kind["action"] if a["retro"] == retro["id"]]
    assert action["text"] == "Rewrite the criterion as revenue per sign-up"
    assert action["links"] == [decision] and action["status"] == "open"


async def test_the_decision_review_without_decisions_says_where_to_pick_them(
    settings: Settings,
) -> None:
    app = RetroApp(settings, start="run", fmt="decision-review", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_step(pilot, "frame")
        await pilot.press("pagedown")
        await wait_for_step(pilot, "decisions")
        assert "No decisions in play: pick them in the frame (PgUp)." in screen_text(app)
