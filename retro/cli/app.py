"""Commands that open the app, or prepare it: run, demo, themes, formats."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path

import click

from retro.cli.context import (
    app_context,
    handle_errors,
    need_terminal,
    open_app,
    progress_bar,
    warn,
)
from retro.cli.options import check_sprint
from retro.config import Settings, write_config
from retro.errors import RetroError
from retro.fsio import write_atomically
from retro.inputs import read_inputs
from retro.present.sanitize import clean
from retro.resources import sample_logs


@click.command()
@click.option("--team", "run_team", metavar="NAME", help="The team whose retro to run.")
@click.option("--sprint", default="current", show_default=True, metavar="current|last|N",
              help="Which sprint's retro: the current one, the last one, or sprint N.")
@click.option("--format", "fmt", metavar="NAME",
              help="The retro's format (see `retro formats`); default: the sprint's retro if "
                   "it has one, else outcome-retro.")  # fmt: skip
@click.pass_context
@handle_errors
def run(ctx: click.Context, run_team: str | None, sprint: str, fmt: str | None) -> None:
    """Start or resume the team's retro for a sprint, at the step where it was left."""
    check_sprint(sprint)
    if fmt is not None:
        from retro.formats import load_formats, pick_format

        pick_format(fmt, load_formats()[0])  # an unknown name: one line, before the app
    settings = app_context(ctx).settings
    if run_team:
        settings = dataclasses.replace(settings, team_option=run_team)
    open_app(ctx, start="run", sprint=sprint, fmt=fmt, settings=settings)


@click.command()
@click.option("--name", metavar="NAME",
              help="Your name in the room [default: as --author: env RETRO_AUTHOR; config; git].")
@click.option("--browser", is_flag=True, hidden=True,
              help="A browser's tab of `retro serve`: ask the participant's name.")
@click.pass_context
@handle_errors
def join(ctx: click.Context, name: str | None, browser: bool) -> None:
    """Join the team's open retro as a participant: write cards, vote, follow the facilitator."""
    from retro.live import MAX_NAME, person_name

    shown = None if name is None else person_name(name)
    if shown == "":
        raise click.BadParameter("a name needs a letter or two", param_hint="--name")
    if shown is not None and len(shown) > MAX_NAME:
        raise click.BadParameter(f"a name of at most {MAX_NAME} characters", param_hint="--name")
    open_app(ctx, start="join", name=shown, ask_name=browser)


@click.command()
@click.option("--print", "print_only", is_flag=True,
              help="Print the sample entries instead of opening the app.")  # fmt: skip
@click.pass_context
@handle_errors
def demo(ctx: click.Context, print_only: bool) -> None:
    """Try retro on a temporary copy of the sample data: four teams over six sprints."""
    logs = sample_logs()
    if not logs:
        raise RetroError("the sample data is missing from this installation")
    if not print_only:
        need_terminal()  # before anything is copied
    folder = Path(tempfile.mkdtemp(prefix="retro-demo-"))
    copies = [Path(shutil.copy(log, folder / log.name)) for log in logs]
    with progress_bar(copies) as progress:
        inputs = read_inputs(copies, skip_bad=False, keep=False, progress=progress)
    combined = folder / "all-teams.jsonl"
    write_atomically(combined, inputs.merged().headed())
    config = folder / "config.toml"
    theme = app_context(ctx).settings.theme
    write_config(config, {"team": "payments", "author": "You", "log": str(combined),
                          "sprint_start": "2026-08-31", "sprint_length": "14d",
                          "theme": theme})  # fmt: skip
    click.echo(f"The sample logs were copied to {folder}", err=True)
    if print_only:
        from retro.present.terminal import entries_table
        from retro.store import Repository

        records = Repository(combined, author="You", team="payments").all()
        entries_table(records[-50:], total=len(records))
        return
    open_app(ctx, start="home", settings=Settings(config_file=config, theme_option=theme))


@click.command()
@click.pass_context
@handle_errors
def themes(ctx: click.Context) -> None:
    """List the themes: built in, and your own from the config folder's themes/."""
    from retro.tui.themes import DEFAULT_THEME, load_themes, user_theme_dir  # loads Textual

    found, problems = load_themes()
    current = app_context(ctx).settings.theme or DEFAULT_THEME
    for name in sorted(found):
        click.echo(f"{'*' if name == current else ' '} {name}")
    click.echo(f"Your own themes go in {user_theme_dir()} (*.toml)", err=True)
    for problem in problems:
        warn(problem)


@click.command()
@handle_errors
def formats() -> None:
    """List the retro formats: built in, and your own from the config folder's formats/."""
    from retro.formats import DEFAULT_FORMAT, load_formats, step_list, user_format_dir

    found, problems = load_formats()
    width = max(map(len, found), default=0)
    for name, fmt in sorted(found.items()):
        timed = f" ({fmt.minutes} min)" if fmt.minutes else ""
        click.echo(f"{'*' if name == DEFAULT_FORMAT else ' '} {name:<{width}}  {fmt.title}{timed}")
        click.echo(f"  {'':<{width}}  {step_list(fmt.step_names)}")
    click.echo(f"Your own formats go in {clean(str(user_format_dir()))} (*.toml)", err=True)
    for problem in problems:
        warn(problem)
