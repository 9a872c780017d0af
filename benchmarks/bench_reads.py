"""Reads that don't grow with the log: issue 10's measures at 1k, 10k and 100k events.

Every figure is a ratio measured in the same run (medians of interleaved runs); each
time is the wall time of a whole fresh process:

- ``look_*`` (what people look at costs what they look at): ``retro log`` (the
  newest 50, the default), ``retro show ID``, the app until its home is filled
  (``app_filled``) and the app until the team's newest retro is open at its outputs
  step with its entries shown (``app_step``), at N events ÷ at 1,000 events.
- ``whole_*`` (whole-log work at the floor): ``retro log --format json``,
  ``retro export --format json``, ``retro report --format json``, ``retro
  verify`` and the app until the whole log is loaded (``app_load``) at N events ÷ the
  floor, a bare process that reads the file and ``orjson.loads`` every line with the
  garbage collector off.
- ``cold_*``: ``retro log`` and the app until its home is filled, with retro's cache
  directory emptied before each run (the first read after a ``git pull`` replaced
  the file) ÷ that floor.
- ``merge_time``: ``retro merge`` of two N-event logs ÷ its floor, a bare process
  that orjson-parses both, dedupes by (rev, id) and writes the lines; ``cold_merge_time``
  the same with the cache emptied before each run (logs never checked before), and
  ``cold_verify`` ``retro verify`` so (both informational).
- ``*_peak_memory``: each command's peak resident memory ÷ the size of the file it
  reads (both files for ``merge``).

Every process has private settings and a private cache directory (``RETRO_CACHE_DIR``
and ``XDG_CACHE_HOME`` under the run's temporary folder). Apart from the ``cold_*``
runs, each command runs once, untimed, on each log before it is measured, which
leaves the cache as a previous read would.

Only the largest size's ratios count against their targets; the smaller sizes are
printed to show the trend (at 1k, an interpreter's own memory dwarfs the file).

Usage::

    python benchmarks/bench_reads.py [--quick] [--check] [--million]

``--quick`` runs 1k and 10k once each; ``--million`` adds 1,000,000 events (minutes
and gigabytes; the generated events span about 29 years, all in the past).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
from common import (
    Run,
    Targets,
    arguments,
    child_env,
    interleaved,
    measure,
    median,
    mib,
    probe,
    retro_command,
)
from make_log import make_log

SIZES = (1_000, 10_000, 100_000)
MILLION = 1_000_000
LOOK_TARGET, WHOLE_TARGET, MERGE_TARGET, MEMORY_TARGET = 2.0, 2.0, 1.5, 1.5
LOOKS = ("log_newest50", "show", "app_filled", "app_step")
WHOLES = ("log_json", "export_json", "report_json", "verify", "app_load")
COLDS = ("log_newest50", "app_filled")  # of the looks, those also measured with no cache
COLD_WHOLES = ("verify",)  # of the whole-log work, that also measured with no cache

# The floor of whole-log work: read every line and decode it, keeping the objects.
FLOOR = """\
import gc, sys, orjson
gc.disable()
with open(sys.argv[1], "rb") as stream:
    objects = [orjson.loads(line) for line in stream]
"""
# The floor of a merge: decode both logs, keep each (rev, id) once, write the lines.
MERGE_FLOOR = """\
import gc, sys, orjson
gc.disable()
target, sources = sys.argv[1], sys.argv[2:]
seen, lines = set(), []
for source in sources:
    with open(source, "rb") as stream:
        for line in stream:
            event = orjson.loads(line)
            key = (event.get("rev"), event.get("id"))
            if key not in seen:
                seen.add(key)
                lines.append(line)
with open(target, "wb") as out:
    out.writelines(lines)
"""


@dataclass
class Bench:
    """What every measure of one run shares."""

    tmp: Path
    reps: int
    targets: Targets

    def job(self, command: Sequence[str], env: dict[str, str]) -> Callable[[], Run]:
        return lambda: measure(command, env)

    def cold_job(self, command: Sequence[str], log: Path) -> Callable[[], Run]:
        """A run of ``command`` on ``log`` with a cache directory of its own, emptied first."""
        cache = self.tmp / "cold-cache"
        env = child_env(self.tmp, log, cache)

        def run() -> Run:
            shutil.rmtree(cache, ignore_errors=True)
            return measure(command, env)

        return run

    def report(self, name: str, size: int, ratio: float, details: str) -> bool:
        return self.targets.report(f"{name}_{label(size)}", ratio, details)


def label(size: int) -> str:
    return f"{size // MILLION}M" if size >= MILLION else f"{size // 1000}k"


def summary(runs: list[Run]) -> tuple[float, float]:
    """Median seconds and median peak bytes."""
    return median([run.seconds for run in runs]), median([run.peak_bytes for run in runs])


def some_id(log: Path, env: dict[str, str]) -> str:
    """The id of a live record from the middle of ``log`` (``retro show`` finds it)."""
    lines = log.read_bytes().splitlines()
    for line in lines[len(lines) // 2 :]:
        event = orjson.loads(line)
        if event.get("op") != "put":
            continue
        try:
            measure([*retro_command(), "--log", str(log), "show", event["id"]], env)
        except RuntimeError:
            continue
        return str(event["id"])
    raise RuntimeError(f"no record of {log} can be shown")


def look_commands(log: Path, env: dict[str, str]) -> dict[str, list[str]]:
    retro = [*retro_command(), "--log", str(log)]
    return {
        "log_newest50": [*retro, "log"],
        "show": [*retro, "show", some_id(log, env)],
        "app_filled": probe("filled"),
        "app_step": probe("step"),
    }


def whole_commands(log: Path) -> dict[str, list[str]]:
    retro = [*retro_command(), "--log", str(log)]
    return {
        "log_json": [*retro, "log", "--format", "json"],
        "export_json": [*retro, "export", "--format", "json"],
        "report_json": [*retro, "report", str(log), "--format", "json"],
        "verify": [*retro, "verify"],
        "app_load": probe("loaded"),
    }


def merge_command(logs: Sequence[Path], out: Path) -> list[str]:
    return [*retro_command(), "merge", *map(str, logs), "-o", str(out)]


def memory(bench: Bench, name: str, size: int, peak: float, read: int, extra: str = "") -> bool:
    return bench.report(
        f"{name}_peak_memory", size, peak / read,
        f"peak {mib(peak)} vs the file's {mib(read)}{extra}",
    )  # fmt: skip


def bench_look(bench: Bench, looks: dict[str, Callable[[], Run]], log: Path, size: int,
               at_1k: dict[str, float]) -> list[bool]:  # fmt: skip
    """What people look at, at ``size`` ÷ at 1k; fills ``at_1k`` at 1k."""
    runs = interleaved(bench.reps, *looks.values())
    met = []
    for name, done in zip(looks, runs, strict=True):
        took, peak = summary(done)
        base = at_1k.setdefault(name, took)
        met.append(bench.report(
            f"look_{name}_time", size, took / base,
            f"{took:.3f} s at {size:,} events vs {base:.3f} s "
            f"at 1,000; median of {bench.reps}",
        ))  # fmt: skip
        met.append(memory(bench, f"look_{name}", size, peak, log.stat().st_size))
    return met


def bench_floor(bench: Bench, jobs: dict[str, Callable[[], Run]], log: Path, size: int,
                env: dict[str, str]) -> list[bool]:  # fmt: skip
    """Each job (named with its prefix, ``whole_`` or ``cold_``) ÷ the orjson floor,
    interleaved with it."""
    floor = bench.job([sys.executable, "-c", FLOOR, str(log)], env)
    floor_runs, *runs = interleaved(bench.reps, floor, *jobs.values())
    base, base_peak = summary(floor_runs)
    met = []
    for name, done in zip(jobs, runs, strict=True):
        took, peak = summary(done)
        cold = ", the cache emptied before each run" if name.startswith("cold_") else ""
        met.append(bench.report(
            f"{name}_time", size, took / base,
            f"{took:.2f} s vs orjson floor {base:.2f} s; {size:,} events "
            f"({mib(log.stat().st_size)}){cold}; median of {bench.reps}, interleaved",
        ))  # fmt: skip
        met.append(memory(bench, name, size, peak, log.stat().st_size,
                          f" (floor {mib(base_peak)})"))  # fmt: skip
    return met


def bench_merge(bench: Bench, logs: Sequence[Path], size: int, env: dict[str, str]) -> list[bool]:
    """``retro merge`` of two logs ÷ its orjson floor, interleaved with it."""
    floor_out = bench.tmp / "merged-floor.jsonl"
    names = [str(path) for path in logs]
    merge = bench.job(merge_command(logs, bench.tmp / "merged.jsonl"), env)
    cold = bench.cold_job(merge_command(logs, bench.tmp / "merged.jsonl"), logs[0])
    floor = bench.job([sys.executable, "-c", MERGE_FLOOR, str(floor_out), *names], env)
    floor_runs, merge_runs, cold_runs = interleaved(bench.reps, floor, merge, cold)
    (base, base_peak), (took, peak) = summary(floor_runs), summary(merge_runs)
    cold_took = summary(cold_runs)[0]
    read = sum(path.stat().st_size for path in logs)
    return [
        bench.report(
            "merge_time", size, took / base,
            f"retro merge -o {took:.2f} s vs orjson floor {base:.2f} s; 2 logs x {size:,} "
            f"events ({mib(read)}); median of {bench.reps}, interleaved",
        ),
        bench.report(
            "cold_merge_time", size, cold_took / base,
            f"retro merge -o {cold_took:.2f} s, the cache emptied before each run (logs never "
            f"checked before) vs orjson floor {base:.2f} s",
        ),
        memory(bench, "merge", size, peak, read,
               f" (floor {mib(base_peak)}, ratio to it {peak / base_peak:.2f})"),
    ]  # fmt: skip


def bench_size(bench: Bench, logs: Sequence[Path], size: int, at_1k: dict[str, float]
               ) -> list[bool]:  # fmt: skip
    """Every measure on the logs of ``size`` events, the warm ones after a warm-up run each."""
    log, env = logs[0], child_env(bench.tmp, logs[0])
    looks, wholes = look_commands(log, env), whole_commands(log)
    warm_up = [*looks.values(), *wholes.values(), merge_command(logs, bench.tmp / "merged.jsonl")]
    interleaved(1, *(bench.job(command, env) for command in warm_up))  # also compiles modules
    floored = {f"whole_{name}": bench.job(command, env) for name, command in wholes.items()}
    floored |= {f"cold_{name}": bench.cold_job(looks[name], log) for name in COLDS}
    floored |= {f"cold_{name}": bench.cold_job(wholes[name], log) for name in COLD_WHOLES}
    return [
        *bench_look(bench, {name: bench.job(command, env) for name, command in looks.items()},
                    log, size, at_1k),
        *bench_floor(bench, floored, log, size, env),
        *bench_merge(bench, logs, size, env),
    ]  # fmt: skip


def make_targets(sizes: Sequence[int]) -> Targets:
    """Every result's target; those of the smaller sizes are informational."""
    times = {f"look_{name}": LOOK_TARGET for name in LOOKS}
    times |= {f"whole_{name}": WHOLE_TARGET for name in WHOLES}
    times |= {f"cold_{name}": WHOLE_TARGET for name in (*COLDS, *COLD_WHOLES)}
    limits: dict[str, float] = {}
    for size in sizes:
        for name, target in times.items():
            limits[f"{name}_time_{label(size)}"] = target
        limits[f"merge_time_{label(size)}"] = MERGE_TARGET
        limits[f"cold_merge_time_{label(size)}"] = MERGE_TARGET
        for name in [*times, "merge"]:
            limits[f"{name}_peak_memory_{label(size)}"] = MEMORY_TARGET
    largest = label(max(sizes))
    first_checks = ("cold_merge", *(f"cold_{name}_" for name in COLD_WHOLES))  # to be seen
    informational = {name for name in limits
                     if not name.endswith(largest) or name.startswith(first_checks)}
    return Targets(limits, frozenset(informational))


def main(argv: list[str] | None = None) -> int:
    parser = arguments(__doc__, entries=False)
    parser.add_argument("--million", action="store_true", help="add a 1,000,000-event log")
    args = parser.parse_args(argv)
    sizes = SIZES[:2] if args.quick else SIZES + ((MILLION,) if args.million else ())
    reps = 1 if args.quick else 3

    with tempfile.TemporaryDirectory(prefix="retro-bench-") as name:
        tmp = Path(name)
        bench = Bench(tmp, reps, make_targets(sizes))
        at_1k: dict[str, float] = {}
        met: list[bool] = []
        for size in sizes:
            began = time.perf_counter()
            logs = [tmp / f"a-{size}.jsonl", tmp / f"b-{size}.jsonl"]
            make_log(logs[0], size, seed=size)
            make_log(logs[1], size, seed=size + 1, team="identity")
            written = time.perf_counter() - began
            print(f"# two logs of {size:,} events ({mib(logs[0].stat().st_size)} each) "
                  f"written in {written:.1f} s", file=sys.stderr, flush=True)  # fmt: skip
            met += bench_size(bench, logs, size, at_1k)
            for path in logs:
                path.unlink()
    return 1 if args.check and not all(met) else 0


if __name__ == "__main__":
    sys.exit(main())
