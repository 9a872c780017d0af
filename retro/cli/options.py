"""Options that several commands share: filters, formats, outputs, an entry's fields."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import click

from retro.cli.context import AppContext
from retro.errors import ValidationError
from retro.fields import options
from retro.model import ALL_KINDS, DATE_DIRECTIONS, FUTURE, IDS, RECORD_KINDS, coerce, field_type

F = TypeVar("F", bound=Callable[..., Any])

# Kind-specific options, derived from the field registry: flag -> (field, kinds it applies to).
ENTRY_OPTIONS = options()


class When(click.ParamType):  # type: ignore[type-arg]
    """A WHEN argument: the dates people type, parsed to an aware datetime."""

    name = "WHEN"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        from retro import dates  # the date parser: only when a date is given

        app = ctx.find_root().obj if ctx else None
        try:
            if app is None:
                return dates.parse_when(str(value))
            return app.settings.when(str(value))
        except dates.DateError as err:
            self.fail(str(err), param, ctx)


WHEN = When()


def stacked(*decorators: Callable[[Any], Any]) -> Callable[[F], F]:
    """The ``decorators`` as one, applied as if written one above the other."""

    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def format_option(*choices: str, help: str = "Output format.") -> Callable[[F], F]:
    """``--format`` (as ``fmt``), the first choice the default."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0],
                        show_default=True, help=help)  # fmt: skip


def output_option(help: str = "Write to this file.") -> Callable[[F], F]:
    """``-o``/``--output``: a file to write instead of stdout."""
    return click.option("-o", "--output", type=click.Path(path_type=Path), help=help)


kinds_option = click.option(
    "--kind", "-k", "kinds", multiple=True, type=click.Choice(RECORD_KINDS),
    callback=lambda _ctx, _param, kinds: kinds or ALL_KINDS,  # not a live retro's votes
    help="Only entries of this kind (repeatable).",
)  # fmt: skip
teams_option = click.option(
    "--team", "teams", multiple=True, metavar="NAME", help="Only this team (repeatable)."
)
period_options = stacked(
    click.option("--since", type=WHEN, help="Only entries from WHEN on."),
    click.option("--until", type=WHEN, help="Only entries up to WHEN."),
)


def entry_options(func: F) -> F:
    """Add the kind-specific options and ``--field``/``--link`` to a command."""
    for flag, (field, kinds) in reversed(ENTRY_OPTIONS.items()):
        func = click.option(
            flag,
            field.name,
            multiple=field.type == IDS,
            metavar=field.metavar,
            help=f"{field.help} [{'/'.join(kinds)}]",
        )(func)
    func = click.option(
        "--link", "links", multiple=True, metavar="REF",
        help="Link to another entry: an id, an id prefix or a decision's title fragment.",
    )(func)  # fmt: skip
    func = click.option(
        "--field", "raw_fields", multiple=True, metavar="KEY=VALUE",
        help="Set any field, e.g. --field sprint_goal='faster payouts'.",
    )(func)  # fmt: skip
    return func


def _wanted(kind: str, options: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(flag, field, text) of every field that the options name, in order."""
    wanted: list[tuple[str, str, str]] = []
    for flag, (field, kinds) in ENTRY_OPTIONS.items():
        name = field.name
        value = options.pop(name, None)
        if value in (None, ()):
            continue
        if kind not in kinds:
            raise click.UsageError(f"{flag} applies to {'/'.join(kinds)} entries, not {kind}")
        values = value if isinstance(value, tuple) else (value,)
        wanted += [(flag, name, item) for item in values]
    for raw in options.pop("raw_fields", ()):
        key, sep, text = raw.partition("=")
        if not sep:
            raise click.BadParameter(f"{raw[:40]!r} is not KEY=VALUE", param_hint="--field")
        wanted.append(("--field", key.strip(), text))
    return wanted


def collect_fields(app: AppContext, kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """The fields named by kind-specific options and ``--field``, typed and checked.

    The log is read only if a field refers to another entry.
    """
    fields: dict[str, Any] = {}
    dated: dict[str, tuple[str, bool]] = {}  # field -> (its flag, forward)
    for flag, name, text in _wanted(kind, options):
        direction = DATE_DIRECTIONS.get((kind, name))
        forward = direction == FUTURE
        when = partial(app.settings.when, forward=forward)
        day = partial(app.settings.day, forward=forward)
        try:
            value = coerce(kind, name, text, when=when, day=day,
                           ref=lambda ref: app.repo().resolve(ref))  # fmt: skip
        except ValidationError as err:  # dates.DateError is one
            raise click.BadParameter(str(err), param_hint=flag) from err
        if field_type(kind, name) == IDS and name in fields:
            value = [*fields[name], *value]
        fields[name] = value
        if direction:
            dated[name] = (name if flag == "--field" else flag, forward)
    for name, (label, forward) in dated.items():
        app.warn_direction(label, fields[name], forward=forward)
    return fields



def check_sprint(sprint: str | None) -> None:
    """``--sprint`` names a sprint: current, last or a number (None: not given)."""
    if sprint is not None and sprint not in ("current", "last") and not sprint.isdigit():
        raise click.BadParameter("use current, last or a sprint number", param_hint="--sprint")
