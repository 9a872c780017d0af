"""Git as the way logs travel: the merge driver's registration and the attributes line."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from retro.errors import RetroError
from retro.fsio import append_side

DRIVER = "retro"
DEFAULT_PATTERN = "*.jsonl"


def driver_command() -> str:
    """How git runs the driver: this Python and this retro, whatever PATH says."""
    return f"{shlex.quote(sys.executable)} -m retro merge-driver %O %A %B %P"


def _git(*args: str, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=30, check=False)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as err:
        raise RetroError(f"cannot run git: {err}") from err
    if done.returncode != 0:
        raise RetroError(f"git {' '.join(args)} failed: {done.stderr.strip()[:300]}")
    return done.stdout.strip()


def attributes_file(global_: bool, cwd: Path) -> Path:
    """Where the attributes line goes: the repository's .gitattributes, or the user's file."""
    if not global_:
        return Path(_git("rev-parse", "--show-toplevel", cwd=cwd)) / ".gitattributes"
    try:
        configured = _git("config", "--global", "--includes", "core.attributesFile", cwd=cwd)
    except RetroError:
        configured = ""
    if configured:
        return Path(configured).expanduser()
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "git/attributes"


def setup(*, global_: bool, pattern: str, cwd: Path) -> tuple[Path, str]:
    """Register the driver with git and add ``<pattern> merge=retro`` to the attributes."""
    scope = "--global" if global_ else "--local"
    target = attributes_file(global_, cwd)
    _git("config", scope, f"merge.{DRIVER}.name", "retro log merge (union of events)", cwd=cwd)
    _git("config", scope, f"merge.{DRIVER}.driver", driver_command(), cwd=cwd)
    line = f"{pattern} merge={DRIVER}"
    try:
        text = target.read_text() if target.exists() else ""
        if line not in text.splitlines():
            target.parent.mkdir(parents=True, exist_ok=True)
            lead = "\n" if text and not text.endswith("\n") else ""
            # A repository's own file may be a link planted by anyone who commits: not followed.
            append_side(target, [(lead + line + "\n").encode()], follow_link=global_)
    except OSError as err:
        raise RetroError(f"cannot write {target}: {err.strerror}") from err
    return target, line
