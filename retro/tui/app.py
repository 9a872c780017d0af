"""The Textual app: loads the log in a worker, keeps it fresh, and moves between screens."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from retro import dates, sessions
from retro.bulk import gc_paused
from retro.config import Settings, write_config
from retro.errors import RetroError
from retro.insights import LinkIndex, Metrics, metrics
from retro.model import STEPS, Record
from retro.present.sanitize import clean
from retro.scope import FollowUp
from retro.store import Repository
from retro.tui.themes import DEFAULT_THEME, app_variable_defaults, load_themes, pick_theme
from retro.tui.widgets import FOCUS_KEYS

POLL_SECONDS = 1.0


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
        theme: str | None = None,
        poll: bool = True,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.start = start  # home | run | checkin
        self.sprint = sprint
        self.team = settings.team
        self.repo = Repository(
            settings.log, author=settings.author, team=settings.team, clock=settings.clock
        )
        self.retro_id: str | None = None
        self._draft: Record | None = None  # a retro not yet recorded: see start_retro
        self.last_deleted: str | None = None  # what Ctrl+Z restores
        self._due: tuple[int, list[Record]] | None = None  # open follow-ups, by log version
        self.loaded = False
        self.poll_enabled = poll
        self._theme_choice = theme or settings.theme or DEFAULT_THEME
        self._theme_ready = False

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
        for problem in [*problems, *([unknown] if unknown else [])]:
            self.notify(problem, severity="warning", markup=False, timeout=8)
        self.theme = chosen
        for name in set(self.available_themes) - set(themes):  # the palette offers what
            self.unregister_theme(name)  # `retro themes` lists, and nothing else
        self._theme_ready = True
        self.sub_title = f"{self.team} · {self.settings.log.name}"
        if self.start == "checkin":
            from retro.tui.screens.checkin import CheckinScreen

            self.push_screen(CheckinScreen(standalone=True))
        else:
            from retro.tui.screens.home import HomeScreen

            self.push_screen(HomeScreen())
        # Draw the first screen before loading: the loading thread competes for the GIL.
        self.call_after_refresh(self.load_log)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_log(self) -> None:
        """Read the whole log away from the screen, which stays responsive meanwhile.

        The log stays in memory as long as the app runs: the garbage collector is kept
        from traversing it, which would hold up the screen for a moment each time. A
        failure reaches :meth:`on_worker_state_changed` alone (no traceback).
        """
        with gc_paused(freeze=True):
            self.repo.load(missing_ok=True)
            self.repo.links()  # the indexes, built here rather than on the first refresh
            self.open_follow_ups()  # gathered here too: on a large log it takes a while

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
        self.loaded = True
        for problem in self.repo.problems[:3]:
            self.notify(f"{self.repo.path.name}: {problem} (skipped; see retro verify)",
                        severity="warning", markup=False, timeout=10)  # fmt: skip
        if self.poll_enabled:
            self.set_interval(POLL_SECONDS, self.poll)
        if self.start == "run":
            self.start_retro(self.sprint)
        self.data_changed()

    def poll(self) -> None:
        """Pick up what other processes appended to the log."""
        try:
            changed = self.repo.refresh()
        except RetroError as err:
            self.notify(str(err), severity="error", markup=False)
            return
        if changed:
            self.data_changed()

    def data_changed(self) -> None:
        """Show the log's changes on the screen in front (the others catch up when resumed)."""
        if self.loaded and getattr(self.screen, "ready", False):
            self.screen.refresh_data()  # type: ignore[attr-defined]

    # --- the retro -----------------------------------------------------------------------

    @property
    def retro(self) -> Record | None:
        """The open retro, as currently recorded (or as drafted, until its first write)."""
        if self.retro_id is None:
            return self._draft
        return self.repo.record(self.retro_id)

    def saved_retro(self) -> Record:
        """The open retro, written to the log first if it is still a draft."""
        if self.retro_id is None:
            if self._draft is None:
                raise RetroError("no retro is open")
            draft = self._draft
            fields = {k: v for k, v in draft.items() if k in sessions.RETRO_FIELDS}
            self.retro_id = self.repo.add("retro", draft["text"], fields=fields)["id"]
            self._draft = None
        retro = self.retro
        assert retro is not None
        return retro

    def today(self) -> date:
        return self.settings.clock().date()

    def when(self, text: str, *, forward: bool = False) -> datetime:
        """People's dates, with the configured cadence; ``forward`` for when something is due."""
        return dates.parse_when(
            text, now=self.settings.clock(), cadence=self.settings.cadence, forward=forward
        )

    def day(self, text: str, *, forward: bool = False) -> date:
        return dates.parse_day(
            text, now=self.settings.clock(), cadence=self.settings.cadence, forward=forward
        )

    def start_retro(self, sprint: str = "current") -> None:
        """Resume the team's retro for a sprint at the step where it was left, or draft one.

        A drafted retro reaches the log with the first thing recorded in it: looking at a
        sprint does not leave an empty retro behind.
        """
        try:
            period = sessions.sprint_period(sprint, self.settings.cadence, self.today())
        except (ValueError, OverflowError, dates.DateError) as err:
            self.notify(str(err), severity="error", markup=False)
            return
        existing = sessions.find_retro(self.repo, self.team, period)
        if existing is not None:
            self.open_retro(existing["id"])
            return
        self._draft = sessions.draft_retro(self.repo, self.team, period, self.repo.author)
        self.retro_id = None
        self.goto_step("frame")

    def open_retro(self, retro_id: str, step: str | None = None) -> None:
        """Show a retro at ``step`` (default: where it was left)."""
        self.retro_id = retro_id
        self._draft = None
        retro = self.retro
        if retro is None:
            return
        self.goto_step(step or retro.get("step") or "frame")

    def goto_step(self, step: str) -> None:
        """Switch to a step of the open retro, and remember it in the log (once recorded)."""
        from retro.tui.screens.steps import StepScreen, step_screen

        retro = self.retro
        if retro is None or step not in STEPS:
            return
        if self.retro_id is not None and retro.get("step") != step:
            self.repo.edit(retro["id"], fields={"step": step})
        screen = step_screen(step)
        if isinstance(self.screen, StepScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def step_after(self, step: str, direction: int) -> str:
        """The next (or previous) step, skipping follow-ups when there are none."""
        index = STEPS.index(step) + direction
        if 0 <= index < len(STEPS) and STEPS[index] == "follow-ups" and not self.follow_ups():
            index += direction
        return STEPS[max(0, min(len(STEPS) - 1, index))]

    def follow_ups(self) -> list[FollowUp]:
        """The actions the open retro brings back."""
        retro = self.retro
        return sessions.follow_ups(self.repo, retro) if retro else []

    def retro_entries(self, kinds: Iterable[str] = ()) -> list[Record]:
        """The open retro's entries (see :mod:`retro.scope`)."""
        retro = self.retro
        return sessions.entries(self.repo, retro, list(kinds)) if retro else []

    def retro_metrics(self) -> Metrics:
        """The open retro's figures, the same as the summary, home and the report show."""
        retro = self.retro
        if retro is None:
            return metrics([])
        return sessions.figures(self.repo, retro, self.retro_entries(), index=self.link_index())

    def open_follow_ups(self) -> list[Record]:
        """The team's open actions and outcomes awaiting evidence, as of the log's state."""
        version = self.repo.version
        if self._due is None or self._due[0] != version:
            self._due = (version, sessions.open_follow_ups(self.repo, self.team))
        return self._due[1]

    def link_index(self) -> LinkIndex:
        """Links between all records, in both directions (kept up to date by the store)."""
        return self.repo.links()

    def decisions(self) -> list[Record]:
        """Every decision in the log, newest first."""
        return sorted(self.repo.find(kinds=["decision"]), key=lambda r: r["created_at"],
                      reverse=True)  # fmt: skip

    # --- actions for bindings and the command palette ------------------------------------

    def leave_then(self, then: Callable[[], object]) -> None:
        """Do ``then`` once the screen in front agrees (a form may hold unsaved text)."""
        leave = getattr(self.screen, "leave", None)
        if callable(leave):
            leave(then)
        else:
            then()

    async def action_quit(self) -> None:
        """Quit, once nothing typed would be lost."""
        self.leave_then(self.exit)

    def action_help(self) -> None:
        from retro.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_checkin(self) -> None:
        from retro.tui.screens.checkin import CheckinScreen

        if self.loaded:
            self.push_screen(CheckinScreen())

    def action_start_retro(self) -> None:
        if self.loaded:
            self.start_retro("current")

    def action_home(self) -> None:
        from retro.tui.screens.home import HomeScreen

        while len(self.screen_stack) > 1 and not isinstance(self.screen, HomeScreen):
            self.pop_screen()

    def action_report(self) -> None:
        from retro.tui.screens.report import ReportScreen

        if self.loaded and not isinstance(self.screen, ReportScreen):
            self.push_screen(ReportScreen())

    def action_export(self) -> None:
        from retro.tui.screens.steps import export_summary

        export_summary(self)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Start or resume this sprint's retro", "The guided retrospective",
                            self.action_start_retro)  # fmt: skip
        yield SystemCommand("Quick check-in", "What changed, what risk went down, what we learned",
                            self.action_checkin)  # fmt: skip
        yield SystemCommand("Home", "The team's retros and what is due", self.action_home)
        yield SystemCommand("Organisation report", "Every team in the log: outcomes, decisions, "
                            "fragmentation", self.action_report)  # fmt: skip
        yield SystemCommand("Help", "Keys and steps", self.action_help)
        if self.retro is not None:
            from retro.tui.widgets import STEP_TITLES

            for number, step in enumerate(STEPS, start=1):
                yield SystemCommand(f"Go to step {number}: {STEP_TITLES[step]}", "In this retro",
                                    lambda step=step: self.leave_then(lambda: self.goto_step(step)))
            yield SystemCommand("Export the summary as Markdown", "A file, and the clipboard",
                                self.action_export)  # fmt: skip

    # --- theme --------------------------------------------------------------------------------

    def watch_theme(self, theme: str) -> None:
        """Remember the theme chosen in the app for next time."""
        if not self._theme_ready or theme == self.settings.config.get("theme"):
            return
        try:
            values = dict(self.settings.config)
            values["theme"] = theme
            write_config(self.settings.config_file, values)
            self.settings.config["theme"] = theme
        except (RetroError, OSError) as err:
            self.notify(f"Could not save the theme: {err}", severity="warning", markup=False)

    def export_path(self, retro: Record) -> Path:
        """Where a retro's Markdown summary is written: beside the log."""
        from retro.fsio import safe_file_name

        period = retro.get("period_start") or retro["id"][:8]
        return self.settings.log.parent / safe_file_name(retro["team"], f"-retro-{period}.md")

