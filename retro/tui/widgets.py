"""Widgets shared by the screens: the step bar, the live counts, tables of entries."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import Selection

from retro.insights import Metrics
from retro.model import STEPS, Record, title
from retro.present.format import metric_label, ratio_text
from retro.present.sanitize import clean
from retro.tui.text import LiteralInput

STEP_TITLES = {
    "frame": "Frame",
    "follow-ups": "Follow-ups",
    "outputs": "Outputs",
    "outcomes": "Outcomes",
    "risks": "Risks",
    "lessons": "Lessons",
    "dependencies": "Dependencies",
    "actions": "Actions",
    "summary": "Summary",
    "decisions": "Decisions",
}


class StepBar(Static):
    """Where the team is in the retro: each of its steps, the current one highlighted,
    clickable."""

    DEFAULT_CLASSES = "step-bar"

    class Chosen(Message):
        """A step was clicked."""

        def __init__(self, step: str) -> None:
            super().__init__()
            self.step = step

    def __init__(self, current: str, steps: Sequence[str] = STEPS, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.current = current
        self.steps = tuple(steps)  # the retro's, as its format has them

    def segments(self) -> list[tuple[str, str]]:
        """(step, label) for each step: full names when they fit, else numbers but the current."""
        full = [(step, f" {n} {STEP_TITLES[step]} ") for n, step in enumerate(self.steps, start=1)]
        if sum(len(text) + 1 for _, text in full) <= self.size.width:
            return full
        return [
            (step, text if step == self.current else f" {n} ")
            for n, (step, text) in enumerate(full, start=1)
        ]

    def render(self) -> Content:
        parts = [
            Content.styled(text, "reverse bold" if step == self.current else "dim")
            for step, text in self.segments()
        ]
        return Content("›").join(parts)

    def on_click(self, event: Click) -> None:
        position = 0
        for step, text in self.segments():
            if position <= event.x < position + len(text) + 1:
                self.post_message(self.Chosen(step))
                return
            position += len(text) + 1


class CountsPanel(Vertical):
    """Live counts of the retro: outputs, outcomes, orphans, risks reduced, lessons, actions."""

    DEFAULT_CLASSES = "counts"

    def compose(self) -> ComposeResult:
        yield Label("This retro", classes="counts-title")
        for key in ("outputs", "outcomes", "orphans", "risk", "lessons", "actions", "ratio"):
            yield Label("", id=f"count-{key}", classes="count")

    def show(self, metrics: Metrics) -> None:
        """Update the counts."""
        rows = {
            "outputs": ("outputs", metrics.outputs),
            "outcomes": ("outcomes", metrics.outcomes),
            "orphans": ("orphan_outputs", len(metrics.orphan_outputs)),
            "risk": ("risk_reduction", metrics.risk_reduction),
            "lessons": ("lessons", metrics.lessons),
            "actions": ("actions", metrics.actions),
            "ratio": ("outcome_ratio", ratio_text(metrics.outcome_ratio)),
        }
        for key, (name, value) in rows.items():
            text = f"{metric_label(name, column=True):<17}{value:>4}"
            self.query_one(f"#count-{key}", Label).update(text)
        self.query_one("#count-orphans").set_class(bool(metrics.orphan_outputs), "warn")


FLAG_STYLES = frozenset({"late", "orphan"})  # theme variables that colour flags in tables


def cell(text: object, style: str = "") -> Text:
    """A table cell that shows ``text`` literally (DataTable parses plain strings as markup)."""
    return Text(clean(str(text)), style=style, no_wrap=True, overflow="ellipsis")


class EntryTable(DataTable[Text]):
    """Entries in a table: one row each, keyed by id; virtualised, so long lists stay fast."""

    def __init__(self, columns: Sequence[str], **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self._columns = columns
        self._rows: list[tuple[str, Sequence[Text]]] = []  # as given, before cutting
        self._laid_out_at = 0  # the width the rows were last cut to

    def on_mount(self) -> None:
        for column in self._columns:
            self.add_column(column, key=column)

    def show(self, rows: Iterable[tuple[str, Sequence[Text]]]) -> None:
        """Replace the rows, keeping the cursor on the same entry where it can.

        Cells are cut to fit the table's width, and cut again when that width changes.
        """
        self._rows = list(rows)
        self._lay_out()

    def _lay_out(self) -> None:
        keep = self.cursor_row
        self._laid_out_at = self.size.width
        width = self.size.width or self.app.size.width // 2
        widths = column_widths(self._columns, self._rows, width)
        self.clear(columns=True)  # a column never narrows by itself
        for column, column_width in zip(self._columns, widths, strict=True):
            self.add_column(column, key=column, width=column_width)
        colours = self.app.get_css_variables()
        for key, cells in self._rows:
            cut = []
            for text, most in zip(cells, widths, strict=False):
                text = text.copy()
                text.truncate(most, overflow="ellipsis")
                if str(text.style) in FLAG_STYLES:  # a theme colour, by its variable's name
                    text.style = f"bold {colours.get(str(text.style), '')}".strip()
                cut.append(text)
            self.add_row(*cut, key=key)
        if self.row_count:
            self.move_cursor(row=min(keep, self.row_count - 1))

    def on_resize(self) -> None:
        if self._rows and self.size.width != self._laid_out_at:
            self._lay_out()

    def current_key(self) -> str | None:
        """The id of the entry under the cursor."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return None if row_key.value is None else str(row_key.value)


def column_widths(
    names: Sequence[str], rows: Sequence[tuple[str, Sequence[Text]]], width: int
) -> list[int]:
    """Column widths that fit ``width`` without a horizontal scrollbar.

    The first column, the entry's text, takes what the others leave, and keeps a third of
    the room at least: the others get what they need up to 16 each if that leaves it so
    much, else share what is left, the narrowest first.
    """
    room = max(len(names) * 4, width - 1 - 2 * len(names))  # a scrollbar; padding per cell
    natural = [
        max([len(name), *(len(c[n].plain) for _, c in rows if n < len(c))])
        for n, name in enumerate(names)
    ]
    keep = min(natural[0], max(10, room // 3))
    widths = [natural[0], *(min(w, 16) for w in natural[1:])]
    if room - sum(widths[1:]) < keep:
        left = room - keep
        others = sorted(range(1, len(names)), key=lambda n: natural[n])
        for place, n in enumerate(others):
            widths[n] = max(1, min(widths[n], left // (len(others) - place)))
            left -= widths[n]
    widths[0] = room - sum(widths[1:])
    return widths


def entry_row(
    rec: Record, extra: Sequence[str] = (), flag: str | None = None
) -> tuple[str, list[Text]]:
    """A row for an entry: its text, then ``extra`` columns, then a flag column if given."""
    cells = [cell(title(rec, 200)), *(cell(x) for x in extra)]
    if flag is not None:
        cells.append(cell(flag, "late" if flag else ""))
    return rec["id"], cells


# Tab and Shift+Tab move the focus the moment they arrive. Bound without priority they
# travel up from the focused field first, and the keys typed right after them, already
# handed to that field, land in the field being left.
FOCUS_KEYS = [
    Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
    Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
]


async def settled(widget: Widget, timeout: float = 0.5) -> None:
    """Wait until ``widget`` has handled the events already sent to it (keys typed so far)."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def handled() -> None:
        if not done.done():
            done.set_result(None)

    if widget.call_later(handled):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done, timeout)


class FieldInput(LiteralInput):
    """A form's text field: a pasted tab moves on to the next field, like the Tab key."""

    def _on_paste(self, event: events.Paste) -> None:
        first, tab, rest = event.text.partition("\t")
        if not tab:
            return  # Input's own paste
        event.prevent_default()
        event.stop()
        self.replace(first.splitlines()[0] if first else "", *self.selection)
        self.screen.focus_next()
        after = self.screen.focused
        if after is not None and after is not self and rest:
            after.post_message(events.Paste(rest))


class CheckList(SelectionList[str]):
    """A selection list whose marks read without colour, ``[x]`` or ``[ ]``, and whose
    first item is highlighted as soon as it has the focus: Space picks it at once."""

    MARKS = ("[ ] ", "[x] ")  # as wide as the gutter SelectionList leaves for its button

    def on_focus(self) -> None:
        if self.highlighted is None and self.option_count:
            self.highlighted = 0

    def render_line(self, y: int) -> Strip:
        line = OptionList.render_line(self, y)  # the prompt, without SelectionList's button
        index = self.scroll_offset.y + y
        try:
            value = self.get_option_at_index(index).value
        except OptionDoesNotExist:
            return line
        chosen = value in self.selected
        base = next(iter(line)).style or self.rich_style
        style = base + Style(meta={"option": index})
        if chosen:
            colour = self.get_component_rich_style("selection-list--button-selected").color
            style += Style(bold=True, color=colour)
        return Strip([Segment(self.MARKS[chosen], style), *line])


SHOWN = 40  # a picker lists at most this many records: typing narrows the rest


class Picker(Vertical):
    """A searchable multiple choice of records: one stop for Tab; type to filter, space to pick.

    The filter shows what was typed but never takes the focus: the list does, and hands it
    the characters it does not use itself.
    """

    DEFAULT_CLASSES = "picker-box"

    def __init__(
        self,
        records: Iterable[Record],
        *,
        chosen: Iterable[str] = (),
        searchable: bool = True,
        placeholder: str = "type to filter",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.choices = [(rec["id"], title(rec, 70)) for rec in records]
        self.chosen: set[str] = set(chosen)
        self.searchable = searchable
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        if self.searchable:
            needle = LiteralInput(placeholder=self.placeholder, classes="picker-filter",
                                  compact=True)  # fmt: skip
            needle.can_focus = False
            yield needle
        yield CheckList(classes="picker", compact=True)

    def on_mount(self) -> None:
        self._show("")

    def _show(self, needle: str, *, top: bool = False) -> None:
        """List the chosen records and the first ones matching ``needle``.

        The highlight stays where it was, or goes to the first item if ``top``.
        """
        listing = self.query_one(CheckList)
        keep = 0 if top else listing.highlighted
        listing.clear_options()
        lowered = needle.lower()
        matching = [(rid, text) for rid, text in self.choices if lowered in text.lower()]
        shown = [m for m in matching if m[0] in self.chosen]
        shown += [m for m in matching if m[0] not in self.chosen][: max(0, SHOWN - len(shown))]
        listing.add_options(
            [Selection(Content(clean(text)), rid, rid in self.chosen) for rid, text in shown]
        )
        if keep is not None or listing.has_focus:
            listing.highlighted = min(keep or 0, listing.option_count - 1)
        if self.searchable:
            more = len(matching) - len(shown)
            hint = f"type to filter ({more} more)" if more > 0 else self.placeholder
            self.query_one(Input).placeholder = hint

    def on_key(self, event: events.Key) -> None:
        """Characters typed in the list go to the filter; Space and the arrows stay."""
        if not self.searchable or event.key == "space":
            return
        needle = self.query_one(Input)
        if event.is_printable and event.character:
            needle.insert_text_at_cursor(event.character)
        elif event.key in ("backspace", "ctrl+u"):
            needle.value = needle.value[:-1] if event.key == "backspace" else ""
        else:
            return
        event.stop()
        event.prevent_default()

    def on_paste(self, event: events.Paste) -> None:
        if self.searchable:
            event.stop()
            self.query_one(Input).insert_text_at_cursor(event.text.splitlines()[0])

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._show(event.value, top=True)

    def on_selection_list_selection_toggled(
        self, event: SelectionList.SelectionToggled[str]
    ) -> None:
        rid = str(event.selection.value)
        if rid in self.chosen:
            self.chosen.discard(rid)
        else:
            self.chosen.add(rid)

    @property
    def ids(self) -> set[str]:
        """Every record this picker offers."""
        return {rid for rid, _ in self.choices}

    @property
    def selected(self) -> list[str]:
        """The chosen ids, in the order offered."""
        return [rid for rid, _ in self.choices if rid in self.chosen]

    def set_selected(self, ids: Iterable[str]) -> None:
        """Choose exactly ``ids`` (those offered)."""
        self.chosen = set(ids) & self.ids
        self._show(self.query_one(Input).value if self.searchable else "")

    def add_choice(self, rec: Record, chosen: bool = True) -> None:
        """Offer one more record."""
        self.choices.insert(0, (rec["id"], title(rec, 70)))
        if chosen:
            self.chosen.add(rec["id"])
        self._show(self.query_one(Input).value if self.searchable else "")
