"""Commands that report on logs and export entries: report, export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from retro.bulk import gc_paused
from retro.cli.context import (
    app_context,
    emit_chunks,
    handle_errors,
    progress_bar,
    report_damage,
    warn,
)
from retro.cli.options import (
    format_option,
    kinds_option,
    output_option,
    period_options,
    teams_option,
)
from retro.errors import EXIT_DAMAGED
from retro.model import Record
from retro.present import tables as plain
from retro.present.csv import to_csv
from retro.present.format import plural
from retro.present.json import records_json, safe_json
from retro.report import Report, build_report, slimmer

REPORT_TABLES = ("teams", "decisions", "fragmentation", "dependencies", "entries")


def emit(text: str, output: Path | None) -> None:
    """Write ``text`` to ``output`` atomically, or to stdout."""
    ending = b"" if output is not None or text.endswith("\n") else b"\n"
    emit_chunks([text.encode() + ending], output)


def load_records(ctx: click.Context, logs: Sequence[Path],
                 view: Callable[[Record], Record] | None = None,
                 ) -> tuple[list[Record], str, int]:  # fmt: skip
    """The current records of the named logs merged in memory, or of the configured log,
    each as ``view`` shows it if given (only what it shows is kept).

    Damaged lines are skipped with a warning; the exit code returned says so.
    """
    if not logs:
        repo = app_context(ctx).repo().load()
        code = report_damage(repo)
        if code:
            warn("the report leaves those lines out")
        found = repo.each()
        return list(found if view is None else map(view, found)), input_names([repo.path]), code
    from retro.store.repository import Repository, union_records

    settings = app_context(ctx).settings
    repos = []
    with progress_bar(logs) as progress:
        for path in logs:
            repos.append(Repository(path, author=settings.author, team=settings.team).load())
            progress(path.stat().st_size)
    damaged = [repo for repo in repos if repo.problems or repo.incomplete_tail]
    for repo in damaged:
        torn = ["the last line is incomplete"] if repo.incomplete_tail else []
        bad = [str(problem) for problem in repo.problems] + torn
        warn(f"warning: {repo.path}: {len(bad)} damaged lines skipped, the first {bad[0]}")
    if damaged:
        warn("run `retro verify --log LOG` for the full report; the report leaves those lines out")
    return union_records(repos, view), input_names(logs), EXIT_DAMAGED if damaged else 0


def input_names(paths: Sequence[Path], *, most: int = 5) -> str:
    """The inputs named for a report people share: file names only, never a folder."""
    names = [path.name for path in paths]
    if len(names) > most:
        return ", ".join(names[: most - 1]) + f" and {len(names) - most + 1} more"
    return ", ".join(names)


@click.command()
@click.argument("logs", nargs=-1, type=click.Path(path_type=Path))
@teams_option
@period_options
@format_option("text", "md", "html", "csv", "json")
@click.option("--table", type=click.Choice(REPORT_TABLES), default="teams", show_default=True,
              help="With --format csv: which table.")  # fmt: skip
@output_option()
@click.pass_context
@handle_errors
@gc_paused()
def report(
    ctx: click.Context, logs: Sequence[Path], teams: Sequence[str], since: datetime | None,
    until: datetime | None, fmt: str, table: str, output: Path | None,
) -> None:  # fmt: skip
    """Across teams: outcomes per sprint, the decision ledger, fragmentation, coherence.

    Reads the configured log, or merges the LOGS given (in memory) first.
    """
    if fmt == "text" and output is not None:
        raise click.UsageError("--format text prints to the terminal; use md or html for -o")
    entries = fmt == "csv" and table == "entries"  # every field: else what the report reads
    records, source, code = load_records(ctx, logs, None if entries else slimmer())
    result = build_report(records, teams=teams, since=since, until=until)
    counts = f"{plural(len(result.teams), 'team')}, {plural(len(records), 'entry', 'entries')}"
    scope = f"{counts}, from {source}"
    if fmt == "text":
        print_report(result, scope)
    elif fmt == "csv":
        tables = {t.name: t for t in plain.report_tables(result)}
        chosen = tables.get(table) or plain.entries_table(
            r for r in records if r["kind"] != "retro" and (not teams or r["team"] in teams))
        emit(to_csv(chosen), output)
    else:
        emit(report_document(result, scope, fmt), output)
    ctx.exit(code)


def print_report(result: Report, scope: str) -> None:
    """The report's tables on the terminal."""
    from retro.present.terminal import print_tables  # Rich: only for the terminal

    unreinforced = "; ".join(d.title for d in result.unreinforced) or "none"
    print_tables(plain.people_tables(result, compact=True),
                 heading=f"{scope}\nDecisions no team reinforces: {unreinforced}")  # fmt: skip


def report_document(result: Report, scope: str, fmt: str) -> str:
    """The report as one Markdown, HTML or JSON document."""
    if fmt == "md":
        from retro.present.markdown import report_markdown

        return report_markdown(result, scope=scope)
    if fmt == "html":
        from retro.present.html import report_html

        return report_html(result, scope=scope)
    from retro.present.json import report_data

    return safe_json(report_data(result, scope=scope)) + "\n"


@click.command()
@format_option("csv", "json", "md")
@kinds_option
@teams_option
@period_options
@output_option()
@click.pass_context
@handle_errors
@gc_paused()
def export(
    ctx: click.Context, fmt: str, kinds: Sequence[str], teams: Sequence[str],
    since: datetime | None, until: datetime | None, output: Path | None,
) -> None:  # fmt: skip
    """Export the entries themselves: CSV (formulas neutralised), JSON or Markdown."""
    repo = app_context(ctx).repo().load()
    filters: dict[str, Any] = dict(kinds=kinds, teams=teams, since=since, until=until)
    if fmt == "json":
        emit_chunks(records_json(repo.each(**filters), indent=True), output)
        ctx.exit(report_damage(repo))
    records = repo.find(**filters)
    if fmt == "csv":
        emit(to_csv(plain.entries_table(records)), output)
    else:
        from retro.present.markdown import entries_markdown

        emit(entries_markdown(records, context={r["id"]: r for r in repo.all()}), output)
    ctx.exit(report_damage(repo))
