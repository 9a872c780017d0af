"""The app's themes: TOML files turned into Textual themes, built-in and the user's own.

A theme file holds the fields of :class:`textual.theme.Theme` (``name``, ``dark``,
``primary`` ... ``boost``) and a ``[variables]`` table. The variables are the app's own
colours (one per kind, ``late`` and ``orphan``; see :data:`APP_VARIABLES`) and, optionally,
overrides of Textual's own variables such as ``block-cursor-background``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.css.constants import VALID_STYLE_FLAGS
from textual.design import ColorSystem
from textual.theme import Theme

from retro.datafiles import DataFileError, DataFiles, check_keys, check_name, show, suggest
from retro.model import ALL_KINDS
from retro.present.sanitize import clean

DEFAULT_THEME = "retro-dark"
MAX_THEME_BYTES = 64 * 1024
MAX_USER_THEMES = 100

APP_VARIABLES = (*(f"kind-{kind}" for kind in ALL_KINDS), "late", "orphan")
"""The app's own variables: a colour per kind, and the flags ``late`` and ``orphan``."""

FALLBACK_THEMES = {True: "retro-dark", False: "retro-light"}
"""The shipped themes whose colours a dark or a light theme gets for what it leaves out."""

COLOUR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "success",
    "warning",
    "error",
    "boost",
)
_RATIO_FIELDS = ("luminosity_spread", "text_alpha")
_KEYS = ("name", "dark", *COLOUR_FIELDS, *_RATIO_FIELDS, "variables")
_PERCENT = re.compile(r"(\d{1,3}(\.\d+)?)%")


class ThemeError(DataFileError):
    """A theme file cannot be used; the message names the file and what is wrong."""


def builtin_theme_dir() -> Path:
    """The folder of the themes shipped with retro."""
    from retro.resources import resource_dir

    return resource_dir("themes")


def user_theme_dir() -> Path:
    """The folder of the user's own themes: ``themes/`` beside the config file."""
    from retro.config import config_dir

    return config_dir() / "themes"


def app_variable_defaults(dark: bool = True) -> dict[str, str]:
    """The app's variables with fallback colours suited to a dark or a light theme.

    Raises:
        ThemeError: the shipped theme they come from cannot be read or lacks one.
    """
    return dict(_fallbacks(dark))


@cache
def _fallbacks(dark: bool) -> dict[str, str]:
    """The app's variables as the shipped theme of :data:`FALLBACK_THEMES` sets them."""
    path = builtin_theme_dir() / f"{FALLBACK_THEMES[dark]}.toml"
    try:
        variables = tomllib.loads(THEME_FILES.read_limited(path).decode("utf-8"))["variables"]
        return {name: str(variables[name]) for name in APP_VARIABLES}
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as err:
        raise ThemeError(clean(f"{path}: the shipped theme is damaged ({err!r})")) from err


@cache
def _textual_variables() -> frozenset[str]:
    """The names of the variables Textual derives from a theme (which a file may override)."""
    return frozenset(ColorSystem("#000000").generate())


def _colour_problem(value: str, *, textual: bool) -> str | None:
    """Why ``value`` is not a colour, or None when it is one.

    Textual's own variables may also be ``auto`` and carry an opacity (``#fff 50%``).
    """
    parts = value.split() if textual else [value]
    if not 1 <= len(parts) <= 2:
        return "is not a colour"
    if len(parts) == 2:
        percent = _PERCENT.fullmatch(parts[1])
        if percent is None or float(percent.group(1)) > 100:
            return "is not a colour followed by an opacity such as 50%"
    if textual and parts[0] == "auto":
        return None
    try:
        Color.parse(parts[0])
    except (ColorParseError, ValueError) as err:
        suggestion = getattr(err, "suggested_color", None)
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        return f"is not a colour{hint}"
    return None


def _check_variables(where: str, table: object, dark: bool) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ThemeError(f"{where}: 'variables' must be a table, not {show(table)}")
    known = [*APP_VARIABLES, *sorted(_textual_variables())]
    variables = app_variable_defaults(dark)
    for key, value in table.items():
        label = f"{where}: variables.{show(key, quote=False)}"
        app_variable = key in APP_VARIABLES
        if not app_variable and key not in _textual_variables():
            raise ThemeError(f"{label}: unknown variable{suggest(key, known)}")
        if not isinstance(value, str):
            raise ThemeError(f"{label} must be a string, not {show(value)}")
        if key.endswith("-style"):
            flags = value.split()
            if not flags or any(flag not in VALID_STYLE_FLAGS for flag in flags):
                allowed = ", ".join(sorted(VALID_STYLE_FLAGS))
                raise ThemeError(f"{label}: {show(value)} is not a text style ({allowed})")
        else:
            problem = _colour_problem(value, textual=not app_variable)
            if problem:
                raise ThemeError(f"{label}: {show(value)} {problem}")
        variables[key] = value
    return variables


def parse_theme(data: Mapping[str, Any], where: str) -> Theme:
    """Build a theme from a parsed file; ``where`` names the file in error messages."""
    check_keys(data, _KEYS, where, ThemeError)
    name = check_name(data, where, ThemeError)
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeError(f"{where}: 'dark' must be true or false, not {show(dark)}")
    if "primary" not in data:
        raise ThemeError(f"{where}: 'primary' is required")
    colours: dict[str, str] = {}
    for key in COLOUR_FIELDS:
        if key not in data:
            continue
        value = data[key]
        if not isinstance(value, str):
            raise ThemeError(f"{where}: {key!r} must be a colour string, not {show(value)}")
        problem = _colour_problem(value, textual=False)
        if problem:
            raise ThemeError(f"{where}: {key} = {show(value)} {problem}")
        colours[key] = value
    ratios: dict[str, float] = {}
    for key in _RATIO_FIELDS:
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ThemeError(f"{where}: {key!r} must be a number from 0 to 1, not {show(value)}")
        ratios[key] = float(value)
    variables = _check_variables(where, data.get("variables", {}), dark)
    return Theme(
        name=name,
        primary=colours["primary"],
        secondary=colours.get("secondary"),
        accent=colours.get("accent"),
        foreground=colours.get("foreground"),
        background=colours.get("background"),
        surface=colours.get("surface"),
        panel=colours.get("panel"),
        success=colours.get("success"),
        warning=colours.get("warning"),
        error=colours.get("error"),
        boost=colours.get("boost"),
        dark=dark,
        luminosity_spread=ratios.get("luminosity_spread", 0.15),
        text_alpha=ratios.get("text_alpha", 0.95),
        variables=variables,
    )


THEME_FILES = DataFiles("theme", parse_theme, lambda theme: theme.name, ThemeError,
                        max_bytes=MAX_THEME_BYTES, max_user=MAX_USER_THEMES)  # fmt: skip
"""How theme files are read, checked and gathered (see :mod:`retro.datafiles`)."""


def load_theme_file(path: Path) -> Theme:
    """Read and check one theme file; missing app variables get their fallback colours.

    Raises:
        ThemeError: the file cannot be read, is too big, is not TOML or is not a valid theme.
    """
    return THEME_FILES.load_file(path)


def load_themes(
    user_dir: Path | None = None, *, builtin_dir: Path | None = None
) -> tuple[dict[str, Theme], list[str]]:
    """The built-in themes, then the user's (which may add themes or replace one by name).

    ``user_dir`` defaults to :func:`user_theme_dir`. Files that cannot be used are skipped
    and described in the returned messages; nothing is raised.
    """
    return THEME_FILES.load_all(builtin_dir or builtin_theme_dir(), user_dir or user_theme_dir())


def pick_theme(requested: str | None, available: Collection[str]) -> tuple[str, str | None]:
    """The theme to use for ``requested`` and, when it is unknown, a message saying so."""
    if not requested:
        return DEFAULT_THEME, None
    if requested in available:
        return requested, None
    hint = suggest(requested, available)
    return DEFAULT_THEME, (
        f"unknown theme {show(requested)}{hint}; using {DEFAULT_THEME} (see `retro themes`)"
    )
