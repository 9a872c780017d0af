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

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import (
    AUTHOR,
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
    retro_command,
)
from make_log import Dice, make_log, sample_text

from retro.store import Repository

SMALL = 100
TARGETS = Targets({
    "checkin_cli": 1.25,
    "checkin_repository_add": 1.25,
    "log_json_time": 3.0,
    "log_json_peak_memory": 1.5,
})
report = TARGETS.report
OUTCOME_FIELDS = {
    "for_whom": "support agents",
    "metric": "refund time (days)",
    "baseline": 4.5,
    "observed": 1.0,
}

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
    loads = [sys.executable, "-c", JSON_LOADS, str(big)]
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
