"""The decision review: each strategic decision in play, the outcomes that reinforce it,
and what the team learns about it or will do about it."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, Static

from retro.errors import RetroError
from retro.insights import Metrics
from retro.model import first_line
from retro.present.format import short_day
from retro.sessions import DecisionInPlay
from retro.tui.screens.confirm import ConfirmScreen
from retro.tui.screens.steps.base import StepScreen
from retro.tui.text import LiteralInput, literal
from retro.tui.widgets import EntryTable, entry_row

NOTES = {"lesson": "#decision-lesson", "action": "#decision-action"}  # what is recorded from where


class DecisionsStep(StepScreen):
    """Each decision in play: did the outcomes that reinforce it arrive, is its criterion
    still right? A lesson applying to it, or an action on it, is recorded here."""

    STEP = "decisions"
    HINT = ("For each decision in play: did the outcomes that reinforce it arrive? Is its "
            "criterion still right?")  # fmt: skip
    DEFAULT_CSS = """
    #decisions, #linked { height: auto; max-height: 10; }
    #decision-about, #decision-notes { margin: 0 0 1 0; }
    """

    def body(self) -> ComposeResult:
        yield EntryTable(["decision", "criterion", "review by", "arrived"], id="decisions")
        yield Label("", id="decisions-none", classes="step-hint")
        with Vertical(id="decision-detail"):
            yield Static("", id="decision-about", markup=False)
            yield Label("", id="linked-title", classes="section")
            yield EntryTable(["outcome", "team", "evidence", "recorded"], id="linked")
            yield Static("", id="decision-notes", markup=False)
            for label, wid, placeholder in (
                ("Lesson", "decision-lesson", "what it taught us (Enter records it)"),
                ("Action", "decision-action", "reconsider it, change its criterion… (Enter)"),
            ):
                with Horizontal(classes="field"):
                    yield Label(label, classes="field-label")
                    yield LiteralInput(placeholder=placeholder, id=wid, compact=True)

    def refresh_body(self, figures: Metrics) -> None:
        found = self.session.decisions_in_play()
        table = self.query_one("#decisions", EntryTable)
        table.show(
            entry_row(d.decision, [d.decision.get("criteria") or "no criterion",
                                   short_day(d.decision.get("review_by")),
                                   f"{len(d.arrived)} of {len(d.outcomes)}"])
            for d in found
        )  # fmt: skip
        self.query_one("#decisions-none", Label).update(
            "" if found else "No decisions in play: pick them in the frame (PgUp)."
        )
        table.display = self.query_one("#decision-detail").display = bool(found)
        self.show_decision(self._current(found))
        if found and not self.focused:
            table.focus()

    def _current(self, found: list[DecisionInPlay]) -> DecisionInPlay | None:
        key = self.query_one("#decisions", EntryTable).current_key()
        return next((d for d in found if d.decision["id"] == key), None)

    def show_decision(self, about: DecisionInPlay | None) -> None:
        """Show a decision's criterion, the outcomes linked to it, its lessons and actions."""
        if about is None:
            return
        decision = about.decision
        self.query_one("#decision-about", Static).update(literal(
            f"{first_line(decision.get('text') or '', 200)}\n"
            f"Criterion: {decision.get('criteria') or 'none written: is there one?'}"
            f" · review by {decision.get('review_by') or 'no date'}", multiline=True,
        ))  # fmt: skip
        waiting = len(about.outcomes) - len(about.arrived)
        self.query_one("#linked-title", Label).update(
            f"Outcomes that reinforce it: {len(about.outcomes)}, {len(about.arrived)} arrived"
            + (f", {waiting} awaiting evidence" if waiting else "")
        )
        self.query_one("#linked", EntryTable).show(
            entry_row(rec, [rec.get("team") or "",
                            " → ".join(str(rec[k]) for k in ("baseline", "observed") if rec.get(k))
                            or rec.get("evidence") or "awaiting evidence",
                            short_day(rec.get("created_at"))])
            for rec in about.outcomes
        )  # fmt: skip
        self.query_one("#linked").display = bool(about.outcomes)
        notes = [f"{kind.title()}s on it: {len(recs)}" + "".join(
                     f"\n  · {first_line(rec.get('text') or '', 90)}" for rec in recs[-3:])
                 for kind, recs in (("lesson", about.lessons), ("action", about.actions))]
        self.query_one("#decision-notes", Static).update(literal("\n".join(notes),
                                                                 multiline=True))  # fmt: skip

    @on(DataTable.RowHighlighted, "#decisions")
    def highlighted(self) -> None:
        self.show_decision(self._current(self.session.decisions_in_play()))

    @on(DataTable.RowSelected, "#decisions")
    def write_about(self) -> None:
        """Enter on a decision: on to what it taught us."""
        self.screen.set_focus(self.query_one("#decision-lesson"))

    @on(Input.Submitted, "#decision-lesson, #decision-action")
    def submitted(self, event: Input.Submitted) -> None:
        self.record("lesson" if event.input.id == "decision-lesson" else "action")

    def record(self, kind: str) -> bool:
        """Record what is typed for ``kind`` about the highlighted decision; True if done."""
        field = self.query_one(NOTES[kind], Input)
        text = field.value.strip()
        decision = self.query_one("#decisions", EntryTable).current_key()
        if not text or decision is None:
            return not text
        try:
            self.session.record_on_decision(decision, kind, text)
        except RetroError as err:
            self.notify(str(err), severity="error", markup=False)
            return False
        field.value = ""
        self.notify(f"{kind.title()} recorded: {first_line(text, 60)}", timeout=2, markup=False)
        return True

    def leave(self, then: Callable[[], object]) -> None:
        """Ask before a lesson or an action typed but not recorded is thrown away."""
        if not any(self.query_one(wid, Input).value.strip() for wid in NOTES.values()):
            then()
            return

        def answered(answer: str | None) -> None:
            if answer == "discard" or (answer == "save" and all(map(self.record, NOTES))):
                then()

        self.app.push_screen(
            ConfirmScreen("Record what you typed about this decision before leaving?",
                          [("save", "Record"), ("discard", "Discard"), ("stay", "Stay")],
                          cancel="stay"),
            answered,
        )  # fmt: skip
