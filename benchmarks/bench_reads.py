"""Reads that don't grow with the log: issue 10's measures at 1k, 10k and 100k events.

Every figure is a ratio measured in the same run (medians of interleaved runs):

- ``look_*`` (what people look at costs what they look at): ``retro log`` (the
  newest 50, the default) and ``retro show ID`` at N events ÷ at 1,000 events.
- ``whole_*`` (whole-log work at the floor): ``retro log --format json``,
  ``retro export --format json``, ``retro report --format json`` and ``retro
  verify`` at N events ÷ the floor, a bare process that reads the file and
  ``orjson.loads`` every line with the garbage collector off.
- ``merge_time``: ``retro merge`` of two N-event logs ÷ its floor, a bare process
  that orjson-parses both, dedupes by (rev, id) and writes the lines.
- ``*_peak_memory``: each command's peak resident memory ÷ the size of the file it
  reads (both files for ``merge``).

Only the largest size's ratios count against their targets; the smaller sizes are
printed to show the trend (at 1k, an interpreter's own memory dwarfs the file).

Usage::

    python benchmarks/bench_reads.py [--quick] [--check] [--million]

``--quick`` runs 1k and 10k once each; ``--million`` adds 1,000,000 events (minutes
and gigabytes; the generated events span about 29 years, all in the past).
"""

from __future__ import annotations

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
    retro_command,
)
from make_log import make_log

SIZES = (1_000, 10_000, 100_000)
MILLION = 1_000_000
LOOK_TARGET, WHOLE_TARGET, MERGE_TARGET, MEMORY_TARGET = 2.0, 2.0, 1.5, 1.5

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
    env: dict[str, str]
    reps: int
    targets: Targets
    largest: int

    def job(self, command: Sequence[str]) -> Callable[[], Run]:
        return lambda: measure(command, self.env)

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
    return {"log_newest50": [*retro, "log"], "show": [*retro, "show", some_id(log, env)]}


def whole_commands(log: Path) -> dict[str, list[str]]:
    retro = [*retro_command(), "--log", str(log)]
    return {
        "log_json": [*retro, "log", "--format", "json"],
        "export_json": [*retro, "export", "--format", "json"],
        "report_json": [*retro, "report", str(log), "--format", "json"],
        "verify": [*retro, "verify"],
    }


def memory(bench: Bench, name: str, size: int, peak: float, read: int, extra: str = "") -> bool:
    return bench.report(
        f"{name}_peak_memory", size, peak / read,
        f"peak {mib(peak)} vs the file's {mib(read)}{extra}",
    )  # fmt: skip


def bench_look(bench: Bench, log: Path, size: int, at_1k: dict[str, float]) -> list[bool]:
    """``retro log`` and ``retro show`` at ``size`` ÷ at 1k; fills ``at_1k`` at 1k."""
    commands = look_commands(log, bench.env)
    runs = interleaved(bench.reps, *map(bench.job, commands.values()))
    met = []
    for name, done in zip(commands, runs, strict=True):
        took, peak = summary(done)
        base = at_1k.setdefault(name, took)
        met.append(bench.report(
            f"look_{name}_time", size, took / base,
            f"{took:.3f} s at {size:,} events vs {base:.3f} s "
            f"at 1,000; median of {bench.reps}",
        ))  # fmt: skip
        met.append(memory(bench, f"look_{name}", size, peak, log.stat().st_size))
    return met


def bench_whole(bench: Bench, log: Path, size: int) -> list[bool]:
    """Each whole-log command ÷ the orjson floor, interleaved with it."""
    commands = whole_commands(log)
    floor = bench.job([sys.executable, "-c", FLOOR, str(log)])
    floor_runs, *runs = interleaved(bench.reps, floor, *map(bench.job, commands.values()))
    base, base_peak = summary(floor_runs)
    met = []
    for name, done in zip(commands, runs, strict=True):
        took, peak = summary(done)
        met.append(bench.report(
            f"whole_{name}_time", size, took / base,
            f"{took:.2f} s vs orjson floor {base:.2f} s; {size:,} events "
            f"({mib(log.stat().st_size)}); median of {bench.reps}, interleaved",
        ))  # fmt: skip
        met.append(memory(bench, f"whole_{name}", size, peak, log.stat().st_size,
                          f" (floor {mib(base_peak)})"))  # fmt: skip
    return met


def bench_merge(bench: Bench, logs: Sequence[Path], size: int) -> list[bool]:
    """``retro merge`` of two logs ÷ its orjson floor, interleaved with it."""
    out, floor_out = bench.tmp / "merged.jsonl", bench.tmp / "merged-floor.jsonl"
    names = [str(path) for path in logs]
    merge = bench.job([*retro_command(), "merge", *names, "-o", str(out)])
    floor = bench.job([sys.executable, "-c", MERGE_FLOOR, str(floor_out), *names])
    floor_runs, merge_runs = interleaved(bench.reps, floor, merge)
    (base, base_peak), (took, peak) = summary(floor_runs), summary(merge_runs)
    read = sum(path.stat().st_size for path in logs)
    return [
        bench.report(
            "merge_time", size, took / base,
            f"retro merge -o {took:.2f} s vs orjson floor {base:.2f} s; 2 logs x {size:,} "
            f"events ({mib(read)}); median of {bench.reps}, interleaved",
        ),
        memory(bench, "merge", size, peak, read,
               f" (floor {mib(base_peak)}, ratio to it {peak / base_peak:.2f})"),
    ]  # fmt: skip


def make_targets(sizes: Sequence[int]) -> Targets:
    """Every result's target; those of the smaller sizes are informational."""
    limits: dict[str, float] = {}
    looks = [f"look_{name}" for name in ("log_newest50", "show")]
    wholes = [f"whole_{name}" for name in ("log_json", "export_json", "report_json", "verify")]
    for size in sizes:
        for name in looks:
            limits[f"{name}_time_{label(size)}"] = LOOK_TARGET
        for name in wholes:
            limits[f"{name}_time_{label(size)}"] = WHOLE_TARGET
        limits[f"merge_time_{label(size)}"] = MERGE_TARGET
        for name in [*looks, *wholes, "merge"]:
            limits[f"{name}_peak_memory_{label(size)}"] = MEMORY_TARGET
    largest = label(max(sizes))
    return Targets(limits, frozenset(name for name in limits if not name.endswith(largest)))


def main(argv: list[str] | None = None) -> int:
    parser = arguments(__doc__, entries=False)
    parser.add_argument("--million", action="store_true", help="add a 1,000,000-event log")
    args = parser.parse_args(argv)
    sizes = SIZES[:2] if args.quick else SIZES + ((MILLION,) if args.million else ())
    reps = 1 if args.quick else 3

    with tempfile.TemporaryDirectory(prefix="retro-bench-") as name:
        tmp = Path(name)
        bench = Bench(tmp, child_env(tmp), reps, make_targets(sizes), max(sizes))
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
            if size == sizes[0]:  # compile and cache every module the commands use
                interleaved(1, *map(bench.job, [*look_commands(logs[0], bench.env).values(),
                                                *whole_commands(logs[0]).values()]))  # fmt: skip
            met += bench_look(bench, logs[0], size, at_1k)
            met += bench_whole(bench, logs[0], size)
            met += bench_merge(bench, logs, size)
            for path in logs:
                path.unlink()
    return 1 if args.check and not all(met) else 0


if __name__ == "__main__":
    sys.exit(main())
