"""Themes in the real app: every theme renders, bad themes are reported, the choice is kept."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.color import Color
from textual.pilot import Pilot
from textual.widgets import Label

from retro.config import Settings, write_config
from retro.tui.app import RetroApp
from retro.tui.screens.home import HomeScreen
from retro.tui.screens.steps import StepScreen
from retro.tui.themes import DEFAULT_THEME, builtin_theme_dir, load_themes, user_theme_dir
from tests.screens import screen_text

NOW = "2026-11-20T15:00:00+01:00"
SIZE = (100, 30)
SPRINT_6 = "357c0cef-8cc0-4e24-a05c-7f8ea9b144ae"  # the payments team's retro of sprint 6
BUILTIN = sorted(path.stem for path in builtin_theme_dir().glob("*.toml"))

GOOD = """
name = "my-night"
dark = true
primary = "#5aa9e6"
background = "#101418"
"""


@pytest.fixture
def config(sample_config: Path) -> Path:
    """The payments sample log, its cadence, a clock in its sixth sprint."""
    return sample_config


def read_config(path: Path) -> dict[str, Any]:
    with open(path, "rb") as stream:
        return tomllib.load(stream)


def messages(app: RetroApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def wait_until(pilot: Pilot[None], done: Callable[[], bool], what: str) -> None:
    """Pause until ``done()`` (what is drawn lags a little behind the widgets)."""
    for _ in range(200):
        await pilot.pause(0.05)
        if done():
            return
    raise AssertionError(f"never {what}: on {pilot.app.screen!r}")


def home_shown(app: RetroApp) -> bool:
    screen = app.screen
    return app.loaded and isinstance(screen, HomeScreen) and screen.shown


def step_shown(app: RetroApp, step: str) -> bool:
    screen = app.screen
    return (
        isinstance(screen, StepScreen)
        and screen.STEP == step
        and screen.ready
        and bool(str(screen.query_one("#count-outputs", Label).content))
    )


def test_the_builtin_files_are_every_theme_found(config: Path) -> None:
    """The parametrised test below covers every theme the app offers (no user themes here)."""
    themes, problems = load_themes()
    assert sorted(themes) == BUILTIN
    assert problems == []
    assert DEFAULT_THEME in BUILTIN


@pytest.mark.parametrize("name", BUILTIN)
async def test_every_theme_renders_home_and_a_step(name: str, config: Path) -> None:
    theme = load_themes()[0][name]
    app = RetroApp(Settings(config_file=config), theme=name, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: home_shown(app), "showed home")
        assert app.theme == name
        assert app.current_theme.dark is theme.dark
        await wait_until(pilot, lambda: "Retros of payments (6)" in screen_text(app), "drew home")
        assert app.screen.styles.background == Color.parse(theme.background or "")
        app.open_retro(SPRINT_6, "outcomes")
        await wait_until(pilot, lambda: step_shown(app, "outcomes"), "showed the outcomes step")
        await wait_until(pilot, lambda: "4. Outcomes" in screen_text(app), "drew the step")
        assert "Orphan outputs" in screen_text(app)
        assert app.theme == name
        assert app.screen.styles.background == Color.parse(theme.background or "")
        assert messages(app) == []  # nothing to warn about
    assert app.return_code in (None, 0)
    assert read_config(config).get("theme") is None  # a theme asked for is not a choice to keep


async def test_a_broken_user_theme_is_reported_and_the_default_is_used(config: Path) -> None:
    folder = user_theme_dir()
    assert folder == config.parent / "themes"
    folder.mkdir(parents=True)
    (folder / "broken.toml").write_text('name = "broken"\nprimary = \n', encoding="utf-8")
    (folder / "my-night.toml").write_text(GOOD, encoding="utf-8")
    app = RetroApp(Settings(config_file=config), poll=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: home_shown(app), "showed home")
        assert app.theme == DEFAULT_THEME
        [problem] = messages(app)
        assert "broken.toml" in problem and "not valid TOML" in problem
        await wait_until(pilot, lambda: "skipped a theme" in screen_text(app), "drew the toast")
        assert "my-night" in app.available_themes  # the good file beside it still loads
        assert "broken" not in app.available_themes
    assert app.return_code in (None, 0)


async def test_a_broken_user_theme_named_in_the_config_falls_back(config: Path) -> None:
    folder = user_theme_dir()
    folder.mkdir(parents=True)
    (folder / "broken.toml").write_text('name = "broken"\nprimary = "bleu"\n', encoding="utf-8")
    values = read_config(config)
    write_config(config, {**values, "theme": "broken"})
    app = RetroApp(Settings(config_file=config), poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: home_shown(app), "showed home")
        assert app.theme == DEFAULT_THEME
        found = messages(app)
        assert any("broken.toml" in m and "is not a colour" in m for m in found), found
        assert any("unknown theme 'broken'" in m for m in found), found
    assert read_config(config)["theme"] == "broken"  # kept for when the file is fixed


@pytest.mark.parametrize("how", ["option", "argument"])
async def test_an_unknown_theme_falls_back_to_the_default_with_a_notification(
    how: str, config: Path
) -> None:
    if how == "option":  # retro --theme retro-drak
        app = RetroApp(Settings(config_file=config, theme_option="retro-drak"), poll=False)
    else:
        app = RetroApp(Settings(config_file=config), theme="retro-drak", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: home_shown(app), "showed home")
        assert app.theme == DEFAULT_THEME
        [problem] = messages(app)
        assert "unknown theme 'retro-drak'" in problem
        assert "did you mean 'retro-dark'" in problem
        await wait_until(pilot, lambda: "Retros of payments" in screen_text(app), "drew home")
    assert read_config(config).get("theme") is None


async def test_a_theme_chosen_in_the_app_is_kept_for_next_time(config: Path) -> None:
    before = read_config(config)
    app = RetroApp(Settings(config_file=config), poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: home_shown(app), "showed home")
        assert app.theme == DEFAULT_THEME
        app.theme = "retro-light"
        await pilot.pause()
        assert app.current_theme.dark is False
    after = read_config(config)
    assert after == {**before, "theme": "retro-light"}  # the rest of the config is untouched

    again = RetroApp(Settings(config_file=config), poll=False)
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: home_shown(again), "showed home")
        assert again.theme == "retro-light"
        assert messages(again) == []
        again.theme = "retro-high-contrast"  # and a second change replaces the first
        await pilot.pause()
    assert read_config(config) == {**before, "theme": "retro-high-contrast"}


async def test_the_palette_offers_the_themes_retro_themes_lists(config: Path) -> None:
    from click.testing import CliRunner

    from retro.cli import cli

    listed = set(CliRunner().invoke(cli, ["themes"]).stdout.replace("*", " ").split())
    app = RetroApp(Settings(config_file=config), poll=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        assert set(app.available_themes) == listed
        assert app.theme in listed
