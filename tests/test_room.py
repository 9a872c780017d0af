"""The live retro's room over real logs: the store's additions, and the room as the
facilitator and participants (separate sessions on one log, as separate processes) see it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from retro.errors import RetroError
from retro.live import room_id
from retro.store import Repository


def log_events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()[1:]]


def origin(event: dict) -> str:
    return str(event["rev"].split("-")[1])


# --- the store ----------------------------------------------------------------------------


def test_an_anonymous_entry_names_nobody_and_no_writer(repo: Repository, log_path: Path) -> None:
    named = repo.add("output", "Shipped search")
    first = repo.add("output", "Shipped payouts", anonymous=True)
    second = repo.add("output", "Fixed alerts", anonymous=True)
    assert named["author"] == "Ana" and first["author"] == second["author"] == ""
    events = log_events(log_path)
    assert [e["by"] for e in events] == ["Ana", "", ""]
    origins = [origin(e) for e in events]
    assert len(set(origins)) == 3  # nothing ties the anonymous ones to Ana's, or together
    repo.load()
    edited = repo.edit(first["id"], text="Shipped payouts v2", anonymous=True)
    assert edited["author"] == "" and log_events(log_path)[-1]["by"] == ""
    assert origin(log_events(log_path)[-1]) not in origins


def test_an_entry_takes_the_id_it_is_given_once(repo: Repository) -> None:
    rid = room_id("r1", "presence", "Bo")
    assert repo.add("presence", "Bo", fields={"role": "participant"}, rid=rid)["id"] == rid
    with pytest.raises(RetroError, match="exists already"):
        repo.add("presence", "Bo", rid=rid)
    repo.remove(rid)
    back = repo.add("presence", "Bo again", rid=rid)  # a deleted id comes back as the new one
    assert repo.get(rid)["text"] == back["text"] == "Bo again"


def test_upsert_creates_then_revises_one_record(
    make_repo: Callable[..., Repository], log_path: Path
) -> None:
    repo = make_repo()
    rid = room_id("r1", "vote:outputs", "Ana")
    dot = room_id("r1", "card", "x")
    made = repo.upsert(rid, "vote", "Ana", fields={"step": "outputs", "dots": []}, retro=None)
    revised = repo.upsert(rid, "vote", "Ana", fields={"step": "outputs", "dots": [dot]},
                          retro=None)  # fmt: skip
    assert made["id"] == revised["id"] == rid and revised["dots"] == [dot]
    repo.upsert(rid, "vote", "Ana", fields={"step": "outputs", "dots": [dot]}, retro=None)
    assert len(log_events(log_path)) == 2  # nothing changed: nothing appended
    assert [e["prev"] for e in log_events(log_path)] == [None, log_events(log_path)[0]["rev"]]
    other = make_repo()  # another process sees one record
    assert [r["id"] for r in other.find(kinds=["vote"])] == [rid]
    with pytest.raises(RetroError, match="not a presence"):
        repo.upsert(rid, "presence", "Ana", fields={}, retro=None)
    repo.remove(rid)
    anew = repo.upsert(rid, "vote", "Ana", fields={"step": "outputs"}, retro=None)
    assert "dots" not in anew and make_repo().get(rid) == anew  # a new record, not the old
