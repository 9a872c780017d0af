"""Start an app headless, leave as soon as it reaches a given point; used by bench_startup.py.

Modes (the settings, log included, come from the config file named by ``RETRO_CONFIG``):

- ``minimal``: a minimal Textual app (a Header, a DataTable of a few rows, a Footer)
  that leaves once its first screen is shown (its ``on_ready``).
- ``shown``: retro, left once the home screen is mounted and shown (with its loading
  indicator while the log loads): the first screen where keys work.
- ``filled``: retro, left once the log is loaded and the home screen's tables list what
  they show (the first filled home; each retro's figures may still be on their way).
- ``loaded``: retro, left once home shows everything, each retro's figures included
  (``home_complete``).
- ``step``: retro, left once the team's newest retro (the first row of home's retros,
  where the cursor is) is open at its ``outputs`` step and the step's entries are shown.
- ``stall``: like ``filled``, with a 50 ms interval on the app whose ticks are timed;
  prints a JSON object with the largest gaps between ticks (in seconds) on stdout.

Every mode runs the app the same way: on an event loop of its own, which is left
open, and then ``os._exit`` as soon as the app is done. The thread that loads the
log cannot be interrupted, and both ``asyncio.run`` (what ``App.run`` uses) and a
normal interpreter exit wait for it to finish, which is not start-up time.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header
from textual.worker import Worker, WorkerState

MODES = ("minimal", "shown", "filled", "loaded", "step", "stall")
STEP = "outputs"  # the entry step the ``step`` mode opens
TICK = 0.05  # seconds between the ticks of the stall probe


class MinimalApp(App[None]):
    """The baseline: about the least a table app shows."""

    TITLE = "minimal"

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("period", "focus", "status", "ratio", "entries")
        for n in range(5):
            table.add_row(f"2026-0{n + 1}-01 – 2026-0{n + 1}-14", "outcomes", "closed",
                          f"0.{n}5", str(10 + n))  # fmt: skip

    def on_ready(self) -> None:
        self.call_after_refresh(self.exit)


def retro_probe(mode: str) -> App[None]:
    """retro's app, unchanged but for a probe that sees when ``mode``'s point is reached."""
    from retro.config import Settings
    from retro.tui.app import RetroApp
    from retro.tui.screens.home import HomeScreen
    from retro.tui.screens.steps import StepScreen, step_screen

    class Probe(RetroApp):
        # A relative CSS_PATH is read beside the class's module: name the package's own file.
        CSS_PATH = str(Path(sys.modules[RetroApp.__module__].__file__ or "").parent / "retro.tcss")
        reached = False
        opened = False  # the step mode has opened its retro
        ticks: list[float]
        fill_began: float | None = None  # the loop sees the load's success and fills the tables
        fill_ended: float | None = None

        def __init__(self) -> None:
            super().__init__(Settings(), start="home", poll=False)
            self.ticks = []

        def on_mount(self) -> None:  # runs before RetroApp.on_mount (Textual calls both)
            if mode == "stall":  # no extra timer: only the ticks wake the loop up
                self.ticks.append(time.perf_counter())
                self.set_interval(TICK, self.tick)
            else:
                self.set_interval(0.005, self.check)

        def on_ready(self) -> None:
            self.check()

        def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
            if event.worker.group == "load" and event.state == WorkerState.SUCCESS:
                self.fill_began = time.perf_counter()  # before RetroApp's handler fills

        def log_loaded(self) -> None:
            super().log_loaded()
            self.screen.call_next(self.check)  # queued after the screen's refresh

        def tick(self) -> None:
            self.ticks.append(time.perf_counter())
            if self.reached:
                self.exit()
            else:
                self.check()

        def check(self) -> None:
            if self.reached or not self.at_point():
                return
            self.reached = True
            self.fill_ended = time.perf_counter()
            if mode != "stall":  # stall leaves at the next tick, to time a freeze of the filling
                self.call_after_refresh(self.exit)

        def at_point(self) -> bool:
            """Whether ``mode``'s point is reached (opening the retro on the way, in ``step``)."""
            screen = self.screen
            if mode == "step" and isinstance(screen, StepScreen):
                return screen.ready and screen.is_current  # its entries are shown
            if not (isinstance(screen, HomeScreen) and screen.ready and screen.is_current):
                return False
            if mode == "shown":
                return True
            if not (self.loaded and screen.listed):  # both tables list what they show
                return False
            if mode == "step":
                if not self.opened:
                    self.opened = True
                    self.open_newest(screen)
                return False
            return mode != "loaded" or home_complete(screen)

        def open_newest(self, home: HomeScreen) -> None:
            """What Enter on home's retros does, at ``STEP``, without writing to the log.

            The app's ``open_retro`` also records in the log the step a retro is at: a
            benchmark reads its log and never changes it.
            """
            table = home.query_one("#retros", DataTable)
            if not table.row_count:
                self.exit(message=f"no retro of {self.session.team} to open", return_code=4)
                return
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            self.session.open_retro(str(key))
            self.push_screen(step_screen(STEP, self.session, self))

    return Probe()


def home_complete(home: Any) -> bool:
    """Whether home shows everything it shows, each retro's figures included (they are
    gathered after the tables are first listed)."""
    return bool(home.shown)


def stalls(app: Any) -> dict[str, float]:
    """The largest gaps between ticks (seconds): while the log loads, and with the filling.

    ``load_max`` counts the ticks up to the moment the loop handles the load's success
    (the last gap is cut there); ``all_max`` counts every gap up to the first tick after
    the tables were filled, so it includes the filling, done on the loop.
    """
    ticks: list[float] = app.ticks
    began, ended = app.fill_began, app.fill_ended
    before = [t for t in ticks if t <= began]
    during = [b - a for a, b in zip(before, before[1:], strict=False)]
    return {
        "load_max": max([*during, began - before[-1]]),
        "all_max": max(b - a for a, b in zip(ticks, ticks[1:], strict=False)),
        "load_seconds": began - ticks[0],
        "fill_seconds": ended - began,
        "ticks": len(ticks),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in MODES:
        print(f"usage: startup_app.py {{{','.join(MODES)}}}", file=sys.stderr)
        return 2
    mode = argv[0]
    app = MinimalApp() if mode == "minimal" else retro_probe(mode)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app.run(headless=True, loop=loop)
    status = app.return_code or 0
    if status == 0 and mode != "minimal" and not getattr(app, "reached", False):
        print(f"startup_app: left before the {mode} point", file=sys.stderr)
        status = 3
    if status == 0 and mode == "stall":
        print(json.dumps(stalls(app)))
    return status


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
