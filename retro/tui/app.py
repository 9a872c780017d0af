"""The Textual app: loads the log in a worker, keeps it fresh, and moves between screens."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from retro.bulk import gc_paused
from retro.config import Settings, write_config
from retro.errors import RetroError
from retro.live import DISCUSS
from retro.present.sanitize import clean
from retro.tui.room import FACILITATOR, PARTICIPANT, Room
from retro.tui.screens.checkin import CheckinScreen
from retro.tui.screens.help import HelpScreen
from retro.tui.screens.home import MAX_DUE, MAX_RETROS, HomeScreen
from retro.tui.screens.join import NameScreen
from retro.tui.screens.report import ReportScreen
from retro.tui.screens.room import RoomScreen
from retro.tui.screens.steps import StepScreen, step_screen
from retro.tui.session import Session
from retro.tui.themes import DEFAULT_THEME, app_variable_defaults, load_themes, pick_theme
from retro.tui.widgets import FOCUS_KEYS, STEP_TITLES

POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 60.0  # how often someone in a live retro says they are still there
PARTICIPANT_COMMANDS = frozenset({"Help", "Quit", "Keys", "Theme"})  # what the palette offers


class RetroApp(App[None]):
    """retro in the terminal: the team's retros, the guided retro, quick check-ins."""

    CSS_PATH = "retro.tcss"
    TITLE = "retro"
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),
        *FOCUS_KEYS,  # keys typed right after Tab reach the next field, on every screen
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        start: str = "home",
        sprint: str = "current",
        fmt: str | None = None,
        theme: str | None = None,
        poll: bool = True,
        name: str | None = None,
        ask_name: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.start = start  # home | run | checkin | join
        self.ask_name = ask_name  # join: ask who is joining (a browser's tab)
        self.sprint = sprint
        self.fmt = fmt  # the format `run` asks for (None: the sprint's retro, or the default)
        self.session = Session(settings)
        self.log_changed: Signal[None] = Signal(self, "log-changed")
        self.session.listen(lambda: self.log_changed.publish(None))
        # The room of a live retro: a participant who joined, or whoever runs the retro.
        participant = start == "join"
        self.room = Room(self.session, name=name or ("" if ask_name else settings.author),
                         role=PARTICIPANT if participant else FACILITATOR)  # fmt: skip
        self.joined: str | None = None  # the retro whose room this app is present in
        self.poll_enabled = poll
        self._theme_choice = theme or settings.theme or DEFAULT_THEME
        self._theme_ready = False

    @property
    def loaded(self) -> bool:
        """True once the log is read and shown."""
        return self.session.loaded

    # --- what the app shows of team names, file names and the log's text ----------------

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header: titles name teams and files, shown as they are (never as markup)."""
        return super().format_title(clean(title), clean(sub_title))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification shows its text as it is: messages quote the log and names."""
        super().notify(clean(message, multiline=True), title=clean(title), severity=severity,
                       timeout=timeout, markup=False)  # fmt: skip

    # --- start-up ---------------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The app's own variables (kind colours, late, orphan) for themes that lack them."""
        return app_variable_defaults(self.current_theme.dark)

    def on_mount(self) -> None:
        themes, problems = load_themes()
        for theme in themes.values():
            self.register_theme(theme)
        chosen, unknown = pick_theme(self._theme_choice, themes)
        problems += self.session.format_problems()
        for problem in [*problems, *([unknown] if unknown else [])]:
            self.notify(problem, severity="warning", markup=False, timeout=8)
        self.theme = chosen
        for name in set(self.available_themes) - set(themes):  # the palette offers what
            self.unregister_theme(name)  # `retro themes` lists, and nothing else
        self._theme_ready = True
        self.sub_title = f"{self.session.team} · {self.session.log_name}"
        if self.start == "checkin":
            self.push_screen(CheckinScreen(self.session, self, standalone=True))
        elif self.participant:
            self.push_screen(RoomScreen(self.room, self))
            if self.ask_name:
                self.push_screen(NameScreen(self.room), self.named)
        else:
            self.push_screen(HomeScreen(self.session, self))
        # Draw the first screen before loading: the loading thread competes for the GIL.
        self.call_after_refresh(self.load_log)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_log(self) -> None:
        """Catch up with the log and gather home's lists away from the screen, which stays
        responsive meanwhile (the first read of a large log builds its snapshot).

        What is alive once loaded (the app's own objects, home's lists) is kept from the
        garbage collector's traversals, which would hold up the screen for a moment each
        time. A failure reaches :meth:`on_worker_state_changed` alone (no traceback).
        """
        with gc_paused(freeze=True):
            self.session.load(retros=MAX_RETROS, due=MAX_DUE)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "load":
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            message = str(error) if isinstance(error, RetroError) else repr(error)
            self.exit(message=Text(clean(f"retro: {message}")), return_code=1)
        elif event.state == WorkerState.SUCCESS:
            self.log_loaded()

    def log_loaded(self) -> None:
        """The log is read: show it, and keep watching it for other writers."""
        self.session.loaded = True
        for problem in self.session.problems()[:3]:
            self.notify(f"{self.session.log_name}: {problem} (skipped; see retro verify)",
                        severity="warning", markup=False, timeout=10)  # fmt: skip
        if self.poll_enabled:
            self.set_interval(POLL_SECONDS, self.poll)
            self.set_interval(HEARTBEAT_SECONDS, self.heartbeat)
        if self.start == "run":
            self.start_retro(self.sprint, self.fmt)
        if self.participant:
            self.log_changed.subscribe(self, lambda _: self.enter_room())
            self.enter_room()
        self.log_changed.publish(None)

    def poll(self) -> None:
        """Pick up what other processes appended to the log (the session tells the screens)."""
        try:
            self.session.refresh()
        except RetroError as err:
            self.failed(err)

    # --- the room of a live retro ------------------------------------------------------------

    @property
    def participant(self) -> bool:
        """True when this app joined someone else's retro (``retro join``)."""
        return self.room.role == PARTICIPANT

    def named(self, name: str | None) -> None:
        """A browser's participant said who they are."""
        if name:
            self.room.name = name
            self.enter_room()

    def enter_room(self) -> None:
        """Be present in the room's retro once there is one (and once named)."""
        if not self.loaded or not self.room.name:
            return
        retro = self.room.retro()
        if retro is None or self.joined == retro["id"]:
            return
        try:
            self.room.join()
        except RetroError as err:
            self.refused(err)
            return
        self.joined = retro["id"]

    def refused(self, err: RetroError) -> None:
        """The room would not take this person (their name is someone else's there): a
        browser's participant chooses another name; a terminal's is told how, and quits."""
        if not self.participant:
            self.failed(err)
        elif self.ask_name:
            self.notify(str(err), severity="warning", timeout=8)
            self.push_screen(NameScreen(self.room), self.named)
        else:
            self.exit(message=Text(clean(f"retro: {err}")), return_code=2)

    def heartbeat(self) -> None:
        """Tell the room this app is still there (a killed one shows as away)."""
        if self.joined is None:
            return
        try:
            self.room.heartbeat()
        except RetroError as err:
            self.failed(err)

    def leave_room(self) -> None:
        """Say goodbye to the room on a clean quit."""
        if self.joined is not None:
            with contextlib.suppress(RetroError):
                self.room.leave()

    def room_shows(self, step: str) -> bool:
        """True when the facilitator's screen for ``step`` is the room's: the room writes,
        reveals, groups or votes there now."""
        phase = self.room.phase()
        return (phase is not None and phase.step == step and phase.phase != DISCUSS
                and self.room.kind() is not None)  # fmt: skip

    def next_phase(self) -> None:
        """F5: start the step's group exercise, or move it to its next phase (after the
        discussion: to the next step)."""
        self._move_room(stop=False)

    def toggle_exercise(self) -> None:
        """F7: run this step as a group exercise, or no longer."""
        self._move_room(stop=True)

    def extend_timer(self) -> None:
        """F6: one more minute for the phase the room is in."""
        try:
            self.room.extend(1)
        except RetroError as err:  # no exercise runs: a hint, not a failure
            self.notify(str(err), severity="warning", timeout=4)

    def _move_room(self, *, stop: bool) -> None:
        """Start the current step's group exercise; else move it on, or ``stop`` it."""
        step = (self.session.retro or {}).get("step")
        if not isinstance(step, str) or self.participant:
            return
        try:
            if self.room.phase() is None:
                self.room.start_exercise()
                self.enter_room()
            elif stop:
                self.room.stop_exercise()
            elif self.room.next_phase() is None:
                self.leave_then(lambda: self.goto_step(self.session.step_after(step, +1)))
                return
        except RetroError as err:
            self.failed(err)
            return
        self.show_step(step)

    def failed(self, err: RetroError) -> None:
        """Say what went wrong, in one line."""
        self.notify(str(err), severity="error", markup=False)

    # --- moving between screens ------------------------------------------------------------

    def start_retro(self, sprint: str = "current", fmt: str | None = None) -> None:
        """Resume the team's retro for a sprint (in format ``fmt``, if given) at the step
        where it was left, or draft one."""
        try:
            retro = self.session.start_retro(sprint, fmt)
        except RetroError as err:
            self.failed(err)
            return
        self.resume_at(retro.get("step"))

    def open_retro(self, retro_id: str, step: str | None = None) -> None:
        """Show a retro at ``step`` (default: where it was left)."""
        retro = self.session.open_retro(retro_id)
        if retro is not None:
            self.resume_at(step or retro.get("step"))

    def resume_at(self, step: str | None) -> None:
        """Show the open retro at ``step``, or at its first step when its format has no such
        step (say so when the retro's format is not known here)."""
        unknown = self.session.unknown_format()
        if unknown:
            self.notify(unknown, severity="warning", timeout=8)
        steps = self.session.steps()
        self.goto_step(step if step in steps else steps[0])

    def goto_step(self, step: str) -> None:
        """Switch to a step of the open retro, and remember it in the log (once recorded)."""
        if self.participant or self.session.retro is None or step not in self.session.steps():
            return
        moved = self.session.retro.get("step") != step
        try:
            if moved and self.session.retro_id is not None:
                self.room.arrive(step)  # the step and its phase in one revision
            else:
                self.session.remember_step(step)
            if self.room.phase() is not None:  # a group exercise: be seen in the room
                self.enter_room()
        except RetroError as err:
            self.failed(err)
            return
        self.show_step(step)

    def show_step(self, step: str) -> None:
        """Show the screen ``step`` has now: the room's while it runs a group exercise."""
        if self.room_shows(step):
            screen: Screen[None] = RoomScreen(self.room, self)
        else:
            screen = step_screen(step, self.session, self)
        if isinstance(self.screen, StepScreen | RoomScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def go_home(self) -> None:
        """Back to the home screen."""
        while len(self.screen_stack) > 1 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    # --- actions for bindings and the command palette ------------------------------------

    def leave_then(self, then: Callable[[], object]) -> None:
        """Do ``then`` once the screen in front agrees (a form may hold unsaved text)."""
        if isinstance(self.screen, StepScreen):
            self.screen.leave(then)
        else:
            then()

    async def action_quit(self) -> None:
        """Quit, once nothing typed would be lost."""
        self.leave_then(self.exit)

    def on_unmount(self) -> None:
        """However the app ends (Ctrl+Q, a closed browser tab), the room sees it leave."""
        self.leave_room()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.session.retro_format()))

    def action_checkin(self) -> None:
        if self.loaded and not self.participant:
            self.push_screen(CheckinScreen(self.session, self))

    def action_start_retro(self) -> None:
        if self.loaded and not self.participant:
            self.start_retro("current")

    def action_home(self) -> None:
        if not self.participant:
            self.go_home()

    def action_report(self) -> None:
        if self.loaded and not self.participant and not isinstance(self.screen, ReportScreen):
            self.push_screen(ReportScreen(self.session, self))

    def action_export(self) -> None:
        """Write the open retro's summary as Markdown beside the log, and copy it."""
        if self.participant:
            return
        if self.session.retro is None:
            self.notify("Open a retro first.", severity="warning")
            return
        try:
            text, path = self.session.export_summary()
        except RetroError as err:
            self.failed(err)
            return
        self.copy_to_clipboard(text)
        self.notify(f"Summary written to {path} and copied to the clipboard.", markup=False)

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save a screenshot (not a participant's: their app writes no files)."""
        if not self.participant:
            super().action_screenshot(filename, path)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        if self.participant:  # a participant's app reads and writes the room, nothing else
            for command in super().get_system_commands(screen):
                if command.title in PARTICIPANT_COMMANDS:
                    yield command
            yield SystemCommand("Help", "Keys and steps", self.action_help)
            return
        yield from super().get_system_commands(screen)
        yield SystemCommand("Start or resume this sprint's retro", "The guided retrospective",
                            self.action_start_retro)  # fmt: skip
        yield SystemCommand("Quick check-in", "What changed, what risk went down, what we learned",
                            self.action_checkin)  # fmt: skip
        yield SystemCommand("Home", "The team's retros and what is due", self.action_home)
        yield SystemCommand("Organisation report", "Every team in the log: outcomes, decisions, "
                            "fragmentation", self.action_report)  # fmt: skip
        yield SystemCommand("Help", "Keys and steps", self.action_help)
        if self.session.retro is not None:
            for number, step in enumerate(self.session.steps(), start=1):
                yield SystemCommand(
                    f"Go to step {number}: {STEP_TITLES[step]}",
                    "In this retro",
                    lambda step=step: self.leave_then(lambda: self.goto_step(step)),
                )
            yield SystemCommand("Export the summary as Markdown", "A file, and the clipboard",
                                self.action_export)  # fmt: skip

    # --- theme --------------------------------------------------------------------------------

    def watch_theme(self, theme: str) -> None:
        """Remember the theme chosen in the app for next time (not a participant's)."""
        if not self._theme_ready or self.participant or theme == self.settings.config.get("theme"):
            return
        try:
            values = dict(self.settings.config)
            values["theme"] = theme
            write_config(self.settings.config_file, values)
            self.settings.config["theme"] = theme
        except (RetroError, OSError) as err:
            self.notify(f"Could not save the theme: {err}", severity="warning", markup=False)
