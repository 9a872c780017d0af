"""Themes: the built-in files, user files (good and broken), Textual integration, legibility."""

from __future__ import annotations

import itertools
import math
import os
import tomllib
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.theme import BUILTIN_THEMES, Theme
from textual.widgets import Static

from retro.model import ALL_KINDS
from retro.tui.themes import (
    APP_VARIABLES,
    COLOUR_FIELDS,
    DEFAULT_THEME,
    MAX_THEME_BYTES,
    MAX_USER_THEMES,
    ThemeError,
    app_variable_defaults,
    builtin_theme_dir,
    load_theme_file,
    load_themes,
    parse_theme,
    pick_theme,
    user_theme_dir,
)
from tests.conftest import write_data_file

BUILTIN = ("retro-colorblind", "retro-dark", "retro-high-contrast", "retro-light")
KINDS = [name for name in APP_VARIABLES if name.startswith("kind-")]
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"

GOOD = """
name = "ok-theme"
primary = "#336699"
background = "#101010"
foreground = "#eeeeee"
"""


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "themes"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def builtins() -> dict[str, Theme]:
    themes, messages = load_themes(Path("/nonexistent-theme-folder"))
    assert messages == []
    return themes


# --- the built-in files --------------------------------------------------------------------


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two colours (alpha is ignored), from 1 to 21."""

    def luminance(text: str) -> float:
        colour = Color.parse(text)
        channels = [
            value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
            for value in (colour.r / 255, colour.g / 255, colour.b / 255)
        ]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_four_builtin_files_ship_as_package_data() -> None:
    files = sorted(path.name for path in builtin_theme_dir().glob("*.toml"))
    assert files == [f"{name}.toml" for name in BUILTIN]
    assert (builtin_theme_dir() / "__init__.py").exists()
    with open(PYPROJECT, "rb") as stream:
        project = tomllib.load(stream)
    assert project["tool"]["setuptools"]["package-data"]["retro.themes"] == ["*.toml"]
    assert project["tool"]["setuptools"]["package-dir"]["retro.themes"] == "themes"


@pytest.mark.parametrize("name", BUILTIN)
def test_each_builtin_file_is_named_after_its_theme(name: str) -> None:
    theme = load_theme_file(builtin_theme_dir() / f"{name}.toml")
    assert theme.name == name
    assert theme.foreground and theme.background and theme.surface and theme.panel
    assert set(APP_VARIABLES) <= set(theme.variables)


def test_builtins_load_and_the_default_is_among_them(builtins: dict[str, Theme]) -> None:
    assert sorted(builtins) == list(BUILTIN)
    assert DEFAULT_THEME in builtins
    assert builtins["retro-light"].dark is False
    assert builtins["retro-dark"].dark is True


def test_every_kind_of_the_model_has_a_colour() -> None:
    assert sorted(KINDS) == sorted(f"kind-{kind}" for kind in ALL_KINDS)
    assert {"late", "orphan"} <= set(APP_VARIABLES)


def test_user_themes_live_beside_the_config_file(isolated: Path) -> None:
    assert user_theme_dir() == isolated / "config" / "themes"


# --- Textual integration -------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILTIN)
async def test_theme_registers_and_its_variables_reach_the_css(
    name: str, builtins: dict[str, Theme]
) -> None:
    app: App[None] = App()
    async with app.run_test():
        for theme in builtins.values():
            app.register_theme(theme)
        assert set(BUILTIN) <= set(app.available_themes)
        app.theme = name
        variables = app.get_css_variables()
        for variable in APP_VARIABLES:
            assert variables[variable] == builtins[name].variables[variable]
        assert variables["background"] == Color.parse(builtins[name].background or "").hex
        assert app.current_theme.dark is builtins[name].dark


class KindsApp(App[None]):
    """The smallest app that styles widgets with the app's variables, as the real one does."""

    CSS = """
    .outcome { color: $kind-outcome; background: $kind-outcome 15%; }
    .late { color: $late; border: round $late; }
    .orphan { color: $orphan; text-style: italic; }
    """

    def __init__(self, themes: dict[str, Theme], start: str) -> None:
        super().__init__()
        for theme in themes.values():
            self.register_theme(theme)
        self.start = start

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return app_variable_defaults(self.current_theme.dark)

    def compose(self) -> ComposeResult:
        yield Static("reduced churn", classes="outcome", id="outcome")
        yield Static("dependency found late", classes="late", id="late")

    def on_mount(self) -> None:
        self.theme = self.start


@pytest.mark.parametrize("name", [*BUILTIN, "textual-dark", "textual-light"])
async def test_app_css_with_kind_variables_renders_under_every_theme(
    name: str, builtins: dict[str, Theme]
) -> None:
    app = KindsApp(builtins, name)
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        await app.mount(Static("output with no outcome", classes="orphan", id="orphan"))
        await pilot.pause()
        assert app.theme == name
        expected = (
            builtins[name].variables
            if name in builtins
            else app_variable_defaults(app.current_theme.dark)
        )
        for widget_id, variable in (
            ("outcome", "kind-outcome"),
            ("late", "late"),
            ("orphan", "orphan"),
        ):
            colour = app.query_one(f"#{widget_id}", Static).styles.color
            assert colour.hex == Color.parse(expected[variable]).hex
        assert "churn" in app.export_screenshot()


async def test_switching_theme_restyles_the_widgets(builtins: dict[str, Theme]) -> None:
    app = KindsApp(builtins, "retro-dark")
    async with app.run_test() as pilot:
        await pilot.pause()
        app.theme = "retro-light"
        await pilot.pause()
        colour = app.query_one("#outcome", Static).styles.color
        assert colour.hex == Color.parse(app_variable_defaults(dark=False)["kind-outcome"]).hex


# --- user files ----------------------------------------------------------------------------

BROKEN: dict[str, tuple[str | bytes, str]] = {
    "invalid-toml": ('name = "x"\nprimary = \n', "not valid TOML"),
    "bad-colour": ('name = "bad"\nprimary = "#12345z"\n', "is not a colour"),
    "colour-name-typo": ('name = "bad"\nprimary = "bleu"\n', "is not a colour"),
    "unknown-key": ('name = "bad"\nprimry = "#123456"\n', "did you mean 'primary'"),
    "unknown-variable": (
        'name = "bad"\nprimary = "#123456"\n[variables]\nkind-outcom = "#ffffff"\n',
        "did you mean 'kind-outcome'",
    ),
    "app-variable-with-opacity": (
        'name = "bad"\nprimary = "#123456"\n[variables]\nlate = "#ff0000 50%"\n',
        "is not a colour",
    ),
    "css-in-a-variable": (
        'name = "bad"\nprimary = "#123456"\n[variables]\nborder = "red; color: blue"\n',
        "is not a colour",
    ),
    "bad-text-style": (
        'name = "bad"\nprimary = "#123456"\n[variables]\nblock-cursor-text-style = "loud"\n',
        "is not a text style",
    ),
    "name-not-a-string": ('name = 3\nprimary = "#123456"\n', "'name' is required"),
    "dark-not-a-bool": ('name = "bad"\ndark = "yes"\nprimary = "#123456"\n', "true or false"),
    "colour-not-a-string": ('name = "bad"\nprimary = 123456\n', "must be a colour string"),
    "variables-not-a-table": ('name = "bad"\nprimary = "#123456"\nvariables = 1\n', "a table"),
    "variable-not-a-string": (
        'name = "bad"\nprimary = "#123456"\n[variables]\nlate = 1\n',
        "must be a string",
    ),
    "ratio-out-of-range": (
        'name = "bad"\nprimary = "#123456"\ntext_alpha = 2\n',
        "from 0 to 1",
    ),
    "name-with-spaces": ('name = "my theme"\nprimary = "#123456"\n', "lowercase letters"),
    "name-too-long": (f'name = "{"a" * 41}"\nprimary = "#123456"\n', "1 to 40"),
    "no-name": ('primary = "#123456"\n', "'name' is required"),
    "no-primary": ('name = "bad"\n', "'primary' is required"),
    "huge": (GOOD + "# padding\n" * (MAX_THEME_BYTES // 10 + 1), "64 KiB"),
    "binary-garbage": (b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00" * 64, "not UTF-8"),
    "utf8-garbage": ("\x00\x01\x02 name", "not valid TOML"),
}


def write_broken(user_dir: Path, case: str) -> Path:
    """The user file of a ``BROKEN`` case, as text or bytes."""
    return write_data_file(user_dir, case, BROKEN[case][0])


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_user_file_is_skipped_with_a_message(case: str, user_dir: Path) -> None:
    expected = BROKEN[case][1]
    path = write_broken(user_dir, case)
    (user_dir / "ok.toml").write_text(GOOD, encoding="utf-8")

    themes, messages = load_themes(user_dir)

    assert sorted(themes) == sorted([*BUILTIN, "ok-theme"])
    assert len(messages) == 1
    assert f"{case}.toml" in messages[0]
    assert expected in messages[0]
    with pytest.raises(ThemeError, match=f"{case}.toml"):
        load_theme_file(path)


def test_all_the_broken_files_together_leave_the_good_ones(user_dir: Path) -> None:
    for case in BROKEN:
        write_broken(user_dir, case)
    (user_dir / "ok.toml").write_text(GOOD, encoding="utf-8")

    themes, messages = load_themes(user_dir)

    assert sorted(themes) == sorted([*BUILTIN, "ok-theme"])
    assert len(messages) == len(BROKEN)


def test_messages_never_carry_control_characters(user_dir: Path) -> None:
    (user_dir / "evil.toml").write_text(
        'name = "bad"\nprimary = "\\u001b[31m"\n[variables]\n"\\u001b]0;x" = "#fff"\n',
        encoding="utf-8",
    )
    _, messages = load_themes(user_dir)
    assert len(messages) == 1
    assert "\x1b" not in messages[0]


def test_a_user_file_overriding_a_builtin_wins(user_dir: Path) -> None:
    (user_dir / "mine.toml").write_text(
        'name = "retro-light"\ndark = false\nprimary = "#00796b"\n'
        '[variables]\nkind-outcome = "#005a32"\n',
        encoding="utf-8",
    )
    themes, messages = load_themes(user_dir)
    assert messages == []
    assert themes["retro-light"].primary == "#00796b"
    assert themes["retro-light"].variables["kind-outcome"] == "#005a32"
    # what the file leaves out comes from the light fallbacks
    assert themes["retro-light"].variables["late"] == app_variable_defaults(dark=False)["late"]
    assert sorted(themes) == list(BUILTIN)


def test_a_minimal_user_theme_gets_every_app_variable(
    user_dir: Path, builtins: dict[str, Theme]
) -> None:
    (user_dir / "dark.toml").write_text('name = "d"\nprimary = "#888888"\n', encoding="utf-8")
    (user_dir / "light.toml").write_text(
        'name = "l"\ndark = false\nprimary = "#888888"\n', encoding="utf-8"
    )
    themes, messages = load_themes(user_dir)
    assert messages == []
    # the colours the shipped retro-dark and retro-light give them
    for name, shipped in (("d", "retro-dark"), ("l", "retro-light")):
        colours = builtins[shipped].variables
        assert themes[name].variables == {key: colours[key] for key in APP_VARIABLES}
    assert app_variable_defaults() is not app_variable_defaults()  # a copy the caller may change
    assert sorted(load_themes(user_dir)[0]) == sorted([*BUILTIN, "d", "l"])


def test_textual_overrides_and_every_field_are_accepted(user_dir: Path) -> None:
    (user_dir / "full.toml").write_text(
        """
name = "full-2"
dark = false
primary = "rgb(10, 20, 30)"
secondary = "hsl(200, 50%, 40%)"
accent = "#abc"
foreground = "black"
background = "#ffffffff"
surface = "#eeeeee"
panel = "#dddddd"
boost = "#00000010"
success = "ansi_green"
warning = "#aa6600"
error = "#aa0000"
luminosity_spread = 0.2
text_alpha = 1
[variables]
kind-risk = "#884400"
text = "auto 90%"
input-selection-background = "#0000ff 30.5%"
block-cursor-text-style = "bold not underline"
border = "transparent"
""",
        encoding="utf-8",
    )
    themes, messages = load_themes(user_dir)
    assert messages == []
    theme = themes["full-2"]
    assert theme.text_alpha == 1.0 and theme.luminosity_spread == 0.2
    assert theme.variables["block-cursor-text-style"] == "bold not underline"
    assert theme.to_color_system().generate()["text"] == "auto 90%"


@pytest.mark.parametrize("name", sorted(BUILTIN_THEMES))
def test_the_checks_accept_textuals_own_themes(name: str) -> None:
    """The validation is no stricter than Textual: its own themes pass as files would."""
    theme = BUILTIN_THEMES[name]
    fields = list(COLOUR_FIELDS)
    data: dict[str, object] = {key: getattr(theme, key) for key in fields if getattr(theme, key)}
    data |= {"name": theme.name, "dark": theme.dark, "variables": dict(theme.variables)}
    parsed = parse_theme(data, f"{name}.toml")
    assert parsed.name == name


def test_duplicate_user_names_keep_the_first_file(user_dir: Path) -> None:
    (user_dir / "a.toml").write_text('name = "same"\nprimary = "#111111"\n', encoding="utf-8")
    (user_dir / "b.toml").write_text('name = "same"\nprimary = "#222222"\n', encoding="utf-8")
    themes, messages = load_themes(user_dir)
    assert themes["same"].primary == "#111111"
    assert len(messages) == 1 and "b.toml" in messages[0] and "a.toml" in messages[0]


def test_other_files_and_hidden_files_are_ignored(user_dir: Path) -> None:
    (user_dir / "notes.txt").write_text("not a theme", encoding="utf-8")
    (user_dir / ".draft.toml").write_text("garbage = ", encoding="utf-8")
    themes, messages = load_themes(user_dir)
    assert messages == []
    assert sorted(themes) == list(BUILTIN)


def test_a_missing_user_folder_is_no_problem(tmp_path: Path) -> None:
    themes, messages = load_themes(tmp_path / "nowhere")
    assert messages == [] and sorted(themes) == list(BUILTIN)
    assert load_themes()[1] == []  # the (isolated) default user folder does not exist yet


def test_a_folder_named_like_a_theme_is_skipped(user_dir: Path) -> None:
    (user_dir / "folder.toml").mkdir()
    themes, messages = load_themes(user_dir)
    assert sorted(themes) == list(BUILTIN)
    assert len(messages) == 1 and "folder.toml" in messages[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_skipped_without_blocking(user_dir: Path) -> None:
    os.mkfifo(user_dir / "pipe.toml")
    themes, messages = load_themes(user_dir)
    assert sorted(themes) == list(BUILTIN)
    assert len(messages) == 1 and "not a regular file" in messages[0]


def test_only_so_many_user_files_are_read(user_dir: Path) -> None:
    for number in range(MAX_USER_THEMES + 5):
        (user_dir / f"t{number:03}.toml").write_text(
            f'name = "t{number:03}"\nprimary = "#123456"\n', encoding="utf-8"
        )
    themes, messages = load_themes(user_dir)
    assert len(themes) == len(BUILTIN) + MAX_USER_THEMES
    assert len(messages) == 1 and f"first {MAX_USER_THEMES}" in messages[0]


def test_a_broken_builtin_is_reported_not_raised(tmp_path: Path, user_dir: Path) -> None:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "retro-dark.toml").write_text("name = ", encoding="utf-8")
    themes, messages = load_themes(user_dir, builtin_dir=shipped)
    assert themes == {}
    assert len(messages) == 1 and "built-in" in messages[0]


def test_pick_theme() -> None:
    assert pick_theme(None, BUILTIN) == (DEFAULT_THEME, None)
    assert pick_theme("retro-light", BUILTIN) == ("retro-light", None)
    name, message = pick_theme("retro-ligth", BUILTIN)
    assert name == DEFAULT_THEME
    assert message is not None and "did you mean 'retro-light'" in message


# --- legibility ----------------------------------------------------------------------------


def test_contrast_ratio_matches_wcag() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#ffffff", "#777777") == contrast_ratio("#777777", "#ffffff")


def _text_minimum(name: str) -> float:
    return 7.0 if name == "retro-high-contrast" else 4.5


@pytest.mark.parametrize("name", BUILTIN)
def test_text_is_readable_on_every_background(name: str, builtins: dict[str, Theme]) -> None:
    theme = builtins[name]
    assert theme.foreground
    for ground in (theme.background, theme.surface, theme.panel):
        assert ground
        assert contrast_ratio(theme.foreground, ground) >= _text_minimum(name), ground


@pytest.mark.parametrize("name", BUILTIN)
def test_kind_colours_stand_out_from_the_background(name: str, builtins: dict[str, Theme]) -> None:
    theme = builtins[name]
    minimum = 7.0 if name == "retro-high-contrast" else 3.0
    for variable in APP_VARIABLES:
        colour = theme.variables[variable]
        for ground in (theme.background, theme.surface):
            assert ground
            assert contrast_ratio(colour, ground) >= minimum, (variable, ground)


def test_high_contrast_is_black_and_white_with_aaa_accents(builtins: dict[str, Theme]) -> None:
    theme = builtins["retro-high-contrast"]
    assert (theme.background, theme.foreground) == ("#000000", "#ffffff")
    for colour in (theme.primary, theme.secondary, theme.accent, theme.success):
        assert colour and contrast_ratio(colour, "#000000") >= 7.0
    for colour in (theme.warning, theme.error):
        assert colour and contrast_ratio(colour, "#000000") >= 7.0


@pytest.mark.parametrize("name", BUILTIN)
def test_cursor_and_footer_keys_are_readable(name: str, builtins: dict[str, Theme]) -> None:
    variables = builtins[name].to_color_system().generate()
    cursor = contrast_ratio(
        variables["block-cursor-foreground"], variables["block-cursor-background"]
    )
    assert cursor >= _text_minimum(name)
    footer = contrast_ratio(variables["footer-key-foreground"], variables["footer-background"])
    assert footer >= _text_minimum(name)


# Colour-vision deficiency simulation (Machado, Oliveira & Fernandes 2009, severity 1.0),
# applied to linear RGB; differences measured as CIE76 delta E in CIELAB (D65).
SIMULATIONS = {
    "normal": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
}


def _lab(colour: str, vision: str) -> tuple[float, float, float]:
    parsed = Color.parse(colour)
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        for c in (parsed.r / 255, parsed.g / 255, parsed.b / 255)
    ]
    r, g, b = (
        min(max(sum(m * c for m, c in zip(row, linear, strict=True)), 0.0), 1.0)
        for row in SIMULATIONS[vision]
    )
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _difference(first: str, second: str, vision: str = "normal") -> float:
    return math.dist(_lab(first, vision), _lab(second, vision))


@pytest.mark.parametrize("name", BUILTIN)
def test_kinds_are_told_apart(name: str, builtins: dict[str, Theme]) -> None:
    variables = builtins[name].variables
    for first, second in itertools.combinations(KINDS, 2):
        assert _difference(variables[first], variables[second]) >= 15, (first, second)
    # the markers differ from the kinds they mark
    for kind in ("kind-lesson", "kind-dependency"):
        assert _difference(variables["late"], variables[kind]) >= 15
    assert _difference(variables["orphan"], variables["kind-output"]) >= 15
    assert _difference(variables["late"], variables["orphan"]) >= 15


@pytest.mark.parametrize("vision", ["deuteranopia", "protanopia"])
def test_colorblind_theme_keeps_kinds_apart_without_red_green(
    vision: str, builtins: dict[str, Theme]
) -> None:
    theme = builtins["retro-colorblind"]
    variables = theme.variables
    for first, second in itertools.combinations(KINDS, 2):
        assert _difference(variables[first], variables[second], vision) >= 10, (first, second)
    for kind in ("kind-lesson", "kind-dependency"):
        assert _difference(variables["late"], variables[kind], vision) >= 15
    assert _difference(variables["orphan"], variables["kind-output"], vision) >= 15
    assert _difference(variables["late"], variables["orphan"], vision) >= 15
    assert theme.success and theme.error
    assert _difference(theme.success, theme.error, vision) >= 20
