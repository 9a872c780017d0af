"""Settings: the config file, environment variables and the defaults behind them."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retro.errors import RetroError, ValidationError

if TYPE_CHECKING:
    from retro.dates import Cadence

APP = "retro"
DEFAULT_LOG_NAME = "retro-log.jsonl"
DEFAULT_TEAM = "my-team"
CONFIG_KEYS = ("team", "author", "log", "sprint_start", "sprint_length", "theme",
               "trusted_teams")  # fmt: skip


def _dirs() -> Any:
    import platformdirs  # only needed where a default path is

    return platformdirs


def config_path() -> Path:
    """The config file (``RETRO_CONFIG`` overrides the user's config directory)."""
    override = os.environ.get("RETRO_CONFIG")
    if override:
        return Path(override).expanduser()
    return Path(_dirs().user_config_dir(APP)) / "config.toml"


def config_dir() -> Path:
    """The folder of the config file (user themes live in its ``themes/``)."""
    return config_path().parent


def default_log_path() -> Path:
    """The log used when none is named: a file in the user's data directory."""
    return Path(_dirs().user_data_dir(APP)) / DEFAULT_LOG_NAME


def load_config(path: Path) -> dict[str, Any]:
    """Read the config file; a missing file is an empty config."""
    try:
        with open(path, "rb") as stream:
            data = tomllib.load(stream)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as err:
        raise RetroError(f"the config file {path} is not valid TOML: {err}") from err
    except OSError as err:
        raise RetroError(f"cannot read the config file {path}: {err.strerror}") from err
    return data


def _toml_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = json.dumps(str(value), ensure_ascii=False)  # a valid TOML basic string but for DEL
    return text.replace("\x7f", "\\u007f")


def write_config(path: Path, values: Mapping[str, Any]) -> None:
    """Write ``values`` (flat keys) to the config file atomically."""
    from retro.fsio import write_atomically

    lines = ["# retro settings: see `retro --help`\n"]
    lines += [f"{key} = {_toml_value(value)}\n" for key, value in values.items() if value]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RetroError(f"cannot create {path.parent}: {err.strerror}") from err
    write_atomically(path, ["".join(lines).encode()])


def git_user_name() -> str | None:
    """git's ``user.name``, when git is installed and knows it."""
    import subprocess  # only when no author is named: a check-in usually has one

    try:
        done = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, timeout=3, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def system_clock() -> datetime:
    """Now, aware, in the system's current UTC offset (as ``dates.now_local``, without
    loading the date parser: a check-in needs the time, not dateutil)."""
    return datetime.now().astimezone()


def frozen_clock() -> Callable[[], datetime] | None:
    """A fixed clock from ``RETRO_NOW`` (for reproducible demos and tests), if set."""
    value = os.environ.get("RETRO_NOW")
    if not value:
        return None
    from retro.dates import parse_iso

    try:
        moment = parse_iso(value)
    except ValidationError as err:
        raise RetroError(f"RETRO_NOW: {err}") from err
    return lambda: moment


def team_list(value: Any, key: str, source: Path) -> frozenset[str]:
    """A config value that names teams: a list of names (or one name)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RetroError(f"{key} in {source} must be a list of team names, "
                         'e.g. trusted_teams = ["platform"]')  # fmt: skip
    return frozenset(value)


def sprint_cadence(config: Mapping[str, Any], source: Path) -> Cadence | None:
    """The sprint cadence that ``config`` (read from ``source``) sets, if any."""
    from retro import dates  # the date parser: only where a date is read

    start, length = config.get("sprint_start"), config.get("sprint_length", "2w")
    if not start:
        return None
    try:
        first = start if isinstance(start, date) else date.fromisoformat(str(start))
        days = length if isinstance(length, int) else dates.parse_length(str(length))
        return dates.Cadence(first, days)
    except (ValueError, dates.DateError) as err:
        raise RetroError(f"the sprint cadence in {source} is not valid: {err}") from err


@dataclass
class Settings:
    """What a command needs to know, resolved from options, environment, config and defaults."""

    log_option: str | None = None
    team_option: str | None = None
    author_option: str | None = None
    theme_option: str | None = None
    config_file: Path = field(default_factory=config_path)

    @cached_property
    def config(self) -> dict[str, Any]:
        """The config file's contents."""
        return load_config(self.config_file)

    def _pick(self, option: str | None, env: str, key: str) -> str | None:
        value = option or os.environ.get(env) or self.config.get(key)
        return str(value) if value else None

    @cached_property
    def log_is_default(self) -> bool:
        """True when no log was named anywhere."""
        return self._pick(self.log_option, "RETRO_LOG", "log") is None

    @cached_property
    def log(self) -> Path:
        """The log file."""
        named = self._pick(self.log_option, "RETRO_LOG", "log")
        return Path(named).expanduser() if named else default_log_path()

    @cached_property
    def team(self) -> str:
        """The team entries are recorded for."""
        named = self._pick(self.team_option, "RETRO_TEAM", "team")
        if named:
            return named
        return DEFAULT_TEAM if self.log_is_default else self.log.stem

    @cached_property
    def author(self) -> str:
        """Who is recording: option, env, config, git's user.name, else the login name."""
        named = self._pick(self.author_option, "RETRO_AUTHOR", "author")
        if named:
            return named
        import getpass

        try:
            login = getpass.getuser()
        except (KeyError, OSError):
            login = "someone"
        return git_user_name() or login

    @cached_property
    def trusted_teams(self) -> frozenset[str]:
        """Teams whose logs a merge trusts like your own team's (config ``trusted_teams``)."""
        return team_list(self.config.get("trusted_teams", []), "trusted_teams", self.config_file)

    @cached_property
    def theme(self) -> str | None:
        """The theme asked for, if any."""
        return self._pick(self.theme_option, "RETRO_THEME", "theme")

    @cached_property
    def clock(self) -> Callable[[], datetime]:
        """The clock that stamps entries."""
        return frozen_clock() or system_clock

    @cached_property
    def cadence(self) -> Cadence | None:
        """The sprint cadence from the config file, if set."""
        return sprint_cadence(self.config, self.config_file)

    def when(self, text: str, *, forward: bool = False) -> datetime:
        """The moment ``text`` names, as people type dates, by this clock and cadence;
        ``forward`` for when something is due (see :mod:`retro.dates`)."""
        from retro import dates  # the date parser: only when a date is read

        return dates.parse_when(text, now=self.clock(), cadence=self.cadence, forward=forward)

    def day(self, text: str, *, forward: bool = False) -> date:
        """The day ``text`` names (see :meth:`when`)."""
        from retro import dates

        return dates.parse_day(text, now=self.clock(), cadence=self.cadence, forward=forward)

    def check(self) -> None:
        """Raise :class:`RetroError` now if the config's sprint cadence is broken.

        The app calls this before it takes over the screen, where the error can be one line.
        """
        sprint_cadence(self.config, self.config_file)

    def prepare_log_folder(self) -> None:
        """Create the default log's folder; a named log's folder must already exist."""
        folder = self.log.parent
        if self.log_is_default:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise RetroError(f"cannot create {folder}: {err.strerror}") from err
        elif not folder.is_dir():
            raise RetroError(
                f"the folder of the log {self.log} does not exist: create it, or name another "
                "log (--log, RETRO_LOG or `retro init --log`)"
            )
