"""Keys as a terminal delivers them: pickers that pick at once, fast keys, pastes, the jump key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from retro.config import Settings
from retro.model import Record
from retro.store import Repository
from retro.tui.app import RetroApp
from retro.tui.screens.steps import StepScreen
from retro.tui.widgets import CheckList, EntryTable, Picker
from tests.screens import burst

SIZE = (110, 40)
@pytest.fixture
def settings(sample_config: Path) -> Settings:
    return Settings(config_file=sample_config)


async def until(pilot: Pilot[None], ready: Callable[[], object], what: str) -> None:
    """Wait (briefly) until ``ready()`` is true."""
    for _ in range(60):
        await pilot.pause(0.05)
        if ready():
            return
    raise AssertionError(f"never happened: {what}")


async def open_step(pilot: Pilot[None], step: str) -> StepScreen:
    """Open the sample team's retro at ``step``, once its lists are filled."""
    app = pilot.app
    assert isinstance(app, RetroApp)
    await until(pilot, lambda: isinstance(app.screen, StepScreen) and app.screen.ready, "a step")
    app.goto_step(step)
    await until(pilot, lambda: getattr(app.screen, "STEP", "") == step and app.screen.ready, step)
    await pilot.pause(0.1)
    assert isinstance(app.screen, StepScreen)
    return app.screen


def value(screen: StepScreen, selector: str) -> str:
    return screen.query_one(selector, Input).value


def lines(picker: Picker) -> list[str]:
    """The picker's list as drawn, as plain text: no colour to tell the state by."""
    listing = picker.query_one(CheckList)
    return [listing.render_line(y).text.rstrip() for y in range(listing.option_count)]


def entries(settings: Settings, kind: str) -> list[Record]:
    repo = Repository(settings.log, author="x", team="payments").load()
    return [r for r in repo.all() if r["kind"] == kind]


async def test_space_picks_the_first_item_at_once_and_saving_links_it(settings: Settings) -> None:
    app = RetroApp(settings, start="run", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "outcomes")
        outputs = screen.query_one("#field-outputs", Picker)
        decisions = screen.query_one("#field-decisions", Picker)
        first_output, first_decision = outputs.choices[0], decisions.choices[0]
        before = len(entries(settings, "outcome"))
        await pilot.press(*"Refunds settle in a day")
        outputs.query_one(CheckList).focus()
        await pilot.press("space")  # no Down first
        decisions.query_one(CheckList).focus()
        await pilot.press("space")
        await pilot.pause(0.1)
        chosen, other = lines(outputs)[:2]
        assert chosen.startswith("[x] ") and first_output[1].startswith(chosen[4:].rstrip("…"))
        assert other.startswith("[ ] ")
        assert lines(decisions)[0].startswith("[x] ")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(entries(settings, "outcome")) > before, "the outcome saved")
    [outcome] = [o for o in entries(settings, "outcome") if o["text"].startswith("Refunds")]
    assert outcome["links"] == [first_output[0], first_decision[0]]


async def test_typing_in_a_picker_filters_it_and_space_picks_the_top_match(
    settings: Settings,
) -> None:
    app = RetroApp(settings, start="run", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "outcomes")
        picker = screen.query_one("#field-decisions", Picker)
        listing = picker.query_one(CheckList)
        listing.focus()
        await pilot.press(*"self", "space")
        await pilot.pause(0.1)
        assert picker.query_one(Input).value == "self"
        [(rid, text)] = [c for c in picker.choices if "self-serve" in c[1]]
        assert picker.selected == [rid]
        assert screen.focused is listing  # the filter is no stop of its own
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await pilot.pause(0.1)
        assert listing.option_count == len(picker.choices)
        assert f"[x] {text}" in lines(picker)


async def test_keys_right_after_tab_land_in_the_next_field(settings: Settings) -> None:
    app = RetroApp(settings, start="run", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "frame")
        screen.query_one("#new-decision").focus()
        await pilot.pause(0.05)
        burst(app, "a1\tb1\tc1")
        await until(pilot, lambda: value(screen, "#new-review") == "c1", "the third field")
        assert (value(screen, "#new-decision"), value(screen, "#new-criteria")) == ("a1", "b1")

        screen = await open_step(pilot, "outcomes")
        burst(app, "o1\tw1\tm1\tb1")
        await until(pilot, lambda: value(screen, "#field-baseline") == "b1", "the fourth field")
        fields = ("#field-text", "#field-for_whom", "#field-metric")
        assert [value(screen, f) for f in fields] == ["o1", "w1", "m1"]


async def test_keys_right_after_enter_start_the_next_entry(settings: Settings) -> None:
    app = RetroApp(settings, start="run", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_step(pilot, "outputs")
        before = len(entries(settings, "output"))
        burst(app, "One-click refunds\rDispute dashboard\rChargeback")
        await until(pilot, lambda: len(entries(settings, "output")) == before + 2, "two saved")
        await pilot.pause(0.1)
        assert value(app.screen, "#field-text") == "Chargeback"  # type: ignore[arg-type]
    texts = [o["text"] for o in entries(settings, "output")][-2:]
    assert texts == ["One-click refunds", "Dispute dashboard"]


async def test_a_paste_with_tabs_fills_the_fields_in_order(settings: Settings) -> None:
    app = RetroApp(settings, start="run", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "outcomes")
        app.post_message(events.Paste("Disputes settle in a day\tmerchants\tdays to settle"))
        await until(pilot, lambda: value(screen, "#field-metric"), "the third field")
        assert value(screen, "#field-text") == "Disputes settle in a day"
        assert value(screen, "#field-for_whom") == "merchants"
        assert value(screen, "#field-metric") == "days to settle"
        assert screen.focused is screen.query_one("#field-metric")


async def test_the_jump_key_goes_to_the_saved_entries_and_back(settings: Settings) -> None:
    app = RetroApp(settings, start="run", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "outcomes")
        await pilot.press("tab", "tab")
        assert screen.focused is screen.query_one("#field-metric")
        shown_keys = {b.binding.key: b.binding.description for b in screen.active_bindings.values()
                      if b.binding.show}  # fmt: skip
        assert shown_keys["ctrl+t"] == "Table"  # in the footer
        await pilot.press("ctrl+t")
        assert screen.focused is screen.query_one("#entries", EntryTable)
        await pilot.press("ctrl+t")
        assert screen.focused is screen.query_one("#field-metric")
