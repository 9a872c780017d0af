"""A click group that imports a command's module only when that command runs."""

from __future__ import annotations

from importlib import import_module
from typing import Any, NamedTuple

import click


class Lazy(NamedTuple):
    """Where a command lives, and the first line of its help (for the list of commands)."""

    module: str
    name: str
    summary: str


class LazyGroup(click.Group):
    """Its commands are named with the module that defines them, and imported on demand.

    ``retro --help`` lists them from their summaries without importing any of them.
    """

    def __init__(self, *args: Any, lazy: dict[str, Lazy], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        where = self.lazy[cmd_name]
        command = getattr(import_module(where.module), where.name)
        if not isinstance(command, click.Command):
            raise TypeError(f"{where.module}.{where.name} is not a click command")
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their summaries, none of them imported."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self.summary(name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def summary(self, name: str, limit: int) -> str:
        """The first line of a command's help, at most ``limit`` characters long."""
        if name in self.commands:
            return self.commands[name].get_short_help_str(limit)
        return click.Command(name, help=self.lazy[name].summary).get_short_help_str(limit)
