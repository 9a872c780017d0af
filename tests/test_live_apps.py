"""Several real app processes on one log, each polling it: what one writes, the others show.

Slow by nature (each app is a process of its own, a second or two to start).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from retro.config import write_config
from retro.store import Repository
from tests.live import Apps, driver_env

NOW = "2026-11-20T15:00:00+01:00"  # in the sprint of 2026-11-09 – 2026-11-22
pytestmark = pytest.mark.slow


@pytest.fixture
def retro_id(isolated: Path, log_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The team's config, as `retro init` writes it, and this sprint's retro at its outputs."""
    monkeypatch.setenv("RETRO_NOW", NOW)
    write_config(isolated / "config" / "config.toml",
                 {"team": "payments", "author": "Ana", "log": str(log_path),
                  "sprint_start": "2026-08-31", "sprint_length": "14d"})  # fmt: skip
    repo = Repository(log_path, author="Ana", team="payments")
    retro = repo.add("retro", "Retro", fields={
        "period_start": "2026-11-09", "period_end": "2026-11-22", "status": "open",
        "facilitator": "Ana", "step": "outputs"})  # fmt: skip
    return retro["id"]


def teammate(*args: str) -> str:
    """Run ``retro ARGS`` as another person would, in a process of its own; its stdout."""
    done = subprocess.run([sys.executable, "-m", "retro", *args], env=driver_env(),
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_card_from_the_command_line_reaches_the_facilitators_screen(
    live: Apps, retro_id: str, log_path: Path
) -> None:
    facilitator = live.start("run")
    facilitator.wait("3. Outputs", "Outputs in this retro: 0", timeout=30)
    assert "Webhook retries" not in facilitator.text()
    card = teammate("checkin", "Webhook retries", "--retro", "current")
    facilitator.wait("Webhook retries", "Outputs in this retro: 1", timeout=5)
    assert Repository(log_path, author="x", team="y").load().get(card)["retro"] == retro_id
    assert facilitator.quit() == 0


def test_an_app_killed_and_started_again_comes_back_at_the_same_step(
    live: Apps, retro_id: str, log_path: Path
) -> None:
    first = live.start("run")
    first.wait("3. Outputs", timeout=30)
    first.press("pagedown")
    first.wait("4. Outcomes")
    first.kill()
    assert not first.running
    again = live.start("run")
    again.wait("4. Outcomes", timeout=30)
    assert "3. Outputs" not in again.text()
    retro = Repository(log_path, author="x", team="y").load().get(retro_id)
    assert retro["step"] == "outcomes"
