"""``retro checkin``: the command people run most, kept light.

It appends one event without reading the log (no TinyDB, Rich or Textual); the log is
read only when a reference (``--link``, ``--applies-to``, ``--retro``) must be resolved.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from retro.cli.context import app_context, handle_errors, open_app
from retro.cli.options import WHEN, collect_fields, entry_options
from retro.fields import KINDS
from retro.model import ENTRY_KINDS, STEP_KINDS, Record
from retro.present.sanitize import clean
from retro.store.journal import Journal
from retro.store.writer import Writer

# Fields filled in with the entry's time when a kind is recorded without them.
NOW_DEFAULTS = {kind: field.name for kind, declared in KINDS.items()
                for field in declared if field.default == "now"}  # fmt: skip


@click.command()
@click.argument("text", required=False)
@click.option(
    "--kind", "-k", type=click.Choice(ENTRY_KINDS), default=None,
    help="What the entry is [default: with --retro, what the retro's step records; else "
         "outcome].",
)  # fmt: skip
@click.option("--at", "at", type=WHEN, help="WHEN it happened (default: now).")
@click.option("--retro", "retro_ref", metavar="current|last|ID",
              help="Attach the entry to this retro, as a card of the step it is at (default: "
                   "the retro whose period holds it).")
@entry_options
@click.pass_context
@handle_errors
def checkin(
    ctx: click.Context, /, text: str | None, kind: str | None, at: datetime | None,
    retro_ref: str | None, links: Sequence[str], **options: Any,
) -> None:  # fmt: skip
    """Record one entry (an outcome unless --kind says otherwise).

    Prints the new entry's id alone on stdout; a confirmation goes to stderr.
    Without TEXT, in a terminal, opens the quick check-in form. With --retro and
    no --kind, the entry is of the kind the retro's current step records (an
    output while the team is at its outputs), an outcome at any other step.
    """
    app = app_context(ctx)
    if text is None and sys.stdin.isatty() and sys.stdout.isatty():
        open_app(ctx, start="checkin")
        return
    if text is None or not text.strip():
        raise click.UsageError("say what to record, e.g. retro checkin \"Refunds now take 1 day\"")
    retro = named_retro(ctx, retro_ref) if retro_ref else None
    if kind is None:
        kind = STEP_KINDS.get(str(retro.get("step")), "outcome") if retro else "outcome"
    fields = collect_fields(app, kind, options)
    if at is not None:
        app.warn_direction("--at", at, forward=False)
    if kind in NOW_DEFAULTS and NOW_DEFAULTS[kind] not in fields:
        fields[NOW_DEFAULTS[kind]] = (at or app.now()).isoformat()
    link_ids = [app.repo().resolve(ref) for ref in links]
    settings = app.settings
    settings.prepare_log_folder()
    writer = Writer(settings.author, settings.clock)
    anonymous = bool(retro and retro.get("cards") == "anonymous")  # a live retro's choice
    rec, event = writer.new_entry(kind, text.strip(), team=settings.team, fields=fields,
                                  links=link_ids, at=at, retro=retro["id"] if retro else None,
                                  anonymous=anonymous)  # fmt: skip
    Journal(settings.log).append([event])  # the log is not read: one locked, fsynced append
    click.echo(rec["id"])
    into = f" (retro {retro['period_start']} – {retro['period_end']})" if retro else ""
    unnamed = ", without its author (the retro's cards are anonymous)" if anonymous else ""
    click.echo(f"Recorded {kind} {rec['id'][:8]} for {clean(rec['team'])}{into} in "
               f"{clean(str(settings.log))}{unnamed}", err=True)  # fmt: skip


def named_retro(ctx: click.Context, ref: str) -> Record:
    """The retro ``--retro`` names: current, last or an id (the log is read for it)."""
    from retro import sessions  # reads the log: only a check-in into a retro needs it

    app = app_context(ctx)
    settings = app.settings
    repo = app.repo().load(missing_ok=True)  # a new log holds no retro: say that, not "no log"
    return sessions.named_retro(repo, settings.team, ref, settings.cadence, app.now().date())
