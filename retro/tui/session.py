"""What the app's screens share: the log, the open retro, and the writes they make.

A plain object (no Textual): screens receive it and call it, never the repository. A
write returns what it recorded or raises :class:`RetroError`; once the log has changed,
the session tells its listeners, once (the app turns that into a Textual signal).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from retro import sessions
from retro.config import Settings
from retro.errors import RetroError
from retro.formats import (
    DEFAULT_FORMAT,
    FALLBACK,
    Format,
    StepSpec,
    format_name,
    format_of,
    load_formats,
    pick_format,
)
from retro.fsio import safe_file_name, write_atomically
from retro.insights import Metrics, metrics
from retro.live import counted
from retro.model import Record
from retro.scope import FollowUp
from retro.store import Repository

Answer = tuple[str, str, Mapping[str, Any]]  # a check-in's answer: kind, text, fields

T = TypeVar("T")
MAX_DECISIONS = 500  # the newest decisions a picker offers (with those in play)
RetroFigures = tuple[Metrics, int]  # a retro's figures and its number of entries


class Session:
    """One person's use of one log: the team's retros, the one open, and its entries."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.team = settings.team
        self.repo = Repository(
            settings.log, author=settings.author, team=settings.team, clock=settings.clock
        )
        self.loaded = False  # set by whoever loads the log, once it is shown
        self.retro_id: str | None = None  # the open retro, once recorded
        self.last_deleted: str | None = None  # what restore_last brings back
        self._draft: Record | None = None  # a retro not yet recorded: see start_retro
        self._cache: dict[str, tuple[int, Any]] = {}  # what is slow to gather, by log version
        self._listeners: list[Callable[[], object]] = []
        self._formats: tuple[dict[str, Format], list[str]] | None = None  # read once, on demand

    # --- the log ------------------------------------------------------------------------

    def listen(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` whenever the log changes: a write here, or another process's."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in list(self._listeners):
            callback()

    @contextlib.contextmanager
    def announcing(self) -> Iterator[None]:
        """Tell the listeners once if the log changed meanwhile (even if a write failed)."""
        before = self.repo.version
        try:
            yield
        finally:
            if self.repo.version != before:
                self._changed()

    def load(self, *, retros: int | None = None, due: int | None = None) -> None:
        """Catch up with the log (slow only the first time a large log is read), and gather
        home's lists: the newest ``retros`` retros and the first ``due`` follow-ups due."""
        self.repo.load(missing_ok=True)
        self.open_follow_ups(due)
        self.team_retros(retros)

    def refresh(self) -> bool:
        """Pick up what other processes appended; True (and the listeners told) if any."""
        with self.announcing():
            return bool(self.repo.refresh())

    @property
    def log_name(self) -> str:
        return self.repo.path.name

    def problems(self) -> list[str]:
        """The damaged lines met while reading the log, in words."""
        return [str(problem) for problem in self.repo.problems]

    def record(self, rid: str) -> Record | None:
        """The current record ``rid`` (None: unknown or deleted)."""
        return self.repo.record(rid)

    def records(self) -> Mapping[str, Record]:
        """Every current record by id (a live view: do not change it)."""
        return self.repo.records()

    def links(self, rid: str) -> set[str]:
        """The records linked to ``rid``, in either direction."""
        return set(self.repo.links().get(rid, set()))

    def decisions(self, limit: int = MAX_DECISIONS) -> list[Record]:
        """The decisions a picker offers, newest first: those in play in the open retro,
        and the newest ``limit`` of the log (a merged log may hold thousands)."""
        newest = self.repo.find(kinds=["decision"], last=limit)
        retro = self.retro
        shown = {rec["id"] for rec in newest}
        in_play = [rec for rid in (retro.get("decisions") or [] if retro else [])
                   if rid not in shown and (rec := self.repo.record(rid)) is not None]  # fmt: skip
        return sorted([*newest, *in_play], key=lambda r: r["created_at"], reverse=True)

    def kept(self, name: str, gather: Callable[[], T]) -> T:
        """What ``gather`` returns, gathered again only once the log has changed."""
        version = self.repo.version
        kept = self._cache.get(name)
        if kept is None or kept[0] != version:
            kept = self._cache[name] = (version, gather())
        value: T = kept[1]
        return value

    def open_follow_ups(self, limit: int | None = None) -> tuple[list[Record], int]:
        """The team's open actions and outcomes awaiting evidence, in the order they fall
        due (the first ``limit``), and how many there are."""
        gather = lambda: sessions.open_follow_ups(self.repo, self.team, limit)  # noqa: E731
        return self.kept(f"due {limit}", gather)

    def team_retros(self, limit: int | None = None) -> tuple[list[Record], int]:
        """The team's retros, newest first (the first ``limit``), and how many it has."""
        def gather() -> tuple[list[Record], int]:
            every = sessions.retros(self.repo, self.team)
            return every[:limit], len(every)

        return self.kept(f"retros {limit}", gather)

    def retro_figures(self, retro: Record) -> RetroFigures:
        """A retro's figures and number of entries, a group of cards counted once (computed
        once per state of the log)."""
        def gather() -> RetroFigures:
            scope = sessions.entries(self.repo, retro)
            figures = sessions.figures(self.repo, retro, scope, index=self.repo.links())
            return figures, len(counted(scope))

        return self.kept(f"figures {retro['id']}", gather)

    def known_figures(self, retro: Record) -> RetroFigures | None:
        """:meth:`retro_figures` if they are computed already for this state of the log."""
        kept = self._cache.get(f"figures {retro['id']}")
        return kept[1] if kept is not None and kept[0] == self.repo.version else None

    # --- people's dates -----------------------------------------------------------------

    def today(self) -> date:
        return self.settings.clock().date()

    def now(self) -> datetime:
        """The time now (``RETRO_NOW`` when set): what timers count down against."""
        return self.settings.clock()

    # --- formats ------------------------------------------------------------------------

    def formats(self) -> dict[str, Format]:
        """The formats a retro may take, by name: built in and the user's own."""
        if self._formats is None:
            self._formats = load_formats()
        return self._formats[0]

    def format_problems(self) -> list[str]:
        """What was wrong with the format files that were skipped."""
        self.formats()
        assert self._formats is not None
        return self._formats[1]

    def retro_format(self) -> Format:
        """The open retro's format (the default when it names one not known here)."""
        retro = self.retro
        known = format_of(retro, self.formats()) if retro is not None else None
        return known or self.formats().get(DEFAULT_FORMAT, FALLBACK)

    def unknown_format(self) -> str | None:
        """Why the open retro's steps are not those of its format, if they are not."""
        retro = self.retro
        if retro is None or format_of(retro, self.formats()) is not None:
            return None
        return (f"This retro's format {format_name(retro)!r} is not known here (see `retro "
                f"formats`): it shows the steps of {self.retro_format().name}.")  # fmt: skip

    def steps(self) -> tuple[str, ...]:
        """The steps of the open retro, in order."""
        return self.retro_format().step_names

    def step_spec(self, step: str) -> StepSpec | None:
        """How ``step`` runs in the open retro (its prompt, and as a group exercise)."""
        return self.retro_format().spec(step)


    # --- the open retro -----------------------------------------------------------------

    @property
    def retro(self) -> Record | None:
        """The open retro, as currently recorded (or as drafted, until its first write)."""
        if self.retro_id is None:
            return self._draft
        return self.repo.record(self.retro_id)

    def saved_retro(self) -> Record:
        """The open retro, written to the log first if it is still a draft."""
        if self.retro_id is None:
            if self._draft is None:
                raise RetroError("no retro is open")
            self.retro_id = sessions.record_draft(self.repo, self._draft)["id"]
            self._draft = None
        retro = self.retro
        assert retro is not None
        return retro

    def start_retro(self, sprint: str = "current", fmt: str | None = None) -> Record:
        """Open the team's retro for ``sprint`` (current, last or a number) in format ``fmt``,
        or draft one; without ``fmt``, the sprint's newest retro, or a draft in the default.

        A drafted retro reaches the log with the first thing recorded in it: looking at a
        sprint does not leave an empty retro behind. Raises :class:`RetroError` (an
        unknown format: :class:`~retro.formats.UnknownFormat`).
        """
        chosen = pick_format(fmt, self.formats())
        try:
            period = sessions.sprint_period(sprint, self.settings.cadence, self.today())
        except (ValueError, OverflowError) as err:
            raise RetroError(str(err)) from err
        existing = sessions.find_retro(self.repo, self.team, period, fmt)
        if existing is not None:
            self.open_retro(existing["id"])
            return existing
        self._draft = sessions.draft_retro(self.repo, self.team, period, self.repo.author,
                                           chosen)  # fmt: skip
        self.retro_id = None
        return self._draft

    def open_retro(self, retro_id: str) -> Record | None:
        """Open the retro ``retro_id``; None if there is no such retro."""
        self.retro_id = retro_id
        self._draft = None
        return self.retro

    def remember_step(self, step: str) -> None:
        """Note in the open retro (once recorded) the step it is at: where it resumes.

        Only bookkeeping: nothing a screen shows changes, so the listeners are not told.
        """
        retro = self.retro
        if self._draft is not None:  # recorded with the step it is at, once it is written
            self._draft["step"] = step
        elif self.retro_id is not None and retro is not None and retro.get("step") != step:
            self.repo.edit(self.retro_id, fields={"step": step})

    def step_after(self, step: str, direction: int) -> str:
        """The open retro's next (or previous) step, skipping follow-ups when there are none."""
        steps = self.steps()
        index = steps.index(step) + direction if step in steps else 0
        if 0 <= index < len(steps) and steps[index] == "follow-ups" and not self.any_follow_up():
            index += direction
        return steps[max(0, min(len(steps) - 1, index))]

    def any_follow_up(self) -> bool:
        """Whether the open retro brings back any action (reads up to the first)."""
        retro = self.retro
        found = sessions.each_follow_up(self.repo, retro) if retro is not None else iter(())
        return next(found, None) is not None

    def follow_ups(self) -> list[FollowUp]:
        """The actions the open retro brings back."""
        retro = self.retro
        return sessions.follow_ups(self.repo, retro) if retro else []

    def decisions_in_play(self) -> list[sessions.DecisionInPlay]:
        """The open retro's decisions in play, each with the outcomes, lessons and actions
        linked to it."""
        retro = self.retro
        return sessions.decisions_in_play(self.repo, retro) if retro else []

    def retro_entries(self, kinds: Iterable[str] = ()) -> list[Record]:
        """The open retro's entries (see :mod:`retro.scope`)."""
        retro = self.retro
        return sessions.entries(self.repo, retro, list(kinds)) if retro else []

    def retro_metrics(self) -> Metrics:
        """The open retro's figures, the same as the summary, home and the report show."""
        retro = self.retro
        if retro is None:
            return metrics([])
        return sessions.figures(self.repo, retro, self.retro_entries(), index=self.repo.links())

    # --- writes -------------------------------------------------------------------------

    def save_frame(self, changes: Mapping[str, Any]) -> bool:
        """Write the frame's ``changes`` to the open retro; False when none changes it."""
        retro = self.retro
        if retro is None or all(retro.get(key) == value for key, value in changes.items()):
            return False
        with self.announcing():
            self.repo.edit(self.saved_retro()["id"], fields=changes)
        return True

    def add_decision(self, text: str, *, criteria: str = "", review: str = "") -> Record:
        """Record a decision; ``review`` is when it is revisited, in people's words."""
        fields: dict[str, Any] = {}
        if criteria:
            fields["criteria"] = criteria
        if review:
            fields["review_by"] = self.settings.day(review, forward=True).isoformat()
        with self.announcing():
            return self.repo.add("decision", text, fields=fields)

    def save_follow_up(self, action_id: str, fields: Mapping[str, Any]) -> Record:
        """Record what became of an earlier action (status, moved, evidence) in this retro."""
        with self.announcing():
            retro = self.saved_retro()
            closed = fields.get("status") in ("done", "dropped")
            return self.repo.edit(action_id, fields={**fields,
                                                     "closed_in": retro["id"] if closed else None})

    def add_entry(
        self, kind: str, text: str, fields: Mapping[str, Any], links: Sequence[str]
    ) -> Record:
        """Record an entry in the open retro (empty fields left out)."""
        present = {k: v for k, v in fields.items() if v is not None}
        with self.announcing():
            retro = self.saved_retro()
            return self.repo.add(kind, text, fields=present, links=links, retro=retro["id"])

    def record_on_decision(self, decision_id: str, kind: str, text: str) -> Record:
        """Record in the open retro a ``lesson`` applying to a decision, or an ``action``
        linked to it (to reconsider it, or test its criterion)."""
        if kind == "lesson":
            now = self.settings.clock().isoformat()
            return self.add_entry(kind, text, {"applies_to": [decision_id], "learned_at": now}, [])
        if kind == "action":
            return self.add_entry(kind, text, {}, [decision_id])
        raise RetroError(f"a decision takes lessons and actions, not {kind!r}")

    def edit_entry(
        self, rid: str, text: str, fields: Mapping[str, Any], links: Sequence[str],
        *, offered: Iterable[str] = (),
    ) -> bool:  # fmt: skip
        """Change an entry: its links become ``links`` among those ``offered`` (the others
        stay). True when anything changed."""
        old = self.repo.get(rid)
        shown = set(offered)
        kept = [link for link in old.get("links") or [] if link not in shown]
        with self.announcing():
            new = self.repo.edit(rid, text=text, fields=fields, unlink=old.get("links") or [],
                                 link=[*kept, *links])  # fmt: skip
        return new != old

    def remove_entry(self, rid: str) -> Record:
        """Delete an entry (:meth:`restore_last` brings it back); returns what it was."""
        with self.announcing():
            gone = self.repo.remove(rid)
        self.last_deleted = gone["id"]
        return gone

    def restore_last(self) -> Record:
        """Bring back the entry deleted last here; returns it as restored."""
        if self.last_deleted is None:
            raise RetroError("nothing to restore: no entry was deleted here")
        with self.announcing():
            back = self.repo.restore(self.last_deleted)
        self.last_deleted = None
        return back

    def toggle_closed(self) -> str:
        """Close the open retro, or reopen it; returns its new status."""
        retro = self.retro
        if retro is None:
            raise RetroError("no retro is open")
        status = "open" if retro.get("status") == "closed" else "closed"
        with self.announcing():
            self.repo.edit(self.saved_retro()["id"], fields={"status": status})
        return status

    def check_in(self, answers: Sequence[Answer], *, links: Sequence[str], at: datetime) -> None:
        """Record each answer as an entry dated ``at``, linked to ``links``."""
        with self.announcing():
            for kind, text, fields in answers:
                self.repo.add(kind, text, fields=fields, links=links, at=at)

    # --- the summary as a file ----------------------------------------------------------

    def export_path(self, retro: Record) -> Path:
        """Where a retro's Markdown summary is written: beside the log."""
        period = retro.get("period_start") or retro["id"][:8]
        return self.settings.log.parent / safe_file_name(retro["team"], f"-retro-{period}.md")

    def export_summary(self) -> tuple[str, Path]:
        """Write the open retro's summary as Markdown beside the log: its text and path."""
        from retro.present.summary import retro_summary

        retro = self.retro
        if retro is None:
            raise RetroError("Open a retro first.")
        text = retro_summary(retro, self.retro_entries(), self.retro_metrics(),
                             context=self.repo.records())  # fmt: skip
        path = self.export_path(retro)
        write_atomically(path, [text.encode()])
        return text, path
