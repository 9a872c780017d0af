"""Merging logs onto a file: the inputs read, the target locked, what is held back kept aside.

The command line only names the files (``retro merge``, git's merge driver); this module
does the work and words the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retro.dates import now_local
from retro.errors import LogError, ValidationError
from retro.fsio import copy_lines, side_file, write_atomically
from retro.inputs import Inputs, read_held, read_inputs
from retro.merge import Merge
from retro.model import title
from retro.present.sanitize import clean
from retro.store.events import VERSION
from retro.store.journal import Journal, Problem
from retro.trust import FOREIGN, Trust

if TYPE_CHECKING:
    from retro.config import Settings
    from retro.store import Repository

MAX_HELD_SHOWN = 20  # held events listed one by one; the rest are counted
Progress = Callable[[int], None] | None


@dataclass
class Merged:
    """A merge done: its result and where its side files went."""

    result: Merge
    rejected: int  # damaged lines set aside
    side: Path | None  # where they went
    held_file: Path | None  # where the events held back are kept
    target: str  # the file merged to, or "(dry run)"


def trust_for(settings: Settings | None, accept_foreign: bool) -> Trust:
    """Whom this merge trusts: your team, the config's trusted teams, this machine's clock.

    The clock is the system's, even when ``RETRO_NOW`` freezes the one that stamps entries.
    """
    if settings is None:
        return Trust(now_local(), accept_foreign=accept_foreign)
    return Trust(now_local(), teams=frozenset({settings.team}),
                 trusted=settings.trusted_teams, accept_foreign=accept_foreign)  # fmt: skip


def keep_held(result: Merge, held_file: Path, *, fresh: bool) -> None:
    """Write what ``result`` held back to ``held_file`` (a log of its own), or remove it.

    Unless ``fresh``, what the file already held and this merge did not take in stays.
    """
    lines = result.held_lines([] if fresh else read_held(held_file))
    if lines:
        write_atomically(held_file, lines)
    else:
        held_file.unlink(missing_ok=True)


def set_aside(rejected: Sequence[tuple[Path, Sequence[Problem]]], side: Path | None) -> int:
    """Copy the damaged lines, verbatim, to ``side`` (once the merge is written)."""
    if side is not None:
        for path, bad in rejected:
            copy_lines(path, bad, side)
    return sum(len(bad) for _, bad in rejected)


def merge_logs(
    logs: Sequence[Path], *, output: Path | None = None, into: Path | None = None,
    dry_run: bool = False, skip_bad: bool = False, trust: Trust, progress: Progress = None,
) -> Merged:  # fmt: skip
    """Merge ``logs`` to ``output`` (replaced), or ``into`` a live log, or nowhere (dry run).

    Writers of the log written wait until the merge is done: nothing is lost.
    """
    target = into or output
    written = target is not None and not dry_run
    side = side_file(target, ".rejected") if target and written else None
    held_file = side_file(target, ".held") if target and written else None
    with ExitStack() as stack:
        if output is not None and written and output.exists():  # onto a live log
            stack.enter_context(Journal(output).locked(create=False))
        inputs = read_inputs(logs, skip_bad=skip_bad, progress=progress)
        if into is None or not written or held_file is None:
            base = _read_into(into, skip_bad=True) if into is not None else None
            result = inputs.merged(base, trust=trust)
            if output is not None and held_file is not None:
                result.look_aside()
                Journal(output).rewrite(result.headed())
                keep_held(result, held_file, fresh=True)
        else:
            result = _merge_into(inputs, into, held_file, trust)
        if output is not None and side is not None:
            side.unlink(missing_ok=True)  # a new output: its side file tells of this merge only
        rejected = set_aside(inputs.damaged, side)
    return Merged(result, rejected, side, held_file, str(target) if written else "(dry run)")


def _read_into(into: Path, *, skip_bad: bool) -> Inputs | None:
    """The log merged into, read (None: there is none yet)."""
    if not into.exists() or not into.stat().st_size:
        return None
    return read_inputs([into], skip_bad=skip_bad)


def _merge_into(inputs: Inputs, into: Path, held_file: Path, trust: Trust) -> Merge:
    """Merge ``inputs`` into the log ``into`` under its lock."""
    journal = Journal(into)
    read_held(held_file)  # a damaged side file stops the merge before anything is written
    with journal.locked(create=not into.is_symlink()):  # writers wait: nothing is lost
        existing = _read_into(into, skip_bad=True)
        if existing is not None and existing.damaged:
            raise LogError(f"{into} has damaged lines: run `retro --log {into} compact` first")
        version = existing.versions[0] if existing is not None else journal.version
        result = inputs.merged(existing, version, trust=trust)
        result.look_aside()
        journal.rewrite(result.headed())
        keep_held(result, held_file, fresh=False)
    return result


def merge_three(
    ancestor: Path, ours: Path, theirs: Path, path: Path | None, progress: Progress = None
) -> Merged:
    """git's three-way merge of a log: theirs onto ancestor and ours, written to ``ours``.

    What the merge holds back is kept in ``<path>.held`` beside the log.
    """

    def read(*paths: Path) -> Inputs:
        found = [p for p in paths if p.exists() and p.stat().st_size]
        return read_inputs(found, skip_bad=False, keep=False, progress=progress)  # git's copies

    mine = read(ancestor, ours)  # your side: what the log already holds
    result = read(theirs).merged(mine, max([VERSION, *mine.versions]),
                                 trust=trust_for(None, accept_foreign=False))  # fmt: skip
    write_atomically(ours, result.headed())
    held_file = None
    if result.held:
        held_file = side_file(path or ours, ".held")
        keep_held(result, held_file, fresh=False)
    return Merged(result, 0, None, held_file, str(ours))


def alias_decision(repo: Repository, ref: str, to_ref: str) -> tuple[str, str]:
    """Count decision ``ref`` as the decision ``to_ref`` names; return both ids.

    Refuses an alias that would make a cycle of decisions.
    """
    source = repo.resolve(ref, kinds=["decision"])
    target = repo.resolve(to_ref, kinds=["decision"])
    seen = {source}
    step = target
    while step:  # follow the target's own aliases
        if step in seen:
            raise ValidationError("that alias would make a cycle of decisions")
        seen.add(step)
        step = (repo.record(step) or {}).get("alias_of") or ""
    repo.edit(source, fields={"alias_of": target})
    return source, target


# --- the report, in words and as data ------------------------------------------------


def suspicious_lines(found: Sequence[tuple[int, str]]) -> list[str]:
    """The events of one log a merge would hold back (line, why), listed (none: no line)."""
    if not found:
        return []
    said = [f"{len(found)} event{'' if len(found) == 1 else 's'} a merge would hold back "
            '(see "Whom a merge trusts"):']  # fmt: skip
    said += [f"  line {line}: {clean(why)}" for line, why in found[:MAX_HELD_SHOWN]]
    return said + _more(len(found))


def _more(count: int) -> list[str]:
    return [f"  and {count - MAX_HELD_SHOWN} more"] if count > MAX_HELD_SHOWN else []


def held_summary(result: Merge, held_file: Path | None) -> str:
    """One line: how many events were held back, and where they are kept."""
    where = f", kept in {held_file}" if held_file else " (dry run: nothing written)"
    count = len(result.held)
    return f"held back: {count} event{'' if count == 1 else 's'}, not merged{where}"


def held_lines(result: Merge, held_file: Path | None, target: str) -> list[str]:
    """What a merge held back and why, and how to take it in."""
    if not result.held:
        return []
    said = [clean(held_summary(result, held_file))]
    for held in result.held[:MAX_HELD_SHOWN]:
        rec = held.event.get("rec") or (result.head(held.record_id) or {}).get("rec") or {}
        label = f" {clean(title(rec, 40))!r}" if rec else ""
        said.append(f"  {held.record_id[:8]}{label}: {clean(held.why)}")
    said += _more(len(result.held))
    if held_file and any(h.reason == FOREIGN for h in result.held):
        said.append(clean(f"to take the foreign ones in: retro merge {held_file} --into {target} "
                          "--accept-foreign"))  # fmt: skip
    return said


def report_lines(done: Merged) -> list[str]:
    """The merge report as a table and notes."""
    result, said = done.result, []
    said.append(f"{'input':<32} {'events':>7} {'new':>6} {'updated':>7} {'deleted':>7} "
                f"{'dupes':>6} {'held':>6}")  # fmt: skip
    for report in result.inputs:
        name = clean(Path(report.source).name)[:32]
        said.append(f"{name:<32} {report.events_read:>7} {report.new_records:>6} "
                    f"{report.updated_records:>7} {report.deletions:>7} "
                    f"{report.duplicates_skipped:>6} {report.held:>6}")  # fmt: skip
    said.append(f"merged: {result.count} events, {result.records} records -> "
                f"{clean(done.target)}")  # fmt: skip
    if done.rejected:
        said.append(f"rejected: {done.rejected} damaged lines, verbatim in {clean(str(done.side))}")
    said += held_lines(result, done.held_file, done.target)
    if result.concurrent:
        said.append(f"Concurrent edits ({len(result.concurrent)}), every revision kept:")
        for edit in result.concurrent:
            sides = ", ".join(f"{clean(by)} ({'deleted' if op == 'del' else 'edited'})"
                              for _, by, op in edit.revisions)  # fmt: skip
            said.append(f"  {edit.record_id[:8]} {clean(edit.title)!r}: {sides}; "
                        f"shown: revision {edit.winner}")  # fmt: skip
    if result.duplicates:
        said.append(f"Possible duplicate decisions ({len(result.duplicates)}):")
        for dup in result.duplicates:
            said.append(f"  {clean(dup.first_title)!r} ~ {clean(dup.second_title)!r} "
                        f"({dup.similarity:.2f}): {dup.command}")  # fmt: skip
    return said


def report_data(done: Merged) -> dict[str, Any]:
    """The merge report as data (for ``--format json``)."""
    result = done.result
    return {
        "output": done.target,
        "events": result.count,
        "records": result.records,
        "inputs": [asdict(report) for report in result.inputs],
        "concurrent_edits": [asdict(edit) for edit in result.concurrent],
        "possible_duplicate_decisions": [
            {**asdict(dup), "command": dup.command} for dup in result.duplicates
        ],
        "rejected": done.rejected,
        "rejected_file": str(done.side) if done.side and done.rejected else None,
        "held": [{"record_id": h.record_id, "rev": h.rev, "source": h.source,
                  "reason": h.reason, "why": h.why} for h in result.held],  # fmt: skip
        "held_file": str(done.held_file) if done.held_file and result.held else None,
    }
