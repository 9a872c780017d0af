"""The ``retro`` command line (click), one module per family of commands.

The root group names each command with its module and imports that module only when the
command runs: a check-in loads neither the app, the report, the merge nor TinyDB.
"""

from __future__ import annotations

import click

from retro import __version__
from retro.cli.context import AppContext, handle_errors, open_app
from retro.cli.lazy import Lazy, LazyGroup
from retro.config import Settings

_ENTRIES, _LOGFILE, _MERGING = "retro.cli.entries", "retro.cli.logfile", "retro.cli.merging"
_REPORTS, _APP = "retro.cli.reports", "retro.cli.app"

COMMANDS: dict[str, Lazy] = {
    "checkin": Lazy("retro.cli.checkin", "checkin",
                    "Record one entry (an outcome unless --kind says otherwise)."),
    "log": Lazy(_ENTRIES, "log_command", "List the current entries, oldest first."),
    "show": Lazy(_ENTRIES, "show", "Show one entry (REF: an id, an id prefix or a decision's "
                 "title fragment)."),
    "edit": Lazy(_ENTRIES, "edit", "Change an entry: appends a new revision, the old one stays "
                 "in the history."),
    "rm": Lazy(_ENTRIES, "rm", "Delete an entry: a tombstone, so it stays deleted after merges "
               "(see `retro restore`)."),
    "restore": Lazy(_ENTRIES, "restore", "Undo the deletion of an entry (REF: its id or an id "
                    "prefix), as it was before."),
    "summary": Lazy(_ENTRIES, "summary", "Print a retro's summary: the figures of step 9, its "
                    "Markdown export, or JSON."),
    "verify": Lazy(_LOGFILE, "verify", "Check a log line by line: exit 0 when healthy, 1 with "
                   "a report when not."),
    "compact": Lazy(_LOGFILE, "compact", "Rewrite the log atomically: duplicates dropped, "
                    "damaged lines set aside, nothing lost."),
    "init": Lazy(_LOGFILE, "init", "Write the config file: team, author, log, sprint cadence, "
                 "theme."),
    "where": Lazy(_LOGFILE, "where", "Say where the log and the config live, and whose entries "
                  "are recorded."),
    "merge": Lazy(_MERGING, "merge_command", "Merge team logs: the union of their events, "
                  "deduplicated, in one order."),
    "merge-driver": Lazy(_MERGING, "merge_driver", "git's merge driver for retro logs: writes "
                         "the merge of the three versions to OURS."),
    "git-setup": Lazy(_MERGING, "git_setup", "Let git merge retro logs without conflicts: "
                      "registers retro's merge driver."),
    "decision": Lazy(_MERGING, "decision", "Work with strategic decisions across teams."),
    "report": Lazy(_REPORTS, "report", "Across teams: outcomes per sprint, the decision ledger, "
                   "fragmentation, coherence."),
    "export": Lazy(_REPORTS, "export", "Export the entries themselves: CSV (formulas "
                   "neutralised), JSON or Markdown."),
    "run": Lazy(_APP, "run", "Start or resume the team's retro for a sprint, at the step where "
                "it was left."),
    "join": Lazy(_APP, "join", "Join the team's open retro as a participant: write cards, "
                 "vote, follow the facilitator."),
    "demo": Lazy(_APP, "demo", "Try retro on a temporary copy of the sample data: four teams "
                 "over six sprints."),
    "themes": Lazy(_APP, "themes", "List the themes: built in, and your own from the config "
                   "folder's themes/."),
    "formats": Lazy(_APP, "formats", "List the retro formats: built in, and your own from the "
                    "config folder's formats/."),
    "serve": Lazy("retro.cli.serve", "serve", "Serve the team's retro to browsers: prints a "
                  "link, with its secret token, to share."),
}  # fmt: skip


@click.group(
    cls=LazyGroup, lazy=COMMANDS, invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)  # fmt: skip
@click.option("--log", "log", metavar="PATH", help="The log file [env RETRO_LOG; config 'log'].")
@click.option("--team", metavar="NAME", help="Your team [env RETRO_TEAM; config 'team'].")
@click.option("--author", metavar="NAME", help="Who records [env RETRO_AUTHOR; config; git].")
@click.option("--theme", metavar="NAME", help="The app's theme [env RETRO_THEME; config].")
@click.version_option(__version__, prog_name="retro")
@click.pass_context
@handle_errors
def cli(
    ctx: click.Context, log: str | None, team: str | None, author: str | None, theme: str | None
) -> None:
    """Outcome-centred retrospectives: outputs, outcomes, risks, lessons and decisions.

    Without a command, opens the app on your log. Every entry goes to a local
    JSON Lines log that can be merged across teams.
    """
    ctx.obj = AppContext(
        Settings(log_option=log, team_option=team, author_option=author, theme_option=theme)
    )
    if ctx.invoked_subcommand is None:
        open_app(ctx, start="home")


def main() -> None:
    """The console entry point."""
    cli(prog_name="retro")


__all__ = ["cli", "main"]
