"""Commands on the entries of the log: list, show, edit, delete, restore, a retro's summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from retro import sessions
from retro.bulk import gc_paused
from retro.cli.context import app_context, emit_chunks, handle_errors, report_damage
from retro.cli.options import (
    check_sprint,
    collect_fields,
    entry_options,
    format_option,
    kinds_option,
    period_options,
    teams_option,
)
from retro.model import Record, title
from retro.present.json import records_json, safe_json
from retro.present.sanitize import clean
from retro.present.summary import figure_lines, list_lines, summary_data
from retro.present.terminal import entries_table, history_lines, record_lines

if TYPE_CHECKING:
    from retro.store import Repository


@click.command(name="log")
@kinds_option
@teams_option
@period_options
@click.option("--search", metavar="TEXT", help="Only entries whose text contains TEXT.")
@click.option("--retro", "retro_ref", metavar="ID", help="Only entries of this retro.")
@format_option("table", "json", "jsonl")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="Show the newest N entries (table default 50; 0 = all).")  # fmt: skip
@click.pass_context
@handle_errors
@gc_paused()
def log_command(
    ctx: click.Context, kinds: tuple[str, ...], teams: tuple[str, ...], since: datetime | None,
    until: datetime | None, search: str | None, retro_ref: str | None, fmt: str, limit: int | None,
) -> None:  # fmt: skip
    """List the current entries, oldest first."""
    repo = app_context(ctx).repo().load()
    where = None
    if retro_ref:
        retro = repo.get(retro_ref, kinds=["retro"])
        in_retro = {rec["id"] for rec in sessions.entries(repo, retro)}
        where = lambda rec: rec["id"] in in_retro  # noqa: E731
    filters: dict[str, Any] = dict(kinds=kinds, teams=teams, since=since, until=until,
                                   search=search, where=where)  # fmt: skip
    if limit is None:
        limit = 50 if fmt == "table" else 0
    if fmt == "table":
        shown, total = repo.newest(limit or None, **filters)
        entries_table(shown, total=total)
    elif limit:
        emit_chunks(records_json(repo.find(**filters, last=limit), lines=fmt == "jsonl"), None)
    else:
        emit_chunks(records_json(repo.each(**filters), lines=fmt == "jsonl"), None)
    ctx.exit(report_damage(repo))


@click.command()
@click.argument("ref")
@click.option("--history", is_flag=True, help="Show every revision and what it changed.")
@click.pass_context
@handle_errors
def show(ctx: click.Context, ref: str, history: bool) -> None:
    """Show one entry (REF: an id, an id prefix or a decision's title fragment)."""
    repo = app_context(ctx).repo().load()
    if history:
        lines = history_lines(repo.history(ref))
    else:
        rec = repo.get(ref)
        records = repo.records()
        linked = [rid for key in ("links", "applies_to", "decisions") for rid in rec.get(key) or []]
        labels = {
            rid: f"({records[rid]['kind']}) {clean(title(records[rid], 50))}"
            for rid in linked
            if rid in records
        }
        lines = record_lines(rec, labels)
    click.echo("\n".join(lines))
    ctx.exit(report_damage(repo))


@click.command()
@click.argument("ref")
@click.option("--text", help="The new text.")
@click.option("--unlink", multiple=True, metavar="REF", help="Remove a link.")
@entry_options
@click.pass_context
@handle_errors
def edit(
    ctx: click.Context, /, ref: str, text: str | None, links: Sequence[str],
    unlink: Sequence[str], **options: Any,
) -> None:  # fmt: skip
    """Change an entry: appends a new revision, the old one stays in the history."""
    app = app_context(ctx)
    repo = app.repo().load()
    rec = repo.get(ref)
    if text is not None and not text.strip():
        raise click.BadParameter("the text cannot be empty", param_hint="--text")
    fields = collect_fields(app, rec["kind"], options)
    link_ids = [repo.resolve(r) for r in links]
    unlink_ids = [repo.resolve(r, deleted=True) for r in unlink]
    new = repo.edit(
        rec["id"], text=text.strip() if text else None, fields=fields, link=link_ids,
        unlink=unlink_ids,
    )  # fmt: skip
    changed = "Updated" if new != rec else "Unchanged"
    click.echo(f"{changed} {rec['kind']} {rec['id'][:8]}", err=True)
    ctx.exit(report_damage(repo))


@click.command()
@click.argument("ref")
@click.pass_context
@handle_errors
def rm(ctx: click.Context, ref: str) -> None:
    """Delete an entry: a tombstone, so it stays deleted after merges (see `retro restore`)."""
    _change_one(ctx, "Deleted", lambda repo: repo.remove(ref), undo="retro restore")


@click.command()
@click.argument("ref")
@click.pass_context
@handle_errors
def restore(ctx: click.Context, ref: str) -> None:
    """Undo the deletion of an entry (REF: its id or an id prefix), as it was before.

    A new revision that outranks the deletion, so it survives merges like any edit.
    """
    _change_one(ctx, "Restored", lambda repo: repo.restore(ref))


def _change_one(
    ctx: click.Context, done: str, change: Callable[[Repository], Record], *, undo: str = ""
) -> None:
    """Make ``change`` to the log and say what it did to which entry (and how to undo it)."""
    repo = app_context(ctx).repo().load()
    rec = change(repo)
    then = f" (undo: {undo} {rec['id'][:8]})" if undo else ""
    click.echo(f"{done} {rec['kind']} {rec['id'][:8]} {clean(title(rec, 50))!r}{then}", err=True)
    ctx.exit(report_damage(repo))


@click.command()
@click.argument("ref", required=False)
@click.option("--sprint", metavar="current|last|N", help="The retro of this sprint (held or not).")
@format_option("text", "md", "json")
@click.pass_context
@handle_errors
def summary(ctx: click.Context, ref: str | None, sprint: str | None, fmt: str) -> None:
    """Print a retro's summary: the figures of step 9, its Markdown export, or JSON.

    REF is a retro's id or id prefix, or a day in a sprint ("2026-11-10", "last friday");
    without REF or --sprint, the team's newest retro. A sprint that held no retro is
    summed up from its check-ins. The figures are those of `retro report` for that retro.
    """
    app = app_context(ctx)
    settings = app.settings
    check_sprint(sprint)
    repo = app.repo()
    repo.load(missing_ok=True)
    try:
        retro = sessions.summary_target(repo, settings.team, ref, sprint, settings.cadence,
                                        app.settings.day, app.now().date())  # fmt: skip
    except (ValueError, OverflowError) as err:
        raise click.BadParameter(str(err), param_hint="--sprint") from err
    found = sessions.entries(repo, retro)
    figures = sessions.figures(repo, retro, found)
    if fmt == "json":
        data = summary_data(retro, figures, sessions.follow_ups(repo, retro))
        click.echo(safe_json(data, indent=2))
    elif fmt == "md":
        from retro.present.summary import retro_summary  # the Markdown export: only for md

        click.echo(retro_summary(retro, found, figures, context=repo.records()), nl=False)
    else:
        held = "" if retro.get("id") else "  (no retro held: its check-ins)"
        click.echo(clean(f"{retro['team']}: {retro['period_start']} – {retro['period_end']}{held}"))
        status = retro.get("status") or "open" if retro.get("id") else "not held"
        actions = [rec for rec in found if rec["kind"] == "action"]
        lines = figure_lines(figures, status) + list_lines(figures, repo.records(), actions)
        click.echo(clean("\n".join(lines), multiline=True))
    ctx.exit(report_damage(repo))
