"""How merging and the organisation report scale: `retro merge` and `retro report`.

Every figure is a ratio against a baseline measured in the same run, from the
median of several interleaved repetitions (absolute times are printed for
information only; they are not comparable between machines). Both baselines are
the same floor: a bare Python process that reads the input files, ``json.loads``
every line (keeping every parsed object, as a merge must before it can order
them), and writes every object back with ``json.dumps`` to one output file.

- ``merge_50x2000``: ``retro merge`` of 50 team logs of 2,000 entries each (one
  team and seed per log; every log also holds the same 20 decision events, so
  deduplication is exercised) to ``-o OUT``, the real command in a subprocess ÷
  the floor over the same 50 files. The details give the peak resident memory of
  the merge and its ratio to the floor's.
- ``report_100k``: ``retro report LOG --format json -o OUT`` on a 100,000-entry
  log of several teams (with their retro sessions and links, plus the 20 shared
  decisions) ÷ the floor over that log.

A command that runs past ``--timeout`` is stopped and not repeated; its ratio is
then computed from the time limit, a lower bound, and the target is missed.

Usage::

    python benchmarks/bench_merge.py [--quick] [--check] [--timeout SECONDS]

``--quick`` merges 10 logs of 500 entries and reports on a 10,000-entry log, with
fewer repetitions (a smoke test); ``--check`` exits 1 when a ratio misses its
target (otherwise the script reports and exits 0).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

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
from make_log import iter_events, make_log

from retro.store.events import PUT, Event, encode, header

TARGETS = Targets({
    "merge_50x2000": 1.5,
    "report_100k": 2.0,
})
report = TARGETS.report
SHARED = 20  # decision events every team log holds
REPORT_TEAMS = ("payments", "identity", "mobile", "platform", "growth")
DEFAULT_TIMEOUT = 600.0  # seconds one command may run before it is stopped

# The floor of merging and reporting: read every input, decode every line and keep
# it, then write every object back as JSON to one file.
_FLOOR = """\
import json, sys
target, sources = sys.argv[1], sys.argv[2:]
objects = []
for source in sources:
    with open(source, "rb") as stream:
        objects.extend(json.loads(line) for line in stream)
with open(target, "w", encoding="utf-8") as out:
    for obj in objects:
        out.write(json.dumps(obj) + "\\n")
"""


def until_timeout(command: Sequence[str], env: dict[str, str], limit: float) -> Callable[[], Run]:
    """A job measuring ``command``; after it has timed out once it is not run again."""
    stopped: list[Run] = []

    def run() -> Run:
        if stopped:
            return stopped[0]
        result = measure(command, env, limit)
        if result.timed_out:
            stopped.append(result)
        return result

    return run


def shared_decisions(count: int = SHARED) -> list[bytes]:
    """The lines of ``count`` decision events (new records, outside any retro session)."""
    lines: list[bytes] = []
    for event in iter_events(10_000, seed=7, team="leadership"):
        rec = event.get("rec") or {}
        if event["op"] == PUT and event["prev"] is None and rec.get("kind") == "decision" \
                and rec.get("retro") is None:  # fmt: skip
            lines.append(encode(event))
            if len(lines) == count:
                return lines
    raise RuntimeError(f"fewer than {count} decisions to share")


def team_log(path: Path, entries: int, seed: int, team: str, shared: Sequence[bytes]) -> int:
    """A team's log of ``entries`` events, ending with the ``shared`` ones; its records."""
    records = make_log(path, entries - len(shared), seed=seed, team=team, workers=1)
    with open(path, "ab") as out:
        out.writelines(shared)
    return records + len(shared)


def make_team_logs(folder: Path, logs: int, entries: int, shared: Sequence[bytes]) -> list[Path]:
    """``logs`` team logs of ``entries`` events each, one team and seed per log, in parallel."""
    folder.mkdir()
    paths = [folder / f"team-{k:02d}.jsonl" for k in range(logs)]
    jobs = [(path, entries, 1000 + k, path.stem, shared) for k, path in enumerate(paths)]
    with ProcessPoolExecutor() as pool:
        list(pool.map(team_log, *zip(*jobs, strict=True)))
    return paths


def make_org_log(path: Path, entries: int, shared: Sequence[bytes]) -> dict[str, int]:
    """One log of ``entries`` events from several teams plus the shared decisions, in the
    order a merge writes (revision, then record id); how many retros and linked entries."""
    sizes = [(entries - len(shared)) // len(REPORT_TEAMS)] * len(REPORT_TEAMS)
    sizes[0] += entries - len(shared) - sum(sizes)
    keyed: list[tuple[str, str, bytes]] = []
    counts = {"retros": 0, "linked": 0, "in_retro": 0}

    def keep(event: Event, line: bytes) -> None:
        keyed.append((event["rev"], event["id"], line))
        rec = event.get("rec") or {}
        if event["prev"] is None and rec.get("kind") == "retro":
            counts["retros"] += 1
        if event["prev"] is None:
            counts["linked"] += bool(rec.get("links"))
            counts["in_retro"] += bool(rec.get("retro"))

    parts = path.with_name(path.stem + "-parts")
    parts.mkdir()
    for k, (team, size) in enumerate(zip(REPORT_TEAMS, sizes, strict=True)):
        part = parts / f"{team}.jsonl"
        make_log(part, size, seed=2000 + k, team=team)
        with open(part, "rb") as stream:
            next(stream)  # the header
            for line in stream:
                keep(json.loads(line), line)
        part.unlink()
    parts.rmdir()
    for line in shared:
        keep(json.loads(line), line)
    keyed.sort()
    with open(path, "wb") as out:
        out.write(header())
        out.writelines(line for _, _, line in keyed)
    return counts


def limit_note(run: Run, limit: float) -> str:
    return f"timed out after {limit:g} s, so the ratio is a lower bound; " if run.timed_out else ""


def ratios(
    floor_runs: list[Run], runs: list[Run]
) -> tuple[float, float, float, float, Run]:  # fmt: skip
    """Median times and peaks of the floor and of a command, and one run of the command."""
    return (
        median([run.seconds for run in floor_runs]),
        median([run.seconds for run in runs]),
        median([run.peak_bytes for run in floor_runs]),
        median([run.peak_bytes for run in runs]),
        max(runs, key=lambda run: run.timed_out),
    )


def warm_up(tmp: Path, env: dict[str, str], shared: Sequence[bytes]) -> None:
    """Compile and cache every module both commands use, on tiny logs."""
    folder = tmp / "warm"
    folder.mkdir()
    small = [folder / "a.jsonl", folder / "b.jsonl"]
    for k, path in enumerate(small):
        team_log(path, 100, 3000 + k, path.stem, shared[:2])
    retro = retro_command()
    measure([*retro, "merge", *map(str, small), "-o", str(folder / "ab.jsonl")], env, 120)
    measure([*retro, "report", str(folder / "ab.jsonl"), "--format", "json",
             "-o", str(folder / "ab.json")], env, 120)  # fmt: skip


def bench_merge(
    logs: Sequence[Path], entries: int, tmp: Path, env: dict[str, str], reps: int, limit: float
) -> bool:
    out, floor_out = tmp / "merged.jsonl", tmp / "merged-floor.jsonl"
    names = [str(path) for path in logs]
    merge = until_timeout([*retro_command(), "merge", *names, "-o", str(out)], env, limit)
    floor = until_timeout([sys.executable, "-c", _FLOOR, str(floor_out), *names], env, limit)
    floor_runs, merge_runs = interleaved(reps, floor, merge)
    base, took, base_peak, peak, sample = ratios(floor_runs, merge_runs)
    distinct = len(logs) * (entries - SHARED) + SHARED
    written = "not written"
    if out.exists():
        lines = sum(1 for _ in out.open("rb")) - 1
        if lines != distinct:
            raise RuntimeError(f"the merge wrote {lines:,} events, not {distinct:,}")
        written = f"{lines:,} events written"
    size = mib(sum(path.stat().st_size for path in logs))
    return report(
        "merge_50x2000",
        took / base,
        f"{limit_note(sample, limit)}retro merge -o {took:.2f} s vs read + json.loads + "
        f"json.dumps + write of every line {base:.2f} s; {len(logs)} logs x {entries:,} "
        f"entries ({size}), {SHARED} events shared by every log, {written}; peak "
        f"{mib(peak)} vs {mib(base_peak)} (ratio {peak / base_peak:.2f}); median of {reps}, "
        "interleaved",
    )


def bench_report(
    log: Path, entries: int, counts: dict[str, int], tmp: Path, env: dict[str, str], reps: int,
    limit: float,
) -> bool:  # fmt: skip
    out, floor_out = tmp / "report.json", tmp / "report-floor.jsonl"
    command = [*retro_command(), "report", str(log), "--format", "json", "-o", str(out)]
    job = until_timeout(command, env, limit)
    floor = until_timeout([sys.executable, "-c", _FLOOR, str(floor_out), str(log)], env, limit)
    floor_runs, report_runs = interleaved(reps, floor, job)
    base, took, base_peak, peak, sample = ratios(floor_runs, report_runs)
    shown = "not written"
    if out.exists():
        data = json.loads(out.read_text(encoding="utf-8"))
        if len(data["teams"]) < len(REPORT_TEAMS) or not data["decisions"]:
            raise RuntimeError(f"the report is missing teams or decisions: {data['scope']}")
        shown = (f"{len(data['teams'])} teams, {len(data['periods']):,} periods, "
                 f"{len(data['decisions']):,} decisions reported")  # fmt: skip
    return report(
        "report_100k",
        took / base,
        f"{limit_note(sample, limit)}retro report --format json -o {took:.2f} s vs read + "
        f"json.loads + json.dumps + write of every line {base:.2f} s; {entries:,} entries "
        f"({mib(log.stat().st_size)}) of {len(REPORT_TEAMS)} teams and {SHARED} shared "
        f"decisions, {counts['retros']:,} retros, {counts['linked']:,} entries with links, "
        f"{counts['in_retro']:,} made in a retro; {shown}; peak {mib(peak)} vs "
        f"{mib(base_peak)}; median of {reps}, interleaved",
    )


def main(argv: list[str] | None = None) -> int:
    parser = arguments(__doc__, entries=False)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds one command may run (default %(default)g)")  # fmt: skip
    args = parser.parse_args(argv)
    logs, per_log, entries = (10, 500, 10_000) if args.quick else (50, 2000, 100_000)
    reps = 3 if args.quick else 5

    with tempfile.TemporaryDirectory(prefix="retro-bench-") as name:
        tmp = Path(name)
        env = child_env(tmp)
        began = time.perf_counter()
        shared = shared_decisions()
        team_logs = make_team_logs(tmp / "teams", logs, per_log, shared)
        org = tmp / "org.jsonl"
        counts = make_org_log(org, entries, shared)
        warm_up(tmp, env, shared)
        print(
            f"# {logs} logs of {per_log:,} entries and a log of {entries:,} entries "
            f"({mib(org.stat().st_size)}) written in {time.perf_counter() - began:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        met = [
            bench_merge(team_logs, per_log, tmp, env, reps, args.timeout),
            bench_report(org, entries, counts, tmp, env, reps, args.timeout),
        ]
    return 1 if args.check and not all(met) else 0


if __name__ == "__main__":
    sys.exit(main())
