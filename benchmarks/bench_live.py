"""How a live retro scales: a facilitator and twelve participants, each an app process, on one log.

Every app runs headless under ``tests/live_driver.py`` (the app as people run it,
polling the log), on the same machine: the facilitator's ``retro run`` at the retro's
outputs, and twelve participants' ``retro join``. The facilitator starts the step's group
exercise; each participant types ten cards in their own app while the room writes
silently; the facilitator reveals them. Two ratios, against figures of the same run:

- ``live_reveal_to_all_screens``: the time from the reveal until every participant's
  screen shows all the cards (the room's status line counts them under "every card
  revealed") ÷ the interval at which an app polls its log (``POLL_SECONDS``, the log's
  own tail interval).
- ``live_participant_memory``: the peak resident memory of a participant's process (the
  largest of them, once every card is shown) ÷ that of a minimal Textual app (a Header, a
  DataTable of a few rows and a Footer) until its first screen is shown.

Usage::

    python benchmarks/bench_live.py [--quick] [--check]

``--quick`` runs three participants (a smoke test); ``--check`` exits 1 when a ratio
misses its target (otherwise the script reports and exits 0).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from common import TEAM, Targets, arguments, child_env, measure, median, mib, probe

from retro import sessions
from retro.config import Settings
from retro.store import Repository
from retro.tui.app import POLL_SECONDS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' app driver
from tests.live import Apps, Driven  # noqa: E402

T = TypeVar("T")

# --- the room: who starts how, and what their screens say ------------------------------------

STEP = "outputs"  # the step the cards are written at
KIND = "output"  # the kind of its cards
FACILITATOR_READY = ["3. Outputs", "Outputs in this retro"]  # the facilitator's step is open
PARTICIPANT_READY = ["Outputs", "a card: Enter adds it"]  # a participant's room is open
START_KEYS = ["f7"]  # the facilitator runs the step as a group exercise: everyone writes
WRITING = ["writing silently"]
REVEAL_KEYS = ["f5"]  # the facilitator reveals the cards


def card_keys(text: str) -> str:
    """The keys that add a card in a participant's app."""
    return text + "\r"


def all_written(count: int) -> list[str]:
    """What a participant's screen shows once their ``count`` cards are in."""
    return [f"({count} yours)"]


def all_shown(count: int) -> list[str]:
    """What a participant's screen shows once it shows every one of ``count`` cards."""
    return ["every card revealed", f"{count} cards"]


# --- the benchmark ------------------------------------------------------------------------

TARGETS = Targets({"live_reveal_to_all_screens": 2.0, "live_participant_memory": 1.5})
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
    return len(Repository(log, author="bench", team=TEAM).find(kinds=[KIND], retro=retro_id))


def revealed_in_log(log: Path, retro_id: str) -> float:
    """When the retro's revision that reveals the cards was written (``time.time()``)."""
    history = Repository(log, author="bench", team=TEAM).history(retro_id)
    at = next(event["at"] for event in history if event["rec"].get("phase") == "reveal")
    return datetime.fromisoformat(at).timestamp()


def open_room(apps: Apps, people: list[str], env: dict[str, str]) -> tuple[Driven, list[Driven]]:
    """The facilitator's app, then every participant's, each showing the retro."""
    facilitator = apps.start("run", env=env)
    facilitator.wait(*FACILITATOR_READY, timeout=START_LIMIT)
    starting = [apps.start("join", name=name, env=env) for name in people]
    together([lambda d=d: d.wait(*PARTICIPANT_READY, timeout=START_LIMIT) for d in starting])
    return facilitator, starting


def type_cards(driven: Driven, name: str) -> None:
    """``name``'s cards typed in their own app, until their screen counts them all."""
    for number in range(CARDS_EACH):
        driven.type(card_keys(card_text(name, number)))
    driven.wait(*all_written(CARDS_EACH), timeout=SHOWN_LIMIT)


def write(facilitator: Driven, participants: list[Driven], people: list[str]) -> float:
    """Start the silent writing and type every participant's cards; when the writing began."""
    facilitator.press(*START_KEYS)
    together([lambda d=d: d.wait(*WRITING, timeout=SHOWN_LIMIT) for d in participants])
    began = time.time()
    together([lambda d=d, n=n: type_cards(d, n)
              for d, n in zip(participants, people, strict=True)])  # fmt: skip
    return began


def reveal(facilitator: Driven, participants: list[Driven],
           total: int) -> tuple[float, list[float]]:  # fmt: skip
    """Reveal the cards; when, and when each participant's screen showed all ``total``.

    Every participant is watching before the key is pressed: a screen's time is when it
    showed them, not when it was asked (the facilitator's key returns only once their own
    screen is drawn).
    """
    with ThreadPoolExecutor(max_workers=len(participants)) as pool:
        watching = [pool.submit(d.wait, *all_shown(total), timeout=SHOWN_LIMIT)
                    for d in participants]  # fmt: skip
        revealed = time.time()
        facilitator.press(*REVEAL_KEYS)
        return revealed, [future.result() for future in watching]


@dataclass
class Measured:
    """When the writing began, the reveal, each participant's screen showed every card
    (``time.time()``), and each participant's peak memory then."""

    began: float
    revealed: float
    logged: float  # when the reveal was in the log
    shown: list[float]
    peaks: list[int]


def run_room(apps: Apps, people: list[str], env: dict[str, str], retro_id: str) -> Measured:
    """Open the room, write, reveal, and wait for every screen to show every card."""
    total = len(people) * CARDS_EACH
    facilitator, participants = open_room(apps, people, env)
    began = write(facilitator, participants, people)
    revealed, shown = reveal(facilitator, participants, total)
    written = cards_in_log(apps.log, retro_id)
    if written != total:
        raise SystemExit(f"bench_live: {written} cards of {total} reached the log")
    logged = revealed_in_log(apps.log, retro_id)
    measured = Measured(began, revealed, logged, shown,
                        [driven.peak_bytes() for driven in participants])  # fmt: skip
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
    return [
        report(
            "live_reveal_to_all_screens",
            latency / POLL_SECONDS,
            f"{latency:.2f} s from the reveal until all {count} participants' screens "
            f"show all {total} cards vs the poll interval {POLL_SECONDS:g} s (first screen "
            f"{min(room.shown) - room.revealed:.2f} s; the reveal in the log after "
            f"{room.logged - room.revealed:.2f} s); the {total} cards typed in the "
            f"participants' apps, {count} people at once, in {room.revealed - room.began:.1f} s; "
            "one round",
        ),
        report(
            "live_participant_memory",
            largest / baseline,
            f"peak RSS of a participant's app {mib(largest)} (the largest of {count}; smallest "
            f"{mib(min(room.peaks))}) once it shows {total} cards vs a minimal Textual app "
            f"{mib(baseline)} (median of 3)",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__, entries=False).parse_args(argv)
    people = names(3 if args.quick else 12)
    with tempfile.TemporaryDirectory(prefix="retro-bench-") as name:
        met = bench_room(people, Path(name))
    return 1 if args.check and not all(met) else 0


if __name__ == "__main__":
    sys.exit(main())
