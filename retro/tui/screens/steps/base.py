"""A step of the retro: the step bar, the step's body, the live counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Label

from retro.insights import Metrics
from retro.present.sanitize import clean
from retro.tui.screens.base import SessionScreen, watch_log
from retro.tui.text import period_label
from retro.tui.widgets import STEP_TITLES, CountsPanel, StepBar


class StepScreen(SessionScreen):
    """A step of the retro: the step bar, the step's body, the live counts."""

    STEP: ClassVar[str] = "frame"
    HINT: ClassVar[str] = ""
    ready = False  # set once the step first shows the log
    BINDINGS = [
        Binding("pagedown", "next_step", "Next step", key_display="PgDn", priority=True),
        Binding("pageup", "prev_step", "Previous", key_display="PgUp", priority=True),
        Binding("escape", "home", "Home"),
    ]

    def compose(self) -> ComposeResult:
        retro = self.session.retro
        if retro is not None:  # set before the header is mounted, which then shows it
            self.sub_title = f"{retro['team']} · retro {period_label(retro)}"
        steps = self.session.steps()
        yield Header()
        yield StepBar(self.STEP, steps, id="step-bar")
        with Horizontal(id="step-main"):
            with VerticalScroll(id="step-body", can_focus=False):  # Tab goes to the fields
                number = steps.index(self.STEP) + 1 if self.STEP in steps else "·"
                yield Label(f"{number}. {STEP_TITLES[self.STEP]}", classes="step-title")
                if hint := self.hint():
                    yield Label(hint, classes="step-hint", markup=False)
                yield from self.body()
            yield CountsPanel(id="counts")
        yield Footer()

    def hint(self) -> str:
        """The step's prompt: the retro's format's, else the step's own."""
        spec = self.session.step_spec(self.STEP)
        return clean(spec.prompt) if spec is not None and spec.prompt else self.HINT

    def body(self) -> ComposeResult:
        """The step's own widgets."""
        yield from ()

    def on_mount(self) -> None:
        self.call_after_refresh(self._first_fill)  # once laid out, tables know their width

    def _first_fill(self) -> None:
        self.refresh_data()
        self.ready = True
        watch_log(self, self.nav, self.refresh_data)

    def on_screen_resume(self) -> None:
        if self.ready:  # back from the help or the check-in: catch up
            self.refresh_data()

    def refresh_data(self) -> None:
        """Show the log's current state."""
        if self.session.retro is None:
            return
        figures = self.session.retro_metrics()
        self.query_one(CountsPanel).show(figures)
        self.refresh_body(figures)

    def refresh_body(self, figures: Metrics) -> None:
        """Update the step's own widgets."""

    def leave(self, then: Callable[[], object]) -> None:
        """Do ``then``, which takes the user away from this screen (steps with forms ask first
        when something typed would be lost)."""
        then()

    def on_step_bar_chosen(self, message: StepBar.Chosen) -> None:
        self.leave(lambda: self.nav.goto_step(message.step))

    def action_next_step(self) -> None:
        self.leave(lambda: self.nav.goto_step(self.session.step_after(self.STEP, +1)))

    def action_prev_step(self) -> None:
        self.leave(lambda: self.nav.goto_step(self.session.step_after(self.STEP, -1)))

    def action_home(self) -> None:
        self.leave(self.nav.go_home)
