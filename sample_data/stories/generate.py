"""Write the sample team logs from the stories beside this file.

Usage: ``python sample_data/stories/generate.py [FOLDER]`` (default: ``sample_data``).

``organisation.toml`` holds the calendar, the teams and the leadership's decisions;
``<team>.toml`` a team's people and its sprints. Each ``[[sprint]]`` lists what was
recorded ``between`` retros (check-ins, edits, deletions, each ``at`` its moment),
then each ``entry`` its retro recorded, in order; the retro record itself is made
from the sprint's ``focus``, ``facilitator``, ``goal``, ``away`` and ``status``.

An entry is a record as the log stores it, with three differences: it has a ``key``
of its own, other records are named by their keys (in ``links``, ``applies_to`` and
``decisions``), and its times count from the first day of its sprint: ``"day 2 16:20"``
for a moment, ``"day 20"`` for a date. ``by`` defaults to someone at the retro; an
action's ``then`` is the status the next retro gives it. ``edit = KEY`` changes an
earlier record (``link`` adds links) and ``remove = KEY`` deletes it.

Ids are drawn from each log's seed in the order its records are made (a record added
to a story renumbers those made after it); clocks and writer origins are fixed, so
every run writes the same bytes. A leadership decision is recorded once and its
event copied, unchanged, into every log that works towards it. Only the logs ship
with retro: the stories and this script stay in the repository.
"""

from __future__ import annotations

import argparse
import random
import re
import tomllib
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from retro.errors import RetroError
from retro.model import DATE, DATETIME, IDS, field_type, new_record, validate
from retro.store.events import DEL, PUT, Event, life_of, make_event
from retro.store.journal import Journal

STORIES = Path(__file__).resolve().parent
FOLDER = STORIES.parent
Story = dict[str, Any]  # a table of a story file: a team, a sprint or one step
Planned = tuple[datetime, int, Story, "str | None"]  # when, order, step, key of its retro
# The keys of a step that are not fields of its record.
STEP_KEYS = frozenset({
    "kind", "key", "text", "links", "link", "at", "by", "then", "edit", "remove",
})  # fmt: skip
_DAY = re.compile(r"day (-?\d+)( (\d\d):(\d\d))?")


def read(name: str) -> Story:
    """The story file ``name``.toml."""
    with (STORIES / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def zone(offset: str) -> timezone:
    """The time zone of a UTC offset such as ``+05:30``."""
    tz = time.fromisoformat(f"00:00{offset}").tzinfo
    assert isinstance(tz, timezone), offset
    return tz


def relative(start: date, value: str, tz: timezone | None) -> str:
    """``day N HH:MM`` as a moment in ``tz`` (``day N`` as a date when ``tz`` is None)."""
    match = _DAY.fullmatch(value)
    if match is None or (match[2] is None) != (tz is None):
        wanted = "day N HH:MM" if tz else "day N"
        raise ValueError(f"{value!r} is not a {'moment' if tz else 'date'} ({wanted!r})")
    day = start + timedelta(days=int(match[1]))
    if tz is None:
        return day.isoformat()
    return datetime.combine(day, time(int(match[3]), int(match[4])), tzinfo=tz).isoformat()


def moment(start: date, value: str, tz: timezone) -> datetime:
    """The moment ``day N HH:MM`` names in the sprint that starts on ``start``."""
    return datetime.fromisoformat(relative(start, value, tz))


class Log:
    """The events of one log being written, and its records' ids and heads by key."""

    def __init__(self, team: str, tz: timezone, origin: str, seed: int) -> None:
        self.team, self.tz, self.origin = team, tz, origin
        self._ids = random.Random(seed)
        self.ids: dict[str, str] = {}
        self.heads: dict[str, Event] = {}
        self.events: list[Event] = []

    def adopt(self, key: str, event: Event) -> None:
        """Copy ``event`` (a record of another log) into this one under ``key``."""
        self.ids[key] = event["id"]
        self._append(event)

    def write(self, step: Story, when: datetime, start: date, retro: str | None = None) -> None:
        """Write ``step`` at ``when``; ``start`` is the first day of its sprint."""
        if "edit" in step:
            self._edit(step, when, start)
        elif "remove" in step:
            self._event(DEL, self.ids[step["remove"]], None, step["by"], when)
        else:
            self._add(step, when, start, retro)

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def _keys(self, keys: Iterable[str]) -> list[str]:
        return [self.ids[key] for key in keys]

    def _value(self, kind: str, name: str, value: Any, start: date) -> Any:
        ftype = field_type(kind, name)
        if ftype in (DATETIME, DATE) and str(value).startswith("day "):
            return relative(start, value, self.tz if ftype == DATETIME else None)
        return self._keys(value) if ftype == IDS else value

    def _fields(self, kind: str, step: Story, start: date) -> dict[str, Any]:
        return {
            name: self._value(kind, name, value, start)
            for name, value in step.items()
            if name not in STEP_KEYS
        }

    def _add(self, step: Story, when: datetime, start: date, retro: str | None) -> None:
        kind, key = step["kind"], step["key"]
        if key in self.ids:
            raise ValueError(f"{self.team}: the key {key!r} is used twice")
        rec = new_record(
            kind, step["text"], team=self.team, author=step["by"], at=when,
            fields=self._fields(kind, step, start), links=self._keys(step.get("links", ())),
            retro=retro,
        )  # fmt: skip
        rec["id"] = self._new_id()  # new_record's own id is random: this one comes from the seed
        self.ids[key] = rec["id"]
        self._event(PUT, rec["id"], rec, step["by"], when)

    def _edit(self, step: Story, when: datetime, start: date) -> None:
        old = self.heads[self.ids[step["edit"]]]["rec"]
        rec = {**old, **self._fields(old["kind"], step, start)}
        rec["text"] = step.get("text", old["text"])
        rec["links"] = list(dict.fromkeys([*old["links"], *self._keys(step.get("link", ()))]))
        if rec != old:
            rec["updated_at"] = when.isoformat()
            self._event(PUT, rec["id"], validate(rec), step["by"], when)

    def _event(self, op: str, rid: str, rec: Story | None, by: str, when: datetime) -> None:
        head = self.heads.get(rid)
        prev, life = (None, 0) if head is None else (head["rev"], life_of(head))
        self._append(make_event(
            op, rid, rec=rec, prev=prev, at=when, by=by, origin=self.origin, life=life
        ))  # fmt: skip

    def _append(self, event: Event) -> None:
        self.heads[event["id"]] = event
        self.events.append(event)


def log_of(story: Story) -> Log:
    """An empty log for the team (or leadership) a story describes."""
    return Log(story["team"], zone(story["utc_offset"]), story["origin"], story["seed"])


def leadership_decisions(organisation: Story) -> dict[str, Event]:
    """Record the leadership's decisions in a log of its own; return their events by key."""
    log = log_of(organisation["leadership"])
    start = organisation["first_sprint"]
    for decision in organisation["decision"]:
        log.write(decision, moment(start, decision["at"], log.tz), start)
    return {key: log.heads[rid] for key, rid in log.ids.items()}


def retro_step(team: Story, sprint: Story, number: int, period: tuple[date, date]) -> Story:
    """The retro record of sprint ``number``, held over ``period`` (first and last day)."""
    return {
        "kind": "retro",
        "key": f"retro-{number}",
        "by": sprint["facilitator"],
        "text": f"Sprint {number} retro: {sprint['goal']}",
        "period_start": period[0].isoformat(),
        "period_end": period[1].isoformat(),
        "facilitator": sprint["facilitator"],
        "participants": participants(team, sprint),
        "focus": sprint["focus"],
        "status": sprint.get("status", "closed"),
        "decisions": [*team["decisions"], *sprint.get("decisions", ())],
        "sprint_goal": sprint["goal"],
    }


def participants(team: Story, sprint: Story) -> list[str]:
    """The people at a sprint's retro."""
    return [name for name in team["people"] if name not in sprint.get("away", ())]


def plan(
    team: Story, sprint: Story, number: int, period: tuple[date, date],
    previous: Sequence[Story], pace: random.Random,
) -> list[Planned]:  # fmt: skip
    """The steps of sprint ``number``, each with its moment.

    Check-ins, edits and deletions happen when they say. The retro opens at the
    team's usual time, first gives last sprint's actions their status, then
    records its entries a few minutes apart.
    """
    tz, start, people = zone(team["utc_offset"]), period[0], participants(team, sprint)
    steps: list[Planned] = []
    for step in sprint.get("between", ()):
        if "at" not in step:
            raise ValueError(f"{team['team']}: a step between retros has no time: {step}")
        when = moment(start, step["at"], tz)
        if "kind" in step:
            when += timedelta(seconds=pace.randint(0, 240))
            step = {**step, "by": step.get("by") or pace.choice(people)}
        steps.append((when, len(steps), step, None))

    retro = retro_step(team, sprint, number, period)
    session = moment(start, team["retro_at"], tz)
    steps.append((session, len(steps), retro, None))
    when = session + timedelta(minutes=1)
    for done in previous:
        if "then" in done:
            when += timedelta(seconds=pace.randint(20, 50))
            status = {"edit": done["key"], "by": sprint["facilitator"], "status": done["then"]}
            steps.append((when, len(steps), status, None))
    when += timedelta(minutes=2)
    for entry in sprint.get("entry", ()):
        if "at" in entry:
            raise ValueError(f"{team['team']}: {entry['key']!r} is a retro entry with its own time")
        when += timedelta(seconds=pace.randint(70, 260))
        entry = {**entry, "by": entry.get("by") or pace.choice(people)}
        steps.append((when, len(steps), entry, retro["key"]))
    return sorted(steps, key=lambda planned: planned[:2])


def write_team(story: Story, organisation: Story, shared: Mapping[str, Event], path: Path) -> None:
    """Write a team's log: copies of the shared decisions it works towards, then its sprints."""
    log = log_of(story)
    for key in story["decisions"]:
        log.adopt(key, shared[key])
    pace = random.Random(f"{story['team']} pace")
    first, days = organisation["first_sprint"], timedelta(days=organisation["sprint_days"])
    previous: Sequence[Story] = ()
    for number, sprint in enumerate(story["sprint"], 1):
        start = first + days * (number - 1)
        period = (start, start + days - timedelta(days=1))
        for when, _, step, retro_key in plan(story, sprint, number, period, previous, pace):
            log.write(step, when, start, log.ids[retro_key] if retro_key else None)
        previous = [entry for entry in sprint.get("entry", ()) if entry["kind"] == "action"]
    Journal(path).append(log.events)


def generate(folder: Path = FOLDER) -> list[Path]:
    """Delete and rewrite the team logs in ``folder``; return their paths."""
    organisation = read("organisation")
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{team}.jsonl" for team in organisation["teams"]]
    for path in paths:
        path.unlink(missing_ok=True)
    shared = leadership_decisions(organisation)
    for team, path in zip(organisation["teams"], paths, strict=True):
        write_team(read(team), organisation, shared, path)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    """The command line: ``generate.py [FOLDER]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folder", nargs="?", type=Path, default=FOLDER,
        help="where to write the logs (default: sample_data, the folder above this script)",
    )  # fmt: skip
    folder = parser.parse_args(argv).folder
    try:
        paths = generate(folder)
    except (KeyError, ValueError, tomllib.TOMLDecodeError, RetroError) as err:
        parser.exit(1, f"cannot write the sample logs: {type(err).__name__}: {err}\n")
    for path in paths:
        events = Journal(path).read().events
        records = len({event["id"] for event in events})
        print(f"{path}: {len(events)} events, {records} records")


if __name__ == "__main__":
    main()
