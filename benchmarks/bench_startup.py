"""How fast the app starts: the home screen on a small and a large log, and its stalls.

Every figure is a ratio against a baseline measured in the same run, over several
interleaved rounds: a start-up ratio is the median of the ratios within each round
(which cancels slow drifts of a shared machine), the others the ratio of the medians
(absolute times are printed for information only; they are not comparable between
machines). Each time is the wall time of a whole fresh process (interpreter start-up
included), started by ``startup_app.py`` in headless mode and left as soon as it
reaches its point:

- ``startup_first_screen``: retro on the sample team log until its first
  interactive screen, home, is shown ÷ a minimal Textual app (a Header, a DataTable
  of a few rows and a Footer) until its first screen is shown.
- ``startup_home``: the same, until home's tables are filled with the log (a
  stricter measure) ÷ the minimal app.
- ``startup_home_100k``: retro on a 100,000-entry log until the home screen is
  shown, with its loading indicator (keys work from then on) ÷ the minimal app.
- ``startup_home_100k_loaded``: retro on that log until the log is loaded and the
  home tables are filled ÷ a bare Python process that ``json.loads`` every line of
  the same file. Informational: ``--check`` does not fail on it.
- ``startup_100k_max_stall``: the largest gap between the ticks of a 50 ms interval
  on the app, from its mount until the first tick after the home tables are filled
  on that log (the loading thread and then the filling of the tables on the event
  loop), ÷ 250 ms; the median over the runs.

Usage::

    python benchmarks/bench_startup.py [--quick] [--check] [--entries N]

``--quick`` runs a smaller log with fewer repetitions (a smoke test); ``--check``
exits 1 when a ratio misses its target (otherwise the script reports and exits 0).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import (
    JSON_LOADS,
    TEAM,
    Targets,
    arguments,
    child_env,
    interleaved,
    measure,
    median,
    mib,
    ms,
    probe,
)
from make_log import make_log

from retro.resources import sample_logs

STALL_LIMIT = 0.25  # seconds: the gap between ticks that the stall ratio is measured against
TARGETS = Targets(
    {
        "startup_first_screen": 1.5,
        "startup_home": 1.5,
        "startup_home_100k": 1.5,
        "startup_home_100k_loaded": 3.0,
        "startup_100k_max_stall": 1.0,
    },
    informational=frozenset({"startup_home_100k_loaded"}),
)
report = TARGETS.report


def timed(command: list[str], env: dict[str, str]) -> Callable[[], float]:
    return lambda: measure(command, env).seconds


def stall_run(env: dict[str, str]) -> dict[str, Any]:
    """One run of the stall probe: its largest gaps between ticks, in seconds."""
    done = subprocess.run(probe("stall"), env=env, capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the stall probe failed ({done.returncode}): "
                           f"{done.stderr.strip()[-2000:]}")  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def paired(times: list[float], base: list[float]) -> float:
    """The median of each run's ratio to the baseline run of the same round."""
    return median([run / under for run, under in zip(times, base, strict=True)])


def span(times: list[float]) -> str:
    """The range of some runs, for a spread the median hides."""
    return f"runs {ms(min(times))} to {ms(max(times))}"


def bench_startup(small: Path, big: Path, entries: int, tmp: Path, reps: int) -> list[bool]:
    small_env, big_env = child_env(tmp, small), child_env(tmp, big)
    minimal = timed(probe("minimal"), small_env)
    first = timed(probe("shown"), small_env)
    home = timed(probe("filled"), small_env)
    shown = timed(probe("shown"), big_env)
    filled = timed(probe("filled"), big_env)
    loads = timed([sys.executable, "-c", JSON_LOADS, str(big)], big_env)

    interleaved(1, minimal, first, home, shown)  # warm up: caches, compiled modules
    # The short runs apart from the long ones, which would disturb them; each start-up
    # ratio is the median of the ratios within a round, which cancels slow drifts.
    light = interleaved(reps, minimal, first, home, shown)
    filled_runs, loads_runs = interleaved(reps, filled, loads)
    base, first_time, home_time, shown_time = map(median, light)
    first_ratio, home_ratio, shown_ratio = (paired(runs, light[0]) for runs in light[1:])
    _, first_span, home_span, shown_span = map(span, light)
    filled_time, loads_time = median(filled_runs), median(loads_runs)
    filled_span = span(filled_runs)
    small_entries = small.read_bytes().count(b"\n") - 1
    size = mib(big.stat().st_size)
    return [
        report(
            "startup_first_screen",
            first_ratio,
            f"retro until the home screen is shown {ms(first_time)} on the sample "
            f"{small.stem} log ({small_entries} entries) vs a minimal Textual app until its "
            f"first screen {ms(base)}; whole processes, times and ratio medians of {reps} "
            f"interleaved rounds ({first_span})",
        ),
        report(
            "startup_home",
            home_ratio,
            f"retro until the home tables are filled {ms(home_time)} on that log vs the "
            f"minimal app {ms(base)}; medians of {reps} rounds ({home_span})",
        ),
        report(
            "startup_home_100k",
            shown_ratio,
            f"retro until the home screen is shown, loading, {ms(shown_time)} on "
            f"{entries:,} entries ({size}) vs the minimal app {ms(base)}; medians of {reps} "
            f"rounds ({shown_span})",
        ),
        report(
            "startup_home_100k_loaded",
            filled_time / loads_time,
            f"retro until the log is loaded and the home tables are filled "
            f"{filled_time:.2f} s vs json.loads of every line {loads_time:.2f} s; "
            f"{entries:,} entries, {size}; median of {reps} ({filled_span}), interleaved; "
            "informational",
        ),
    ]


def bench_stall(big: Path, entries: int, tmp: Path, reps: int) -> bool:
    env = child_env(tmp, big)
    runs = [stall_run(env) for _ in range(reps)]
    gap = median([run["all_max"] for run in runs])
    loading = median([run["load_max"] for run in runs])
    filling = median([run["fill_seconds"] for run in runs])
    worst = max(run["all_max"] for run in runs)
    return report(
        "startup_100k_max_stall",
        gap / STALL_LIMIT,
        f"largest gap between ticks of a 50 ms interval {ms(gap)} (target <= "
        f"{STALL_LIMIT * 1000:.0f} ms), from the mount until the home tables are filled on "
        f"{entries:,} entries; largest while the loading thread runs {ms(loading)}; from the "
        f"load's end to both tables filled {ms(filling)} (to the tick that sees them); worst "
        f"{ms(worst)}; median of {reps}",
    )


def sample_log(team: str) -> Path:
    for path in sample_logs():
        if path.stem == team:
            return path
    raise SystemExit(f"the sample log of {team} is missing from this installation")


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__).parse_args(argv)
    entries = args.entries or (10_000 if args.quick else 100_000)
    reps = 3 if args.quick else 7

    with tempfile.TemporaryDirectory(prefix="retro-bench-") as name:
        tmp = Path(name)
        small, big = tmp / f"{TEAM}.jsonl", tmp / "big.jsonl"
        began = time.perf_counter()
        shutil.copy(sample_log(TEAM), small)
        make_log(big, entries, seed=2)
        print(
            f"# the sample {TEAM} log and a log of {entries:,} entries "
            f"({mib(big.stat().st_size)}) written in {time.perf_counter() - began:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        met = [
            *bench_startup(small, big, entries, tmp, reps),
            bench_stall(big, entries, tmp, reps),
        ]
    return 1 if args.check and not all(met) else 0


if __name__ == "__main__":
    sys.exit(main())
