"""Forms for entries: which fields each kind asks for, and a widget that edits them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from textual import events
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Label, Select
from textual.widgets.select import InvalidSelectValueError

from retro import dates
from retro.errors import ValidationError
from retro.fields import LINK_CHOICES, Field, form_of
from retro.model import FUTURE, Record, coerce
from retro.present.format import RISK_INPUT, risk
from retro.present.sanitize import clean
from retro.tui.text import Loaded, literal
from retro.tui.widgets import CheckList, FieldInput, Picker, settled

SCORES = [(literal(str(n)), str(n)) for n in range(1, 6)]


Options = Mapping[str, Iterable[Record]]
# Pickers that set links, not a field.
LINK_PICKERS = frozenset(source for offered in LINK_CHOICES.values() for source, _ in offered)


class EntryForm(Vertical):
    """The fields of one kind, each with its error shown beside it.

    Enter in a text field runs the screen's ``save`` action once the keys typed before it
    have reached their field, and before the keys typed after it are handed out.
    """

    DEFAULT_CLASSES = "entry-form"
    BINDINGS = [Binding("enter", "submit", "Save", show=False, priority=True)]

    def __init__(
        self, kind: str, options: Options, *, people: Sequence[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.specs = form_of(kind)
        self.options = options
        self.people = [clean(name) for name in people]  # offered as owners
        self.editing: str | None = None
        self._saved: tuple[object, ...] | None = None  # the fields as last cleared or loaded
        self._loaded = Loaded()  # the edited record's values, as the fields showed them
        self._last_field = f"field-{self.specs[0].name}"  # where the focus comes back to

    def compose(self) -> ComposeResult:
        for spec in self.specs:
            with Horizontal(classes="field"):
                yield Label(spec.label, classes="field-label")
                yield self._editor(spec)
            yield Label("", id=f"error-{spec.name}", classes="field-error", markup=False)

    def _editor(self, spec: Field) -> Widget:
        wid = f"field-{spec.name}"
        if spec.widget == "score":
            return Select(SCORES, prompt="1-5", id=wid, compact=True)
        if spec.widget == "choice":
            return Select([(literal(c), c) for c in spec.choices], id=wid, compact=True)
        if spec.widget == "picker":
            return Picker(self.options.get(spec.source, []), id=wid,
                          searchable=spec.source == "decisions",
                          placeholder="type to filter decisions")  # fmt: skip
        suggester = None
        if spec.name == "owner" and self.people:
            suggester = SuggestFromList(self.people, case_sensitive=False)
        return FieldInput(value=spec.default, placeholder=spec.placeholder, id=wid, compact=True,
                          suggester=suggester)  # fmt: skip

    def on_input_changed(self, event: Input.Changed) -> None:
        """A field being fixed no longer shows the error it had."""
        name = (event.input.id or "").removeprefix("field-")
        if event.input.has_focus and any(spec.name == name for spec in self.specs):
            self._error(name, "")

    # --- the focus ------------------------------------------------------------------------

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        for node in event.widget.ancestors_with_self:
            if (node.id or "").startswith("field-"):
                self._last_field = node.id or self._last_field
                return

    async def action_submit(self) -> None:
        field = self.screen.focused
        if not isinstance(field, FieldInput) or self not in field.ancestors:
            raise SkipAction()
        await settled(field)
        await self.app.run_action("save", self.screen)

    def on_mount(self) -> None:
        self.mark_clean()

    # --- reading and writing the fields --------------------------------------------------

    def values(self) -> tuple[object, ...]:
        """What the fields hold now, as typed."""
        return tuple(self._current(spec) for spec in self.specs)

    def _current(self, spec: Field) -> object:
        """What one field holds now."""
        widget = self.query_one(f"#field-{spec.name}")
        if isinstance(widget, Picker):
            return tuple(widget.selected)
        if isinstance(widget, Select):
            return widget.value
        return str(widget.value).strip()  # type: ignore[attr-defined]

    def mark_clean(self) -> None:
        """Take what the fields hold now as saved."""
        self._saved = self.values()

    @property
    def dirty(self) -> bool:
        """True when something was typed or chosen since the form was cleared, loaded or saved."""
        return self._saved is not None and self.values() != self._saved

    def clear(self) -> None:
        """Empty every field (defaults restored) and leave edit mode."""
        self.editing = None
        self._loaded.forget()
        for spec in self.specs:
            self._set(spec, None)
            self._error(spec.name, "")
        self.mark_clean()

    def load(self, rec: Record, links: Iterable[str] = ()) -> None:
        """Fill the fields from ``rec`` to edit it.

        The fields show its values made safe (see :class:`~retro.tui.text.LiteralInput`),
        and a default where it has none; a field left as it was shown keeps the record's own
        value (or absence) when saved.
        """
        self.editing = rec["id"]
        self._loaded.forget()
        linked = set(links)
        for spec in self.specs:
            if spec.name in LINK_PICKERS:
                self._set(spec, linked)
            else:
                self._set(spec, rec.get(spec.name))
                self._loaded.remember(spec.name, rec.get(spec.name), self._current(spec))
            self._error(spec.name, "")
        self.mark_clean()

    def _set(self, spec: Field, value: Any) -> None:
        widget = self.query_one(f"#field-{spec.name}")
        if isinstance(widget, Input):
            if isinstance(value, dict) and {"likelihood", "impact"} <= value.keys():
                value = risk(value, RISK_INPUT) or value
            widget.value = spec.default if value is None else str(value)
        elif isinstance(widget, Select):
            try:
                widget.value = Select.NULL if value is None else str(value)
            except InvalidSelectValueError:  # none of the choices: shown blank, kept as it is
                widget.value = Select.NULL
        elif isinstance(widget, Picker):
            widget.set_selected(value or ())

    def _error(self, name: str, message: str, *, warning: bool = False) -> None:
        error = self.query_one(f"#error-{name}", Label)
        error.update(literal(message))
        error.set_class(warning, "-warning")
        error.display = bool(message)

    def read(
        self,
        *,
        when: Callable[..., Any],
        day: Callable[..., Any],
    ) -> tuple[str, dict[str, Any], list[str]] | None:
        """(text, fields, linked ids), or None after showing what is wrong next to each field.

        ``when``/``day`` read people's dates and take ``forward`` (see :mod:`retro.dates`):
        a due date leans to the future. A date typed in full on the wrong side of today is
        kept, with a warning under its field (and as a notification once the form is read).
        Editing, a field left as :meth:`load` showed it is left out of ``fields`` (and
        ``text`` is the record's own), so that the record keeps it exactly.
        """
        fields: dict[str, Any] = {}
        links: list[str] = []
        warnings: list[str] = []
        text = ""
        ok = True
        now = when("now")  # the clock the readers go by
        for spec in self.specs:
            widget = self.query_one(f"#field-{spec.name}")
            self._error(spec.name, "")
            if spec.name not in LINK_PICKERS and not self._loaded.touched(
                spec.name, self._current(spec)
            ):  # left as shown: the record keeps its value, byte for byte
                if spec.name == "text":
                    text = str(self._loaded.original(spec.name))
                continue
            if isinstance(widget, Picker):
                chosen = widget.selected
                if spec.name in LINK_PICKERS:
                    links += chosen
                else:
                    fields[spec.name] = chosen
                continue
            if isinstance(widget, Select):
                raw = "" if widget.value is Select.NULL else str(widget.value)
            else:
                raw = str(widget.value).strip()  # type: ignore[attr-defined]
            if spec.name == "text":
                text = raw
                if not raw:
                    self._error("text", "Say what it is: this field cannot be empty.")
                    ok = False
                continue
            if not raw:
                fields[spec.name] = None
                continue
            direction = spec.direction
            forward = direction == FUTURE
            try:
                fields[spec.name] = coerce(
                    self.kind, spec.name, raw, when=partial(when, forward=forward),
                    day=partial(day, forward=forward), ref=lambda r: r,
                )  # fmt: skip
            except (ValidationError, dates.DateError) as err:
                self._error(spec.name, str(err))
                ok = False
                continue
            side = direction and dates.direction_warning("", fields[spec.name], now,
                                                         forward=forward)  # fmt: skip
            if side:
                self._error(spec.name, f"{side} (kept as typed)", warning=True)
                warnings.append(f"{spec.label}: {side} (kept as typed)")
        if not ok:
            return None
        for warning in warnings:
            self.notify(warning, severity="warning", markup=False)
        return text, fields, list(dict.fromkeys(links))

    def focus_first(self) -> None:
        """Focus the first field now, so that the keys typed next land there (``focus()``
        would move it only after the keys already waiting)."""
        self.screen.set_focus(self.query_one(f"#field-{self.specs[0].name}"))

    def focus_back(self) -> None:
        """Focus the field that had the focus last (the first one at the start)."""
        field = self.query_one(f"#{self._last_field}")
        target = field.query(CheckList).first() if isinstance(field, Picker) else field
        target.focus()
