"""Run every ``bench_*.py`` next to this script, one after the other, and print their output.

Each benchmark prints one line per result, ``name: ratio X.XX (target <= T) [details]``
(``common.py`` holds what they share). ``bench_checkin.py`` times ``retro checkin``
against a bare click program that locks, appends and fsyncs one line; ``bench_live.py``
starts a facilitator and twelve participant apps on one log (``tests/live_driver.py``).
``--quick`` and ``--check`` are passed on to every benchmark. The exit status is 0
unless a benchmark failed to run, or, with ``--check``, missed a target.

Usage::

    python benchmarks/run_all.py [--quick] [--check] [NAME ...]

NAME picks benchmarks by part of their file name (``log`` runs ``bench_log.py``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover(names: list[str]) -> list[Path]:
    """The benchmark scripts, in name order, filtered by ``names`` when given."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [path for path in scripts if any(name in path.stem for name in names)]
    return scripts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every benchmark and print its results.")
    parser.add_argument("--quick", action="store_true", help="small, fast runs (smoke test)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("names", nargs="*", help="only benchmarks whose file name contains one")
    args = parser.parse_args(argv)
    scripts = discover(args.names)
    if not scripts:
        print("no benchmark found", file=sys.stderr)
        return 2
    flags = [flag for flag, on in (("--quick", args.quick), ("--check", args.check)) if on]
    failed: list[str] = []
    for script in scripts:
        print(f"# {script.name}", flush=True)
        began = time.perf_counter()
        done = subprocess.run([sys.executable, str(script), *flags], check=False)
        took = time.perf_counter() - began
        status = "" if done.returncode == 0 else f", exit status {done.returncode}"
        print(f"# {script.name} took {took:.1f} s{status}", flush=True)
        if done.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"# not passed: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
