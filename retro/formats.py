"""Retro formats: TOML files that say which steps a retro runs and how each runs.

A format names its steps in order (from :data:`ALL_STEPS`, the frame first and the summary
last), each with the prompt the step shows, whether it runs as a group exercise, the
minutes of each of its phases and, for a group exercise, each participant's dots. Four
ship with retro (``formats/``); people add their own in ``formats/`` beside the config
file, and one of theirs with a shipped format's name replaces it. A retro records the
name of its format, so that it keeps its steps when it is resumed.

```toml
name = "outcome-check"              # 1 to 40 lowercase letters, digits or hyphens
title = "20-minute outcome check"
description = "One line on when to use it."
dots = 3                            # each participant's dots on a group step (default 3)

[[steps]]
step = "outcomes"
prompt = "What changed, for whom, with what evidence?"
group = true                        # run as a group exercise (entry steps only)
timebox = { write = 3, vote = 2, discuss = 5 }   # minutes; a phase not listed has no timer
dots = 2                            # this step's own dots (group steps only)
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retro.datafiles import DataFileError, DataFiles, check_keys, check_name, show, suggest
from retro.errors import EXIT_USAGE, RetroError
from retro.model import STEPS
from retro.present.sanitize import clean

DEFAULT_FORMAT = "outcome-retro"
ALL_STEPS = (*STEPS, "decisions")
"""Every step a format may name: the nine of the outcome retro and the decision review."""
GROUP_STEPS = ("outputs", "outcomes", "risks", "lessons", "dependencies", "actions")
"""The steps that may run as a group exercise: those where people write entries."""
PHASES = ("write", "reveal", "group", "vote", "discuss")
"""A group exercise's phases, in order; a step that is not one has only ``discuss``."""

MAX_FORMAT_BYTES = 64 * 1024
MAX_USER_FORMATS = 100
MAX_TITLE_CHARS = 60
MAX_PROMPT_CHARS = 200
MAX_MINUTES = 120
MAX_DOTS = 20
DEFAULT_DOTS = 3

_KEYS = ("name", "title", "description", "dots", "steps")
_STEP_KEYS = ("step", "prompt", "group", "timebox", "dots")


class FormatError(DataFileError):
    """A format file cannot be used; the message names the file and what is wrong."""


class UnknownFormat(RetroError):
    """A format was asked for by a name no format has."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class StepSpec:
    """One step of a format: its prompt ("": the step's own), whether it runs as a group
    exercise, its phases' minutes, and each participant's dots (group exercises only)."""

    step: str
    prompt: str = ""
    group: bool = False
    timebox: Mapping[str, int] = field(default_factory=dict)
    dots: int = 0

    @property
    def minutes(self) -> int:
        """The minutes of its timed phases."""
        return sum(self.timebox.values())


@dataclass(frozen=True)
class Format:
    """A kind of retro: its name, a title and a line about it, and its steps in order."""

    name: str
    title: str
    description: str
    steps: tuple[StepSpec, ...]

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(spec.step for spec in self.steps)

    @property
    def minutes(self) -> int:
        """The minutes of every timed phase of every step (0: not timed)."""
        return sum(spec.minutes for spec in self.steps)

    def spec(self, step: str) -> StepSpec | None:
        """How ``step`` runs in this format (None: not one of its steps)."""
        return next((spec for spec in self.steps if spec.step == step), None)


FALLBACK = Format(DEFAULT_FORMAT, "Outcome retro", "", tuple(StepSpec(step) for step in STEPS))
"""The default format as the code knows it, for when its file cannot be read."""


def _line(data: Mapping[str, Any], key: str, most: int, where: str) -> str:
    """A one-line text of at most ``most`` characters, with no control characters."""
    value = data.get(key, "")
    if not isinstance(value, str):
        raise FormatError(f"{where}: {key!r} must be a string, not {show(value)}")
    if len(value) > most:
        raise FormatError(f"{where}: {key!r} may be at most {most} characters")
    if clean(value) != value:
        raise FormatError(f"{where}: {key!r} must be one line without control characters")
    return value.strip()


def _whole(value: object, label: str, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FormatError(f"{label} must be a whole number from {low} to {high}, not "
                          f"{show(value)}")  # fmt: skip
    return value


def _timebox(value: object, label: str, group: bool) -> dict[str, int]:
    """The minutes of each phase named (a step that is no group exercise: discuss only)."""
    if not isinstance(value, dict):
        raise FormatError(f"{label} must be a table of minutes, e.g. {{ discuss = 5 }}")
    phases = PHASES if group else ("discuss",)
    for phase in value:
        if phase not in phases:
            hint = suggest(phase, phases) or (" (only a group exercise has other phases)"
                                              if phase in PHASES else "")  # fmt: skip
            raise FormatError(f"{label}: unknown phase {show(phase)}{hint}")
    return {phase: _whole(value[phase], f"{label}.{phase}", 1, MAX_MINUTES)
            for phase in PHASES if phase in value}  # fmt: skip


def _step(data: object, number: int, where: str, dots: int) -> StepSpec:
    """Step ``number`` of a format file."""
    label = f"{where}: step {number}"
    if not isinstance(data, dict):
        raise FormatError(f"{label} must be a table ([[steps]])")
    check_keys(data, _STEP_KEYS, label, FormatError)
    step = data.get("step")
    if not isinstance(step, str) or step not in ALL_STEPS:
        hint = suggest(step, ALL_STEPS) if isinstance(step, str) else ""
        known = hint or f"; a step is one of {', '.join(ALL_STEPS)}"
        raise FormatError(f"{label}: unknown step {show(step)}{known}")
    label = f"{where}: step {number} ({step})"
    group = data.get("group", False)
    if not isinstance(group, bool):
        raise FormatError(f"{label}: 'group' must be true or false, not {show(group)}")
    if group and step not in GROUP_STEPS:
        raise FormatError(f"{label}: only {', '.join(GROUP_STEPS)} can run as group exercises")
    if "dots" in data and not group:
        raise FormatError(f"{label}: 'dots' needs 'group = true'")
    return StepSpec(
        step=step,
        prompt=_line(data, "prompt", MAX_PROMPT_CHARS, label),
        group=group,
        timebox=_timebox(data.get("timebox", {}), f"{label}: timebox", group),
        dots=_whole(data.get("dots", dots), f"{label}: 'dots'", 1, MAX_DOTS) if group else 0,
    )


def parse_format(data: Mapping[str, Any], where: str) -> Format:
    """Build a format from a parsed file; ``where`` names the file in error messages."""
    check_keys(data, _KEYS, where, FormatError)
    name = check_name(data, where, FormatError)
    dots = _whole(data.get("dots", DEFAULT_DOTS), f"{where}: 'dots'", 1, MAX_DOTS)
    listed = data.get("steps")
    if not isinstance(listed, list) or not listed:
        raise FormatError(f"{where}: 'steps' is required: one [[steps]] table per step")
    if len(listed) > len(ALL_STEPS):
        raise FormatError(f"{where}: at most {len(ALL_STEPS)} steps, not {len(listed)}")
    steps = tuple(_step(item, n, where, dots) for n, item in enumerate(listed, start=1))
    names = [spec.step for spec in steps]
    twice = next((step for n, step in enumerate(names) if step in names[:n]), None)
    if twice is not None:
        raise FormatError(f"{where}: the step {twice!r} is listed twice")
    if names[0] != "frame" or names[-1] != "summary":
        raise FormatError(f"{where}: the first step must be 'frame' and the last 'summary'")
    title = _line(data, "title", MAX_TITLE_CHARS, where) or name
    return Format(name, title, _line(data, "description", MAX_PROMPT_CHARS, where), steps)


FORMAT_FILES = DataFiles("format", parse_format, lambda fmt: fmt.name, FormatError,
                         max_bytes=MAX_FORMAT_BYTES, max_user=MAX_USER_FORMATS)  # fmt: skip
"""How format files are read, checked and gathered (see :mod:`retro.datafiles`)."""


def builtin_format_dir() -> Path:
    """The folder of the formats shipped with retro."""
    from retro.resources import resource_dir

    return resource_dir("formats")


def user_format_dir() -> Path:
    """The folder of the user's own formats: ``formats/`` beside the config file."""
    from retro.config import config_dir

    return config_dir() / "formats"


def load_format_file(path: Path) -> Format:
    """Read and check one format file.

    Raises:
        FormatError: the file cannot be read, is too big, is not TOML or not a valid format.
    """
    return FORMAT_FILES.load_file(path)


def load_formats(
    user_dir: Path | None = None, *, builtin_dir: Path | None = None
) -> tuple[dict[str, Format], list[str]]:
    """The built-in formats, then the user's (which may add formats or replace one by name).

    ``user_dir`` defaults to :func:`user_format_dir`. Files that cannot be used are skipped
    and described in the returned messages; nothing is raised.
    """
    return FORMAT_FILES.load_all(builtin_dir or builtin_format_dir(),
                                 user_dir or user_format_dir())  # fmt: skip


def pick_format(requested: str | None, available: Mapping[str, Format]) -> Format:
    """The format named ``requested`` (None: the default).

    Raises:
        UnknownFormat: no format has that name; the message lists those that exist.
    """
    if not requested:
        return available.get(DEFAULT_FORMAT, FALLBACK)
    if requested in available:
        return available[requested]
    known = ", ".join(sorted(available)) or DEFAULT_FORMAT
    raise UnknownFormat(f"unknown format {show(requested)}{suggest(requested, available)}; "
                        f"use one of: {known} (see `retro formats`)")  # fmt: skip


def format_name(retro: Mapping[str, Any]) -> str:
    """The name of a retro's format (one recorded before formats existed: the default)."""
    return str(retro.get("format") or DEFAULT_FORMAT)


def format_of(retro: Mapping[str, Any], available: Mapping[str, Format]) -> Format | None:
    """The format a retro records; None when it names a format not known here."""
    name = format_name(retro)
    return available.get(name) or (FALLBACK if name == DEFAULT_FORMAT else None)


def step_list(steps: Sequence[str]) -> str:
    """The steps in a line, as ``retro formats`` shows them."""
    return " → ".join(steps)
