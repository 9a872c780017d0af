"""Step 9, the summary: the retro's figures; close it; export it as Markdown."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from retro.errors import RetroError
from retro.insights import Metrics
from retro.present.summary import figure_lines, list_lines
from retro.tui.screens.steps.base import StepScreen
from retro.tui.text import literal


class SummaryStep(StepScreen):
    """The figures of the retro; close it; export it as Markdown."""

    STEP = "summary"
    HINT = "What changed this sprint, in figures. Close the retro and share the summary."
    BINDINGS = [Binding("ctrl+e", "app.export", "Export Markdown")]

    def body(self) -> ComposeResult:
        yield Static("", id="figures", markup=False)
        yield Static("", id="summary-lists", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("Close the retro", id="close", variant="primary", compact=True)
            yield Button("Export Markdown", id="export", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#close").focus(scroll_visible=False)

    def refresh_body(self, figures: Metrics) -> None:
        retro = self.session.retro or {}
        lines = figure_lines(figures, retro.get("status") or "open")
        self.query_one("#figures", Static).update(literal("\n".join(lines), multiline=True))
        text = list_lines(figures, self.session.records(), self.session.retro_entries(["action"]))
        self.query_one("#summary-lists", Static).update(literal("\n".join(text), multiline=True))
        closed = retro.get("status") == "closed"
        self.query_one("#close", Button).label = "Reopen the retro" if closed else "Close the retro"

    @on(Button.Pressed, "#close")
    def toggle_close(self) -> None:
        if self.session.retro is None:
            return
        try:
            status = self.session.toggle_closed()
        except RetroError as err:
            self.notify(str(err), severity="error", markup=False)
            return
        self.notify(f"The retro is {status}.", markup=False)

    @on(Button.Pressed, "#export")
    async def export(self) -> None:
        await self.run_action("app.export")

