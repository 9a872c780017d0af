"""How the log scales: check-in latency, `retro log --format json` time and peak memory.

Every figure is a ratio against a baseline measured in the same run, from the
median of several interleaved repetitions (absolute times are printed for
information only; they are not comparable between machines):

- ``checkin_cli``: ``retro checkin`` (the real command, in a subprocess) on a
  100,000-entry log ÷ on a 100-entry log. Appending must not depend on the size.
- ``checkin_repository_add``: the same in-process, ``Repository(...).add(...)``
  with a fresh repository per add and no load.
- ``log_json_time``: ``retro log --format json`` on the 100,000-entry log ÷ a bare
  Python process that ``json.loads`` every line of the same file.
- ``log_json_peak_memory``: peak resident memory of that ``retro log`` process ÷
  that of the bare ``json.loads`` process (which keeps every parsed object).

Usage::

    python benchmarks/bench_log.py [--quick] [--check] [--entries N]

``--quick`` runs a smaller log with fewer repetitions (a smoke test); ``--check``
exits 1 when a ratio misses its target (otherwise the script reports and exits 0).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from make_log import Dice, make_log, sample_text

from retro.store import Repository

T = TypeVar("T")

AUTHOR, TEAM = "Ana Costa", "payments"
SMALL = 100
TARGETS = {
    "checkin_cli": 1.25,
    "checkin_repository_add": 1.25,
    "log_json_time": 3.0,
    "log_json_peak_memory": 1.5,
}
OUTCOME_FIELDS = {
    "for_whom": "support agents",
    "metric": "refund time (days)",
    "baseline": 4.5,
    "observed": 1.0,
}

# Runs a command with its output discarded and prints its wall time, its own peak
# resident memory (the only child this process ever has) and its exit status.
_RUNNER = """\
import resource, subprocess, sys, time
began = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
took = time.perf_counter() - began
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.buffer.write(done.stderr[-4000:])
print(took, peak, done.returncode)
"""
# The baseline of `retro log --format json`: read the log and keep every decoded line.
_JSON_LOADS = """\
import json, sys
with open(sys.argv[1], "rb") as stream:
    objects = [json.loads(line) for line in stream]
"""


@dataclass
class Run:
    seconds: float
    peak_bytes: int


def retro_command() -> list[str]:
    """The installed ``retro`` next to this interpreter, else ``python -m retro``."""
    script = Path(sys.executable).parent / "retro"
    return [str(script)] if script.exists() else [sys.executable, "-m", "retro"]


def child_env(tmp: Path) -> dict[str, str]:
    """The environment of every command: a private config, author and team, cached bytecode."""
    config = tmp / "config.toml"
    config.write_text(f'team = "{TEAM}"\nauthor = "{AUTHOR}"\n', encoding="utf-8")
    env = dict(os.environ)
    for name in ("RETRO_LOG", "RETRO_NOW", "RETRO_MAX_LOG_BYTES", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    env.update(
        RETRO_CONFIG=str(config),
        RETRO_AUTHOR=AUTHOR,
        RETRO_TEAM=TEAM,
        # Start-up as installed (compiled modules cached), without writing next to the sources.
        PYTHONPYCACHEPREFIX=str(tmp / "pycache"),
    )
    return env


def measure(command: Sequence[str], env: dict[str, str]) -> Run:
    """Wall time and peak memory of ``command``, measured by a small runner process."""
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        took, peak, status = done.stdout.split()
    except ValueError:
        status = "runner failed"
    if status != "0" or done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({status}): {done.stderr.strip()[-2000:]}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    return Run(float(took), int(peak) * scale)


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


def report(name: str, ratio: float, details: str) -> bool:
    """Print one result line; True when the ratio meets its target."""
    target = TARGETS[name]
    print(f"{name}: ratio {ratio:.2f} (target <= {target:g}) [{details}]", flush=True)
    return ratio <= target


def bench_checkin_cli(small: Path, big: Path, entries: int, env: dict[str, str], reps: int) -> bool:
    retro = retro_command()
    count = iter(range(10**9))

    def checkin(log: Path) -> Callable[[], float]:
        def run() -> float:
            text = sample_text(Dice(f"checkin:{next(count)}"), "outcome")
            command = [*retro, "--log", str(log), "checkin", text, "--kind", "outcome",
                       "--for", "support agents", "--metric", "refund time (days)",
                       "--baseline", "4.5", "--observed", "1.0"]  # fmt: skip
            return measure(command, env).seconds

        return run

    return small_vs_big("checkin_cli", "retro checkin", checkin, small, big, entries, reps, 1)


def bench_checkin_add(small: Path, big: Path, entries: int, reps: int) -> bool:
    count = iter(range(10**9))

    def add(log: Path) -> Callable[[], float]:
        def run() -> float:
            text = sample_text(Dice(f"add:{next(count)}"), "outcome")
            began = time.perf_counter()
            Repository(log, author=AUTHOR, team=TEAM).add("outcome", text, fields=OUTCOME_FIELDS)
            return time.perf_counter() - began

        return run

    return small_vs_big("checkin_repository_add", "Repository.add", add, small, big, entries,
                        reps, 2)  # fmt: skip


def small_vs_big(
    name: str, what: str, job: Callable[[Path], Callable[[], float]], small: Path, big: Path,
    entries: int, reps: int, warm_up: int,
) -> bool:  # fmt: skip
    """Report ``job`` on the big log ÷ on the small one, after ``warm_up`` rounds."""
    interleaved(warm_up, job(small), job(big))  # caches, compiled modules
    at_small, at_big = interleaved(reps, job(small), job(big))
    low, high = median(at_small), median(at_big)
    return report(
        name,
        high / low,
        f"{what} median {ms(high)} at {entries:,} entries vs {ms(low)} at {SMALL:,}; "
        f"{reps} runs each, interleaved",
    )


def bench_log_json(big: Path, entries: int, env: dict[str, str], reps: int) -> list[bool]:
    retro = retro_command()
    listing = [*retro, "--log", str(big), "log", "--format", "json"]
    loads = [sys.executable, "-c", _JSON_LOADS, str(big)]
    base_runs, retro_runs = interleaved(
        reps, lambda: measure(loads, env), lambda: measure(listing, env)
    )
    base_time = median([run.seconds for run in base_runs])
    retro_time = median([run.seconds for run in retro_runs])
    base_peak = median([run.peak_bytes for run in base_runs])
    retro_peak = median([run.peak_bytes for run in retro_runs])
    size = mib(big.stat().st_size)
    return [
        report(
            "log_json_time",
            retro_time / base_time,
            f"retro log --format json {retro_time:.2f} s vs json.loads of every line "
            f"{base_time:.2f} s; {entries:,} entries, {size}; median of {reps}, interleaved",
        ),
        report(
            "log_json_peak_memory",
            retro_peak / base_peak,
            f"retro log --format json peak {mib(retro_peak)} vs json.loads keeping every "
            f"line {mib(base_peak)}; {entries:,} entries, {size}",
        ),
    ]


def arguments(doc: str, *, entries: bool = True) -> argparse.ArgumentParser:
    """The options every benchmark takes: --quick, --check and, with ``entries``, --entries."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small, fast run (smoke test)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    if entries:
        parser.add_argument("--entries", type=int, help="entries of the big log (default 100,000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__).parse_args(argv)
    entries = args.entries or (10_000 if args.quick else 100_000)
    cli_reps, add_reps, log_reps = (5, 9, 3) if args.quick else (21, 41, 3)

    with tempfile.TemporaryDirectory(prefix="retro-bench-") as name:
        tmp = Path(name)
        env = child_env(tmp)
        small, big = tmp / "small.jsonl", tmp / "big.jsonl"
        began = time.perf_counter()
        make_log(small, SMALL, seed=1)
        make_log(big, entries, seed=2)
        print(
            f"# logs of {SMALL:,} and {entries:,} entries ({mib(big.stat().st_size)}) "
            f"written in {time.perf_counter() - began:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        met = [
            bench_checkin_cli(small, big, entries, env, cli_reps),
            bench_checkin_add(small, big, entries, add_reps),
            *bench_log_json(big, entries, env, log_reps),
        ]
    return 1 if args.check and not all(met) else 0


if __name__ == "__main__":
    sys.exit(main())
