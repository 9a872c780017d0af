"""What every benchmark shares: timing real processes, interleaving runs, reporting ratios.

Each benchmark prints one line per result, ``name: ratio X.XX (target <= T) [details]``,
the ratio of a measure to a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

AUTHOR, TEAM = "Ana Costa", "payments"
PROBE = Path(__file__).resolve().parent / "startup_app.py"  # the app, left at a given point
TIME_LIMIT = 600.0  # seconds one measured command may run, unless told otherwise

# Runs a command with its output discarded, stopping it after a time limit (the
# first argument), and prints its wall time, its own peak resident memory (the
# only child this process ever has) and its exit status ("timeout" when stopped).
_RUNNER = """\
import resource, subprocess, sys, time
limit, command = float(sys.argv[1]), sys.argv[2:]
began = time.perf_counter()
try:
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=limit)
    status, errors = str(done.returncode), done.stderr
except subprocess.TimeoutExpired as stopped:
    status, errors = "timeout", stopped.stderr or b""
took = time.perf_counter() - began
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.buffer.write(errors[-4000:])
print(took, peak, status)
"""
# A baseline of reading a log: read it and keep every decoded line.
JSON_LOADS = """\
import json, sys
with open(sys.argv[1], "rb") as stream:
    objects = [json.loads(line) for line in stream]
"""


@dataclass
class Run:
    """One measured process."""

    seconds: float
    peak_bytes: int
    timed_out: bool = False


@dataclass
class Targets:
    """Each result's target; ``informational`` ones are printed but never missed."""

    limits: dict[str, float]
    informational: frozenset[str] = field(default_factory=frozenset)

    def report(self, name: str, ratio: float, details: str) -> bool:
        """Print one result line; True when the ratio meets its target (or is informational)."""
        target = self.limits[name]
        print(f"{name}: ratio {ratio:.2f} (target <= {target:g}) [{details}]", flush=True)
        return ratio <= target or name in self.informational


def retro_command() -> list[str]:
    """The installed ``retro`` next to this interpreter, else ``python -m retro``."""
    script = Path(sys.executable).parent / "retro"
    return [str(script)] if script.exists() else [sys.executable, "-m", "retro"]


def probe(mode: str) -> list[str]:
    """The command that starts the app and leaves at ``mode``'s point (see ``startup_app.py``)."""
    return [sys.executable, str(PROBE), mode]


def child_env(tmp: Path, log: Path | None = None, cache: Path | None = None) -> dict[str, str]:
    """The environment of every command: private settings, cache and compiled modules.

    The config file names the team, the author and, when given, ``log`` (the app reads
    its log from there). Whatever retro keeps in the user's cache directory goes to
    ``cache`` (default ``tmp/cache``), never to the user's own.
    """
    config = tmp / f"{log.stem if log else 'config'}.toml"
    config.write_text(f'team = "{TEAM}"\nauthor = "{AUTHOR}"\n'
                      + (f"log = {json.dumps(str(log))}\n" if log else ""),
                      encoding="utf-8")  # fmt: skip
    cache = cache or tmp / "cache"
    env = dict(os.environ)
    for name in ("RETRO_LOG", "RETRO_THEME", "RETRO_NOW", "RETRO_MAX_LOG_BYTES", "TEXTUAL",
                 "PYTHONDONTWRITEBYTECODE"):  # fmt: skip
        env.pop(name, None)
    env.update(
        RETRO_CONFIG=str(config),
        RETRO_AUTHOR=AUTHOR,
        RETRO_TEAM=TEAM,
        RETRO_CACHE_DIR=str(cache / "retro"),
        XDG_CACHE_HOME=str(cache),
        # Start-up as installed (compiled modules cached), without writing next to the sources.
        PYTHONPYCACHEPREFIX=str(tmp / "pycache"),
    )
    return env


def measure(command: Sequence[str], env: dict[str, str], limit: float = TIME_LIMIT) -> Run:
    """Wall time and peak memory of ``command``, measured by a small runner process.

    A command still running after ``limit`` seconds is stopped (``timed_out``).
    """
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(limit), *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=limit + 120,
        check=False,
    )
    try:
        took, peak, status = done.stdout.split()
    except ValueError:
        status = "runner failed"
    if status not in ("0", "timeout") or done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({status}): {done.stderr.strip()[-2000:]}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    return Run(float(took), int(peak) * scale, status == "timeout")


def interleaved(reps: int, *jobs: Callable[[], T]) -> list[list[T]]:
    """Run each job ``reps`` times in A B / B A order; the results of each job."""
    results: list[list[T]] = [[] for _ in jobs]
    for i in range(reps):
        order = range(len(jobs)) if i % 2 == 0 else reversed(range(len(jobs)))
        for j in order:
            results[j].append(jobs[j]())
    return results


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.{2 if seconds < 0.01 else 1}f} ms"


def mib(size: float) -> str:
    return f"{size / 2**20:.1f} MiB"


def arguments(doc: str, *, entries: bool = True) -> argparse.ArgumentParser:
    """The options every benchmark takes: --quick, --check and, with ``entries``, --entries."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small, fast run (smoke test)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    if entries:
        parser.add_argument("--entries", type=int, help="entries of the big log (default 100,000)")
    return parser
