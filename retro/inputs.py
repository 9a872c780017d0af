"""Reading the logs a merge or a report takes in, every one checked before anything is written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from retro.errors import LogError
from retro.merge import Merge, merge
from retro.model import Record
from retro.store.events import PUT, Event, replay
from retro.store.journal import Batch, Journal, Problem
from retro.trust import Trust


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


    def current(self) -> list[Record]:
        """The current records of the inputs merged (in memory), oldest first."""
        events = self.logs[0][1] if len(self.logs) == 1 else self.merged().events
        found = [event["rec"] for event in replay(events).values() if event["op"] == PUT]
        found.sort(key=lambda rec: datetime.fromisoformat(rec["created_at"]))
        return found

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


def read_inputs(
    paths: Sequence[Path], *, skip_bad: bool, raw: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Inputs:  # fmt: skip
    """Every input's events, with their lines when ``raw`` (to be written as they are).

    A damaged line stops everything, naming file and line, unless ``skip_bad``.
    ``progress`` is told the size of each file once it is read.
    """
    found = Inputs()
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
        if progress is not None:
            progress(path.stat().st_size)
    return found
