"""Home: the team's retros with their outcome ratio, and the follow-ups that are due."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Label, LoadingIndicator
from textual.worker import get_current_worker

from retro.model import Record
from retro.present.format import ratio_text
from retro.tui.screens.base import SessionScreen, watch_log
from retro.tui.session import RetroFigures
from retro.tui.text import literal, period_label
from retro.tui.widgets import EntryTable, cell, entry_row

MAX_RETROS = 50  # the newest retros shown (the report has them all)
MAX_DUE = 200
FIGURES_AT_ONCE = 5  # retros whose figures are shown together as they come
BUTTONS = {"start": "app.start_retro", "checkin": "app.checkin", "report": "app.report"}


def counted(total: int, most: int, which: str) -> str:
    """How many there are, and how many are shown when not all: "12" or "the first 200 of 1,204"."""
    return f"{total:,}" if total <= most else f"{which} {most} of {total:,}"


class HomeScreen(SessionScreen):
    """The team's retros, open and closed, and what is due."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (96, "-wide")]  # narrow: the panes stack
    BINDINGS = [
        Binding("s", "app.start_retro", "Start/resume retro"),
        Binding("c", "app.checkin", "Check-in"),
        Binding("r", "app.report", "Report"),
        Binding("q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield LoadingIndicator(id="loading")
        with Horizontal(id="home"):
            with Vertical(id="retros-pane"):
                yield Label("Retros", classes="pane-title", id="retros-title")
                yield EntryTable(["period", "focus", "status", "ratio", "entries"], id="retros")
            with Vertical(id="due-pane"):
                yield Label("Follow-ups due", classes="pane-title", id="due-title")
                yield EntryTable(["what", "due", "owner"], id="due")
        with Horizontal(id="home-buttons"):
            yield Button("Start or resume this sprint's retro", id="start", variant="primary",
                         compact=True)  # fmt: skip
            yield Button("Quick check-in", id="checkin", compact=True)
            yield Button("Organisation report", id="report", compact=True)
        yield Footer()

    ready = False  # set once mounted: only then can the log's changes be shown
    listed = False  # set once both tables list what they show (figures may still come)
    shown = False  # set once the tables show the log, each retro's figures included

    def on_mount(self) -> None:
        self._figures: dict[str, RetroFigures] = {}  # the figures shown, by retro
        self.query_one("#home").display = False
        self.ready = True
        watch_log(self, self.nav, self.refresh_data)
        if self.session.loaded:
            self.call_after_refresh(self.refresh_data)

    def on_screen_suspend(self) -> None:
        """Behind another screen, the loading indicator stops: it redraws 16 times a second,
        and a retro can last an hour (it comes back on resume if the log is still loading)."""
        self.query_one("#loading").display = False

    def on_screen_resume(self) -> None:
        if self.ready and self.session.loaded:
            self.refresh_data()
        elif self.ready:
            self.query_one("#loading").display = True

    def refresh_data(self) -> None:
        """Fill the tables from the log (they cut their cells again once they have a width).

        Each retro's figures read its entries: those not known yet are gathered away from
        the screen, and shown as they come (the newest retros first).
        """
        self.query_one("#loading").display = False
        self.query_one("#home").display = True
        retros, total = self.session.team_retros(MAX_RETROS)
        self.show_retros(retros)
        team = self.session.team  # shown literally: team names are not markup
        heading = literal(f"Retros of {team} ({counted(total, MAX_RETROS, 'the newest')})")
        self.query_one("#retros-title", Label).update(heading)
        self.show_due()
        self.listed = True
        if all(self.session.known_figures(retro) for retro in retros):
            self.shown = True
        else:
            self.shown = False
            self.gather_figures(retros)

    def show_retros(self, retros: list[Record]) -> None:
        """List the retros, with the figures known so far (or shown last; "…" for none)."""
        rows = []
        for retro in retros:
            known = self.session.known_figures(retro) or self._figures.get(retro["id"])
            if known is not None:
                self._figures[retro["id"]] = known  # shown until the new ones come
            ratio, entries = ("…", "…") if known is None else (
                ratio_text(known[0].outcome_ratio), known[1])  # fmt: skip
            rows.append((retro["id"], [cell(period_label(retro)), cell(retro.get("focus") or "—"),
                                       cell(retro.get("status") or "open"), cell(ratio),
                                       cell(entries)]))  # fmt: skip
        self.query_one("#retros", EntryTable).show(rows)

    @work(thread=True, exclusive=True, group="figures", exit_on_error=False)
    def gather_figures(self, retros: list[Record]) -> None:
        """Compute each retro's figures away from the screen; show them every few retros."""
        worker = get_current_worker()
        for done, retro in enumerate(retros, start=1):
            if worker.is_cancelled:
                return
            self.session.retro_figures(retro)
            if done % FIGURES_AT_ONCE == 0 or done == len(retros):
                self.app.call_from_thread(self.figures_came, retros, done == len(retros))

    def figures_came(self, retros: list[Record], complete: bool) -> None:
        self.show_retros(retros)
        self.shown = complete and all(self.session.known_figures(r) for r in retros)

    def show_due(self) -> None:
        """Fill the follow-ups that are due."""
        due, total = self.session.open_follow_ups(MAX_DUE)
        self.query_one("#due", EntryTable).show(
            entry_row(rec, [rec.get("due") or ("awaiting evidence" if rec["kind"] == "outcome"
                                               else "—"), rec.get("owner") or ""])
            for rec in due
        )  # fmt: skip
        heading = f"Follow-ups due ({counted(total, MAX_DUE, 'the first')})"
        self.query_one("#due-title", Label).update(heading)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "retros" and event.row_key.value:
            self.nav.open_retro(str(event.row_key.value))

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        action = BUTTONS.get(event.button.id or "")
        if action:
            await self.run_action(action)
