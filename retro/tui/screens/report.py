"""The organisation report as a screen: teams and periods, decisions, fragmentation."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Label, LoadingIndicator, TabbedContent

from retro.model import Record
from retro.present.format import plural, ratio_text
from retro.present.sanitize import clean
from retro.present.tables import Table, cell, for_people, label, report_tables
from retro.report import Report, build_report
from retro.tui.screens.base import SessionScreen, watch_log


class ReportScreen(SessionScreen):
    """Across every team in the log: figures per sprint, the decision ledger, fragmentation."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]
    ready = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("", id="report-scope", classes="step-hint")
        yield LoadingIndicator(id="report-loading")
        with TabbedContent("Teams", "Decisions", "Fragmentation", "Dependencies",
                           id="report-tabs"):  # fmt: skip
            for name in ("teams", "decisions", "fragmentation", "dependencies"):
                yield DataTable[Text](id=f"report-{name}", zebra_stripes=True, cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "organisation report"
        self.query_one("#report-tabs").display = False
        self.ready = True
        watch_log(self, self.nav, self.refresh_data)
        self.refresh_data()

    def refresh_data(self) -> None:
        """Compute the report again, away from the screen."""
        self.compute(list(self.session.records().values()))

    @work(thread=True, exclusive=True)
    def compute(self, records: list[Record]) -> None:
        result = build_report(records)
        self.app.call_from_thread(self.show, result, len(records))

    def show(self, result: Report, entries: int) -> None:
        """Fill the tables."""
        self.query_one("#report-loading").display = False
        self.query_one("#report-tabs").display = True
        unreinforced = "; ".join(d.title for d in result.unreinforced) or "none"
        coherence = ratio_text(result.coherence)
        self.query_one("#report-scope", Label).update(Text(clean(
            f"{plural(len(result.teams), 'team')}, {entries} entries. Coherence {coherence}. "
            f"Decisions no team reinforces: {unreinforced}")))  # fmt: skip
        for table in report_tables(result):
            widget = self.query_one(f"#report-{table.name}", DataTable)
            self._fill(widget, for_people(table, compact=True))

    @staticmethod
    def _fill(widget: DataTable[Text], table: Table) -> None:
        """The table as people read it: headers in words, no ids."""
        widget.clear(columns=True)
        for column in table.columns:
            widget.add_column(Text(label(column)))
        for row in table.rows:
            widget.add_row(*(Text(clean(cell(value))[:60]) for value in row))
