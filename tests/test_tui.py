"""The app driven like a person would: keyboard only, through Textual's Pilot."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from rich.console import Console
from rich.text import Text
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from retro.config import Settings, write_config
from retro.present.sanitize import clean
from retro.store import Repository
from retro.tui.app import RetroApp
from retro.tui.screens.home import HomeScreen
from retro.tui.screens.steps import StepScreen
from retro.tui.widgets import column_widths
from tests.screens import burst, screen_text

NOW = "2026-11-20T15:00:00+01:00"
SIZE = (100, 30)


@pytest.fixture
def settings(tmp_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("RETRO_NOW", NOW)
    config = isolated / "config" / "config.toml"
    write_config(config, {"team": "payments", "author": "Ana", "log": str(tmp_path / "p.jsonl"),
                          "sprint_start": "2026-08-31", "sprint_length": "14d"})  # fmt: skip
    return Settings(config_file=config)


def seed_decision(settings: Settings) -> str:
    repo = Repository(settings.log, author="Lead", team="leadership")
    return repo.add("decision", "Grow self-serve revenue to 40%", fields={
        "review_by": "2026-11-01"})["id"]  # fmt: skip


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type ``text`` as a fast typist does, then wait until the app has handled it all."""
    burst(pilot.app, text)
    await pilot.pause()


async def wait_for_step(pilot: Pilot[None], step: str) -> None:
    for _ in range(50):
        await pilot.pause(0.05)
        screen = pilot.app.screen
        if isinstance(screen, StepScreen) and step == screen.STEP and screen.ready:
            await pilot.pause(0.1)  # let what the step filled in be drawn
            return
    raise AssertionError(f"never reached {step}: on {pilot.app.screen}")


async def test_a_whole_retro_by_keyboard(settings: Settings) -> None:
    """Slow by nature (about 10 s): nine screens are built and every field is typed."""
    decision = seed_decision(settings)
    app = RetroApp(settings, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("s")
        await wait_for_step(pilot, "frame")
        # The facilitator has the focus, filled in with who started the retro: keep it.
        await pilot.press("tab")
        await type_text(pilot, "Ana, Bo")
        await pilot.pause(0.8)  # the frame saves itself after a pause
        await pilot.press("pagedown")
        await wait_for_step(pilot, "outputs")  # follow-ups skipped: no earlier retro
        for output in ("One-click refunds", "Dispute dashboard"):
            await type_text(pilot, output)
            await pilot.press("enter")
        await pilot.press("pagedown")
        await wait_for_step(pilot, "outcomes")
        await type_text(pilot, "Disputes settle in a day")
        await pilot.press("tab")
        await type_text(pilot, "merchants")
        await pilot.press("tab", "tab")
        await type_text(pilot, "4.5 days")
        await pilot.press("tab")
        await type_text(pilot, "1 day")
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        await pilot.press("pagedown")
        await wait_for_step(pilot, "risks")
        await type_text(pilot, "Chargeback fines")
        await pilot.press("tab")
        await type_text(pilot, "4x3")
        await pilot.press("tab")
        await type_text(pilot, "2x3")
        await pilot.press("enter")
        await pilot.press("pagedown")
        await wait_for_step(pilot, "lessons")
        await type_text(pilot, "Flags need owners")
        await pilot.press("enter")
        await pilot.press("pagedown")
        await wait_for_step(pilot, "dependencies")
        await type_text(pilot, "SSO API")
        await pilot.press("tab")
        await type_text(pilot, "identity")
        await pilot.press("tab", "tab")
        await type_text(pilot, "3 days ago")
        await pilot.press("enter")
        await pilot.press("pagedown")
        await wait_for_step(pilot, "actions")
        await type_text(pilot, "Give every flag an owner")
        await pilot.press("tab")
        await type_text(pilot, "Bo")
        await pilot.press("tab")
        await type_text(pilot, "next friday")
        await pilot.press("enter")
        await pilot.press("pagedown")
        await wait_for_step(pilot, "summary")
        await pilot.press("enter")  # "Close the retro" has the focus
        await pilot.pause(0.1)

    repo = Repository(settings.log, author="x", team="payments").load()
    by_kind: dict[str, list[dict]] = {}
    for rec in repo.all():
        by_kind.setdefault(rec["kind"], []).append(rec)
    [retro] = by_kind["retro"]
    assert retro["facilitator"] == "Ana" and retro["participants"] == ["Ana", "Bo"]
    assert retro["status"] == "closed" and retro["step"] == "summary"
    assert (retro["period_start"], retro["period_end"]) == ("2026-11-09", "2026-11-22")
    assert [o["text"] for o in by_kind["output"]] == ["One-click refunds", "Dispute dashboard"]
    [outcome] = by_kind["outcome"]
    assert outcome["for_whom"] == "merchants" and outcome["baseline"] == "4.5 days"
    assert outcome["observed"] == "1 day"
    [risk] = by_kind["risk"]
    assert risk["before"] == {"likelihood": 4, "impact": 3}
    assert risk["after"] == {"likelihood": 2, "impact": 3}
    [lesson] = by_kind["lesson"]
    assert lesson["learned_at"].startswith("2026-11-20T15:00:00")
    [dependency] = by_kind["dependency"]
    assert dependency["on"] == "identity" and dependency["needed_at"].startswith("2026-11-17")
    [action] = by_kind["action"]
    assert action["owner"] == "Bo" and action["due"] == "2026-11-27"
    entries = [r for r in repo.all() if r["kind"] not in ("retro", "decision")]
    assert all(r["retro"] == retro["id"] for r in entries)
    assert decision in {r["id"] for r in by_kind["decision"]}


HOSTILE = "[bold]x[/] a[/]b [@click=app.quit]q[/] \x1b[2J\x1b]0;pwned\x07 \u202eevil"


async def test_hostile_text_renders_literally(settings: Settings) -> None:
    repo = Repository(settings.log, author=HOSTILE, team="payments")
    app = RetroApp(settings, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await pilot.press("s")
        await wait_for_step(pilot, "frame")
        assert app.session.retro_id is None  # a draft: nothing is recorded until something is typed
        retro_id = app.session.saved_retro()["id"]
        for kind in ("output", "outcome", "risk", "lesson", "dependency", "action"):
            repo.add(kind, HOSTILE, retro=retro_id, fields={"owner": HOSTILE} if kind == "action"
                     else None)  # fmt: skip
        repo.add("decision", HOSTILE)
        app.session.repo.refresh()
        for step in ("outputs", "outcomes", "risks", "lessons", "dependencies", "actions",
                     "summary"):  # fmt: skip
            app.goto_step(step)
            await wait_for_step(pilot, step)
            shot = screen_text(app)
            assert "[bold]x[/]" in shot, step  # tables may cut the rest of the text
            assert "\x1b" not in shot and "\u202e" not in shot
        assert "[bold]x[/] a[/]b [@click=app.quit]q[/]" in shot  # the summary shows it whole
        app.action_home()
        await pilot.pause(0.2)
        assert "[bold]x[/]" in screen_text(app)
        await pilot.click("#due", offset=(5, 1))  # clicking the text triggers nothing
        assert app.is_running


async def test_entries_from_another_process_appear(settings: Settings) -> None:
    import asyncio
    import subprocess
    import sys

    app = RetroApp(settings, poll=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "retro", "--log", str(settings.log), "checkin", "-k",
             "action", "Call the acquirer", "--owner", "Bo"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        for _ in range(60):
            await pilot.pause(0.1)
            if "Call the acquirer" in screen_text(app):
                break
        else:
            raise AssertionError("the other process's check-in never appeared")


async def test_help_palette_and_checkin_form(settings: Settings) -> None:
    app = RetroApp(settings, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        assert "The retro, step by step" in screen_text(app)
        await pilot.press("escape", "c")
        await pilot.pause(0.2)
        await type_text(pilot, "Refunds settle in a day")
        await pilot.press("tab")
        await type_text(pilot, "support dashboard")
        await pilot.press("tab")
        await type_text(pilot, "Chargeback fines")
        await pilot.press("tab")
        await type_text(pilot, "5x5/1x5")
        await pilot.press("tab")
        await type_text(pilot, "Flags need owners")
        await pilot.press("tab")
        await type_text(pilot, "blursday")
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert "cannot understand the date" in screen_text(app)  # shown, no crash
        assert app.screen.query_one("#error-when").display  # under the field at fault
        assert not app.screen.query_one("#error-outcome").display
        await pilot.press(*["backspace"] * 8)
        await type_text(pilot, "yesterday")
        await pilot.press("enter")
        await pilot.pause(0.2)
        notes = [note.message for note in app._notifications]
        assert notes[-1].startswith("Checked in: outcome “Refunds settle in a day”; risk")
    saved = {r["kind"]: r for r in Repository(settings.log, author="x", team="y").load().all()}
    assert sorted(saved) == ["lesson", "outcome", "risk"]
    assert saved["outcome"]["evidence"] == "support dashboard"
    assert saved["risk"]["before"] == {"likelihood": 5, "impact": 5}


async def test_resume_after_the_terminal_is_killed(settings: Settings) -> None:
    """Slow by nature: a real app process is started, records, and is killed (-9)."""
    import os
    import signal
    import subprocess
    import sys

    driver = Path(__file__).with_name("tui_driver.py")
    proc = subprocess.Popen(
        [sys.executable, str(driver), str(settings.config_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("READY OutcomesStep"), (line, proc.stderr and proc.stderr.read())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    app = RetroApp(settings, start="run", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_step(pilot, "outcomes")  # exactly where the team was
        shown = screen_text(app)
        assert "Outputs with no outcome yet: 2" in shown
        assert "Shipped one-click refunds" in shown


async def test_report_screen_from_home(tmp_path: Path, isolated: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from retro.fsio import write_atomically
    from retro.merge import merge
    from retro.resources import sample_logs
    from retro.store.journal import Journal

    monkeypatch.setenv("RETRO_NOW", NOW)
    log = tmp_path / "all-teams.jsonl"
    write_atomically(log, merge([(str(p), Journal(p).read().events)
                                 for p in sample_logs()]).lines())  # fmt: skip
    config = isolated / "config" / "config.toml"
    write_config(config, {"team": "payments", "log": str(log)})
    app = RetroApp(Settings(config_file=config), poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await pilot.press("r")
        for _ in range(50):
            await pilot.pause(0.1)
            if "Coherence" in screen_text(app):
                break
        shown = screen_text(app)
        assert "4 teams" in shown and "onboarding" in shown
        assert "Decisions no team reinforces: Consolidate onto one event" in shown
        await pilot.press("right")
        await pilot.pause(0.2)
        assert "Reach 99.9% checkout availability" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert isinstance(app.screen, HomeScreen)


@given(
    width=st.integers(min_value=30, max_value=300),
    lengths=st.lists(st.lists(st.integers(0, 200), min_size=4, max_size=4), max_size=8),
)
def test_columns_fit_the_table_width(width: int, lengths: list[list[int]]) -> None:
    """However long the cells, the columns (and their padding) never need a scrollbar."""
    names = ["what", "owner", "due", "expected"]
    rows = [(str(n), [Text("x" * k) for k in row]) for n, row in enumerate(lengths)]
    widths = column_widths(names, rows, width)
    assert sum(widths) + 2 * len(names) + 1 <= width
    assert all(w >= 1 for w in widths)
    first = max([4, *(row[0] for row in lengths)])
    assert widths[0] >= min(first, 10)  # the entry's text is never squeezed out


def test_short_columns_are_shown_whole_and_the_text_takes_the_rest() -> None:
    rows = [("a", [Text("Review checkout availability after Black Friday"),
                   Text("Priya Raman"), Text("2026-11-27")])]  # fmt: skip
    assert column_widths(["action", "owner", "due"], rows, 70) == [42, 11, 10]


@pytest.mark.parametrize("size", [64, 700_000])  # read at once; read by the loading thread
async def test_a_file_that_is_not_a_log_closes_the_app_with_one_message(
    settings: Settings, size: int, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.log.write_bytes(b"team,text\n" + b"x" * size + b"\n")
    app = RetroApp(settings, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            if app._exit:
                break
            await pilot.pause(0.05)
    assert app.return_code == 1
    assert app._exception is None  # no traceback: the message alone
    printed = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert printed == f"retro: {settings.log} is not a retro log (its first line is not a " \
        "retro header)"  # fmt: skip


async def test_due_and_review_dates_lean_forward_a_past_one_is_kept_with_a_warning(
    settings: Settings,
) -> None:
    app = RetroApp(settings, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await pilot.press("s")
        await wait_for_step(pilot, "frame")
        for field, typed in (("#new-decision", "Bet on self-serve"), ("#new-review", "monday")):
            app.screen.query_one(field).focus()
            await pilot.pause(0.05)
            await type_text(pilot, typed)
        await pilot.press("enter")
        await pilot.pause(0.2)
        app.goto_step("actions")
        await wait_for_step(pilot, "actions")
        await pilot.press("tab", "tab")
        await type_text(pilot, "2026-11-01")
        await pilot.press("enter")  # no text: not saved, and the date is flagged meanwhile
        await pilot.pause(0.1)
        due, text = app.screen.query_one("#error-due"), app.screen.query_one("#error-text")
        assert due.display and due.has_class("-warning") and not text.has_class("-warning")
        assert "2026-11-01 is in the past (kept as typed)" in screen_text(app)
        await pilot.press("shift+tab", "shift+tab")
        await type_text(pilot, "Give every flag an owner")
        await pilot.press("enter")  # saved all the same, the warning as a notification
        await pilot.pause(0.2)
        notes = [notification.message for notification in app._notifications]
        assert "Due: 2026-11-01 is in the past (kept as typed)" in notes
        await type_text(pilot, "Review the flags")
        await pilot.press("tab", "tab")
        await type_text(pilot, "monday")
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert not app.screen.query_one("#error-due").display
    repo = Repository(settings.log, author="x", team="payments").load()
    due = {r["text"]: r.get("due") or r.get("review_by") for r in repo.all()
           if r["kind"] in ("action", "decision")}  # fmt: skip
    assert due == {"Give every flag an owner": "2026-11-01", "Review the flags": "2026-11-23",
                   "Bet on self-serve": "2026-11-23"}  # fmt: skip


# --- nothing from a log reaches the terminal raw ----------------------------------------------

# Markup, OSC 52 (clipboard), OSC 8 (link), a screen clear, a C1 CSI and a bidi override.
RAW = ("[b]x[/] [@click=app.quit]q[/] \x1b]52;c;aGk=\x07 \x1b]8;;http://e.vil\x07L\x1b]8;;\x07 "
       "\x1b[2J \x9b1m \u202eevil")  # fmt: skip
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2069\ufeff]")


def sent(app: RetroApp) -> str:
    """The text of every cell the app sends to the terminal, styles aside (the screen in
    front, the screens it covers, notifications)."""
    console = Console(width=app.size.width, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))  # fmt: skip
    return console.export_text(styles=False)


def assert_nothing_raw(app: RetroApp, where: str) -> None:
    shown = sent(app)
    assert not UNSAFE.search(shown.replace("\n", "")), (where, UNSAFE.findall(shown)[:5])


@pytest.fixture
def hostile(tmp_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A team named with markup and escapes, a log whose file name is markup."""
    monkeypatch.setenv("RETRO_NOW", NOW)
    monkeypatch.setenv("RETRO_TEAM", f"t{RAW}")
    config = isolated / "config" / "config.toml"
    write_config(config, {"author": "Ana", "sprint_start": "2026-08-31",
                          "log": str(tmp_path / "[@click=app.quit]x.jsonl"),
                          "sprint_length": "14d"})  # fmt: skip
    return Settings(config_file=config)


async def test_a_hostile_log_is_shown_literally_and_kept_unless_changed(hostile: Settings) -> None:
    from datetime import datetime

    repo = Repository(hostile.log, author=RAW, team=hostile.team)
    retro = repo.add("retro", RAW, fields={
        "period_start": "2026-11-09", "period_end": "2026-11-22", "facilitator": RAW,
        "participants": [RAW, "Bo"], "status": "open", "step": "frame"})  # fmt: skip
    outcome = repo.add("outcome", RAW, retro=retro["id"], fields={
        "for_whom": RAW, "metric": RAW, "evidence": RAW, "confidence_before": 2})  # fmt: skip
    action = repo.add("action", RAW, fields={"owner": RAW, "status": "open",
                                             "moved_evidence": RAW},
                      at=datetime.fromisoformat("2026-10-01T10:00:00+01:00"))  # fmt: skip

    def stored(rid: str) -> dict[str, object]:
        return Repository(hostile.log, author="x", team="y").load().get(rid)

    app = RetroApp(hostile, poll=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause(0.3)
        assert_nothing_raw(app, "home")
        shot = sent(app)
        assert "Retros of t[b]x[/] [@click=app.quit]q[/]" in shot  # no markup in the title
        assert "retro — t[b]x[/] [@click=app.quit]q[/] \\x1b]52;c;aGk=\\x07" in shot  # header
        await pilot.click("#retros-title", offset=(16, 0))
        assert app.is_running  # the text is not a link

        app.open_retro(retro["id"], "frame")
        await wait_for_step(pilot, "frame")
        assert_nothing_raw(app, "frame")
        facilitator = app.screen.query_one("#frame-facilitator", Input)
        assert facilitator.value.startswith("[b]x[/] [@click=app.quit]q[/] \\x1b]52;c;aGk=\\x07")
        people = app.screen.query_one("#frame-participants", Input)
        people.value += ", Cy"  # a change to the participants only
        app.screen.save()  # type: ignore[attr-defined]
        after = stored(retro["id"])
        assert after["facilitator"] == RAW  # untouched: byte for byte
        assert after["participants"] == [clean(RAW), "Bo", "Cy"]  # as shown, and changed

        app.goto_step("follow-ups")
        await wait_for_step(pilot, "follow-ups")
        await pilot.pause(0.2)
        assert_nothing_raw(app, "follow-ups")
        assert app.screen.query_one("#fu-evidence", Input).value == clean(RAW)
        await pilot.click("#fu-save")
        await pilot.pause(0.1)
        assert stored(action["id"])["moved_evidence"] == RAW

        app.goto_step("outcomes")
        await wait_for_step(pilot, "outcomes")
        await pilot.press("ctrl+t", "enter")  # the entry into the form
        await pilot.pause(0.2)
        assert app.screen.query_one("#field-text", Input).value == clean(RAW)
        assert_nothing_raw(app, "outcome form")
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert stored(outcome["id"]) == outcome  # saved unchanged: no revision
        assert "Nothing changed: [b]x[/]" in sent(app)  # the toast, literal
        await pilot.press("ctrl+t", "enter")
        await pilot.pause(0.2)
        app.screen.query_one("#field-for_whom", Input).value = "merchants"
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        after = stored(outcome["id"])
        assert after["for_whom"] == "merchants"
        assert {k: after[k] for k in ("text", "metric", "evidence", "confidence_before")} == {
            "text": RAW, "metric": RAW, "evidence": RAW, "confidence_before": 2}
        assert_nothing_raw(app, "after saving")


async def test_pasted_escapes_are_shown_made_visible(settings: Settings) -> None:
    app = RetroApp(settings, poll=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause(0.3)
        await pilot.press("c")
        await pilot.pause(0.2)
        field = app.screen.query_one("#ask-outcome", Input)
        field.post_message(events.Paste("a\x1b[2Jb\x9b\u202ec"))
        await pilot.pause(0.1)
        assert field.value == "a\\x1b[2Jb\\x9b\\u202ec"
        assert_nothing_raw(app, "check-in")
        app.notify(f"Saved: {RAW}")  # every notification is plain, visible text
        await pilot.pause(0.2)
        assert_nothing_raw(app, "notification")
        assert "[b]x[/]" in sent(app)


async def test_the_check_in_keeps_scores_and_evidence_that_have_no_entry(
    settings: Settings,
) -> None:
    app = RetroApp(settings, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await pilot.press("c")
        await pilot.pause(0.2)
        await type_text(pilot, "\t\t\t4x4 / 2x4\tFlags need owners\r")
        await pilot.pause(0.2)
        assert app.screen.query_one("#error-risk").display  # asked, not thrown away
        assert app.screen.query_one("#ask-scores", Input).value == "4x4 / 2x4"
    assert Repository(settings.log, author="x", team="y").load(missing_ok=True).all() == []
