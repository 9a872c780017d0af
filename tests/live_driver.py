"""Run the real app headless in this process, polling its log, and obey commands on stdin.

    python tests/live_driver.py --log LOG --team TEAM --start run|join|home
        [--name NAME] [--author NAME] [--format NAME] [--size 110x36]

Several of these on one log are several people in one retro (``tests/live.py`` starts
them). The settings come from the options and the environment (``RETRO_CONFIG``,
``RETRO_NOW``, ``RETRO_CACHE_DIR``...), as for ``retro``. ``--start``, ``--name`` and
``--format`` are passed to ``RetroApp`` only when given.

Once the app runs, one JSON line says so: ``{"ready": true, "pid": N}``. Then each
command, one JSON object a line, gets one JSON line back, ``{"ok": true, ...}`` or
``{"ok": false, "error": ..., ...}``:

- ``{"press": ["f5", "enter"]}``: press keys, one after the other.
- ``{"type": "some text"}``: queue every key of the text at once, as a fast typist sends it.
- ``{"wait": "text" or ["text", ...], "timeout": 10}``: until the screen shows every text;
  the answer's ``at`` is when it did (``time.time()``, comparable between processes),
  a timeout answers not ok with the screen's ``text``.
- ``{"wait_not": ...}``: the same, until the screen shows none of them.
- ``{"text": true}``: the screen's text, line by line.
- ``{"peak": true}``: this process's peak resident memory so far, in bytes (``bytes``).
- ``{"quit": true}``: leave the app; the process ends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

from screens import burst, screen_text  # beside this script
from textual.pilot import Pilot

from retro.config import Settings
from retro.tui.app import RetroApp

CHECK_EVERY = 0.1  # seconds between two looks at the screen while waiting
ANSWERS = sys.stdout  # the app may redirect sys.stdout while it runs: answer on the real one


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("--team", required=True)
    parser.add_argument("--author", default=None)
    parser.add_argument("--start", default=None)
    parser.add_argument("--name", default=None)
    parser.add_argument("--format", dest="fmt", default=None)
    parser.add_argument("--size", default="110x36", help="the terminal's WIDTHxHEIGHT")
    return parser.parse_args(argv)


def make_app(args: argparse.Namespace) -> RetroApp:
    """The app the options describe; what was not given is left to the app's defaults."""
    settings = Settings(log_option=args.log, team_option=args.team, author_option=args.author)
    given = {key: value for key, value in
             (("start", args.start), ("name", args.name), ("fmt", args.fmt)) if value}  # fmt: skip
    return RetroApp(settings, **given)


def answer(**fields: Any) -> None:
    ANSWERS.write(json.dumps(fields) + "\n")
    ANSWERS.flush()


def peak_bytes() -> int:
    """This process's peak resident memory (``ru_maxrss``: bytes on macOS, KiB elsewhere)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def texts(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


async def wait(pilot: Pilot[None], done: Callable[[str], bool], timeout: float) -> None:
    """Answer once ``done(screen text)`` holds, or with the screen after ``timeout`` seconds."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while True:
        shown = screen_text(app)
        if done(shown):
            answer(ok=True, at=time.time())
            return
        if time.monotonic() > deadline or not app.is_running:
            answer(ok=False, error=f"not shown within {timeout:g} s", text=shown)
            return
        await asyncio.sleep(CHECK_EVERY)


async def obey(pilot: Pilot[None], command: dict[str, Any]) -> bool:
    """Carry out one command and answer it; False once the driver should stop."""
    app = pilot.app
    if "quit" in command:
        answer(ok=True)
        return False
    if "press" in command:
        await pilot.press(*texts(command["press"]))
        answer(ok=True)
    elif "type" in command:
        burst(app, str(command["type"]))
        await pilot.pause()
        answer(ok=True)
    elif "wait" in command:
        wanted = texts(command["wait"])
        await wait(pilot, lambda shown: all(t in shown for t in wanted), command.get("timeout", 10))
    elif "wait_not" in command:
        unwanted = texts(command["wait_not"])
        await wait(pilot, lambda shown: not any(t in shown for t in unwanted),
                   command.get("timeout", 10))  # fmt: skip
    elif "text" in command:
        answer(ok=True, text=screen_text(app))
    elif "peak" in command:
        answer(ok=True, bytes=peak_bytes())
    else:
        answer(ok=False, error=f"unknown command: {sorted(command)}")
    return True


async def drive(app: RetroApp, size: tuple[int, int]) -> None:
    async with app.run_test(size=size, notifications=True) as pilot:
        answer(ready=True, pid=os.getpid())
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:  # the test has gone: leave
                return
            if not app.is_running:
                answer(ok=False, error="the app has exited", return_code=app.return_code)
                return
            try:
                command = json.loads(line)
            except json.JSONDecodeError as err:
                answer(ok=False, error=f"not JSON: {err}")
                continue
            if not await obey(pilot, command):
                return


def main(argv: list[str]) -> None:
    args = arguments(argv)
    width, height = (int(n) for n in args.size.split("x"))
    asyncio.run(drive(make_app(args), (width, height)))


if __name__ == "__main__":
    main(sys.argv[1:])
