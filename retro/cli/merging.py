"""Commands that merge logs, and git's side of it: merge, merge-driver, git-setup, decision."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from retro import merging
from retro.bulk import gc_paused
from retro.cli.context import app_context, handle_errors, progress_bar, warn
from retro.cli.options import format_option, output_option
from retro.gitsetup import setup
from retro.present.json import safe_json

PATH = click.Path(path_type=Path)


@click.command(name="merge")
@click.argument("logs", nargs=-1, required=True, type=PATH)
@output_option("Write the merge here.")
@click.option("--into", type=PATH, help="Merge into this existing log.")
@click.option("--dry-run", is_flag=True, help="Print the report; write nothing.")
@click.option("--skip-bad", is_flag=True,
              help="Merge the good lines; copy damaged ones verbatim to <output>.rejected.")
@click.option("--accept-foreign", is_flag=True,
              help="Take in events that change a record's team or kind, or your team's "
                   "records, from another team's log (held back in <output>.held otherwise).")
@format_option("table", "json", help="The report's format.")
@click.pass_context
@handle_errors
@gc_paused()
def merge_command(
    ctx: click.Context, logs: Sequence[Path], output: Path | None, into: Path | None,
    dry_run: bool, skip_bad: bool, accept_foreign: bool, fmt: str,
) -> None:  # fmt: skip
    """Merge team logs: the union of their events, deduplicated, in one order.

    The same inputs give a byte-identical file in any order; merging again
    changes nothing; edits and deletions travel; every revision is kept.
    Events stamped more than a day ahead of this machine's clock, and foreign
    ones (see the README, "Whom a merge trusts"), are held back in <output>.held.
    """
    if (output is None) == (into is None) and not dry_run:
        raise click.UsageError("say where the merge goes: -o OUT, or --into LOG")
    trust = merging.trust_for(app_context(ctx).settings, accept_foreign)
    with progress_bar(logs) as progress:
        done = merging.merge_logs(logs, output=output, into=into, dry_run=dry_run,
                                  skip_bad=skip_bad, trust=trust, progress=progress)  # fmt: skip
    if fmt == "json":
        click.echo(safe_json(merging.report_data(done), indent=2))
    else:
        click.echo("\n".join(merging.report_lines(done)))


@click.command(name="merge-driver")
@click.argument("ancestor", type=PATH)
@click.argument("ours", type=PATH)
@click.argument("theirs", type=PATH)
@click.argument("path", required=False, type=PATH)
@handle_errors
@gc_paused()
def merge_driver(ancestor: Path, ours: Path, theirs: Path, path: Path | None) -> None:
    """git's merge driver for retro logs: writes the merge of the three versions to OURS.

    Registered by `retro git-setup`; git calls it as `retro merge-driver %O %A %B %P`.
    Events a merge holds back (see "Whom a merge trusts") are not merged: they are
    kept in <PATH>.held beside the log, and a warning says so.
    """
    with progress_bar([ancestor, ours, theirs]) as progress:
        done = merging.merge_three(ancestor, ours, theirs, path, progress)
    if done.result.held:
        summary = merging.held_summary(done.result, done.held_file)
        warn(f"warning: {summary}; see `retro merge --help`")


@click.command(name="git-setup")
@click.option("--global", "global_", is_flag=True,
              help="For every repository of this user, not just this one.")  # fmt: skip
@click.option("--pattern", default="*.jsonl", show_default=True,
              help="Which files are retro logs.")  # fmt: skip
@handle_errors
def git_setup(global_: bool, pattern: str) -> None:
    """Let git merge retro logs without conflicts: registers retro's merge driver."""
    target, line = setup(global_=global_, pattern=pattern, cwd=Path.cwd())
    click.echo(f"git will merge {pattern} with retro (line {line!r} in {target})", err=True)


@click.group()
def decision() -> None:
    """Work with strategic decisions across teams."""


@decision.command()
@click.argument("ref")
@click.option("--to", "to_ref", required=True, metavar="REF", help="The decision it duplicates.")
@click.pass_context
@handle_errors
def alias(ctx: click.Context, ref: str, to_ref: str) -> None:
    """Mark decision REF as the same as another, so that reports count them as one."""
    repo = app_context(ctx).repo().load()
    source, target = merging.alias_decision(repo, ref, to_ref)
    click.echo(f"Decision {source[:8]} is now counted as {target[:8]}", err=True)
