"""Reading the logs a merge or a report takes in, every one checked before anything is written."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click

from retro.errors import LogError
from retro.merge import Merge, Trust, merge
from retro.store.events import Event
from retro.store.journal import Batch, Journal, Problem

PROGRESS_BYTES = 20 * 1024 * 1024  # show a progress bar when reading more than this


@dataclass
class Inputs:
    """Each input log's events (and the lines they were read from), version, damaged lines."""

    logs: list[tuple[str, list[Event]]] = field(default_factory=list)
    versions: list[tuple[int, int]] = field(default_factory=list)
    damaged: list[tuple[Path, list[Problem]]] = field(default_factory=list)
    raw: list[list[bytes] | None] = field(default_factory=list)

    def merged(
        self, base: Batch | None = None, version: tuple[int, int] | None = None,
        trust: Trust | None = None,
    ) -> Merge:  # fmt: skip
        """Their merge, onto ``base`` (the log merged into, of ``version``) if given.

        With ``trust``, what it does not take in is held back (see :class:`Trust`).
        """
        versions = self.versions if version is None else [*self.versions, version]
        base = base or Batch()
        return merge(self.logs, versions=versions, raw=self.raw, base=base.events,
                     base_raw=base.raw, trust=trust)  # fmt: skip


def read_held(path: Path) -> list[tuple[Event, bytes | None]]:
    """The events an earlier merge held back in the side file ``path`` (none if it is absent).

    A side file that is not a log, or has damaged lines, stops the merge before anything
    is written: it holds events the user has not decided on yet.
    """
    if not path.exists():
        return []
    batch = Journal(path).read(raw=True)
    if batch.problems or batch.incomplete_tail:
        raise LogError(f"{path} has damaged lines: move it away, or run "
                       f"`retro --log {path} compact` first")  # fmt: skip
    return list(zip(batch.events, batch.raw or [], strict=True))


def read_inputs(paths: Sequence[Path], *, skip_bad: bool, raw: bool = True) -> Inputs:
    """Every input's events, with their lines when ``raw`` (to be written as they are).

    A damaged line stops everything, naming file and line, unless ``skip_bad``.
    """
    found = Inputs()
    total = sum(p.stat().st_size for p in paths if p.is_file())
    shown = total >= PROGRESS_BYTES and sys.stderr.isatty()  # a bar only where one is seen
    with click.progressbar(length=total, label="merging", file=sys.stderr,
                           hidden=not shown) as bar:  # fmt: skip
        for path in paths:
            journal = Journal(path)
            batch = journal.read(raw=raw)
            bad = list(batch.problems)
            if batch.incomplete_tail:
                size = path.stat().st_size
                bad.append(Problem(journal.lines_read + 1, "the last line is incomplete",
                                   journal.offset, size - journal.offset))  # fmt: skip
            if bad and not skip_bad:
                raise LogError(f"{path}: {bad[0]} (nothing was written; --skip-bad merges "
                               "the good lines and sets the bad ones aside)")  # fmt: skip
            if bad:
                found.damaged.append((path, bad))
            found.logs.append((str(path), batch.events))
            found.raw.append(batch.raw)
            found.versions.append(journal.version)
            bar.update(path.stat().st_size)
    return found
