"""``retro serve`` in a real headless browser: Debian's Chromium, driven by Playwright.

The link's token is the only way to the page and its websocket; with it, the page opens
the app as a participant (``retro join --browser``): they say who they are, and the card
they type in the browser reaches the team's open retro in the log.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from retro.config import Settings
from retro.model import Record
from retro.store import Repository
from tests.test_live_tui import facilitator_at
from tests.test_serve import free_port

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium")
# Chromium as root on a machine whose only network is loopback: no sandbox, no GPU, and
# none of the connections it would try in the background.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # fmt: skip
WAIT_MS = 30_000  # the slowest step: a tab's process starting the app on a busy machine
CARD = "Refunds take 1 day <b>now</b>"
TEAM = "payments"  # the team served: RETRO_TEAM, as every test has it (tests/conftest.py)


def missing() -> str | None:
    """Why the browser cannot run here, or None."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None if CHROMIUM else "Chromium is not installed (apt-get install chromium)"


@pytest.fixture(autouse=True)
def browser_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip without Chromium or Playwright, except in CI, whose script installs both; keep
    the browser's and the app's files in the test's folder. The facilitator's name is the
    author the config gives: a tab that did not ask for its participant's would record as her."""
    if reason := missing():
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: .ci/run should have installed it")
        pytest.skip(reason)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RETRO_CONFIG", str(tmp_path / "home" / "config.toml"))
    monkeypatch.setenv("RETRO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RETRO_AUTHOR", "Fay")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium with a new, empty profile."""
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        chromium = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def new_page(browser: Browser, link: str) -> Page:
    """A tab that reaches the server of ``link`` only (the page asks for a web font too)."""
    base = link.split("/?")[0]
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        base) else route.abort())  # fmt: skip
    return page


@pytest.fixture
def cli_server(tmp_path: Path) -> Iterator[str]:
    """A real ``retro serve`` on a free port: the link it prints."""
    served = subprocess.Popen(
        [sys.executable, "-m", "retro", "--log", str(tmp_path / "log.jsonl"), "serve",
         "--port", str(free_port())],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert served.stdout is not None
        link = served.stdout.readline().strip()
        assert link.startswith("http://127.0.0.1:"), link
        yield link
    finally:
        served.terminate()
        _, errors = served.communicate(timeout=10)
        assert "Traceback" not in errors, errors


async def test_the_page_and_its_websocket_need_the_links_token(
    cli_server: str, browser: Browser
) -> None:
    base, token = cli_server.split("/?token=")
    page = await new_page(browser, cli_server)
    screen = Screen(page)
    for wrong in ("/", "/?token=", f"/?token={token[:-1]}", f"/?token={token}x"):
        response = await page.goto(base + wrong)
        assert response is not None and response.status == 403, wrong
        assert token not in await page.content() and await page.locator("#terminal").count() == 0
    response = await page.goto(cli_server)
    assert response is not None and response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    await page.locator("#terminal .xterm").wait_for(timeout=WAIT_MS)  # the terminal is drawn
    assert await screen.shows(page, "Who is joining?"), screen.text  # and the app in it
    opened = await page.evaluate("""url => new Promise(done => {
        const socket = new WebSocket(url);
        socket.onopen = () => done(true);
        socket.onerror = () => done(false);
    })""", f"{base.replace('http', 'ws', 1)}/ws/{token[:-1]}?width=80&height=24")  # fmt: skip
    assert opened is False


class Screen:
    """What the app sent to a page, read as text (escape sequences dropped)."""

    ESCAPE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|.)")

    def __init__(self, page: Page) -> None:
        self.output = bytearray()
        page.on("websocket", lambda socket: socket.on("framereceived", self.received))

    def received(self, frame: str | bytes) -> None:
        if isinstance(frame, bytes):  # the terminal's output (text frames are replies)
            self.output.extend(frame)

    @property
    def text(self) -> str:
        return self.since(0)

    def since(self, start: int) -> str:
        """What was drawn after the first ``start`` bytes of output."""
        return self.ESCAPE.sub("", self.output[start:].decode("utf-8", "replace"))

    async def shows(self, page: Page, wanted: str) -> bool:
        """Wait for ``wanted`` to be drawn: True once it is, False after WAIT_MS."""
        for _ in range(WAIT_MS // 100):
            if wanted in self.text:
                return True
            await page.wait_for_timeout(100)
        return False


def logged(log: Path, kind: str) -> list[dict[str, object]]:
    """The records of ``kind`` in ``log``, as ``retro log --format json`` prints them."""
    done = subprocess.run([sys.executable, "-m", "retro", "--log", str(log), "log", "--kind",
                           kind, "--format", "json"], capture_output=True, text=True,
                          check=True)  # fmt: skip
    entries: list[dict[str, object]] = json.loads(done.stdout)
    return entries


async def appears(page: Page, log: Path, kind: str) -> list[Record]:
    """Wait for a record of ``kind`` to reach ``log``: the records of that kind (none after
    WAIT_MS)."""
    for _ in range(WAIT_MS // 200):
        if log.exists() and (found := Repository(log, author="-", team=TEAM).find(kinds=[kind])):
            return found
        await page.wait_for_timeout(200)
    return []


async def type_line(page: Page, text: str) -> None:
    """Type ``text`` and Enter into the page's terminal. Keys go to the terminal's input; a
    click would reach the app as well and focus the field under the pointer."""
    await page.locator("#terminal .xterm-helper-textarea").focus()
    await page.keyboard.type(text)
    await page.keyboard.press("Enter")


async def test_a_participant_in_the_browser_joins_the_retro_and_adds_a_card(
    tmp_path: Path, cli_server: str, browser: Browser
) -> None:
    log = tmp_path / "log.jsonl"
    fay = facilitator_at(Settings(log_option=str(log)))  # the room writes the step's outcomes
    fay.start_exercise()
    retro = fay.session.saved_retro()["id"]
    page = await new_page(browser, cli_server)
    screen = Screen(page)
    await page.goto(cli_server)
    assert await screen.shows(page, "Who is joining?"), screen.text
    await type_line(page, "Ana")
    presences = await appears(page, log, "presence")  # named, so in the room
    assert [(p["text"], p["retro"]) for p in presences] == [("Ana", retro)]
    assert await screen.shows(page, "writing silently"), screen.text
    await type_line(page, CARD)
    assert await appears(page, log, "outcome"), screen.text
    cards = logged(log, "outcome")
    assert [(c["text"], c["author"], c["retro"], c["team"]) for c in cards] == [
        (CARD, "Ana", retro, TEAM)]  # fmt: skip
    assert [p["text"] for p in logged(log, "presence")] == ["Ana"]
    await the_palette_offers_only_a_participants_commands(page, screen)
    await page.close()  # the tab's app ends: the room sees Ana leave
    for _ in range(WAIT_MS // 200):
        if logged(log, "presence")[0].get("left_at"):
            break
        time.sleep(0.2)
    assert logged(log, "presence")[0].get("left_at")


async def the_palette_offers_only_a_participants_commands(page: Page, screen: Screen) -> None:
    """Ctrl+P in the browser: help, keys, quit and themes; nothing that writes a file or
    opens another screen of the log."""
    drawn = len(screen.output)
    await page.keyboard.press("Control+p")
    assert await screen.shows(page, "Keys and steps"), screen.text  # Help's, a participant's first
    await page.wait_for_timeout(500)  # the list is drawn whole, at once
    offered = screen.since(drawn)
    assert "Change the current theme" in offered and "Quit the application" in offered
    for other in ("Screenshot", "Export", "report", "check-in", "Start or resume", "Go to step"):
        assert other not in offered, offered
