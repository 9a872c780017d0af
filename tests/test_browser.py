"""``retro serve`` in a real headless browser: Debian's Chromium, driven by Playwright.

The link's token is the only way to the page and its websocket; with it, the page opens
the app, and what a person types in the browser reaches the log.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from retro.serve import TokenServer, new_token
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
# A tab running the app's quick check-in on the log and team given (argv 1 and 2), as
# `retro checkin` does in a terminal.
CHECKIN_TAB = """import sys
from retro.config import Settings
from retro.tui.app import RetroApp
settings = Settings(log_option=sys.argv[1], team_option=sys.argv[2])
settings.check()
settings.prepare_log_folder()
RetroApp(settings, start="checkin").run()
"""
WAIT_MS = 30_000  # the slowest step: a tab's process starting the app on a busy machine
CARD = "Refunds take 1 day <b>now</b>"


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
    the browser's and the app's files in the test's folder."""
    if reason := missing():
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: .ci/run should have installed it")
        pytest.skip(reason)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RETRO_CONFIG", str(tmp_path / "home" / "config.toml"))
    monkeypatch.setenv("RETRO_CACHE_DIR", str(tmp_path / "cache"))


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
    for wrong in ("/", "/?token=", f"/?token={token[:-1]}", f"/?token={token}x"):
        response = await page.goto(base + wrong)
        assert response is not None and response.status == 403, wrong
        assert token not in await page.content() and await page.locator("#terminal").count() == 0
    response = await page.goto(cli_server)
    assert response is not None and response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    await page.locator("#terminal .xterm").wait_for(timeout=WAIT_MS)  # the terminal is drawn
    opened = await page.evaluate("""url => new Promise(done => {
        const socket = new WebSocket(url);
        socket.onopen = () => done(true);
        socket.onerror = () => done(false);
    })""", f"{base.replace('http', 'ws', 1)}/ws/{token[:-1]}?width=80&height=24")  # fmt: skip
    assert opened is False


@pytest.fixture
async def checkin_server(tmp_path: Path) -> AsyncIterator[str]:
    """retro's token server, each tab running the quick check-in on the test's log: the
    link to share."""
    port = free_port()
    command = [sys.executable, "-c", CHECKIN_TAB, str(tmp_path / "log.jsonl"), "payments"]
    server = TokenServer(shlex.join(command), token=new_token(), host="127.0.0.1", port=port,
                         public_url=f"http://127.0.0.1:{port}")  # fmt: skip
    runner = web.AppRunner(await server._make_app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield server.link()
    finally:
        await runner.cleanup()


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
        return self.ESCAPE.sub("", self.output.decode("utf-8", "replace"))

    async def shows(self, page: Page, wanted: str) -> bool:
        """Wait for ``wanted`` to be drawn: True once it is, False after WAIT_MS."""
        for _ in range(WAIT_MS // 100):
            if wanted in self.text:
                return True
            await page.wait_for_timeout(100)
        return False


async def save(page: Page, log: Path) -> None:
    """Press Enter until the form saves: it refuses while the log is still loading, a
    moment after the form is drawn. The log is written before the app ends."""
    from playwright.async_api import TimeoutError as Timeout

    for _ in range(10):
        await page.keyboard.press("Enter")
        try:
            await page.locator("body.-closed").wait_for(state="attached", timeout=2_000)
            return
        except Timeout:
            if log.exists() and log.stat().st_size:
                return  # saved, the app is ending: another Enter might save twice


def logged(log: Path) -> list[dict[str, object]]:
    """The entries of ``log``, as ``retro log --format json`` prints them."""
    done = subprocess.run([sys.executable, "-m", "retro", "--log", str(log), "log", "--format",
                           "json"], capture_output=True, text=True, check=True)  # fmt: skip
    entries: list[dict[str, object]] = json.loads(done.stdout)
    return entries


async def test_a_card_typed_in_the_browser_reaches_the_log(
    tmp_path: Path, checkin_server: str, browser: Browser
) -> None:
    page = await new_page(browser, checkin_server)
    screen = Screen(page)
    response = await page.goto(checkin_server)
    assert response is not None and response.status == 200
    await page.locator("body.-first-byte").wait_for(state="attached", timeout=WAIT_MS)
    assert await screen.shows(page, "Quick check-in"), screen.text
    # Keys go to the terminal's input; a click would reach the app as well and focus the
    # field under the pointer.
    await page.locator("#terminal .xterm-helper-textarea").focus()
    await page.keyboard.type(CARD)
    assert await screen.shows(page, CARD), screen.text  # echoed by the app, as typed
    await save(page, tmp_path / "log.jsonl")
    await page.locator("body.-closed").wait_for(state="attached", timeout=WAIT_MS)
    entries = logged(tmp_path / "log.jsonl")
    assert [(e["kind"], e["text"], e["team"]) for e in entries] == [("outcome", CARD, "payments")]
