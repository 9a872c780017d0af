"""The ``retro`` command line (click). The TUI is imported only by the commands that open it."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import partial, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from retro import __version__, dates
from retro.bulk import gc_paused
from retro.config import CONFIG_KEYS, Settings, write_config
from retro.errors import EXIT_DAMAGED, LogError, RetroError, ValidationError
from retro.model import (
    DATE_DIRECTIONS,
    ENTRY_KINDS,
    FUTURE,
    IDS,
    Record,
    coerce,
    field_type,
    plural,
)
from retro.sanitize import clean
from retro.store import Repository

if TYPE_CHECKING:
    from retro.merge import Merge, Trust
    from retro.store.events import Event
    from retro.store.journal import Problem

F = TypeVar("F", bound=Callable[..., Any])

# Kind-specific options: flag -> (field, kinds it applies to, help).
ENTRY_OPTIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "--for": ("for_whom", ("outcome",), "Who the outcome changed something for."),
    "--evidence": ("evidence", ("outcome", "risk"), "What shows it (a link, a figure, a quote)."),
    "--metric": ("metric", ("outcome",), "The metric the evidence is about."),
    "--baseline": ("baseline", ("outcome",), "The metric's value before."),
    "--observed": ("observed", ("outcome",), "The metric's value now."),
    "--observed-at": ("observed_at", ("outcome",), "WHEN the change was observed."),
    "--confidence-before": ("confidence_before", ("outcome",), "Predictability before, 1-5."),
    "--confidence-after": ("confidence_after", ("outcome",), "Predictability after, 1-5."),
    "--before": ("before", ("risk",), "Risk before, likelihood x impact (e.g. 4x3)."),
    "--after": ("after", ("risk",), "Risk after, likelihood x impact (e.g. 2x3)."),
    "--learned": ("learned_at", ("lesson",), "WHEN the lesson was learned (default: now)."),
    "--applies-to": ("applies_to", ("lesson",), "Decision or outcome the lesson applies to."),
    "--on": ("on", ("dependency",), "The team or system depended on."),
    "--discovered": ("discovered_at", ("dependency",), "WHEN it was discovered (default: now)."),
    "--needed": ("needed_at", ("dependency",), "WHEN it was needed."),
    "--owner": ("owner", ("action",), "Who follows the action up."),
    "--due": ("due", ("action",), "WHEN the action is due."),
    "--expected": ("expected_outcome", ("action",), "The outcome the action should move."),
    "--status": ("status", ("action",), "open, done, dropped or carried."),
    "--criteria": ("criteria", ("decision",), "The decision's explicit criteria."),
    "--review-by": ("review_by", ("decision",), "WHEN the decision is revisited."),
}
_MULTIPLE = {"--applies-to"}
# Defaults filled in when a kind is recorded without them.
_NOW_DEFAULTS = {"lesson": "learned_at", "dependency": "discovered_at"}


class AppContext:
    """Shared by the commands of one invocation: settings and the repository, made on demand."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._repo: Repository | None = None

    def now(self) -> datetime:
        return self.settings.clock()

    def repo(self) -> Repository:
        if self._repo is None:
            self._repo = Repository(
                self.settings.log,
                author=self.settings.author,
                team=self.settings.team,
                clock=self.settings.clock,
            )
        return self._repo

    def when(self, text: str, *, forward: bool = False) -> datetime:
        """People's dates; ``forward`` for when something is due (see ``dates``)."""
        return dates.parse_when(
            text, now=self.now(), cadence=self.settings.cadence, forward=forward
        )

    def day(self, text: str, *, forward: bool = False) -> date:
        return dates.parse_day(text, now=self.now(), cadence=self.settings.cadence, forward=forward)

    def warn_direction(self, label: str, value: date | str, *, forward: bool) -> None:
        """Warn on stderr when a date lies on the wrong side of today (it is kept)."""
        message = dates.direction_warning(label, value, self.now(), forward=forward)
        if message:
            warn(f"warning: {message}")


def _app(ctx: click.Context) -> AppContext:
    app: AppContext = ctx.find_root().obj
    return app


class When(click.ParamType):  # type: ignore[type-arg]
    """A WHEN argument: the dates people type, parsed to an aware datetime."""

    name = "WHEN"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        app = ctx.find_root().obj if ctx else None
        try:
            if app is None:
                return dates.parse_when(str(value))
            return app.when(str(value))
        except dates.DateError as err:
            self.fail(str(err), param, ctx)


WHEN = When()


def warn(message: str) -> None:
    """A line on stderr, made safe."""
    click.echo(f"retro: {clean(message)}", err=True)


def _report_damage(repo: Repository) -> int:
    """Warn about skipped lines; return the exit code that says so."""
    problems = repo.problems
    for problem in problems[:5]:
        warn(f"warning: {repo.path}: {problem} (skipped)")
    if len(problems) > 5:
        warn(f"warning: {len(problems) - 5} more damaged lines skipped")
    if repo.incomplete_tail:
        warn(f"warning: {repo.path}: the last line is incomplete (skipped)")
    if problems or repo.incomplete_tail:
        warn("run `retro verify` for the full report, `retro compact` to set damaged lines aside")
        return EXIT_DAMAGED
    return 0


def entry_options(func: F) -> F:
    """Add the kind-specific options and ``--field``/``--link`` to a command."""
    for flag in reversed(ENTRY_OPTIONS):
        name, kinds, text = ENTRY_OPTIONS[flag]
        func = click.option(
            flag,
            name,
            multiple=flag in _MULTIPLE,
            metavar="REF" if flag in _MULTIPLE else None,
            help=f"{text} [{'/'.join(kinds)}]",
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


def collect_fields(app: AppContext, kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """The fields named by kind-specific options and ``--field``, typed and checked."""
    repo = app.repo()

    fields: dict[str, Any] = {}
    wanted: list[tuple[str, str, str]] = []
    for flag, (name, kinds, _) in ENTRY_OPTIONS.items():
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
    dated: dict[str, tuple[str, bool]] = {}  # field -> (its flag, forward)
    for flag, name, text in wanted:
        direction = DATE_DIRECTIONS.get((kind, name))
        forward = direction == FUTURE
        when, day = partial(app.when, forward=forward), partial(app.day, forward=forward)
        try:
            value = coerce(kind, name, text, when=when, day=day, ref=repo.resolve)
        except (dates.DateError, ValidationError) as err:
            raise click.BadParameter(str(err), param_hint=flag) from err
        if field_type(kind, name) == IDS and name in fields:
            value = [*fields[name], *value]
        fields[name] = value
        if direction:
            dated[name] = (name if flag == "--field" else flag, forward)
    for name, (label, forward) in dated.items():
        app.warn_direction(label, fields[name], forward=forward)
    return fields


def handle_errors(func: F) -> F:
    """Turn expected failures into one clear line on stderr and an exit code, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RetroError as err:
            warn(str(err))
            sys.exit(err.exit_code)
        except KeyboardInterrupt:
            warn("interrupted")
            sys.exit(130)
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except OSError as err:
            warn(f"{err.filename or ''}: {err.strerror or err}".lstrip(": "))
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
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


def open_app(
    ctx: click.Context, *, start: str, sprint: str = "current", settings: Settings | None = None
) -> None:
    """Run the Textual app (imported only now: the other commands never load it)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise click.UsageError("the app needs a terminal; use the commands for scripts")
    settings = settings or _app(ctx).settings
    _ = settings.cadence  # a broken config fails here, before the screen is taken over
    settings.prepare_log_folder()
    from retro.tui.app import RetroApp

    app = RetroApp(settings, start=start, sprint=sprint)
    app.run()
    if app.return_code:
        ctx.exit(app.return_code)


@cli.command()
@click.argument("text", required=False)
@click.option(
    "--kind", "-k", type=click.Choice(ENTRY_KINDS), default="outcome", show_default=True,
    help="What the entry is.",
)  # fmt: skip
@click.option("--at", "at", type=WHEN, help="WHEN it happened (default: now).")
@click.option("--retro", "retro_ref", metavar="current|last|ID",
              help="Attach the entry to this retro (default: the retro whose period holds it).")
@entry_options
@click.pass_context
@handle_errors
def checkin(
    ctx: click.Context, /, text: str | None, kind: str, at: datetime | None,
    retro_ref: str | None, links: Sequence[str], **options: Any,
) -> None:  # fmt: skip
    """Record one entry (an outcome unless --kind says otherwise).

    Prints the new entry's id alone on stdout; a confirmation goes to stderr.
    Without TEXT, in a terminal, opens the quick check-in form.
    """
    app = _app(ctx)
    if text is None and sys.stdin.isatty() and sys.stdout.isatty():
        open_app(ctx, start="checkin")
        return
    if text is None or not text.strip():
        raise click.UsageError("say what to record, e.g. retro checkin \"Refunds now take 1 day\"")
    fields = collect_fields(app, kind, options)
    if at is not None:
        app.warn_direction("--at", at, forward=False)
    if kind in _NOW_DEFAULTS and _NOW_DEFAULTS[kind] not in fields:
        fields[_NOW_DEFAULTS[kind]] = (at or app.now()).isoformat()
    repo = app.repo()
    link_ids = [repo.resolve(ref) for ref in links]
    retro = None
    if retro_ref:
        from retro import sessions

        settings = app.settings
        repo.load(missing_ok=True)  # a new log holds no retro: say that, not "no log"
        retro = sessions.named_retro(repo, settings.team, retro_ref, settings.cadence,
                                     app.now().date())  # fmt: skip
    app.settings.prepare_log_folder()
    rec = repo.add(kind, text.strip(), fields=fields, links=link_ids, at=at,
                   retro=retro["id"] if retro else None)  # fmt: skip
    click.echo(rec["id"])
    into = f" (retro {retro['period_start']} – {retro['period_end']})" if retro else ""
    click.echo(f"Recorded {kind} {rec['id'][:8]} for {clean(rec['team'])}{into} in "
               f"{clean(str(repo.path))}", err=True)  # fmt: skip


@cli.command(name="log")
@click.option("--kind", "-k", "kinds", multiple=True, type=click.Choice(ENTRY_KINDS + ("retro",)),
              help="Only entries of this kind (repeatable).")  # fmt: skip
@click.option("--team", "teams", multiple=True, metavar="NAME", help="Only this team (repeatable).")
@click.option("--since", type=WHEN, help="Only entries from WHEN on.")
@click.option("--until", type=WHEN, help="Only entries up to WHEN.")
@click.option("--search", metavar="TEXT", help="Only entries whose text contains TEXT.")
@click.option("--retro", "retro_ref", metavar="ID", help="Only entries of this retro.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl"]), default="table",
              show_default=True, help="Output format.")  # fmt: skip
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
    from retro.render import entries_table

    repo = _app(ctx).repo().load()
    where = None
    if retro_ref:
        from retro import sessions

        retro = repo.get(retro_ref, kinds=["retro"])
        in_retro = {rec["id"] for rec in sessions.entries(repo, retro)}
        where = lambda rec: rec["id"] in in_retro  # noqa: E731
    records = repo.find(kinds=kinds, teams=teams, since=since, until=until, search=search,
                        where=where)  # fmt: skip
    total = len(records)
    if limit is None:
        limit = 50 if fmt == "table" else 0
    if limit:
        records = records[-limit:]
    if fmt == "table":
        entries_table(records, total=total)
    else:
        write_json(records, lines=fmt == "jsonl")
    ctx.exit(_report_damage(repo))


def write_json(records: Sequence[Record], *, lines: bool, chunk: int = 1000) -> None:
    """Stream records to stdout as one JSON array (or JSON Lines), a chunk at a time."""
    from retro.model import full_view
    from retro.render import safe_json

    out = sys.stdout
    if not lines:
        out.write("[")
    for start in range(0, len(records), chunk):
        views = [full_view(rec) for rec in records[start : start + chunk]]
        if lines:
            out.write("".join(safe_json(view) + "\n" for view in views))
        else:
            out.write((", " if start else "") + safe_json(views)[1:-1])
    if not lines:
        out.write("]\n")
    out.flush()


@cli.command()
@click.argument("ref")
@click.option("--history", is_flag=True, help="Show every revision and what it changed.")
@click.pass_context
@handle_errors
def show(ctx: click.Context, ref: str, history: bool) -> None:
    """Show one entry (REF: an id, an id prefix or a decision's title fragment)."""
    from retro.model import title
    from retro.render import history_lines, record_lines

    repo = _app(ctx).repo().load()
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
    ctx.exit(_report_damage(repo))


@cli.command()
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
    app = _app(ctx)
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
    ctx.exit(_report_damage(repo))


@cli.command()
@click.argument("ref")
@click.pass_context
@handle_errors
def rm(ctx: click.Context, ref: str) -> None:
    """Delete an entry: a tombstone, so it stays deleted after merges (see `retro restore`)."""
    from retro.model import title

    repo = _app(ctx).repo().load()
    rec = repo.remove(ref)
    click.echo(f"Deleted {rec['kind']} {rec['id'][:8]} {clean(title(rec, 50))!r} "
               f"(undo: retro restore {rec['id'][:8]})", err=True)  # fmt: skip
    ctx.exit(_report_damage(repo))


@cli.command()
@click.argument("ref")
@click.pass_context
@handle_errors
def restore(ctx: click.Context, ref: str) -> None:
    """Undo the deletion of an entry (REF: its id or an id prefix), as it was before.

    A new revision that outranks the deletion, so it survives merges like any edit.
    """
    from retro.model import title

    repo = _app(ctx).repo().load()
    rec = repo.restore(ref)
    click.echo(f"Restored {rec['kind']} {rec['id'][:8]} {clean(title(rec, 50))!r}", err=True)
    ctx.exit(_report_damage(repo))


@cli.command()
@click.option("--log", "log_path", metavar="PATH", help="The log to check (default: the log).")
@click.pass_context
@handle_errors
def verify(ctx: click.Context, log_path: str | None) -> None:
    """Check a log line by line: exit 0 when healthy, 1 with a report when not.

    Also lists the events a merge would hold back: stamped in the future, or changing
    a record's team or kind.
    """
    from retro.store.journal import Journal

    path = Path(log_path) if log_path else _app(ctx).settings.log
    journal = Journal(path)
    batch, extra = journal.scan()
    problems = sorted([*batch.problems, *extra], key=lambda p: p.line)
    records = len({event["id"] for event in batch.events})
    summary = f"{path}: format {journal.version[0]}.{journal.version[1]}, " \
              f"{len(batch.events)} events, {records} records"  # fmt: skip
    if not problems:
        click.echo(f"{clean(summary)}: healthy")
    else:
        click.echo(f"{clean(summary)}: {len(problems)} problems")
        for problem in problems:
            click.echo(f"  {clean(str(problem))}")
        click.echo("`retro compact` sets damaged lines aside in a .rejected file and rewrites "
                   "the log")  # fmt: skip
    print_suspicious(batch.events, batch.lines)
    ctx.exit(1 if problems else 0)


def print_suspicious(events: Sequence[Event], lines: Sequence[int]) -> None:
    """List the events of a log that a merge would hold back (they do not make it unhealthy)."""
    from retro.merge import suspicious

    found = suspicious(events, dates.now_local())
    if not found:
        return
    click.echo(f"{len(found)} event{'' if len(found) == 1 else 's'} a merge would hold back "
               '(see "Whom a merge trusts"):')  # fmt: skip
    for n, why in found[:MAX_HELD_SHOWN]:
        click.echo(f"  line {lines[n]}: {clean(why)}")
    if len(found) > MAX_HELD_SHOWN:
        click.echo(f"  and {len(found) - MAX_HELD_SHOWN} more")


@cli.command()
@click.pass_context
@handle_errors
def compact(ctx: click.Context) -> None:
    """Rewrite the log atomically: duplicates dropped, damaged lines set aside, nothing lost."""
    from retro.store.journal import Journal

    path = _app(ctx).settings.log
    done = Journal(path).compact()
    click.echo(f"{path}: {done.kept} events kept, {done.dropped} duplicates dropped", err=True)
    if done.side:
        click.echo(f"{done.rejected} damaged lines moved, verbatim, to {done.side}", err=True)


@cli.command()
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
    app = _app(ctx)
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
            values["sprint_start"] = app.day(start).isoformat()
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


@cli.command()
@click.pass_context
@handle_errors
def where(ctx: click.Context) -> None:
    """Say where the log and the config live, and whose entries are recorded."""
    settings = _app(ctx).settings
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


@cli.command()
@click.argument("ref", required=False)
@click.option("--sprint", metavar="current|last|N", help="The retro of this sprint (held or not).")
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text",
              show_default=True, help="Output format.")  # fmt: skip
@click.pass_context
@handle_errors
def summary(ctx: click.Context, ref: str | None, sprint: str | None, fmt: str) -> None:
    """Print a retro's summary: the figures of step 9, its Markdown export, or JSON.

    REF is a retro's id or id prefix, or a day in a sprint ("2026-11-10", "last friday");
    without REF or --sprint, the team's newest retro. A sprint that held no retro is
    summed up from its check-ins. The figures are those of `retro report` for that retro.
    """
    from retro import sessions
    from retro.summary import figure_lines, list_lines, summary_data

    app = _app(ctx)
    settings = app.settings
    if sprint is not None and sprint not in ("current", "last") and not sprint.isdigit():
        raise click.BadParameter("use current, last or a sprint number", param_hint="--sprint")
    repo = app.repo()
    repo.load(missing_ok=True)
    try:
        retro = sessions.summary_target(repo, settings.team, ref, sprint, settings.cadence,
                                        app.day, app.now().date())  # fmt: skip
    except (ValueError, OverflowError) as err:
        raise click.BadParameter(str(err), param_hint="--sprint") from err
    found = sessions.entries(repo, retro)
    figures = sessions.figures(repo, retro, found)
    if fmt == "json":
        from retro.render import safe_json

        data = summary_data(retro, figures, sessions.follow_ups(repo, retro))
        click.echo(safe_json(data, indent=2))
    elif fmt == "md":
        from retro.export.markdown import retro_summary

        click.echo(retro_summary(retro, found, figures, context=repo.records()), nl=False)
    else:
        held = "" if retro.get("id") else "  (no retro held: its check-ins)"
        click.echo(clean(f"{retro['team']}: {retro['period_start']} – {retro['period_end']}{held}"))
        status = retro.get("status") or "open" if retro.get("id") else "not held"
        actions = [rec for rec in found if rec["kind"] == "action"]
        lines = figure_lines(figures, status) + list_lines(figures, repo.records(), actions)
        click.echo(clean("\n".join(lines), multiline=True))
    ctx.exit(_report_damage(repo))


@cli.command()
@click.option("--team", "run_team", metavar="NAME", help="The team whose retro to run.")
@click.option("--sprint", default="current", show_default=True, metavar="current|last|N",
              help="Which sprint's retro: the current one, the last one, or sprint N.")  # fmt: skip
@click.pass_context
@handle_errors
def run(ctx: click.Context, run_team: str | None, sprint: str) -> None:
    """Start or resume the team's retro for a sprint, at the step where it was left."""
    if sprint not in ("current", "last") and not sprint.isdigit():
        raise click.BadParameter("use current, last or a sprint number", param_hint="--sprint")
    if run_team:
        _app(ctx).settings.team_option = run_team
    open_app(ctx, start="run", sprint=sprint)


@cli.command()
@click.option("--print", "print_only", is_flag=True,
              help="Print the sample entries instead of opening the app.")  # fmt: skip
@click.pass_context
@handle_errors
def demo(ctx: click.Context, print_only: bool) -> None:
    """Try retro on a temporary copy of the sample data: four teams over six sprints."""
    import shutil
    import tempfile

    from retro.fsio import write_atomically
    from retro.inputs import read_inputs
    from retro.render import entries_table
    from retro.resources import sample_logs
    from retro.store.journal import Journal

    logs = sample_logs()
    if not logs:
        raise RetroError("the sample data is missing from this installation")
    folder = Path(tempfile.mkdtemp(prefix="retro-demo-"))
    for log in logs:
        shutil.copy(log, folder / log.name)
    inputs = read_inputs([folder / log.name for log in logs], skip_bad=False)
    combined = Journal(folder / "all-teams.jsonl")
    write_atomically(combined.path, inputs.merged().lines())
    config = folder / "config.toml"
    theme = _app(ctx).settings.theme
    write_config(config, {"team": "payments", "author": "You", "log": str(combined.path),
                          "sprint_start": "2026-08-31", "sprint_length": "14d",
                          "theme": theme})  # fmt: skip
    click.echo(f"The sample logs were copied to {folder}", err=True)
    if print_only:
        repo = Repository(combined.path, author="You", team="payments").load()
        records = repo.all()
        entries_table(records[-50:], total=len(records))
        return
    open_app(ctx, start="home", settings=Settings(config_file=config, theme_option=theme))


@cli.command()
@click.pass_context
@handle_errors
def themes(ctx: click.Context) -> None:
    """List the themes: built in, and your own from the config folder's themes/."""
    from retro.tui.themes import DEFAULT_THEME, load_themes, user_theme_dir

    found, problems = load_themes()
    current = _app(ctx).settings.theme or DEFAULT_THEME
    for name in sorted(found):
        click.echo(f"{'*' if name == current else ' '} {name}")
    click.echo(f"Your own themes go in {user_theme_dir()} (*.toml)", err=True)
    for problem in problems:
        warn(problem)


def set_aside(rejected: Sequence[tuple[Path, Sequence[Problem]]], side: Path | None) -> int:
    """Copy the damaged lines, verbatim, to ``side`` (once the merge is written)."""
    from retro.fsio import copy_lines

    if side is not None:
        for path, bad in rejected:
            copy_lines(path, bad, side)
    return sum(len(bad) for _, bad in rejected)


MAX_HELD_SHOWN = 20  # held events listed one by one; the rest are counted


def print_merge(result: Merge, rejected: int, side: Path | None, fmt: str, target: str,
                held_file: Path | None = None) -> None:  # fmt: skip
    """The merge report, as a table or JSON."""
    from dataclasses import asdict

    from retro.render import safe_json

    if fmt == "json":
        data = {
            "output": target,
            "events": len(result.events),
            "records": result.records,
            "inputs": [asdict(report) for report in result.inputs],
            "concurrent_edits": [asdict(edit) for edit in result.concurrent],
            "possible_duplicate_decisions": [
                {**asdict(dup), "command": dup.command} for dup in result.duplicates
            ],
            "rejected": rejected,
            "rejected_file": str(side) if side and rejected else None,
            "held": [{"record_id": h.record_id, "rev": h.rev, "source": h.source,
                      "reason": h.reason, "why": h.why} for h in result.held],  # fmt: skip
            "held_file": str(held_file) if held_file and result.held else None,
        }
        click.echo(safe_json(data, indent=2))
        return
    click.echo(f"{'input':<32} {'events':>7} {'new':>6} {'updated':>7} {'deleted':>7} "
               f"{'dupes':>6} {'held':>6}")  # fmt: skip
    for report in result.inputs:
        name = clean(Path(report.source).name)[:32]
        click.echo(f"{name:<32} {report.events_read:>7} {report.new_records:>6} "
                   f"{report.updated_records:>7} {report.deletions:>7} "
                   f"{report.duplicates_skipped:>6} {report.held:>6}")  # fmt: skip
    click.echo(f"merged: {len(result.events)} events, {result.records} records -> {clean(target)}")
    if rejected:
        click.echo(f"rejected: {rejected} damaged lines, verbatim in {clean(str(side))}")
    print_held(result, held_file, target)
    if result.concurrent:
        click.echo(f"Concurrent edits ({len(result.concurrent)}), every revision kept:")
        for edit in result.concurrent:
            sides = ", ".join(f"{clean(by)} ({'deleted' if op == 'del' else 'edited'})"
                              for _, by, op in edit.revisions)  # fmt: skip
            click.echo(f"  {edit.record_id[:8]} {clean(edit.title)!r}: {sides}; "
                       f"shown: revision {edit.winner}")  # fmt: skip
    if result.duplicates:
        click.echo(f"Possible duplicate decisions ({len(result.duplicates)}):")
        for dup in result.duplicates:
            click.echo(f"  {clean(dup.first_title)!r} ~ {clean(dup.second_title)!r} "
                       f"({dup.similarity:.2f}): {dup.command}")  # fmt: skip


def held_summary(result: Merge, held_file: Path | None) -> str:
    """One line: how many events were held back, and where they are kept."""
    where = f", kept in {held_file}" if held_file else " (dry run: nothing written)"
    count = len(result.held)
    return f"held back: {count} event{'' if count == 1 else 's'}, not merged{where}"


def print_held(result: Merge, held_file: Path | None, target: str) -> None:
    """What a merge held back and why, and how to take it in."""
    from retro.merge import FOREIGN
    from retro.model import title

    if not result.held:
        return
    click.echo(clean(held_summary(result, held_file)))
    for held in result.held[:MAX_HELD_SHOWN]:
        rec = held.event.get("rec") or result.heads.get(held.record_id, {}).get("rec") or {}
        label = f" {clean(title(rec, 40))!r}" if rec else ""
        click.echo(f"  {held.record_id[:8]}{label}: {clean(held.why)}")
    if len(result.held) > MAX_HELD_SHOWN:
        click.echo(f"  and {len(result.held) - MAX_HELD_SHOWN} more")
    if held_file and any(h.reason == FOREIGN for h in result.held):
        click.echo(clean(f"to take the foreign ones in: retro merge {held_file} --into {target} "
                         "--accept-foreign"))  # fmt: skip


def trust_for(settings: Settings | None, accept_foreign: bool) -> Trust:
    """Whom this merge trusts: your team, the config's trusted teams, this machine's clock.

    The clock is the system's, even when ``RETRO_NOW`` freezes the one that stamps entries.
    """
    from retro.merge import Trust

    if settings is None:
        return Trust(dates.now_local(), accept_foreign=accept_foreign)
    return Trust(dates.now_local(), teams=frozenset({settings.team}),
                 trusted=settings.trusted_teams, accept_foreign=accept_foreign)  # fmt: skip


def keep_held(result: Merge, held_file: Path, *, fresh: bool) -> None:
    """Write what ``result`` held back to ``held_file`` (a log of its own), or remove it.

    Unless ``fresh``, what the file already held and this merge did not take in stays.
    """
    from retro.fsio import write_atomically
    from retro.inputs import read_held

    lines = result.held_lines([] if fresh else read_held(held_file))
    if lines:
        write_atomically(held_file, lines)
    else:
        held_file.unlink(missing_ok=True)


@cli.command(name="merge")
@click.argument("logs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the merge here.")
@click.option("--into", type=click.Path(path_type=Path), help="Merge into this existing log.")
@click.option("--dry-run", is_flag=True, help="Print the report; write nothing.")
@click.option("--skip-bad", is_flag=True,
              help="Merge the good lines; copy damaged ones verbatim to <output>.rejected.")
@click.option("--accept-foreign", is_flag=True,
              help="Take in events that change a record's team or kind, or your team's "
                   "records, from another team's log (held back in <output>.held otherwise).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="The report's format.")  # fmt: skip
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
    from retro.inputs import read_held, read_inputs
    from retro.store.journal import Journal

    if (output is None) == (into is None) and not dry_run:
        raise click.UsageError("say where the merge goes: -o OUT, or --into LOG")
    target = into or output
    side = target.with_name(target.name + ".rejected") if target and not dry_run else None
    held_file = target.with_name(target.name + ".held") if target and not dry_run else None
    trust = trust_for(_app(ctx).settings, accept_foreign)
    if output is not None and not dry_run and output.exists():  # onto a live log: writers wait
        ctx.with_resource(Journal(output).locked(create=False))  # until the command ends
    inputs = read_inputs(logs, skip_bad=skip_bad)
    if into is None or dry_run:
        base = Journal(into).read(raw=True) if into is not None and into.exists() else None
        result = inputs.merged(base, trust=trust)
        if output is not None and held_file is not None:
            Journal(output).rewrite(result.lines())
            keep_held(result, held_file, fresh=True)
    else:
        journal = Journal(into)
        assert held_file is not None
        read_held(held_file)  # a damaged side file stops the merge before anything is written
        with journal.locked(create=not into.is_symlink()):  # writers wait: nothing is lost
            existing = journal.read(raw=True) if into.exists() and into.stat().st_size else None
            if existing is not None and (existing.problems or existing.incomplete_tail):
                raise LogError(f"{into} has damaged lines: run `retro --log {into} compact` "
                               "first")  # fmt: skip
            result = inputs.merged(existing, journal.version, trust=trust)
            journal.rewrite(result.lines())
            keep_held(result, held_file, fresh=False)
    if output is not None and side is not None and not dry_run:
        side.unlink(missing_ok=True)  # a new output: its side file tells of this merge only
    rejected = set_aside(inputs.damaged, side)
    print_merge(result, rejected, side, fmt, "(dry run)" if dry_run else str(target), held_file)


@cli.command(name="merge-driver")
@click.argument("ancestor", type=click.Path(path_type=Path))
@click.argument("ours", type=click.Path(path_type=Path))
@click.argument("theirs", type=click.Path(path_type=Path))
@click.argument("path", required=False, type=click.Path(path_type=Path))
@handle_errors
@gc_paused()
def merge_driver(ancestor: Path, ours: Path, theirs: Path, path: Path | None) -> None:
    """git's merge driver for retro logs: writes the merge of the three versions to OURS.

    Registered by `retro git-setup`; git calls it as `retro merge-driver %O %A %B %P`.
    Events a merge holds back (see "Whom a merge trusts") are not merged: they are
    kept in <PATH>.held beside the log, and a warning says so.
    """
    from retro.fsio import write_atomically
    from retro.inputs import Inputs, read_inputs
    from retro.store.journal import Batch

    def read(*paths: Path) -> Inputs:
        return read_inputs([p for p in paths if p.exists() and p.stat().st_size], skip_bad=False)

    mine = read(ancestor, ours).merged()  # your side: what the log already holds
    result = read(theirs).merged(Batch(mine.events, raw=mine.encoded), mine.version,
                                 trust=trust_for(None, accept_foreign=False))  # fmt: skip
    write_atomically(ours, result.lines())
    if result.held:
        held_file = (path or ours).with_name((path or ours).name + ".held")
        keep_held(result, held_file, fresh=False)
        warn(f"warning: {held_summary(result, held_file)}; see `retro merge --help`")


@cli.command(name="git-setup")
@click.option("--global", "global_", is_flag=True,
              help="For every repository of this user, not just this one.")  # fmt: skip
@click.option("--pattern", default="*.jsonl", show_default=True,
              help="Which files are retro logs.")  # fmt: skip
@handle_errors
def git_setup(global_: bool, pattern: str) -> None:
    """Let git merge retro logs without conflicts: registers retro's merge driver."""
    from retro.gitsetup import setup

    target, line = setup(global_=global_, pattern=pattern, cwd=Path.cwd())
    click.echo(f"git will merge {pattern} with retro (line {line!r} in {target})", err=True)


@cli.group()
def decision() -> None:
    """Work with strategic decisions across teams."""


@decision.command()
@click.argument("ref")
@click.option("--to", "to_ref", required=True, metavar="REF", help="The decision it duplicates.")
@click.pass_context
@handle_errors
def alias(ctx: click.Context, ref: str, to_ref: str) -> None:
    """Mark decision REF as the same as another, so that reports count them as one."""
    repo = _app(ctx).repo().load()
    source = repo.resolve(ref, kinds=["decision"])
    target = repo.resolve(to_ref, kinds=["decision"])
    seen = {source}
    step = target
    while step:  # refuse cycles: follow the target's own aliases
        if step in seen:
            raise ValidationError("that alias would make a cycle of decisions")
        seen.add(step)
        step = (repo.record(step) or {}).get("alias_of") or ""
    repo.edit(source, fields={"alias_of": target})
    click.echo(f"Decision {source[:8]} is now counted as {target[:8]}", err=True)


def emit(text: str, output: Path | None) -> None:
    """Write ``text`` to ``output`` atomically, or to stdout."""
    from retro.fsio import write_atomically

    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        write_atomically(output, [text.encode()])
        click.echo(f"Wrote {output}", err=True)


def load_records(ctx: click.Context, logs: Sequence[Path]) -> tuple[list[Record], str, int]:
    """The current records of the named logs merged in memory, or of the configured log.

    Damaged lines are skipped with a warning; the exit code returned says so.
    """
    if not logs:
        repo = _app(ctx).repo().load()
        code = _report_damage(repo)
        if code:
            warn("the report leaves those lines out")
        return repo.all(), input_names([repo.path]), code
    from retro.inputs import read_inputs
    from retro.store.events import PUT, replay

    inputs = read_inputs(logs, skip_bad=True, raw=False)
    for path, bad in inputs.damaged:
        warn(f"warning: {path}: {len(bad)} damaged lines skipped, the first {bad[0]}")
    if inputs.damaged:
        warn("run `retro verify --log LOG` for the full report; the report leaves those lines out")
    events = inputs.logs[0][1] if len(inputs.logs) == 1 else inputs.merged().events
    current = [e["rec"] for e in replay(events).values() if e["op"] == PUT]
    current.sort(key=lambda rec: datetime.fromisoformat(rec["created_at"]))
    return current, input_names(logs), EXIT_DAMAGED if inputs.damaged else 0


def input_names(paths: Sequence[Path], *, most: int = 5) -> str:
    """The inputs named for a report people share: file names only, never a folder."""
    names = [path.name for path in paths]
    if len(names) > most:
        return ", ".join(names[: most - 1]) + f" and {len(names) - most + 1} more"
    return ", ".join(names)


REPORT_TABLES = ("teams", "decisions", "fragmentation", "dependencies", "entries")


@cli.command()
@click.argument("logs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--team", "teams", multiple=True, metavar="NAME", help="Only this team (repeatable).")
@click.option("--since", type=WHEN, help="Only entries from WHEN on.")
@click.option("--until", type=WHEN, help="Only entries up to WHEN.")
@click.option("--format", "fmt", type=click.Choice(["text", "md", "html", "csv", "json"]),
              default="text", show_default=True, help="Output format.")  # fmt: skip
@click.option("--table", type=click.Choice(REPORT_TABLES), default="teams", show_default=True,
              help="With --format csv: which table.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to this file.")
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
    from retro.export import tables as plain
    from retro.report import build_report

    records, source, code = load_records(ctx, logs)
    result = build_report(records, teams=teams, since=since, until=until)
    counts = f"{plural(len(result.teams), 'team')}, {plural(len(records), 'entry', 'entries')}"
    scope = f"{counts}, from {source}"
    if fmt == "text":
        from retro.render import print_tables

        if output is not None:
            raise click.UsageError("--format text prints to the terminal; use md or html for -o")
        unreinforced = "; ".join(d.title for d in result.unreinforced) or "none"
        print_tables(plain.people_tables(result, compact=True),
                     heading=f"{scope}\nDecisions no team reinforces: {unreinforced}")  # fmt: skip
    elif fmt == "md":
        from retro.export.markdown import report_markdown

        emit(report_markdown(result, scope=scope), output)
    elif fmt == "html":
        from retro.export.html_out import report_html

        emit(report_html(result, scope=scope), output)
    elif fmt == "csv":
        from retro.export.csv_out import to_csv

        tables = {t.name: t for t in plain.report_tables(result)}
        chosen = tables.get(table) or plain.entries_table(
            r for r in records if r["kind"] != "retro" and (not teams or r["team"] in teams))
        emit(to_csv(chosen), output)
    else:
        from retro.export.json_out import report_data
        from retro.render import safe_json

        emit(safe_json(report_data(result, scope=scope)) + "\n", output)
    ctx.exit(code)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "md"]), default="csv",
              show_default=True, help="Output format.")  # fmt: skip
@click.option("--kind", "-k", "kinds", multiple=True, type=click.Choice(ENTRY_KINDS + ("retro",)),
              help="Only entries of this kind (repeatable).")  # fmt: skip
@click.option("--team", "teams", multiple=True, metavar="NAME", help="Only this team (repeatable).")
@click.option("--since", type=WHEN, help="Only entries from WHEN on.")
@click.option("--until", type=WHEN, help="Only entries up to WHEN.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to this file.")
@click.pass_context
@handle_errors
@gc_paused()
def export(
    ctx: click.Context, fmt: str, kinds: Sequence[str], teams: Sequence[str],
    since: datetime | None, until: datetime | None, output: Path | None,
) -> None:  # fmt: skip
    """Export the entries themselves: CSV (formulas neutralised), JSON or Markdown."""
    from retro.export.tables import entries_table
    from retro.model import full_view

    repo = _app(ctx).repo().load()
    records = repo.find(kinds=kinds, teams=teams, since=since, until=until)
    if fmt == "csv":
        from retro.export.csv_out import to_csv

        emit(to_csv(entries_table(records)), output)
    elif fmt == "json":
        from retro.render import safe_json

        emit(safe_json([full_view(r) for r in records], indent=2) + "\n", output)
    else:
        from retro.export.markdown import entries_markdown

        emit(entries_markdown(records, context={r["id"]: r for r in repo.all()}), output)
    ctx.exit(_report_damage(repo))


def main() -> None:
    """The console entry point."""
    cli(prog_name="retro")
