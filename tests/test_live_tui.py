"""The live retro's screens driven through Textual's Pilot: one app on the screen, the rest of
the room as plain rooms over the same log (tests/test_live_room_processes.py runs every
person as an app of their own, in separate processes)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from textual.widgets import LoadingIndicator

from retro.config import Settings
from retro.store import Repository
from retro.tui.app import RetroApp
from retro.tui.room import Room
from retro.tui.room_widgets import CardList
from retro.tui.screens.room import RoomScreen
from retro.tui.screens.steps import EntryStep, StepScreen
from retro.tui.session import Session
from tests.screens import burst, screen_text
from tests.test_tui import (
    NOW,
    settings as settings,  # the fixture, shared: Ana's
)

SIZE = (110, 34)


def person(settings: Settings, name: str, role: str = "participant") -> Room:
    """Someone else in the room: a room over a session of their own on the same log."""
    session = Session(settings)
    session.load()
    session.loaded = True
    return Room(session, name=name, role=role)  # type: ignore[arg-type]


def facilitator_at(settings: Settings, step: str = "outcomes", fmt: str = "outcome-retro") -> Room:
    """Fay, who opened this sprint's retro at ``step`` and starts its exercise."""
    fay = person(settings, "Fay", "facilitator")
    fay.session.start_retro("current", fmt)
    fay.session.saved_retro()
    fay.session.remember_step(step)
    return fay


def ana_joins(settings: Settings) -> RetroApp:
    """Ana's `retro join` (the test polls the log for it: see :func:`settle`)."""
    return RetroApp(settings, start="join", name="Ana", poll=False)


def ana_writing(settings: Settings) -> tuple[Room, RetroApp]:
    """Fay, running the outcomes step as a group exercise, and Ana's `retro join` to it."""
    fay = facilitator_at(settings)
    fay.start_exercise()  # the outcomes step writes for five minutes
    return fay, ana_joins(settings)


async def settle(app: RetroApp, pilot: object, seconds: float = 0.2) -> None:
    """Let the app read what the others appended, and draw it."""
    app.poll()
    await pilot.pause(seconds)  # type: ignore[attr-defined]


async def test_a_participant_writes_silently_then_sees_every_card(settings: Settings) -> None:
    app = ana_joins(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        assert "Waiting for the facilitator" in screen_text(app)
        fay = facilitator_at(settings)
        bo = person(settings, "Bo")
        fay.start_exercise()
        await settle(app, pilot)
        assert isinstance(app.screen, RoomScreen)
        assert "writing silently" in screen_text(app)
        burst(app, "Refunds settle in a day\r")
        await pilot.pause(0.2)
        bo.session.refresh()
        bo.add_card("Chargebacks down by half")
        await settle(app, pilot)
        text = screen_text(app)
        assert "Refunds settle in a day" in text and "2 cards (1 yours)" in text
        assert "Chargebacks" not in text  # the others' cards stay hidden while writing
        fay.session.refresh()
        fay.next_phase()
        await settle(app, pilot)
        assert "Chargebacks down by half" in screen_text(app)
    cards = Repository(settings.log, author="x", team="payments").find(kinds=["outcome"])
    assert {(c["text"], c["author"]) for c in cards} == {
        ("Refunds settle in a day", "Ana"), ("Chargebacks down by half", "Bo")}  # fmt: skip


async def test_votes_stay_hidden_until_the_vote_is_closed(settings: Settings) -> None:
    fay = facilitator_at(settings)
    fay.start_exercise()
    cards = {c["id"]: c["text"] for c in (fay.add_card("Checkout is faster"),
                                          fay.add_card("Fewer refund tickets"))}  # fmt: skip
    for _ in range(3):  # write, reveal, group: now voting
        fay.next_phase()
    app = ana_joins(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)
        assert "voting" in screen_text(app)
        chosen = app.screen.query_one(CardList).current
        assert chosen in cards
        other = next(rid for rid in cards if rid != chosen)
        await pilot.press("plus", "plus")  # two dots on the highlighted card
        bo = person(settings, "Bo")
        bo.vote(chosen, 1)
        bo.vote(other, 1)
        await settle(app, pilot)
        text = screen_text(app)
        assert "1 of 3 dots left" in text
        assert f"● ● {cards[chosen]}" in text and "●●" not in text and "3●" not in text
        fay.session.refresh()
        fay.next_phase()  # the vote closes: everyone sees the counts
        await settle(app, pilot)
        text = screen_text(app)
        assert f"3● {cards[chosen]}" in text and f"1● {cards[other]}" in text
        assert text.index(cards[chosen]) < text.index(cards[other])  # most dots first
    votes = Repository(settings.log, author="x", team="payments").find(kinds=["vote"])
    assert sorted((v["text"], len(v["dots"])) for v in votes) == [("Ana", 2), ("Bo", 2)]


async def test_the_facilitator_runs_the_exercise_with_keys(settings: Settings) -> None:
    settings.config["author"] = "Fay"
    Repository(settings.log, author="Fay", team="payments").add("output", "seed")
    app = RetroApp(settings, start="run", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)
        app.goto_step("outcomes")
        await pilot.pause(0.3)
        assert isinstance(app.screen, EntryStep)
        await pilot.press("f7")  # a group exercise: the room's screen, writing silently
        await pilot.pause(0.3)
        assert isinstance(app.screen, RoomScreen)
        assert "writing silently" in screen_text(app)
        bo = person(settings, "Bo")
        bo.join()
        bo.add_card("Disputes settle in a day")
        bo.add_card("disputes now settle within a day")
        await settle(app, pilot)
        assert "Bo" in screen_text(app) and "2 cards (0 yours)" in screen_text(app)
        await pilot.press("f5")
        await pilot.pause(0.3)
        assert "Alike:" in screen_text(app)  # near-duplicates suggested
        await pilot.press("s")  # fold the suggestion
        await pilot.pause(0.3)
        await pilot.press("f5", "f5", "f5")  # group, vote, discuss
        await pilot.pause(0.4)
        assert isinstance(app.screen, EntryStep)  # discussing: the step's own form
        assert "most dots first" in screen_text(app)
        await pilot.press("f5")  # after the discussion: the next step
        await pilot.pause(0.4)
        assert app.session.retro is not None and app.session.retro["step"] == "risks"
    cards = Repository(settings.log, author="x", team="payments").find(kinds=["outcome"])
    members = [c for c in cards if c.get("group_of")]
    assert len(cards) == 2 and len(members) == 1


async def test_a_participant_can_do_only_what_a_participant_does(settings: Settings) -> None:
    _, app = ana_writing(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert titles <= {"Help", "Quit", "Keys", "Theme"}
        for key in ("f5", "f7", "escape", "pagedown", "c", "s"):
            await pilot.press(key)
        await pilot.pause(0.2)
        assert isinstance(app.screen, RoomScreen)
        retro = app.session.retro
        assert retro is not None and retro["phase"] == "write" and retro["step"] == "outcomes"
        before = set(Path(settings.log).parent.iterdir())
        app.action_screenshot()
        assert set(Path(settings.log).parent.iterdir()) == before


async def test_an_anonymous_retro_records_no_author(settings: Settings) -> None:
    fay = facilitator_at(settings)
    fay.session.save_frame({"cards": "anonymous"})
    fay.start_exercise()
    app = ana_joins(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)
        burst(app, "Nobody knows who wrote this\r")
        await pilot.pause(0.3)
        assert "1 card (1 yours)" in screen_text(app)  # still known here as Ana's
    line = next(ln for ln in Path(settings.log).read_text().splitlines() if "Nobody knows" in ln)
    card = Repository(settings.log, author="x", team="payments").find(kinds=["outcome"])[0]
    assert card["author"] == "" and "Ana" not in line


async def test_the_timer_counts_down_and_rings_once(settings: Settings) -> None:
    now = [datetime.fromisoformat(NOW)]
    settings.__dict__["clock"] = lambda: now[0]  # a clock the test moves
    fay, app = ana_writing(settings)
    rung: list[bool] = []
    app.bell = lambda: rung.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)
        assert "05:00 left" in screen_text(app)
        now[0] += timedelta(minutes=4, seconds=30)
        await pilot.pause(1.2)
        assert "00:30 left" in screen_text(app) and not rung
        now[0] += timedelta(minutes=1)
        await pilot.pause(2.3)  # two ticks past the end: one bell
        assert "time's up" in screen_text(app) and rung == [True]
        assert any("Time's up" in str(n.message) for n in app._notifications)
        fay.session.refresh()
        fay.extend(1)  # one more minute, from now
        await settle(app, pilot)
        assert "01:00 left" in screen_text(app)


async def test_a_participant_changes_their_own_card_not_others(settings: Settings) -> None:
    fay = facilitator_at(settings)
    fay.start_exercise()
    fay.session.save_frame({"phase": None})  # an open board: every card shown, all may write
    fay.add_card("Fay's card")
    app = ana_joins(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)
        burst(app, "Refunds setle in a day\r")
        await pilot.pause(0.2)
        cards = app.screen.query_one(CardList)
        for target, refused in (("Fay's card", True), ("Refunds setle", False)):
            cards.focus()
            cards.highlighted = next(n for n in range(cards.option_count)
                                     if target in str(cards.get_option_at_index(n).prompt))
            before = len(app._notifications)
            await pilot.press("enter")
            await pilot.pause(0.2)
            said = [str(n.message) for n in list(app._notifications)[before:]]
            assert any("Only your own" in m for m in said) == refused
        await pilot.press("home", *["right"] * len("Refunds set"))
        burst(app, "t\r")  # "setle" → "settle"
        await pilot.pause(0.3)
    texts = {c["text"] for c in Repository(settings.log, author="x", team="p").find(
        kinds=["outcome"])}  # fmt: skip
    assert texts == {"Fay's card", "Refunds settle in a day"}


async def test_a_large_suggested_group_is_named_by_its_first_cards(settings: Settings) -> None:
    fay = facilitator_at(settings)
    fay.start_exercise()
    for number in range(1, 6):
        fay.add_card(f"Refunds {number}")
    fay.next_phase()  # reveal: the five are alike
    app = ana_joins(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)
        text = screen_text(app)
        named = r"“Refunds \d”"
        assert re.search(rf"Alike: {named} \+ {named} \+ {named} \+ 2 more", text), text


async def test_the_facilitators_app_animates_nothing_behind_the_retro(settings: Settings) -> None:
    app = RetroApp(settings, start="run", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)
        assert isinstance(app.screen, StepScreen)  # the retro, in front of home
        spinning = [w for screen in app.screen_stack for w in screen.query(LoadingIndicator)
                    if w.display]  # fmt: skip
        assert not spinning  # home's, behind, would redraw 16 times a second all along
        app.go_home()
        await pilot.pause(0.2)
        assert "Retros of payments" in screen_text(app)


async def test_joining_under_the_facilitators_name_is_refused(settings: Settings) -> None:
    """Everyone on one machine shares a config: `retro join` without --name would take the
    facilitator's name, and with it her presence and her votes. It says so and quits."""
    fay = facilitator_at(settings)
    fay.start_exercise()
    fay.join()
    app = RetroApp(settings, start="join", name="Fay", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.6)
    assert app.return_code == 2
    presences = Repository(settings.log, author="x", team="p").find(kinds=["presence"])
    assert [(p["text"], p["role"]) for p in presences] == [("Fay", "facilitator")]


async def test_a_change_not_saved_is_dropped_when_the_room_moves_on(settings: Settings) -> None:
    fay, app = ana_writing(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)
        burst(app, "First card\r")
        await pilot.pause(0.2)
        app.screen.query_one(CardList).focus()
        await pilot.press("enter")  # the card comes back to be changed…
        await pilot.pause(0.2)
        fay.session.refresh()
        fay.next_phase()
        fay.stop_exercise()  # …but the room moves on: an open board again
        await settle(app, pilot)
        burst(app, "Second card\r")
        await pilot.pause(0.3)
    texts = sorted(c["text"] for c in Repository(settings.log, author="x", team="p").find(
        kinds=["outcome"]))  # fmt: skip
    assert texts == ["First card", "Second card"]  # a new card, not the first one changed


async def test_a_closed_retro_thanks_the_room(settings: Settings) -> None:
    fay, app = ana_writing(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)
        assert "writing silently" in screen_text(app)
        fay.session.refresh()
        fay.session.toggle_closed()
        await settle(app, pilot)
        assert "The retro is closed: thank you" in screen_text(app)
        await settle(app, pilot)  # and it stays said
        assert "The retro is closed: thank you" in screen_text(app)


async def test_a_facilitator_back_in_a_running_exercise_is_in_the_room(
    settings: Settings,
) -> None:
    """Her app was closed while the room wrote: `retro run` brings her back to the room's
    screen, and the room sees her there."""
    facilitator_at(settings).start_exercise()
    app = RetroApp(settings, start="run", poll=False)  # Ana's, who runs the retro now
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.6)
        assert isinstance(app.screen, RoomScreen) and "writing silently" in screen_text(app)
    presences = Repository(settings.log, author="x", team="p").find(kinds=["presence"])
    assert [(p["text"], p["role"]) for p in presences] == [("Ana", "facilitator")]
