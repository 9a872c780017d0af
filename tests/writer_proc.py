"""A writer process for the reliability tests.

Adds outcomes to a log through the repository API and prints the id of each one on
stdout, flushed as soon as ``add`` returns: a printed id is an acknowledged, durable
entry. Prints ``ready`` first, once everything is imported and the repository is open.

    python writer_proc.py LOG [--count N] [--seed S] [--start-file PATH] [--big-every K]

Without ``--count`` it writes until it is killed. With ``--start-file`` it waits for
that file to exist before the first write, so that several writers start together.
Every ``--big-every``-th entry is large (tens of kilobytes of multi-byte text), so
that a write spans several pages and a kill can interrupt it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

from retro.model import MAX_TEXT_CHARS
from retro.store import Repository

WORDS = ("refunds", "payouts", "latency", "onboarding", "alerts", "invoices", "search", "cache")
WIDE = "é漢🙂"  # two, three and four bytes in UTF-8


def fillers(rng: random.Random) -> list[str]:
    """A few texts of the largest size allowed, made once so that writing is all a loop does."""
    return ["".join(rng.choices(WIDE, k=MAX_TEXT_CHARS)) for _ in range(3)]


def entry(
    rng: random.Random, number: int, big: bool, pool: list[str]
) -> tuple[str, dict[str, str]]:
    """The text and fields of the ``number``-th entry."""
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12)))
    text = f"#{number} {words}"
    if not big:
        return text, {}
    filler = pool[number % len(pool)]
    return f"{text} {filler}"[:MAX_TEXT_CHARS], {"evidence": pool[(number + 1) % len(pool)]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start-file", default=None)
    parser.add_argument("--big-every", type=int, default=0)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    pool = fillers(rng) if args.big_every else []
    repo = Repository(args.log, author="tester", team="qa")
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    if args.start_file:
        while not os.path.exists(args.start_file):
            time.sleep(0.002)
    number = 0
    while args.count is None or number < args.count:
        big = bool(args.big_every) and number % args.big_every == args.big_every - 1
        text, fields = entry(rng, number, big, pool)
        rec = repo.add("outcome", text, fields=fields)
        out.write(rec["id"] + "\n")
        out.flush()
        number += 1


if __name__ == "__main__":
    main()
