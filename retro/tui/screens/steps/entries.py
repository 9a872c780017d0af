"""Steps 3–8: record entries of one kind, a form above and the retro's entries below
(the six kinds themselves are in :mod:`.kinds`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Label

from retro.errors import RetroError
from retro.insights import Metrics
from retro.live import lead_of
from retro.model import Record, first_line, title
from retro.tui.forms import LINK_PICKERS, EntryForm
from retro.tui.room_widgets import PhaseBar, people_line
from retro.tui.screens.confirm import ConfirmScreen
from retro.tui.screens.steps.base import StepScreen
from retro.tui.widgets import STEP_TITLES, EntryTable, Picker, cell, entry_row


class EntryStep(StepScreen):
    """Record entries of one kind: a form, and the retro's entries of that kind below it."""

    KIND: ClassVar[str] = "output"
    COLUMNS: ClassVar[Sequence[str]] = ("text",)
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+n", "new", "New"),
        Binding("ctrl+d", "delete", "Delete", priority=True),
        Binding("ctrl+z", "undo", "Undo delete", priority=True),
        Binding("ctrl+t", "jump", "Table", priority=True),
        # a live retro (see retro.tui.screens.room): run this step as a group exercise
        Binding("f5", "next_phase", "Next phase", show=False),
        Binding("f6", "extend", "+1 min", show=False),
        Binding("f7", "exercise", "Group exercise", show=False),
    ]

    def action_jump(self) -> None:
        """From the form to the saved entries and back: the table is many fields down."""
        table = self.query_one("#entries", EntryTable)
        if table.has_focus or not table.display:
            self.query_one(EntryForm).focus_back()
        else:
            table.focus()

    def body(self) -> ComposeResult:
        yield PhaseBar(self.session.now, id="phase-bar")
        yield Label("", id="room-people", markup=False)
        session = self.session
        options = {"decisions": session.decisions(), "outputs": session.retro_entries(["output"])}
        yield EntryForm(self.KIND, options, people=self.nav.room.owners(), id="form")
        with Horizontal(classes="buttons"):
            for button in (
                Button("Save", id="save", variant="primary", compact=True),
                Button("New", id="new", compact=True),
                Button("Delete", id="delete", variant="error", compact=True),
            ):
                button.can_focus = False  # Ctrl+S, Ctrl+N, Ctrl+D: no Tab stops
                yield button  # fmt: skip
        yield Label("", id="list-title", classes="section")
        yield EntryTable(self.COLUMNS, id="entries")
        yield from self.extra()

    def extra(self) -> ComposeResult:
        """Widgets below the list (e.g. orphan outputs on the outcomes step)."""
        yield from ()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(EntryForm).focus_first()

    def refresh_body(self, figures: Metrics) -> None:
        records = self.session.retro_entries([self.KIND])
        room = self.nav.room
        phase = room.phase()
        here = phase if phase is not None and phase.step == self.STEP else None
        self.query_one(PhaseBar).show(here)
        people = self.query_one("#room-people", Label)
        people.update(people_line(room.people()))
        people.display = here is not None
        counted = room.tally() if here is not None else None
        self.query_one("#list-title", Label).update(
            f"{STEP_TITLES[self.STEP]} in this retro: {len(records)}"
            + ("   (most dots first)" if counted is not None and records else "")
            + ("   (Enter on a row edits it)" if records else "")
        )
        self.query_one("#entries").display = bool(records)
        self.query_one("#delete").display = bool(records)
        rows = [self.row(r, figures) for r in records]
        if counted is not None:  # the room voted: discuss the cards most dots first
            rows = self.in_vote_order(records, rows, counted)
        self.query_one("#entries", EntryTable).show(rows)

    def in_vote_order(self, records: list[Record], rows: list[tuple[str, list[Text]]],
                      counted: Mapping[str, int]) -> list[tuple[str, list[Text]]]:  # fmt: skip
        """The rows with their dots, most first; folded cards under the card they joined."""
        order = {card["id"]: n for n, card in enumerate(self.nav.room.ordered())}
        cards = {rec["id"]: rec for rec in records}
        lead = {rid: lead_of(rec, cards) for rid, rec in cards.items()}
        rows = sorted(rows, key=lambda row: (order.get(lead[row[0]], len(order)),
                                             lead[row[0]] != row[0]))  # fmt: skip
        return [(key, [cell(f"{counted.get(key, 0)}● " if lead[key] == key else "  ↳ ")
                       + cells[0], *cells[1:]]) for key, cells in rows]  # fmt: skip

    # --- a live retro: the facilitator's keys (see retro.tui.screens.room) --------------------

    def action_next_phase(self) -> None:
        self.leave(self.nav.next_phase)

    def action_extend(self) -> None:
        self.nav.extend_timer()

    def action_exercise(self) -> None:
        self.leave(self.nav.toggle_exercise)

    def row(self, rec: Record, figures: Metrics) -> tuple[str, list[Text]]:
        """The table row of an entry."""
        return entry_row(rec)

    # --- nothing typed is lost -----------------------------------------------------------

    def leave(self, then: Callable[[], object]) -> None:
        """Ask before unsaved text in the form is thrown away: save it, discard it or stay."""
        form = self.query_one(EntryForm)
        if not form.dirty:
            then()
            return
        what = "your changes to this entry" if form.editing else "the entry you started"

        def answered(answer: str | None) -> None:
            if answer == "discard" or (answer == "save" and self.action_save()):
                then()

        self.app.push_screen(
            ConfirmScreen(f"Save {what} before leaving?",
                          [("save", "Save"), ("discard", "Discard"), ("stay", "Stay")],
                          cancel="stay"),
            answered,
        )  # fmt: skip

    @on(Input.Submitted, "#form Input")
    @on(Button.Pressed, "#save")
    def action_save(self) -> bool:
        """Save the form (only what changed); True when nothing is left unsaved."""
        session = self.session
        form = self.query_one(EntryForm)
        parsed = form.read(when=session.settings.when, day=session.settings.day)
        if parsed is None or session.retro is None:
            return False
        text, fields, links = parsed
        try:
            if form.editing:
                changed = session.edit_entry(form.editing, text, fields, links,
                                             offered=self._picker_ids())  # fmt: skip
                message = "Saved" if changed else "Nothing changed"
            else:
                session.add_entry(self.KIND, text, fields, links)
                message = "Added"
        except RetroError as err:
            self.notify(str(err), severity="error", markup=False)
            return False
        form.clear()
        form.focus_first()
        self.notify(f"{message}: {first_line(text, 60)}", timeout=2, markup=False)
        return True

    def _picker_ids(self) -> set[str]:
        ids: set[str] = set()
        for picker in self.query("#form Picker").results(Picker):
            if (picker.id or "").removeprefix("field-") in LINK_PICKERS:
                ids |= picker.ids
        return ids

    @on(DataTable.RowSelected, "#entries")
    def edit_row(self, event: DataTable.RowSelected) -> None:
        rec = self.session.record(str(event.row_key.value))
        if rec is None:
            return

        def load() -> None:
            form = self.query_one(EntryForm)
            form.load(rec, links=self.session.links(rec["id"]))
            form.focus_first()

        self.leave(load)

    @on(Button.Pressed, "#new")
    def action_new(self) -> None:
        form = self.query_one(EntryForm)

        def start() -> None:
            form.clear()
            form.focus_first()

        self.leave(start)

    @on(Button.Pressed, "#delete")
    def action_delete(self) -> None:
        """Delete the entry being edited, or the one highlighted in the table, once confirmed."""
        form = self.query_one(EntryForm)
        table = self.query_one("#entries", EntryTable)
        target = form.editing or (table.current_key() if table.has_focus else None)
        rec = self.session.record(target or "")
        if rec is None:
            self.notify("Choose an entry first: Enter on a row of the table loads it, then "
                        "Ctrl+D deletes it.", timeout=4, markup=False)  # fmt: skip
            return

        def answered(answer: str | None) -> None:
            if answer != "delete":
                return
            try:
                gone = self.session.remove_entry(rec["id"])
            except RetroError as err:
                self.notify(str(err), severity="error", markup=False)
                return
            if form.editing == gone["id"]:
                form.clear()
            self.notify(f"Deleted: {title(gone, 50)}. Ctrl+Z restores it.", timeout=5,
                        markup=False)  # fmt: skip

        self.app.push_screen(
            ConfirmScreen(f"Delete this {rec['kind']}?\n\n“{title(rec, 120)}”\n\n"
                          "Ctrl+Z restores it afterwards; its history stays in the log.",
                          [("keep", "Keep it"), ("delete", "Delete")], cancel="keep"),
            answered,
        )  # fmt: skip

    def action_undo(self) -> None:
        """Restore the last entry deleted in this app (a new revision that outranks it)."""
        if self.session.last_deleted is None:
            self.notify("Nothing to restore: no entry was deleted here.", markup=False)
            return
        try:
            back = self.session.restore_last()
        except RetroError as err:
            self.notify(str(err), severity="error", markup=False)
            return
        self.notify(f"Restored: {title(back, 60)}", timeout=3, markup=False)
