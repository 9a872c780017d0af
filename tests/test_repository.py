"""The repository API."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from retro.errors import RecordNotFound, RetroError, ValidationError
from retro.store import Repository
from retro.store.events import DEL, PUT
from retro.store.journal import Journal
from tests.conftest import START


def log_events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()[1:]]


def test_add_appends_one_event_without_reading(repo: Repository, log_path: Path) -> None:
    rec = repo.add("outcome", "Refunds settle in one day", fields={"for_whom": "buyers"})
    assert not repo.loaded  # the check-in path never replays the log
    [event] = log_events(log_path)
    assert event["op"] == PUT and event["rec"] == rec and event["prev"] is None
    assert rec["team"] == "payments" and rec["author"] == "Ana"


def test_add_validates_before_writing(repo: Repository, log_path: Path) -> None:
    with pytest.raises(ValidationError):
        repo.add("outcome", "x", fields={"confidence_after": 9})
    with pytest.raises(ValidationError, match="empty"):
        repo.add("outcome", "   ")
    assert not log_path.exists()


def test_find_filters(make_repo: Callable[..., Repository]) -> None:
    ana, bo = make_repo(), make_repo(author="Bo", team="mobile")
    ana.add("output", "Shipped one-click pay", at=START - timedelta(days=10))
    ana.add("outcome", "Checkout conversion up 3%", at=START - timedelta(days=2))
    bo.add("lesson", "Feature flags need owners", at=START - timedelta(days=1))
    repo = make_repo().load()
    assert [r["kind"] for r in repo.all()] == ["output", "outcome", "lesson"]
    assert [r["text"] for r in repo.find(kinds=["outcome"])] == ["Checkout conversion up 3%"]
    assert [r["team"] for r in repo.find(teams=["mobile"])] == ["mobile"]
    assert len(repo.find(since=START - timedelta(days=3))) == 2
    assert len(repo.find(until=START - timedelta(days=3))) == 1
    assert [r["kind"] for r in repo.find(search="ONE-CLICK")] == ["output"]
    owned = repo.find(where=lambda r: "owners" in r["text"])  # any test, with or without
    assert [r["kind"] for r in owned] == ["lesson"]  # an index to narrow it first
    assert repo.find(kinds=["lesson", "output"], where=lambda r: r["team"] == "payments") == \
        repo.find(kinds=["output"])  # fmt: skip
    assert repo.find(search="[bold]") == []  # searched literally, not as a pattern


def test_resolve_by_prefix_or_decision_title(repo: Repository) -> None:
    dec = repo.add("decision", "Grow self-serve revenue to 40%")
    out = repo.add("output", "Shipped one-click pay")
    repo.load()
    assert repo.resolve(dec["id"]) == dec["id"]
    assert repo.resolve(out["id"][:6]) == out["id"]
    assert repo.resolve("self-serve") == dec["id"]
    assert repo.resolve("SELF-SERVE", kinds=["decision"]) == dec["id"]
    with pytest.raises(RecordNotFound, match="no entry matches"):
        repo.resolve("one-click")  # only decisions are found by title
    with pytest.raises(RecordNotFound):
        repo.resolve(out["id"][:6], kinds=["decision"])


def test_resolve_reports_ambiguity(repo: Repository) -> None:
    repo.add("decision", "Grow revenue in EMEA")
    repo.add("decision", "Grow revenue in APAC")
    with pytest.raises(RecordNotFound, match="matches 2 entries"):
        repo.resolve("grow revenue")


def test_edit_appends_one_revision(repo: Repository, log_path: Path) -> None:
    rec = repo.add("risk", "PCI audit finds gaps", fields={"before": {"likelihood": 4,
                                                                     "impact": 3}})  # fmt: skip
    repo.load()
    new = repo.edit(rec["id"][:8], fields={"after": {"likelihood": 2, "impact": 3}})
    assert new["after"] == {"likelihood": 2, "impact": 3} and new["text"] == rec["text"]
    assert new["updated_at"] > rec["updated_at"]
    first, second = log_events(log_path)
    assert second["prev"] == first["rev"] and second["rec"] == new
    assert repo.edit(rec["id"], fields={"after": {"likelihood": 2, "impact": 3}}) == new
    assert len(log_events(log_path)) == 2  # no change, nothing written


def test_links_can_be_added_and_removed(repo: Repository) -> None:
    dec = repo.add("decision", "Grow self-serve")
    out = repo.add("output", "Shipped one-click pay")
    repo.edit(out["id"], link=[dec["id"], dec["id"]])
    assert repo.get(out["id"])["links"] == [dec["id"]]
    repo.edit(out["id"], unlink=[dec["id"]])
    assert repo.get(out["id"])["links"] == []


def test_remove_writes_a_tombstone(repo: Repository, log_path: Path) -> None:
    rec = repo.add("output", "Shipped one-click pay")
    repo.remove(rec["id"][:8])
    assert log_events(log_path)[-1]["op"] == DEL
    assert repo.all() == []
    with pytest.raises(RecordNotFound, match="was deleted"):
        repo.get(rec["id"])
    assert [e["op"] for e in repo.history(rec["id"][:8])] == [PUT, DEL]


def test_edits_append_one_revision_each(repo: Repository, log_path: Path) -> None:
    one = repo.add("output", "one")
    two = repo.add("output", "two")
    repo.edit(one["id"], text="one, edited")
    events = log_events(log_path)
    assert len(events) == 3 and events[-1]["rec"]["text"] == "one, edited"
    assert events[-1]["prev"] == events[0]["rev"]
    repo.edit(one["id"], text="one, edited")  # no change: nothing written
    repo.remove(two["id"])
    assert log_events(log_path)[-1]["op"] == DEL and len(log_events(log_path)) == 4
    assert [r["id"] for r in repo.all()] == [one["id"]]


def test_an_invalid_edit_changes_nothing(repo: Repository, log_path: Path) -> None:
    rec = repo.add("output", "one")
    before = log_path.read_bytes()
    with pytest.raises(ValidationError):
        repo.edit(rec["id"], fields={"links": "not a list"})
    assert repo.get(rec["id"]) == rec and log_path.read_bytes() == before


def test_refresh_picks_up_other_writers(make_repo: Callable[..., Repository]) -> None:
    mine, theirs = make_repo().load(missing_ok=True), make_repo(author="Bo")
    assert mine.all() == []
    rec = theirs.add("outcome", "Payouts reconcile daily")
    assert mine.refresh() == {rec["id"]}
    assert [r["id"] for r in mine.all()] == [rec["id"]]
    assert mine.refresh() == set()
    theirs.load().remove(rec["id"])
    assert mine.refresh() == {rec["id"]} and mine.all() == []


def test_refresh_after_compaction_replays(make_repo: Callable[..., Repository]) -> None:
    mine, theirs = make_repo(), make_repo(author="Bo")
    first = mine.add("output", "one")
    mine.load()
    Journal(theirs.path).compact()
    second = theirs.add("output", "two")
    assert mine.refresh() == {second["id"]}
    assert {r["id"] for r in mine.all()} == {first["id"], second["id"]}


def test_damaged_lines_are_reported_not_fatal(repo: Repository, log_path: Path) -> None:
    repo.add("output", "one")
    with open(log_path, "ab") as out:
        out.write(b"not json\n")
    repo.add("output", "two")
    reader = Repository(log_path, author="Bo", team="payments").load()
    assert [r["text"] for r in reader.all()] == ["one", "two"]
    assert [str(p) for p in reader.problems] == ["line 3: the line is not valid JSON"]


def test_history_lists_every_revision(repo: Repository) -> None:
    rec = repo.add("output", "one")
    repo.edit(rec["id"], text="one, edited")
    history = repo.history(rec["id"])
    assert [e["rec"]["text"] for e in history] == ["one", "one, edited"]


def test_restore_brings_back_the_entry_as_it_was(repo: Repository, log_path: Path) -> None:
    rec = repo.add("output", "one")
    edited = repo.edit(rec["id"], text="one, edited")
    repo.remove(rec["id"])
    assert repo.restore(rec["id"][:6]) == edited and repo.all() == [edited]
    deleted, restored = log_events(log_path)[-2:]
    assert (restored["op"], restored["life"], restored["prev"]) == (PUT, 1, deleted["rev"])
    assert "life" not in deleted  # a record never restored is written as it always was
    assert [e["op"] for e in repo.history(rec["id"])] == [PUT, PUT, DEL, PUT]
    repo.edit(rec["id"], text="one, again")  # later revisions carry the restore's life
    repo.remove(rec["id"])
    assert [e.get("life") for e in log_events(log_path)[-2:]] == [1, 1]
    assert repo.restore(rec["id"])["text"] == "one, again"
    assert log_events(log_path)[-1]["life"] == 2
    reader = Repository(log_path, author="Bo", team="payments").load()
    assert reader.all() == repo.all() and not reader.problems


def test_restore_needs_a_deleted_entry(repo: Repository) -> None:
    live = repo.add("output", "one")
    with pytest.raises(RetroError, match="is not deleted"):
        repo.restore(live["id"][:8])
    with pytest.raises(RecordNotFound, match="no entry matches"):
        repo.restore("ffffffff")
    assert repo.history(live["id"])[-1]["op"] == PUT and len(repo.history(live["id"])) == 1


def test_writes_carry_the_life_of_a_restore(repo: Repository, log_path: Path) -> None:
    rec = repo.add("output", "one")
    repo.load().remove(rec["id"])
    repo.restore(rec["id"])
    repo.edit(rec["id"], text="one, edited")
    repo.remove(rec["id"])
    assert [(e["op"], e.get("life")) for e in log_events(log_path)[-2:]] == [(PUT, 1), (DEL, 1)]
    assert repo.restore(rec["id"])["text"] == "one, edited"


def test_another_writer_sees_a_restore(make_repo: Callable[..., Repository]) -> None:
    mine, theirs = make_repo(), make_repo(author="Bo")
    rec = mine.add("output", "one")
    mine.load().remove(rec["id"])
    theirs.load()
    assert theirs.all() == [] and theirs.record(rec["id"]) is None
    mine.restore(rec["id"])
    assert theirs.refresh() == {rec["id"]} and theirs.all() == [rec]
    theirs.remove(rec["id"])  # written with the restore's life: it deletes it again
    assert mine.refresh() == {rec["id"]} and mine.all() == []


def test_the_newest_and_how_many_agree_with_find(repo: Repository) -> None:
    """From the indexes, or in one pass when a search must read the records."""
    for n in range(7):
        repo.add("output" if n % 2 else "outcome", f"refunds {n}" if n % 3 else f"payouts {n}")
    repo.load()
    for filters in ({}, {"kinds": ["output"]}, {"search": "REFUNDS"},
                    {"where": lambda rec: rec["kind"] == "outcome"}):  # fmt: skip
        everything = repo.find(**filters)
        assert repo.newest(3, **filters) == (everything[-3:], len(everything)), filters
        assert repo.newest(None, **filters) == (everything, len(everything)), filters
