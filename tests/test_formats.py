"""Retro formats: the built-in files, user files (good and broken), the command line, the
wheel, and which retro a format's run opens."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from retro import scope, sessions
from retro.cli import cli
from retro.errors import EXIT_USAGE
from retro.formats import (
    ALL_STEPS,
    DEFAULT_FORMAT,
    MAX_FORMAT_BYTES,
    FormatError,
    UnknownFormat,
    builtin_format_dir,
    load_format_file,
    load_formats,
    pick_format,
    user_format_dir,
)
from retro.model import STEPS
from retro.store import Repository
from tests.conftest import write_data_file

BUILTIN = ("decision-review", "incident-review", "outcome-check", "outcome-retro")
ROOT = Path(__file__).resolve().parent.parent

GOOD = """
name = "ok-format"
[[steps]]
step = "frame"
[[steps]]
step = "outcomes"
[[steps]]
step = "summary"
"""


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "formats"
    folder.mkdir()
    return folder


def steps(*names: str, extra: str = "") -> str:
    """The ``[[steps]]`` tables of a format file, ``extra`` added to each."""
    return "".join(f'[[steps]]\nstep = "{name}"\n{extra}' for name in names)


# --- the built-in files --------------------------------------------------------------------


def test_the_four_builtin_files_load_and_ship_as_package_data() -> None:
    files = sorted(path.stem for path in builtin_format_dir().glob("*.toml"))
    assert files == list(BUILTIN)
    assert (builtin_format_dir() / "__init__.py").exists()
    found, messages = load_formats(Path("/nonexistent-format-folder"))
    assert messages == [] and sorted(found) == list(BUILTIN)
    for name in BUILTIN:
        assert load_format_file(builtin_format_dir() / f"{name}.toml").name == name
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"]["retro.format_files"] == "formats"
    assert setuptools["package-data"]["retro.format_files"] == ["*.toml"]


def test_what_each_builtin_format_runs() -> None:
    found, _ = load_formats(Path("/nonexistent-format-folder"))
    assert found[DEFAULT_FORMAT].step_names == STEPS  # today's nine steps
    check = found["outcome-check"]
    assert check.step_names == ("frame", "follow-ups", "outcomes", "actions", "summary")
    assert check.minutes == 20
    outcomes = check.spec("outcomes")
    assert outcomes is not None and outcomes.group and outcomes.dots == 2
    assert outcomes.timebox == {"write": 3, "reveal": 1, "vote": 2, "discuss": 4}
    assert check.spec("frame") is not None and not check.spec("frame").group  # type: ignore[union-attr]
    assert found["decision-review"].step_names == ("frame", "decisions", "lessons", "actions",
                                                   "summary")  # fmt: skip
    incident = found["incident-review"]
    assert {"dependencies", "risks", "lessons", "actions"} <= set(incident.step_names)
    assert incident.spec("actions").dots == 2  # type: ignore[union-attr]  # its own
    assert incident.spec("lessons").dots == 3  # type: ignore[union-attr]  # the format's
    for fmt in found.values():
        assert fmt.title and set(fmt.step_names) <= set(ALL_STEPS)


def test_user_formats_live_beside_the_config_file(isolated: Path) -> None:
    assert user_format_dir() == isolated / "config" / "formats"


# --- user files ----------------------------------------------------------------------------

BROKEN: dict[str, tuple[str | bytes, str]] = {
    "unknown-key": ('name = "bad"\ndotz = 3\n' + steps("frame", "summary"),
                    "did you mean 'dots'"),
    "unknown-step-key": ('name = "bad"\n' + steps("frame", "summary", extra="promt = 'x'\n"),
                         "did you mean 'prompt'"),
    "unknown-step": ('name = "bad"\n' + steps("frame", "outcome", "summary"),
                     "did you mean 'outcomes'"),
    "frame-not-first": ('name = "bad"\n' + steps("outcomes", "frame", "summary"),
                        "first step must be 'frame'"),
    "summary-not-last": ('name = "bad"\n' + steps("frame", "summary", "actions"),
                         "the last 'summary'"),
    "a-step-twice": ('name = "bad"\n' + steps("frame", "actions", "actions", "summary"),
                     "listed twice"),
    "no-steps": ('name = "bad"\n', "'steps' is required"),
    "steps-not-tables": ('name = "bad"\nsteps = ["frame", "summary"]\n', "must be a table"),
    "group-on-the-frame": ('name = "bad"\n' + steps("frame", "summary", extra="group = true\n"),
                           "can run as group exercises"),
    "dots-without-group": ('name = "bad"\n' + steps("frame", "summary", extra="dots = 2\n"),
                           "needs 'group = true'"),
    "dots-out-of-range": ('name = "bad"\ndots = 0\n' + steps("frame", "summary"),
                          "from 1 to 20"),
    "group-not-a-bool": ('name = "bad"\n' + steps("frame", "summary", extra="group = 'yes'\n"),
                         "true or false"),
    "phase-of-no-group": ('name = "bad"\n' + steps("frame", "summary",
                                                   extra="timebox = { write = 3 }\n"),
                          "only a group exercise"),
    "unknown-phase": ('name = "bad"\n' + steps("frame", "summary",
                                               extra="timebox = { discus = 3 }\n"),
                      "did you mean 'discuss'"),
    "minutes-out-of-range": ('name = "bad"\n' + steps("frame", "summary",
                                                      extra="timebox = { discuss = 600 }\n"),
                             "from 1 to 120"),
    "timebox-not-a-table": ('name = "bad"\n' + steps("frame", "summary", extra="timebox = 5\n"),
                            "a table of minutes"),
    "prompt-too-long": ('name = "bad"\n' + steps("frame", "summary",
                                                 extra=f"prompt = '{'x' * 201}'\n"),
                        "at most 200 characters"),
    "prompt-with-escapes": ('name = "bad"\n' + steps("frame", "summary",
                                                     extra='prompt = "\\u001b[2J"\n'),
                            "without control characters"),
    "title-too-long": (f'name = "bad"\ntitle = "{"t" * 61}"\n' + steps("frame", "summary"),
                       "at most 60 characters"),
    "name-with-spaces": ('name = "my format"\n' + steps("frame", "summary"), "lowercase"),
    "huge": (GOOD + "# padding\n" * (MAX_FORMAT_BYTES // 10 + 1), "64 KiB"),
    "binary-garbage": (b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00" * 64, "not UTF-8"),
    "not-toml": ("name = [", "not valid TOML"),
}  # fmt: skip


def write_broken(user_dir: Path, case: str) -> Path:
    """The user file of a ``BROKEN`` case, as text or bytes."""
    return write_data_file(user_dir, case, BROKEN[case][0])


@pytest.mark.parametrize("case", BROKEN)
def test_a_broken_user_file_is_skipped_and_reported(case: str, user_dir: Path) -> None:
    path = write_broken(user_dir, case)
    (user_dir / "ok.toml").write_text(GOOD, encoding="utf-8")

    found, messages = load_formats(user_dir)

    assert sorted(found) == sorted([*BUILTIN, "ok-format"])
    assert len(messages) == 1, messages
    assert messages[0].startswith("skipped a format: ") and f"{case}.toml" in messages[0]
    assert BROKEN[case][1] in messages[0]
    assert "\x1b" not in messages[0]
    with pytest.raises(FormatError, match=case):
        load_format_file(path)


def test_a_user_file_overriding_a_builtin_wins(user_dir: Path) -> None:
    (user_dir / "ours.toml").write_text(
        'name = "outcome-check"\ntitle = "Our check"\n'
        + steps("frame", "outcomes", "summary", extra='prompt = "Quick!"\n'),
        encoding="utf-8",
    )
    found, messages = load_formats(user_dir)
    assert messages == [] and sorted(found) == list(BUILTIN)
    assert found["outcome-check"].title == "Our check"
    assert found["outcome-check"].step_names == ("frame", "outcomes", "summary")
    assert found["outcome-check"].spec("outcomes").prompt == "Quick!"  # type: ignore[union-attr]


def test_a_name_used_twice_keeps_the_first_file(user_dir: Path) -> None:
    (user_dir / "a.toml").write_text(GOOD, encoding="utf-8")
    (user_dir / "b.toml").write_text(GOOD.replace("outcomes", "risks"), encoding="utf-8")
    found, messages = load_formats(user_dir)
    assert found["ok-format"].step_names == ("frame", "outcomes", "summary")
    assert len(messages) == 1 and "b.toml" in messages[0] and "a.toml" in messages[0]


def test_pick_format() -> None:
    found, _ = load_formats(Path("/nonexistent-format-folder"))
    assert pick_format(None, found).name == DEFAULT_FORMAT
    assert pick_format("incident-review", found).name == "incident-review"
    with pytest.raises(UnknownFormat) as raised:
        pick_format("outcome-chek", found)
    assert raised.value.exit_code == EXIT_USAGE
    assert "did you mean 'outcome-check'" in str(raised.value)
    assert ", ".join(BUILTIN) in str(raised.value)


# --- the command line ----------------------------------------------------------------------


def listed_names(stdout: str) -> set[str]:
    """The names ``retro formats`` lists: one line each, its steps indented below."""
    return {line.lstrip("* ").split()[0] for line in stdout.splitlines()
            if not line.startswith("   ")}  # fmt: skip


def test_retro_formats_lists_them_and_reports_broken_files(isolated: Path) -> None:
    folder = isolated / "config" / "formats"
    folder.mkdir(parents=True)
    (folder / "broken.toml").write_text("name = [", encoding="utf-8")
    (folder / "mine.toml").write_text(GOOD, encoding="utf-8")
    result = CliRunner().invoke(cli, ["formats"], catch_exceptions=False)
    assert result.exit_code == 0
    assert listed_names(result.stdout) == {*BUILTIN, "ok-format"}
    assert "* outcome-retro" in result.stdout
    assert "frame → follow-ups → outcomes → actions → summary" in result.stdout
    assert "broken.toml" in result.stderr and str(folder) in result.stderr


def test_run_with_an_unknown_format_is_one_usage_line(log_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--log", str(log_path), "run", "--format", "retro-xl"])
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("retro: unknown format 'retro-xl'")
    assert all(name in line for name in BUILTIN)
    assert not log_path.exists()


def test_run_with_a_known_format_goes_on_to_the_app(log_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--log", str(log_path), "run", "--format", "outcome-check"])
    assert result.exit_code == 2 and "needs a terminal" in result.stderr  # not a format error


# --- which retro a run opens ---------------------------------------------------------------

PERIOD = (date(2026, 11, 9), date(2026, 11, 22))


def test_formats_share_a_period_and_the_outcome_retro_takes_the_check_ins(
    make_repo: Callable[..., Repository],
) -> None:
    repo = make_repo()
    repo.load(missing_ok=True)
    found, _ = load_formats(Path("/nonexistent-format-folder"))
    retros = {}
    for name in ("decision-review", DEFAULT_FORMAT):  # whichever is created first
        draft = sessions.draft_retro(repo, "payments", PERIOD, "Ana", found[name])
        assert draft["format"] == name and draft["step"] == "frame"
        retros[name] = sessions.record_draft(repo, draft)
    assert sessions.find_retro(repo, "payments", PERIOD, "decision-review") == \
        retros["decision-review"]  # fmt: skip
    assert sessions.find_retro(repo, "payments", PERIOD, DEFAULT_FORMAT) == retros[DEFAULT_FORMAT]
    assert sessions.find_retro(repo, "payments", PERIOD, "incident-review") is None
    at = datetime(2026, 11, 16, 12, tzinfo=UTC)  # in the period, named no retro
    checkin = repo.add("outcome", "Refunds settle in a day", at=at)
    assert [r["id"] for r in sessions.entries(repo, retros[DEFAULT_FORMAT])] == [checkin["id"]]
    assert sessions.entries(repo, retros["decision-review"]) == []


def test_of_retros_sharing_a_period_the_outcome_retro_holds_its_days() -> None:
    """Whatever their ids: the one a dated check-in goes to does not depend on chance."""
    period = {"team": "payments", "period_start": "2026-11-09", "period_end": "2026-11-22"}
    for review_id, retro_id in (("b", "a"), ("a", "b")):
        review = {"id": review_id, **period, "format": "decision-review"}
        retro = {"id": retro_id, **period}  # recorded before formats existed
        for order in ([review, retro], [retro, review]):
            assert scope.by_team(order)["payments"].holding("2026-11-16") is retro


def test_a_retro_from_before_formats_is_an_outcome_retro(
    make_repo: Callable[..., Repository],
) -> None:
    repo = make_repo()
    old = repo.add("retro", "Retro", fields={"period_start": "2026-11-09",
                                             "period_end": "2026-11-22"})  # fmt: skip
    assert sessions.find_retro(repo, "payments", PERIOD, DEFAULT_FORMAT) == old
    assert sessions.find_retro(repo, "payments", PERIOD, "outcome-check") is None
    assert sessions.find_retro(repo, "payments", PERIOD) == old


# --- from an installed wheel ---------------------------------------------------------------


@pytest.mark.slow
def test_formats_ship_in_the_wheel_and_load_from_it(tmp_path: Path) -> None:
    """Slow by nature (a few seconds): builds the wheel from a copy of the sources, installs
    it in a folder of its own and lists the formats from there."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "stories", "*.egg-info")
    for name in ("retro", "themes", "formats", "sample_data"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "-w", str(tmp_path / "dist"), str(source)],
                           capture_output=True, text=True)  # fmt: skip
    if built.returncode and "setuptools" in built.stderr and "find" in built.stderr:
        pytest.skip(f"the build backend cannot be fetched: {built.stderr[-300:]}")
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"retro/format_files/{name}.toml" for name in BUILTIN} <= names
    assert {"retro/formats.py", "retro/datafiles.py", "retro/format_files/__init__.py"} <= names
    target = tmp_path / "installed"
    installed = subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
                               capture_output=True, text=True)  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    env = {**os.environ, "PYTHONPATH": str(target)}
    listed = subprocess.run([sys.executable, "-m", "retro", "formats"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert listed_names(listed.stdout) == set(BUILTIN)
    where = subprocess.run([sys.executable, "-c", "from retro.formats import builtin_format_dir;"
                            "print(builtin_format_dir())"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert where.stdout.strip() == str(target / "retro" / "format_files")
