"""How light a check-in is: `retro checkin` against the least a CLI append can do.

- ``checkin_vs_bare_click``: ``retro checkin`` (the real command, in a subprocess)
  appending to a 100,000-entry log ÷ a bare click program that parses the same
  arguments, takes the lock (``fcntl.flock``), appends one JSON line to a copy of
  that log and fsyncs.
  Both are whole processes (interpreter start-up included), run interleaved after a
  warm-up; the ratio is that of their medians. What separates them is what retro
  imports and checks: the check-in loads neither TinyDB, Rich, Textual nor the report
  or merge code, and never reads the log.

Usage::

    python benchmarks/bench_checkin.py [--quick] [--check] [--entries N]

``--quick`` runs a smaller log with fewer repetitions (a smoke test); ``--check``
exits 1 when the ratio misses its target (otherwise the script reports and exits 0).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import (
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

TARGETS = Targets({"checkin_vs_bare_click": 1.3})

# The floor: a click program that locks, appends one JSON line and fsyncs.
BARE_CLICK = """\
import fcntl, json, os, sys, uuid
from datetime import datetime, timezone

import click


@click.command()
@click.argument("text")
@click.option("--log", required=True)
@click.option("--kind", default="outcome")
def main(text: str, log: str, kind: str) -> None:
    line = json.dumps({"id": str(uuid.uuid4()), "kind": kind, "text": text,
                       "at": datetime.now(timezone.utc).isoformat()}) + "\\n"
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    click.echo(line[8:44])


main()
"""


def bench_checkin(big: Path, bare_log: Path, entries: int, tmp: Path, reps: int) -> bool:
    env = child_env(tmp)
    bare_script = tmp / "bare_click.py"
    bare_script.write_text(BARE_CLICK, encoding="utf-8")
    count = iter(range(10**9))

    def retro() -> Callable[[], float]:
        def run() -> float:
            text = sample_text(Dice(f"checkin:{next(count)}"), "outcome")
            command = [*retro_command(), "--log", str(big), "checkin", text, "--kind", "outcome"]
            return measure(command, env).seconds

        return run

    def bare() -> Callable[[], float]:
        def run() -> float:
            text = sample_text(Dice(f"bare:{next(count)}"), "outcome")
            command = [sys.executable, str(bare_script), text, "--log", str(bare_log),
                       "--kind", "outcome"]  # fmt: skip
            return measure(command, env).seconds

        return run

    interleaved(2, bare(), retro())  # warm up: caches, compiled modules
    bare_runs, retro_runs = interleaved(reps, bare(), retro())
    low, high = median(bare_runs), median(retro_runs)
    return TARGETS.report(
        "checkin_vs_bare_click",
        high / low,
        f"retro checkin median {ms(high)} at {entries:,} entries "
        f"({mib(big.stat().st_size)}) vs a bare click program that locks, appends one "
        f"line and fsyncs {ms(low)}; {reps} runs each, interleaved",
    )


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__).parse_args(argv)
    entries = args.entries or (10_000 if args.quick else 100_000)
    reps = 9 if args.quick else 31

    with tempfile.TemporaryDirectory(prefix="retro-bench-") as name:
        tmp = Path(name)
        big = tmp / "big.jsonl"
        began = time.perf_counter()
        make_log(big, entries, seed=2)
        shutil.copy(big, tmp / "bare.jsonl")
        os.sync()  # the logs just written are on disk: no append pays for flushing them
        print(f"# a log of {entries:,} entries ({mib(big.stat().st_size)}) written in "
              f"{time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)  # fmt: skip
        met = bench_checkin(big, tmp / "bare.jsonl", entries, tmp, reps)
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
