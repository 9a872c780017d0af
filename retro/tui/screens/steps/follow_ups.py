"""Step 2, the follow-ups: what became of the actions of earlier retros."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Select
from textual.widgets.select import InvalidSelectValueError

from retro.errors import RetroError
from retro.insights import Metrics
from retro.model import ACTION_STATUSES, MOVED
from retro.present.format import short_day
from retro.tui.screens.steps.base import StepScreen
from retro.tui.text import LiteralInput, Loaded, literal
from retro.tui.widgets import EntryTable, entry_row


class FollowUpsStep(StepScreen):
    """Every action still open or carried from earlier retros: done, dropped or carried over,
    and did its expected outcome move?"""

    STEP = "follow-ups"
    HINT = (
        "Every action still open from earlier retros: what happened, and did the expected "
        "outcome move? Carried ×N: the retros it has already been carried through."
    )

    _loaded: tuple[str, Loaded] | None = None  # the action in the form, as its fields showed it

    def body(self) -> ComposeResult:
        yield EntryTable(["action", "expected", "due", "carried", "status"], id="followups")
        yield Label("", id="followup-none", classes="step-hint")
        with Vertical(id="followup-form"):
            yield Label("", id="fu-expected", classes="step-hint", markup=False)
            with Horizontal(classes="field"):
                yield Label("Status", classes="field-label")
                yield Select([(literal(s), s) for s in ACTION_STATUSES], id="fu-status",
                             compact=True, allow_blank=False)  # fmt: skip
            with Horizontal(classes="field"):
                yield Label("Outcome moved?", classes="field-label")
                yield Select([(literal(m), m) for m in MOVED], id="fu-moved", compact=True,
                             prompt="did it move?")  # fmt: skip
            with Horizontal(classes="field"):
                yield Label("Evidence", classes="field-label")
                yield LiteralInput(placeholder="what shows it moved, or not", id="fu-evidence",
                                   compact=True)  # fmt: skip
            yield Button("Save follow-up", id="fu-save", compact=True, variant="primary")

    def refresh_body(self, figures: Metrics) -> None:
        found = self.session.follow_ups()
        self.query_one("#followups", EntryTable).show(
            entry_row(f.action, [f.action.get("expected_outcome") or "",
                                 short_day(f.action.get("due")),
                                 f"×{f.carried}" if f.carried else "",
                                 f.action.get("status") or "open"])
            for f in found
        )  # fmt: skip
        none = self.query_one("#followup-none", Label)
        none.update("" if found else "No open actions from earlier retros: nothing to follow up.")
        self.query_one("#followup-form").display = bool(found)
        if found and not self.focused:
            self.query_one("#followups").focus()

    @on(DataTable.RowSelected, "#followups")
    def answer_for(self) -> None:
        """Enter on an action: on to its status, then whether the outcome moved, evidence."""
        self.screen.set_focus(self.query_one("#fu-status"))

    @on(DataTable.RowHighlighted, "#followups")
    def load_action(self, event: DataTable.RowHighlighted) -> None:
        action = self.session.record(str(event.row_key.value))
        if action is None:
            return
        expected = action.get("expected_outcome") or "none was written"
        owner, due = action.get("owner") or "nobody yet", action.get("due") or "no date"
        self.query_one("#fu-expected", Label).update(literal(
            f"Expected outcome: {expected}\nOwner: {owner} · due {due}", multiline=True
        ))  # fmt: skip
        loaded = Loaded()
        for wid, name, blank in (("#fu-status", "status", "open"), ("#fu-moved", "moved", None)):
            select = self.query_one(wid, Select)
            value = action.get(name)
            try:
                select.value = value or blank or Select.NULL
            except InvalidSelectValueError:  # none of the choices: kept as it is unless chosen
                select.value = blank or Select.NULL
            if value is not None:
                loaded.remember(name, value, select.value)
        evidence = self.query_one("#fu-evidence", Input)
        evidence.value = str(action.get("moved_evidence") or "")
        if action.get("moved_evidence") is not None:
            loaded.remember("moved_evidence", action["moved_evidence"], evidence.value.strip())
        self._loaded = (action["id"], loaded)

    @on(Button.Pressed, "#fu-save")
    @on(Input.Submitted, "#fu-evidence")
    def save(self) -> None:
        key = self.query_one("#followups", EntryTable).current_key()
        if key is None:
            return
        moved = self.query_one("#fu-moved", Select).value
        status: Any = self.query_one("#fu-status", Select).value
        evidence = self.query_one("#fu-evidence", Input).value.strip()
        loaded = self._loaded[1] if self._loaded and self._loaded[0] == key else Loaded()
        fields = {
            "status": str(status),
            "moved": None if moved is Select.NULL else str(moved),
            "moved_evidence": evidence or None,
        }
        for name, now in (("status", status), ("moved", moved), ("moved_evidence", evidence)):
            if not loaded.touched(name, now):  # left as shown: kept as the log has it
                fields[name] = loaded.original(name)
        try:
            self.session.save_follow_up(key, fields)
        except RetroError as err:
            self.notify(str(err), severity="error", markup=False)
            return
        table = self.query_one("#followups", EntryTable)
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self.screen.set_focus(table)  # on to the next action

