"""How a live retro scales: a facilitator and twelve participants, each an app process, on one log.

Every app runs headless under ``tests/live_driver.py`` (the app as people run it,
polling the log), on the same machine; each participant adds ten cards, the facilitator
reveals them. Two ratios, against figures of the same run:

- ``live_reveal_to_all_screens``: the time from the reveal until every participant's
  screen shows all the cards ÷ the interval at which an app polls its log
  (``POLL_SECONDS``, the log's own tail interval).
- ``live_burst_to_all_screens`` (only until the participants' screen exists;
  informational): as many cards again, appended in one locked write (as a reveal shows
  them all at once), until every participant's screen shows them ÷ the poll interval.
- ``live_participant_memory``: the peak resident memory of a participant's process (the
  largest of them, once every card is shown) ÷ that of a minimal Textual app (a Header, a
  DataTable of a few rows and a Footer) until its first screen is shown.

Until the participants' screen exists (``JOIN`` below is False), each participant is a
``retro run`` app open at the retro's outputs, the cards are checked in from the
command line (``retro checkin TEXT --retro current``, twelve people at once, ten each),
and the "reveal" is the moment the last card is in the log: what is measured is the
path a reveal takes, every app polling the log and drawing the cards it finds. What
differs between the two is in the few names at the top of this file.

Usage::

    python benchmarks/bench_live.py [--quick] [--check]

``--quick`` runs three participants (a smoke test); ``--check`` exits 1 when a ratio
misses its target (otherwise the script reports and exits 0).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from common import TEAM, Targets, arguments, child_env, measure, median, mib, probe, retro_command

from retro import sessions
from retro.config import Settings, system_clock
from retro.store import Repository
from retro.store.journal import Journal
from retro.store.writer import Writer
from retro.tui.app import POLL_SECONDS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' app driver
from tests.live import Apps, Driven  # noqa: E402

T = TypeVar("T")

# --- what a participant is, and the keys of the room: all that changes once it exists ---------

JOIN = False  # True once `retro join` (RetroApp(start="join", name=NAME)) exists
STEP = "outputs"  # the step the cards are written at
FACILITATOR_START = "run"
READY = ["Outputs in this retro"]  # every screen shows it once the retro's step is open
START_KEYS: list[str] = ["f5"] if JOIN else []  # the facilitator starts the silent writing
REVEAL_KEYS: list[str] = ["f5"]  # the facilitator reveals the cards (JOIN only)


def participant_start(name: str) -> tuple[str, str | None]:
    """How a participant's app starts: ``start`` and ``name`` of the ``RetroApp``."""
    return ("join", name) if JOIN else ("run", None)


def card_keys(text: str) -> str:
    """The keys that add a card in a participant's app (JOIN only)."""
    return text + "\r"


def all_shown(count: int) -> list[str]:
    """What a screen shows once it shows ``count`` cards."""
    return [f"Outputs in this retro: {count}"]


# --- the room -----------------------------------------------------------------------------

TARGETS = Targets(
    {"live_reveal_to_all_screens": 2.0, "live_burst_to_all_screens": 2.0,
     "live_participant_memory": 1.5},
    informational=frozenset({"live_burst_to_all_screens"}),
)  # fmt: skip
report = TARGETS.report
CARDS_EACH = 10
START_LIMIT = 180.0  # seconds until every app shows its retro, on a busy machine
SHOWN_LIMIT = 120.0  # seconds until every screen shows every card


def names(people: int) -> list[str]:
    return [f"Person {n + 1:02d}" for n in range(people)]


def card_text(name: str, number: int) -> str:
    return f"{name}, card {number + 1}: what the sprint delivered"


def together(jobs: Sequence[Callable[[], T]]) -> list[T]:
    """Run the jobs at once, each in a thread; their results (the first error is raised)."""
    with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
        return [future.result() for future in [pool.submit(job) for job in jobs]]


def seed_retro(config: Path) -> str:
    """The team's retro of the current sprint, open at ``STEP``; its id."""
    settings = Settings(config_file=config)
    period = sessions.current_period(settings.cadence, settings.clock().date())
    repo = Repository(settings.log, author=settings.author, team=settings.team)
    retro = repo.add("retro", "Live retro", fields={
        "period_start": period[0].isoformat(), "period_end": period[1].isoformat(),
        "status": "open", "facilitator": settings.author, "step": STEP})  # fmt: skip
    return retro["id"]


def cards_in_log(log: Path, retro_id: str) -> int:
    records = Repository(log, author="bench", team=TEAM).load().all()
    return sum(1 for r in records if r.get("retro") == retro_id and r["kind"] == "output")


def open_room(apps: Apps, people: list[str], env: dict[str, str]) -> tuple[Driven, list[Driven]]:
    """The facilitator's app, then every participant's, each showing the retro."""
    facilitator = apps.start(FACILITATOR_START, env=env)
    facilitator.wait(*READY, timeout=START_LIMIT)

    def join(name: str) -> Driven:
        start, named = participant_start(name)
        driven = apps.start(start, name=named, extra=["--author", name], env=env)
        driven.wait(*READY, timeout=START_LIMIT)
        return driven

    return facilitator, together([lambda name=name: join(name) for name in people])


def check_in(name: str, env: dict[str, str]) -> float:
    """``name``'s cards through the command line, one process each; when the last is in."""
    for number in range(CARDS_EACH):
        subprocess.run([*retro_command(), "checkin", card_text(name, number), "--retro",
                        "current"], env={**env, "RETRO_AUTHOR": name}, check=True,
                       capture_output=True, timeout=120)  # fmt: skip
    return time.time()


def type_cards(driven: Driven, name: str) -> float:
    """``name``'s cards typed in their own app; when the last was typed."""
    for number in range(CARDS_EACH):
        driven.type(card_keys(card_text(name, number)))
    return time.time()


def write_and_reveal(facilitator: Driven, participants: list[Driven], people: list[str],
                     env: dict[str, str]) -> tuple[float, float]:  # fmt: skip
    """Every participant's cards, then the reveal: when the writing began and the reveal."""
    if START_KEYS:
        facilitator.press(*START_KEYS)
    began = time.time()
    if JOIN:
        together([lambda d=d, n=n: type_cards(d, n) for d, n in zip(participants, people,
                                                                     strict=True)])  # fmt: skip
        return began, reveal(facilitator)
    return began, max(together([lambda name=name: check_in(name, env) for name in people]))


def burst(log: Path, retro_id: str, people: list[str]) -> float:
    """Everyone's cards again, in one locked append; when it returned."""
    events = []
    for name in people:
        writer = Writer(name, system_clock)
        events += [writer.new_entry("output", card_text(name, CARDS_EACH + number), team=TEAM,
                                    retro=retro_id)[1] for number in range(CARDS_EACH)]  # fmt: skip
    Journal(log).append(events)
    return time.time()


def reveal(facilitator: Driven) -> float:
    revealed = time.time()
    facilitator.press(*REVEAL_KEYS)
    return revealed


@dataclass
class Measured:
    """When the writing began, the reveal, each participant's screen showed every card
    (``time.time()``), and each participant's peak memory then; the burst's times."""

    began: float
    revealed: float
    shown: list[float]
    peaks: list[int]
    burst_at: float = 0.0
    burst_shown: list[float] = field(default_factory=list)


def wait_all(participants: list[Driven], count: int) -> list[float]:
    """When each participant's screen showed ``count`` cards."""
    return together([lambda d=d: d.wait(*all_shown(count), timeout=SHOWN_LIMIT)
                     for d in participants])  # fmt: skip


def run_room(apps: Apps, people: list[str], env: dict[str, str], retro_id: str) -> Measured:
    """Open the room, write, reveal, and wait for every screen to show every card."""
    total = len(people) * CARDS_EACH
    facilitator, participants = open_room(apps, people, env)
    began, revealed = write_and_reveal(facilitator, participants, people, env)
    written = cards_in_log(apps.log, retro_id)
    if written != total:
        raise SystemExit(f"bench_live: {written} cards of {total} reached the log")
    measured = Measured(began, revealed, wait_all(participants, total),
                        [driven.peak_bytes() for driven in participants])  # fmt: skip
    if not JOIN:
        measured.burst_at = burst(apps.log, retro_id, people)
        measured.burst_shown = wait_all(participants, 2 * total)
    for driven in [facilitator, *participants]:
        driven.quit()
    return measured


def bench_room(people: list[str], tmp: Path) -> list[bool]:
    log = tmp / f"{TEAM}.jsonl"
    env = child_env(tmp, log)
    retro_id = seed_retro(Path(env["RETRO_CONFIG"]))
    baseline = median([measure(probe("minimal"), env).peak_bytes for _ in range(3)])
    apps = Apps(log, TEAM, tmp)
    try:
        room = run_room(apps, people, env, retro_id)
    finally:
        apps.close()
    total, count = len(people) * CARDS_EACH, len(people)
    latency, largest = max(room.shown) - room.revealed, max(room.peaks)
    how = ("typed in the participants' apps, revealed by the facilitator" if JOIN else
           f"checked in from the command line, {count} people at once; 'reveal': the "
           "last card in the log; participants are `retro run` apps until `retro join` exists")
    met = [
        report(
            "live_reveal_to_all_screens",
            latency / POLL_SECONDS,
            f"{latency:.2f} s from the reveal until all {count} participants' screens "
            f"show all {total} cards vs the poll interval {POLL_SECONDS:g} s (first screen "
            f"{min(room.shown) - room.revealed:.2f} s); the {total} cards written in "
            f"{room.revealed - room.began:.1f} s, {how}; one round",
        )
    ]
    if not JOIN:
        lag = max(room.burst_shown) - room.burst_at
        met.append(report(
            "live_burst_to_all_screens",
            lag / POLL_SECONDS,
            f"{lag:.2f} s from one append of {total} more cards until all {count} "
            f"participants' screens show all {2 * total} vs the poll interval "
            f"{POLL_SECONDS:g} s; one round; informational",
        ))  # fmt: skip
    met.append(report(
        "live_participant_memory",
        largest / baseline,
        f"peak RSS of a participant's app {mib(largest)} (the largest of {count}; smallest "
        f"{mib(min(room.peaks))}) once it shows {total} cards vs a minimal Textual app "
        f"{mib(baseline)} (median of 3)",
    ))  # fmt: skip
    return met


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__, entries=False).parse_args(argv)
    people = names(3 if args.quick else 12)
    with tempfile.TemporaryDirectory(prefix="retro-bench-") as name:
        met = bench_room(people, Path(name))
    return 1 if args.check and not all(met) else 0


if __name__ == "__main__":
    sys.exit(main())
