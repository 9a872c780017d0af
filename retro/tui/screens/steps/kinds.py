"""Steps 3–8: the six kinds of entry a retro records (outputs, outcomes, risks, lessons,
dependencies, actions), each an :class:`EntryStep` with its own columns."""

from __future__ import annotations

from typing import cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Label

from retro.insights import Metrics
from retro.model import Record, risk_score
from retro.present.format import day_of
from retro.tui.forms import EntryForm
from retro.tui.screens.steps.entries import EntryStep
from retro.tui.widgets import EntryTable, Picker, entry_row


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
        records = self.session.records()
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

