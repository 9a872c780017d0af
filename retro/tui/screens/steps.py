"""The nine steps of a retro, each a screen with the step bar and the live counts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
)
from textual.widgets.select import InvalidSelectValueError

from retro.errors import RetroError
from retro.fsio import write_atomically
from retro.insights import Metrics
from retro.model import ACTION_STATUSES, FOCUSES, MOVED, Record, first_line, risk_score, title
from retro.present.format import day_of
from retro.present.summary import figure_lines, list_lines
from retro.tui.forms import LINK_PICKERS, EntryForm
from retro.tui.screens.confirm import ConfirmScreen
from retro.tui.text import LiteralInput, Loaded, literal, period_label, short_day
from retro.tui.widgets import (
    STEP_TITLES,
    CountsPanel,
    EntryTable,
    Picker,
    StepBar,
    entry_row,
)

if TYPE_CHECKING:
    from retro.tui.app import RetroApp


class StepScreen(Screen[None]):
    """A step of the retro: the step bar, the step's body, the live counts."""

    STEP: ClassVar[str] = "frame"
    HINT: ClassVar[str] = ""
    ready = False  # set once mounted: only then can the log's changes be shown
    BINDINGS = [
        Binding("pagedown", "next_step", "Next step", key_display="PgDn", priority=True),
        Binding("pageup", "prev_step", "Previous", key_display="PgUp", priority=True),
        Binding("escape", "home", "Home"),
    ]

    @property
    def retro_app(self) -> RetroApp:
        return cast("RetroApp", self.app)

    def compose(self) -> ComposeResult:
        retro = self.retro_app.retro
        if retro is not None:  # set before the header is mounted, which then shows it
            self.sub_title = f"{retro['team']} · retro {period_label(retro)}"
        yield Header()
        yield StepBar(self.STEP, id="step-bar")
        with Horizontal(id="step-main"):
            with VerticalScroll(id="step-body", can_focus=False):  # Tab goes to the fields
                number = list(STEP_TITLES).index(self.STEP) + 1
                yield Label(f"{number}. {STEP_TITLES[self.STEP]}", classes="step-title")
                if self.HINT:
                    yield Label(self.HINT, classes="step-hint")
                yield from self.body()
            yield CountsPanel(id="counts")
        yield Footer()

    def body(self) -> ComposeResult:
        """The step's own widgets."""
        yield from ()

    def on_mount(self) -> None:
        self.call_after_refresh(self._first_fill)  # once laid out, tables know their width

    def _first_fill(self) -> None:
        self.refresh_data()
        self.ready = True

    def on_screen_resume(self) -> None:
        if self.ready:  # back from the help or the check-in: catch up
            self.refresh_data()

    def refresh_data(self) -> None:
        """Show the log's current state."""
        if self.retro_app.retro is None:
            return
        figures = self.retro_app.retro_metrics()
        self.query_one(CountsPanel).show(figures)
        self.refresh_body(figures)

    def refresh_body(self, figures: Metrics) -> None:
        """Update the step's own widgets."""

    def leave(self, then: Callable[[], object]) -> None:
        """Do ``then``, which takes the user away from this screen (steps with forms ask first
        when something typed would be lost)."""
        then()

    def on_step_bar_chosen(self, message: StepBar.Chosen) -> None:
        self.leave(lambda: self.retro_app.goto_step(message.step))

    def action_next_step(self) -> None:
        self.leave(lambda: self.retro_app.goto_step(self.retro_app.step_after(self.STEP, +1)))

    def action_prev_step(self) -> None:
        self.leave(lambda: self.retro_app.goto_step(self.retro_app.step_after(self.STEP, -1)))

    def action_home(self) -> None:
        self.leave(self.retro_app.action_home)


# --- 1. Frame --------------------------------------------------------------------------------


class FrameStep(StepScreen):
    """Period, facilitator, participants, the decisions in play and the team's focus."""

    STEP = "frame"
    HINT = "Who is here, which period, what the team optimised for, which decisions are in play."
    SAVE_DELAY = 0.6
    _save_timer: Timer | None = None
    _loaded: Loaded  # the retro's values as the fields showed them: see save

    def body(self) -> ComposeResult:
        retro = self.retro_app.retro or {}
        self._loaded = Loaded()
        for name, caption in (("period_start", "Period start"), ("period_end", "Period end"),
                              ("facilitator", "Facilitator"), ("participants", "Participants")):
            value = retro.get(name)
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value or "")
            field = LiteralInput(value=shown, id=f"frame-{name}", compact=True,
                                 select_on_focus=False)  # fmt: skip
            if value is not None:
                self._loaded.remember(name, value, field.value.strip())
            with Horizontal(classes="field"):
                yield Label(caption, classes="field-label")
                yield field
            yield Label("", id=f"error-{name}", classes="field-error", markup=False)
        focus = retro.get("focus")
        shown_focus = focus if focus in FOCUSES else Select.NULL
        if focus is not None:
            self._loaded.remember("focus", focus, shown_focus)
        with Horizontal(classes="field"):
            yield Label("Focus", classes="field-label")
            yield Select([(literal(f), f) for f in FOCUSES], value=shown_focus, id="frame-focus",
                         compact=True, prompt="what the team optimised for")  # fmt: skip
        yield Label("Strategic decisions in play (space picks)", classes="section")
        yield Picker(self.retro_app.decisions(), chosen=retro.get("decisions") or [],
                     id="frame-decisions", placeholder="type to filter decisions")  # fmt: skip
        yield Label("Add a decision", classes="section")
        with Horizontal(classes="field"):
            yield Label("Decision", classes="field-label")
            yield LiteralInput(placeholder="the strategic decision or bet", id="new-decision",
                               compact=True)  # fmt: skip
        with Horizontal(classes="field"):
            yield Label("Criteria", classes="field-label")
            yield LiteralInput(placeholder="how we will know", id="new-criteria", compact=True)
        with Horizontal(classes="field"):
            yield Label("Review by", classes="field-label")
            yield LiteralInput(placeholder="WHEN it is revisited", id="new-review", compact=True)
        yield Label("", id="error-new", classes="field-error", markup=False)
        yield Button("Add decision", id="add-decision", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#frame-facilitator").focus()

    @on(Input.Changed, "#step-body Input")
    @on(Select.Changed, "#frame-focus")
    @on(SelectionList.SelectionToggled, "#frame-decisions SelectionList")
    def schedule_save(self, event: Any) -> None:
        if isinstance(event, Input.Changed) and (event.input.id or "").startswith("new-"):
            return
        self._stop_timer()
        self._save_timer = self.set_timer(self.SAVE_DELAY, self.save)

    def _stop_timer(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None

    def on_screen_suspend(self) -> None:
        self.save()

    def on_unmount(self) -> None:
        self._stop_timer()

    def _typed(self, name: str) -> str:
        return self.query_one(f"#frame-{name}", Input).value.strip()

    def save(self) -> None:
        """Write the frame to the retro record (only what changed).

        A field left as it was shown keeps the retro's own value, byte for byte: the
        fields show it made safe, which is not what the log holds.
        """
        self._stop_timer()
        app = self.retro_app
        retro = app.retro
        if retro is None or not self.is_attached:
            return
        changes: dict[str, Any] = {}
        for name in ("period_start", "period_end"):
            self.query_one(f"#error-{name}", Label).display = False
        for name in ("period_start", "period_end"):
            raw = self._typed(name)
            if not self._loaded.touched(name, raw):
                continue
            try:
                changes[name] = app.day(raw).isoformat() if raw else None
            except ValueError as err:
                self._show_error(name, str(err))
                return
        start, end = (changes.get(n, retro.get(n)) for n in ("period_start", "period_end"))
        if isinstance(start, str) and isinstance(end, str) and start and end and start > end:
            self._show_error("period_end", "The period must end after it starts.")
            return
        if self._loaded.touched("facilitator", typed := self._typed("facilitator")):
            changes["facilitator"] = typed or None
        if self._loaded.touched("participants", typed := self._typed("participants")):
            changes["participants"] = [p.strip() for p in typed.split(",") if p.strip()]
        focus = self.query_one("#frame-focus", Select).value
        if self._loaded.touched("focus", focus):
            changes["focus"] = None if focus is Select.NULL else str(focus)
        chosen = self.query_one("#frame-decisions", Picker).selected
        if set(chosen) != set(retro.get("decisions") or []):
            changes["decisions"] = chosen
        if any(retro.get(key) != value for key, value in changes.items()):
            try:
                app.repo.edit(app.saved_retro()["id"], fields=changes)
            except RetroError as err:
                app.notify(str(err), severity="error", markup=False)

    def _show_error(self, name: str, message: str) -> None:
        error = self.query_one(f"#error-{name}", Label)
        error.update(literal(message))
        error.display = True

    @on(Button.Pressed, "#add-decision")
    @on(Input.Submitted, "#new-decision, #new-criteria, #new-review")
    def add_decision(self) -> None:
        app = self.retro_app
        text = self.query_one("#new-decision", Input).value.strip()
        error = self.query_one("#error-new", Label)
        if not text:
            error.update("Name the decision first.")
            error.display = True
            return
        fields: dict[str, Any] = {}
        criteria = self.query_one("#new-criteria", Input).value.strip()
        review = self.query_one("#new-review", Input).value.strip()
        try:
            if criteria:
                fields["criteria"] = criteria
            if review:
                fields["review_by"] = app.day(review, forward=True).isoformat()
            decision = app.repo.add("decision", text, fields=fields)
        except (RetroError, ValueError) as err:
            error.update(literal(str(err)))
            error.display = True
            return
        error.display = False
        for wid in ("#new-decision", "#new-criteria", "#new-review"):
            self.query_one(wid, Input).value = ""
        self.query_one("#frame-decisions", Picker).add_choice(decision)
        self.save()
        app.notify(f"Decision added: {text[:60]}", markup=False)


# --- 2. Follow-ups -------------------------------------------------------------------------


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
        found = self.retro_app.follow_ups()
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
        action = self.retro_app.repo.record(str(event.row_key.value))
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
        app = self.retro_app
        key = self.query_one("#followups", EntryTable).current_key()
        if key is None:
            return
        moved = self.query_one("#fu-moved", Select).value
        status: Any = self.query_one("#fu-status", Select).value
        evidence = self.query_one("#fu-evidence", Input).value.strip()
        loaded = self._loaded[1] if self._loaded and self._loaded[0] == key else Loaded()
        try:
            retro = app.saved_retro()
            fields = {
                "status": str(status),
                "moved": None if moved is Select.NULL else str(moved),
                "moved_evidence": evidence or None,
            }
            for name, now in (("status", status), ("moved", moved), ("moved_evidence", evidence)):
                if not loaded.touched(name, now):  # left as shown: kept as the log has it
                    fields[name] = loaded.original(name)
            fields["closed_in"] = retro["id"] if fields["status"] in ("done", "dropped") else None
            app.repo.edit(key, fields=fields)
        except RetroError as err:
            app.notify(str(err), severity="error", markup=False)
            return
        app.data_changed()
        table = self.query_one("#followups", EntryTable)
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self.screen.set_focus(table)  # on to the next action


# --- 3–8. Entry steps ----------------------------------------------------------------------


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
    ]

    def action_jump(self) -> None:
        """From the form to the saved entries and back: the table is many fields down."""
        table = self.query_one("#entries", EntryTable)
        if table.has_focus or not table.display:
            self.query_one(EntryForm).focus_back()
        else:
            table.focus()

    def body(self) -> ComposeResult:
        app = self.retro_app
        options = {"decisions": app.decisions(), "outputs": app.retro_entries(["output"])}
        retro = app.retro or {}
        people = [*(retro.get("participants") or []), retro.get("facilitator") or ""]
        yield EntryForm(self.KIND, options, people=list(dict.fromkeys(filter(None, people))),
                        id="form")  # fmt: skip
        with Horizontal(classes="buttons"):
            for button in (Button("Save", id="save", variant="primary", compact=True),
                           Button("New", id="new", compact=True),
                           Button("Delete", id="delete", variant="error", compact=True)):
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
        records = self.retro_app.retro_entries([self.KIND])
        self.query_one("#list-title", Label).update(
            f"{STEP_TITLES[self.STEP]} in this retro: {len(records)}"
            + ("   (Enter on a row edits it)" if records else "")
        )
        self.query_one("#entries").display = bool(records)
        self.query_one("#delete").display = bool(records)
        self.query_one("#entries", EntryTable).show(self.row(r, figures) for r in records)

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
        app = self.retro_app
        form = self.query_one(EntryForm)
        parsed = form.read(when=app.when, day=app.day)
        if parsed is None or app.retro is None:
            return False
        text, fields, links = parsed
        try:
            if form.editing:
                old = app.repo.records()[form.editing]
                universe = self._picker_ids()
                kept = [rid for rid in old.get("links") or [] if rid not in universe]
                new = app.repo.edit(form.editing, text=text, fields=fields,
                                    unlink=old.get("links") or [], link=[*kept, *links])
                message = "Saved" if new != old else "Nothing changed"  # fmt: skip
            else:
                present = {k: v for k, v in fields.items() if v is not None}
                retro = app.saved_retro()
                app.repo.add(self.KIND, text, fields=present, links=links, retro=retro["id"])
                message = "Added"
        except RetroError as err:
            app.notify(str(err), severity="error", markup=False)
            return False
        form.clear()
        app.data_changed()
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
        rec = self.retro_app.repo.record(str(event.row_key.value))
        if rec is None:
            return

        def load() -> None:
            neighbours = self.retro_app.link_index().get(rec["id"], set())
            form = self.query_one(EntryForm)
            form.load(rec, links=neighbours)
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
        app = self.retro_app
        form = self.query_one(EntryForm)
        table = self.query_one("#entries", EntryTable)
        target = form.editing or (table.current_key() if table.has_focus else None)
        rec = app.repo.record(target or "")
        if rec is None:
            self.notify("Choose an entry first: Enter on a row of the table loads it, then "
                        "Ctrl+D deletes it.", timeout=4, markup=False)  # fmt: skip
            return

        def answered(answer: str | None) -> None:
            if answer != "delete":
                return
            try:
                gone = app.repo.remove(rec["id"])
            except RetroError as err:
                app.notify(str(err), severity="error", markup=False)
                return
            app.last_deleted = gone["id"]
            if form.editing == gone["id"]:
                form.clear()
            app.data_changed()
            self.notify(f"Deleted: {title(gone, 50)}. Ctrl+Z restores it.", timeout=5,
                        markup=False)  # fmt: skip

        app.push_screen(
            ConfirmScreen(f"Delete this {rec['kind']}?\n\n“{title(rec, 120)}”\n\n"
                          "Ctrl+Z restores it afterwards; its history stays in the log.",
                          [("keep", "Keep it"), ("delete", "Delete")], cancel="keep"),
            answered,
        )  # fmt: skip

    def action_undo(self) -> None:
        """Restore the last entry deleted in this app (a new revision that outranks it)."""
        app = self.retro_app
        rid = app.last_deleted
        if rid is None:
            self.notify("Nothing to restore: no entry was deleted here.", markup=False)
            return
        try:
            back = app.repo.restore(rid)
        except RetroError as err:
            app.notify(str(err), severity="error", markup=False)
            return
        app.last_deleted = None
        app.data_changed()
        self.notify(f"Restored: {title(back, 60)}", timeout=3, markup=False)


class OutputsStep(EntryStep):
    STEP, KIND = "outputs", "output"
    HINT = "What was delivered? One per line: type, Enter, next."
    COLUMNS = ("output", "outcome?")

    def row(self, rec: Record, figures: Metrics) -> tuple[str, list[Text]]:
        orphan = rec["id"] in figures.orphan_outputs
        return entry_row(rec, [], "no outcome yet" if orphan else "")


class OutcomesStep(EntryStep):
    STEP, KIND = "outcomes", "outcome"
    HINT = "What changed, for whom, with what evidence? Link the outputs and the decisions."
    COLUMNS = ("outcome", "for whom", "evidence", "confidence", "decision?")

    def row(self, rec: Record, figures: Metrics) -> tuple[str, list[Text]]:
        before, after = rec.get("confidence_before"), rec.get("confidence_after")
        confidence = f"{before or '?'} → {after or '?'}" if before or after else ""
        evidence = " → ".join(str(rec[k]) for k in ("baseline", "observed") if rec.get(k))
        anchored = "none yet" if rec["id"] in figures.unanchored_outcomes else "✓"
        return entry_row(rec, [rec.get("for_whom") or "", evidence or rec.get("evidence") or "",
                               confidence], anchored)  # fmt: skip

    def body(self) -> ComposeResult:
        # The outputs still waiting for an outcome come first: the question of this step.
        yield Label("", id="orphans-title", classes="section")
        yield EntryTable(("output with no outcome yet",), id="orphans")
        yield from super().body()

    def refresh_body(self, figures: Metrics) -> None:
        super().refresh_body(figures)
        records = self.retro_app.repo.records()
        orphans = [records[rid] for rid in figures.orphan_outputs if rid in records]
        self.query_one("#orphans-title", Label).update(
            f"Outputs with no outcome yet: {len(orphans)} — what did each change? "
            "(Enter on one starts its outcome)" if orphans else
            "Every output of this retro has an outcome."
        )  # fmt: skip
        self.query_one("#orphans", EntryTable).show(entry_row(o) for o in orphans)
        self.query_one("#orphans").display = bool(orphans)

    @on(DataTable.RowSelected, "#orphans")
    def outcome_for(self, event: DataTable.RowSelected) -> None:
        form = self.query_one(EntryForm)
        output = str(event.row_key.value)

        def start() -> None:
            form.clear()
            self.query_one("#field-outputs", Picker).set_selected([output])
            form.focus_first()

        self.leave(start)


class RisksStep(EntryStep):
    STEP, KIND = "risks", "risk"
    HINT = "Which meaningful risks went down (or up)? Likelihood x impact, 1-5 each."
    COLUMNS = ("risk", "before", "after", "reduced by")

    def row(self, rec: Record, figures: Metrics) -> tuple[str, list[Text]]:
        before, after = rec.get("before"), rec.get("after")
        scores = [risk_score(x) if x else None for x in (before, after)]
        reduced = "" if None in scores else str(cast(int, scores[0]) - cast(int, scores[1]))
        return entry_row(rec, [str(scores[0] or ""), str(scores[1] or ""), reduced])


class LessonsStep(EntryStep):
    STEP, KIND = "lessons", "lesson"
    HINT = "What did we learn, and when? A lesson after its decision's review date is late."
    COLUMNS = ("lesson", "learned", "")

    def row(self, rec: Record, figures: Metrics) -> tuple[str, list[Text]]:
        late = "late learning" if rec["id"] in figures.late_lessons else ""
        return entry_row(rec, [day_of(rec.get("learned_at"))], late)


class DependenciesStep(EntryStep):
    STEP, KIND = "dependencies", "dependency"
    HINT = "What did we depend on, discovered when, needed when? Late ones are flagged."
    COLUMNS = ("dependency", "on", "discovered", "needed", "")

    def row(self, rec: Record, figures: Metrics) -> tuple[str, list[Text]]:
        late = "late" if rec["id"] in figures.late_dependencies else ""
        return entry_row(rec, [rec.get("on") or "", day_of(rec.get("discovered_at")),
                               day_of(rec.get("needed_at"))], late)  # fmt: skip


class ActionsStep(EntryStep):
    STEP, KIND = "actions", "action"
    HINT = "Decisions to reconsider, experiments, follow-ups. They come back next retro."
    COLUMNS = ("action", "owner", "due", "expected")

    def row(self, rec: Record, figures: Metrics) -> tuple[str, list[Text]]:
        return entry_row(rec, [rec.get("owner") or "", rec.get("due") or "",
                               rec.get("expected_outcome") or ""])  # fmt: skip


# --- 9. Summary ----------------------------------------------------------------------------


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
        app = self.retro_app
        retro = app.retro or {}
        lines = figure_lines(figures, retro.get("status") or "open")
        self.query_one("#figures", Static).update(literal("\n".join(lines), multiline=True))
        text = list_lines(figures, app.repo.records(), app.retro_entries(["action"]))
        self.query_one("#summary-lists", Static).update(literal("\n".join(text), multiline=True))
        closed = retro.get("status") == "closed"
        self.query_one("#close", Button).label = "Reopen the retro" if closed else "Close the retro"

    @on(Button.Pressed, "#close")
    def toggle_close(self) -> None:
        app = self.retro_app
        retro = app.retro
        if retro is None:
            return
        status = "open" if retro.get("status") == "closed" else "closed"
        try:
            app.repo.edit(app.saved_retro()["id"], fields={"status": status})
        except RetroError as err:
            app.notify(str(err), severity="error", markup=False)
            return
        app.data_changed()
        self.notify(f"The retro is {status}.", markup=False)

    @on(Button.Pressed, "#export")
    def export(self) -> None:
        export_summary(self.retro_app)


def export_summary(app: RetroApp) -> None:
    """Write the open retro's summary as Markdown beside the log, and copy it."""
    from retro.present.summary import retro_summary

    retro = app.retro
    if retro is None:
        app.notify("Open a retro first.", severity="warning")
        return
    text = retro_summary(retro, app.retro_entries(), app.retro_metrics(),
                         context=app.repo.records())  # fmt: skip
    path = app.export_path(retro)
    try:
        write_atomically(path, [text.encode()])
    except RetroError as err:
        app.notify(str(err), severity="error", markup=False)
        return
    app.copy_to_clipboard(text)
    app.notify(f"Summary written to {path} and copied to the clipboard.", markup=False)


STEP_SCREENS: dict[str, type[StepScreen]] = {
    screen.STEP: screen
    for screen in (FrameStep, FollowUpsStep, OutputsStep, OutcomesStep, RisksStep, LessonsStep,
                   DependenciesStep, ActionsStep, SummaryStep)  # fmt: skip
}


def step_screen(step: str) -> StepScreen:
    """A new screen for ``step``."""
    return STEP_SCREENS[step]()

