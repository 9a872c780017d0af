"""Commands about the log file and the config: verify, compact, where, init."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from retro import dates
from retro.bulk import gc_paused
from retro.cli.context import app_context, handle_errors
from retro.config import CONFIG_KEYS, Settings, write_config
from retro.merging import suspicious_lines
from retro.present.format import plural
from retro.present.sanitize import clean
from retro.store.checked import CheckedLog
from retro.store.events import Event
from retro.store.journal import Journal, Problem
from retro.trust import Suspicion


@click.command()
@click.option("--log", "log_path", metavar="PATH", help="The log to check (default: the log).")
@click.option("--full", is_flag=True,
              help="Check every line, even those an earlier check vouches for.")  # fmt: skip
@click.pass_context
@handle_errors
def verify(ctx: click.Context, log_path: str | None, full: bool) -> None:
    """Check a log line by line: exit 0 when healthy, 1 with a report when not.

    Also lists the events a merge would hold back: stamped in the future, or changing
    a record's team or kind. The lines checked before, whose bytes are unchanged (by
    their digest), are not checked again unless --full.
    """
    path = Path(log_path) if log_path else app_context(ctx).settings.log
    checked = CheckedLog(path, full=full)
    events, suspicion = 0, Suspicion(dates.now_local())
    with gc_paused():
        for line, _, _, rev, rid, prev, _, _, team, kind, _ in checked:  # streamed
            events += 1
            suspicion.take(line, rev, rid, prev, team, kind)
    journal = checked.journal
    problems = sorted(checked.problems, key=lambda p: p.line)
    if journal.incomplete_tail:
        problems.append(Problem(journal.lines_read + 1,
                                "the last line is incomplete (a torn write)"))  # fmt: skip
    summary = f"{path}: format {journal.version[0]}.{journal.version[1]}, " \
              f"{events} events, {len(suspicion.records)} records"  # fmt: skip
    if not problems:
        click.echo(f"{clean(summary)}: healthy")
    else:
        click.echo(f"{clean(summary)}: {plural(len(problems), 'problem')}")
        for problem in problems:
            click.echo(f"  {clean(str(problem))}")
        click.echo("`retro compact` sets damaged lines aside in a .rejected file and rewrites "
                   "the log")  # fmt: skip
    read = journal.lines_read
    for said in suspicious_lines(suspicion.found(lambda: _events(path, read))):
        click.echo(said)
    ctx.exit(1 if problems else 0)


def _events(path: Path, last: int) -> Iterator[tuple[int, Event]]:
    """The events of the log at ``path`` up to line ``last``, with their line numbers."""
    for line, _, _, _, decoded in Journal(path).lines():
        if line > last:
            return
        if type(decoded) is not str:
            yield line, decoded  # type: ignore[misc]


@click.command()
@click.pass_context
@handle_errors
def compact(ctx: click.Context) -> None:
    """Rewrite the log atomically: duplicates dropped, damaged lines set aside, nothing lost."""
    path = app_context(ctx).settings.log
    done = Journal(path).compact()
    click.echo(f"{path}: {done.kept} events kept, {done.dropped} duplicates dropped", err=True)
    if done.side:
        click.echo(f"{done.rejected} damaged lines moved, verbatim, to {done.side}", err=True)


@click.command()
@click.option("--team", help="Your team's name.")
@click.option("--author", help="Your name, as it appears on entries.")
@click.option("--log", "log_path", metavar="PATH", help="The log file to use.")
@click.option("--sprint-start", metavar="WHEN", help="WHEN the first sprint started.")
@click.option("--sprint-length", metavar="LENGTH", help="Sprint length, e.g. 2w or 10d.")
@click.option("--theme", help="The app's theme.")
@click.pass_context
@handle_errors
def init(ctx: click.Context, /, **given: str | None) -> None:
    """Write the config file: team, author, log, sprint cadence, theme.

    Asks for what is not given when run in a terminal with no options.
    """
    app = app_context(ctx)
    settings = app.settings
    values = {key: settings.config.get(key) for key in CONFIG_KEYS}
    if sys.stdin.isatty() and not any(given.values()):
        given["team"] = click.prompt("Team", default=values["team"] or settings.team)
        given["author"] = click.prompt("Your name", default=values["author"] or settings.author)
        given["sprint_start"] = click.prompt(
            "First day of a sprint", default=str(values["sprint_start"] or "today")
        )
        given["sprint_length"] = click.prompt(
            "Sprint length", default=str(values["sprint_length"] or "2w")
        )
    log_path, start = given.pop("log_path"), given.pop("sprint_start")
    length = given.pop("sprint_length")
    if log_path:
        values["log"] = str(Path(log_path).expanduser().resolve())
    try:
        if start:
            values["sprint_start"] = app.settings.day(start).isoformat()
        if length:
            values["sprint_length"] = f"{dates.parse_length(length)}d"
    except dates.DateError as err:
        raise click.BadParameter(str(err), param_hint="--sprint-start/--sprint-length") from err
    values.update({key: value for key, value in given.items() if value})
    write_config(settings.config_file, values)
    click.echo(f"Wrote {clean(str(settings.config_file))}", err=True)
    configured = Settings(config_file=settings.config_file)
    configured.prepare_log_folder()
    click.echo(f"Your log: {clean(str(configured.log))}", err=True)
    click.echo("Next: `retro run` starts this sprint's retro; `retro where` shows these paths.",
               err=True)  # fmt: skip


@click.command()
@click.pass_context
@handle_errors
def where(ctx: click.Context) -> None:
    """Say where the log and the config live, and whose entries are recorded."""
    settings = app_context(ctx).settings
    rows = [
        ("log", str(settings.log)),
        ("config", str(settings.config_file)),
        ("team", settings.team),
        ("author", settings.author),
        ("clock", "RETRO_NOW " + os.environ["RETRO_NOW"] if os.environ.get("RETRO_NOW")
         else "the system's"),
    ]  # fmt: skip
    for name, value in rows:
        click.echo(f"{name:<7} {clean(value)}")
