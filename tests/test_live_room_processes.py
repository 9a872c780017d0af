"""A live retro with everyone in it as an app of their own: the facilitator (``retro run``)
and two participants (``retro join``), separate processes on one log, on the real clock so
that the timers count.

Slow by nature (each app is a process of its own, a second or two to start).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from retro import sessions
from retro.config import Settings, write_config
from retro.store import Repository
from retro.tui.app import POLL_SECONDS
from tests.live import Apps, Driven

pytestmark = pytest.mark.slow

START = 40.0  # seconds until a new app shows the room, on a busy machine
SOON = 8.0  # seconds until what one app wrote shows on the others' screens (a few polls)
TIMER = re.compile(r"(\d\d):(\d\d) left")


def seed_retro(config: Path, **fields: str) -> str:
    """This sprint's retro (on today's date) at its outcomes, facilitated by Fay; its id."""
    settings = Settings(config_file=config)
    start, end = sessions.current_period(settings.cadence, settings.clock().date())
    repo = Repository(settings.log, author="Fay", team="payments")
    return str(repo.add("retro", "Retro", fields={
        "period_start": start.isoformat(), "period_end": end.isoformat(), "status": "open",
        "facilitator": "Fay", "step": "outcomes", **fields})["id"])  # fmt: skip


@pytest.fixture
def config(isolated: Path, log_path: Path) -> Path:
    """The team's config, as `retro init` writes it."""
    path = isolated / "config" / "config.toml"
    write_config(path, {"team": "payments", "author": "Fay", "log": str(log_path),
                        "sprint_start": "2026-08-31", "sprint_length": "14d"})  # fmt: skip
    return path


def facilitate(live: Apps) -> Driven:
    """Fay's `retro run`, at the retro's outcomes."""
    fay = live.start("run", extra=["--author", "Fay"])
    fay.wait("4. Outcomes", timeout=START)
    return fay


def join(live: Apps, name: str, *texts: str) -> Driven:
    """``name``'s `retro join`, once its screen shows ``texts``."""
    driven = live.start("join", name=name)
    driven.wait(*texts, timeout=START)
    return driven


def left_on_timer(driven: Driven) -> int:
    """The seconds the phase bar of ``driven``'s screen says are left."""
    found = TIMER.search(driven.text())
    assert found, driven.text()
    return int(found[1]) * 60 + int(found[2])


def quit_cleanly(driven: Driven) -> None:
    """Leave the app as a person does (ctrl+q), and wait for its process to end."""
    driven.press("ctrl+q")
    assert driven.send({"text": True}).get("error") == "the app has exited"
    assert driven.proc.wait(30) == 0


def test_the_room_writes_silently_reveals_and_votes_in_secret(
    live: Apps, config: Path, log_path: Path
) -> None:
    retro_id = seed_retro(config)
    fay = facilitate(live)
    ana = join(live, "Ana", "Outcomes")
    bo = join(live, "Bo", "Outcomes")
    fay.press("f7")  # the outcomes step as a group exercise: everyone writes silently
    everyone = (fay, ana, bo)
    for driven in everyone:
        driven.wait("writing silently", timeout=SOON)
    ana.type("Refunds settle in a day\r")
    bo.type("Chargebacks down by half\r")
    ana.wait("2 cards (1 yours)", "Refunds settle in a day", timeout=SOON)
    bo.wait("2 cards (1 yours)", "Chargebacks down by half", timeout=SOON)
    fay.wait("2 cards (0 yours)", timeout=SOON)
    assert "Chargebacks" not in ana.text() and "Refunds" not in bo.text()
    assert "Chargebacks" not in fay.text() and "Refunds" not in fay.text()

    fay.press("f5")  # reveal: every card on every screen
    for driven in everyone:
        driven.wait("every card revealed", "Refunds settle in a day",
                    "Chargebacks down by half", timeout=SOON)  # fmt: skip

    fay.press("f5", "f5")  # group, then vote
    for driven in (ana, bo):
        driven.wait("voting", "3 of 3 dots left", timeout=SOON)
    ana.press("plus", "plus")  # two dots on the card highlighted first (the oldest: Ana's)
    ana.wait("1 of 3 dots left", "● ● Refunds settle in a day", timeout=SOON)
    bo.press("plus", "down", "plus")  # one on each
    bo.wait("1 of 3 dots left", "● Refunds settle", "● Chargebacks", timeout=SOON)
    fay.wait("voting", timeout=SOON)
    repo = Repository(log_path, author="x", team="payments")
    time.sleep(2 * POLL_SECONDS)  # both votes are in the log: every app has read them
    for driven in everyone:  # nobody sees the counts while the room votes
        assert "3●" not in driven.text() and "1●" not in driven.text()
    assert "● ● Chargebacks" not in ana.text() and "● ● Refunds" not in bo.text()

    fay.press("f5")  # the vote is closed: the counts, most dots first
    for driven in (ana, bo):
        driven.wait("discussing", "3● Refunds settle in a day", "1● Chargebacks down by half",
                    timeout=SOON)  # fmt: skip
        shown = driven.text()
        assert shown.index("Refunds settle") < shown.index("Chargebacks down")
    fay.wait("most dots first", timeout=SOON)

    votes = repo.load().find(kinds=["vote"], retro=retro_id)
    cards = {c["text"]: c["id"] for c in repo.find(kinds=["outcome"], retro=retro_id)}
    assert sorted((v["text"], v["step"], sorted(v["dots"])) for v in votes) == [
        ("Ana", "outcomes", [cards["Refunds settle in a day"]] * 2),
        ("Bo", "outcomes", sorted([cards["Refunds settle in a day"],
                                   cards["Chargebacks down by half"]])),
    ]  # fmt: skip
    for vote in votes:  # each voter's dots are one record, revised as they voted
        assert len(repo.history(vote["id"])) == 2


def test_late_and_killed_participants_see_the_room_at_once_and_leaving_shows(
    live: Apps, config: Path, log_path: Path
) -> None:
    retro_id = seed_retro(config)
    fay = facilitate(live)
    ana = join(live, "Ana", "Outcomes")
    fay.press("f7")
    ana.wait("writing silently", timeout=SOON)
    ana.type("Refunds settle in a day\r")
    fay.wait("1 card (0 yours)", timeout=SOON)
    ana.kill()  # her terminal dies
    fay.press("f5", "f6")  # reveal (two minutes), and one more minute
    fay.wait("every card revealed", timeout=SOON)
    retro = Repository(log_path, author="x", team="payments").load().get(retro_id)
    ends = datetime.fromisoformat(retro["phase_ends_at"])
    assert ends - datetime.fromisoformat(retro["phase_started_at"]) == timedelta(minutes=3)

    bo = join(live, "Bo", "Outcomes", "every card revealed", "Refunds settle in a day")
    ana = join(live, "Ana", "Outcomes", "every card revealed", "Refunds settle in a day")
    for driven in (bo, ana, fay):  # Bo joined late, Ana came back: the timer runs for all
        shown = left_on_timer(driven)
        assert 0 <= shown - (ends - datetime.now(UTC)).total_seconds() <= 3
    fay.wait("• Bo  here", "• Ana  here", timeout=SOON)
    quit_cleanly(bo)
    fay.wait("× Bo  left", "• Ana  here", timeout=SOON)


def test_an_anonymous_retro_stores_no_author_on_its_cards(
    live: Apps, config: Path, log_path: Path
) -> None:
    retro_id = seed_retro(config, step="frame")
    fay = live.start("run", extra=["--author", "Fay"])
    fay.wait("Cards", "named: each card shows its author", timeout=START)
    fay.press("tab", "tab", "tab", "enter", "down", "enter")  # the frame's Cards: anonymous
    fay.wait("anonymous: no author recorded", timeout=SOON)
    ana = join(live, "Ana", "The facilitator leads this step")
    bo = join(live, "Bo", "The facilitator leads this step")
    fay.press("pagedown")  # to the outputs, a group exercise: with people here, it starts
    for driven in (ana, bo):
        driven.wait("Outputs", "writing silently", timeout=SOON)
    ana.type("Nobody knows who wrote this\r")
    bo.type("Nor this one\r")
    ana.wait("2 cards (1 yours)", "Nobody knows who wrote this", timeout=SOON)
    bo.wait("2 cards (1 yours)", "Nor this one", timeout=SOON)

    repo = Repository(log_path, author="x", team="payments")
    assert repo.record(retro_id)["cards"] == "anonymous"  # type: ignore[index]
    cards = repo.find(kinds=["output"], retro=retro_id)
    assert sorted(c["text"] for c in cards) == ["Nobody knows who wrote this", "Nor this one"]
    for card in cards:
        assert card["author"] == ""
        lines = [line for line in log_path.read_text(encoding="utf-8").splitlines()
                 if card["id"] in line]  # fmt: skip
        assert lines and not any("Ana" in line or "Bo" in line for line in lines)
