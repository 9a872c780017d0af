"""Shared fixtures: every test runs with its own config, data folder and clock."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from retro.config import write_config
from retro.resources import resource_dir
from retro.store import Repository
from tests.live import Apps

# Hypothesis's settings for a test that lives through a plan of changes to a log on disk.
LOG_PLANS = settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip

# What a plan's raw steps append to a log: a torn line, its end, garbage, blank lines.
RAW_APPENDS = {"torn": b'{"at":"2026-0', "finish": b"\n", "garbage": b"\n[1, 2]\n",
               "blank": b"\n   \n"}  # fmt: skip


def append_raw(path: Path, step: str) -> bool:
    """Append what the raw ``step`` appends to the log at ``path``; False: not a raw step."""
    data = RAW_APPENDS.get(step)
    if data is None:
        return False
    with path.open("ab") as stream:
        stream.write(data)
    return True


TZ = timezone(timedelta(hours=1))
START = datetime(2026, 11, 27, 10, 30, tzinfo=TZ)


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test away from the user's config and data folders."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("RETRO_CONFIG", str(home / "config" / "config.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("RETRO_AUTHOR", "Ana")
    monkeypatch.setenv("RETRO_TEAM", "payments")
    for name in ("RETRO_LOG", "RETRO_NOW", "RETRO_THEME", "RETRO_MAX_LOG_BYTES", "RETRO_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    (home / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(home / "tmp"))  # e.g. retro demo's copies
    return home


class Clock:
    """A clock that moves one second each time it is read."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


SAMPLE_NOW = "2026-11-20T15:00:00+01:00"  # a Friday in sprint 6 of the sample data


@pytest.fixture
def sample_config(tmp_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config naming a copy of the payments sample log (always ``payments.jsonl``),
    the sample's two-week cadence, and a clock frozen in its sixth sprint."""
    monkeypatch.setenv("RETRO_NOW", SAMPLE_NOW)
    log = tmp_path / "payments.jsonl"
    shutil.copyfile(resource_dir("sample_data") / "payments.jsonl", log)
    config = isolated / "config" / "config.toml"
    write_config(config, {"team": "payments", "author": "Ana", "log": str(log),
                          "sprint_start": "2026-08-31", "sprint_length": "14d"})  # fmt: skip
    return config


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "payments.jsonl"


@pytest.fixture
def make_repo(log_path: Path, clock: Clock) -> Iterator[Callable[..., Repository]]:
    """Open repositories on the test's log (each a separate writer, like a separate process)."""

    def make(path: Path = log_path, author: str = "Ana", team: str = "payments") -> Repository:
        return Repository(path, author=author, team=team, clock=clock)

    yield make


@pytest.fixture
def repo(make_repo: Callable[..., Repository]) -> Repository:
    return make_repo()


def write_data_file(folder: Path, name: str, content: str | bytes) -> Path:
    """A user's data file (a theme, a format) holding ``content``, text or bytes."""
    path = folder / f"{name}.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def live(tmp_path: Path, log_path: Path) -> Iterator[Apps]:
    """Real app processes on the test's log (see tests/live.py), killed at the end if still
    running."""
    apps = Apps(log_path, "payments", tmp_path)
    yield apps
    apps.close()
