"""The live retro's room over real logs: the store's additions, and the room as the
facilitator and participants (separate sessions on one log, as separate processes) see it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from retro import sessions
from retro.config import Settings, write_config
from retro.errors import RetroError
from retro.live import room_id
from retro.report import build_report
from retro.store import Repository
from retro.tui.room import Role, Room
from retro.tui.session import Session
from tests.conftest import START


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


# --- the room -----------------------------------------------------------------------------


class Hands:
    """A clock that moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def move(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def hands() -> Hands:
    return Hands()


@pytest.fixture
def config(tmp_path: Path, isolated: Path) -> Path:
    path = isolated / "config" / "config.toml"
    write_config(path, {"team": "payments", "log": str(tmp_path / "payments.jsonl"),
                        "sprint_start": "2026-08-31", "sprint_length": "14d"})  # fmt: skip
    return path


def enter(config: Path, hands: Hands, name: str, role: Role = "participant") -> Room:
    """Someone's own process in the room: their session on the shared log."""
    settings = Settings(config_file=config)
    settings.clock = hands  # type: ignore[misc]  # the test's clock, not the system's
    session = Session(settings)
    session.load()
    return Room(session, name=name, role=role)


@pytest.fixture
def ana(config: Path, hands: Hands) -> Room:
    """The facilitator, her retro of the outcome check recorded, at its outcomes step."""
    room = enter(config, hands, "Ana", "facilitator")
    room.session.start_retro("current", "outcome-check")
    room.join()
    room.arrive("outcomes")
    return room


def seen(*rooms: Room) -> None:
    """Each process picks up what the others appended (as a running app does each second)."""
    for room in rooms:
        room.session.refresh()


def test_a_participant_is_in_the_team_s_newest_open_retro(
    config: Path, hands: Hands, ana: Room
) -> None:
    bo = enter(config, hands, "Bo")
    retro = bo.retro()
    assert retro is not None and retro["id"] == ana.session.retro_id == bo.session.retro_id
    assert (bo.step(), bo.kind(), bo.dots()) == ("outcomes", "outcome", 2)  # the format's dots
    ana.session.toggle_closed()
    seen(bo)
    assert bo.retro() is None and bo.people() == [] and bo.cards() == []
    with pytest.raises(RetroError, match="no retro is open"):
        bo.join()


def test_a_participant_joins_the_retro_its_facilitator_is_in(
    config: Path, hands: Hands, ana: Room, log_path: Path
) -> None:
    """A newer retro left open beside it (another format's, say) does not draw the room
    away; once the facilitator has left, the newest open retro is the room's."""
    period = {key: ana.session.saved_retro()[key] for key in ("period_start", "period_end")}
    Repository(log_path, author="Cy", team="payments").add("retro", "Retro", fields=period)
    bo = enter(config, hands, "Bo")
    retro = bo.retro()
    assert retro is not None and retro["id"] == ana.session.retro_id
    ana.leave()
    seen(bo)
    newest = bo.retro()
    assert newest is not None and newest["id"] != ana.session.retro_id


def test_a_name_in_the_room_in_another_role_is_refused(
    config: Path, hands: Hands, ana: Room
) -> None:
    """Ana facilitates: a participant who joins as Ana (the same config, say) is refused;
    once she has left, the name is free."""
    ana.session.save_frame({"facilitator": "Fay"})  # who the frame says leads it
    other = enter(config, hands, "Ana")
    with pytest.raises(RetroError, match="already, as its facilitator"):
        other.join()
    with pytest.raises(RetroError, match="Fay facilitates this retro"):
        enter(config, hands, "Fay").join()  # even before she is in the room
    ana.leave()
    seen(other)
    other.join()
    assert [(p.name, p.role) for p in other.people()] == [("Ana", "participant")]


def test_a_participant_cannot_move_the_room_on(config: Path, hands: Hands, ana: Room) -> None:
    bo = enter(config, hands, "Bo")
    bo.join()
    moves = [bo.start_exercise, bo.stop_exercise, bo.next_phase, bo.extend,
             lambda: bo.fold("a", ["b"]), lambda: bo.unfold("a"), lambda: bo.arrive("actions")]
    for move in moves:
        with pytest.raises(RetroError, match="only the facilitator"):
            move()
    seen(ana)
    assert ana.phase() is None


def test_the_exercise_starts_on_arrival_only_with_someone_there(
    config: Path, hands: Hands, ana: Room
) -> None:
    assert ana.phase() is None  # alone in the room: a plain step
    bo = enter(config, hands, "Bo")
    bo.join()
    seen(ana)
    ana.arrive("actions")  # not a group step in this format
    assert (ana.step(), ana.phase()) == ("actions", None)
    ana.arrive("outcomes")
    phase = ana.phase()
    assert phase is not None and (phase.step, phase.phase) == ("outcomes", "write")
    ana.arrive("actions")  # moving on clears the phase
    assert ana.phase() is None and ana.retro()["phase_ends_at"] is None  # type: ignore[index]
    bo.leave()
    seen(ana)
    ana.arrive("outcomes")
    assert ana.phase() is None  # nobody but the facilitator is here


def ends(room: Room) -> datetime | None:
    phase = room.phase()
    assert phase is not None
    return phase.ends_at


def test_a_phase_s_timer_runs_from_the_format_s_timebox(hands: Hands, ana: Room) -> None:
    ana.start_exercise()
    phase = ana.phase()
    assert phase is not None and (phase.phase, phase.started_at) == ("write", START)
    assert ends(ana) == START + timedelta(minutes=3)  # outcome-check: write = 3
    ana.extend(2)
    assert ends(ana) == START + timedelta(minutes=5)
    hands.move(600)
    ana.extend()  # its time was up: a minute from now
    assert ends(ana) == hands.now + timedelta(minutes=1)
    assert ana.next_phase() == "reveal" and ends(ana) == hands.now + timedelta(minutes=1)
    assert ana.next_phase() == "group" and ends(ana) is None  # grouping has no time here
    ana.stop_exercise()
    assert ana.phase() is None
    with pytest.raises(RetroError, match="no group exercise"):
        ana.next_phase()
    ana.arrive("frame")
    with pytest.raises(RetroError, match="no cards to write together"):
        ana.start_exercise()


def test_people_are_writing_done_away_or_gone(config: Path, hands: Hands, ana: Room) -> None:
    bo, cy, di = (enter(config, hands, name) for name in ("Bo", "Cy", "Di"))
    for room in (bo, cy, di):
        room.join()
    seen(ana)
    ana.start_exercise()
    hands.move(10)
    bo.done_writing()
    di.leave()
    seen(ana)
    states = [(p.name, p.role, p.state) for p in ana.people()]
    assert states == [("Ana", "facilitator", "writing"), ("Bo", "participant", "done"),
                      ("Cy", "participant", "writing"), ("Di", "participant", "left")]
    hands.move(20)
    written = len(log_events(ana.session.repo.path))
    bo.heartbeat()  # seen 20 s ago: nothing to write
    assert len(log_events(ana.session.repo.path)) == written
    hands.move(140)
    bo.heartbeat()  # Bo's terminal is alive; Cy's died
    seen(ana)
    assert [(p.name, p.state) for p in ana.people()][1:3] == [("Bo", "done"), ("Cy", "away")]
    assert ana.people(now=hands.now + timedelta(minutes=10))[1].state == "away"
    ana.next_phase()  # done writing was said in the phase before: writing again
    seen(bo)
    assert [(p.name, p.state) for p in bo.people()][1] == ("Bo", "writing")
    di.join()  # back
    seen(ana)
    assert ana.people()[-1].state == "writing"
    assert ana.owners() == ["Ana", "Bo", "Cy", "Di"]


def test_while_writing_each_sees_only_their_own_cards(
    config: Path, hands: Hands, ana: Room
) -> None:
    bo, cy = enter(config, hands, "Bo"), enter(config, hands, "Cy")
    ana.start_exercise()
    seen(bo, cy)
    mine = bo.add_card("Refunds settle in a day")
    cy.add_card("Fewer payout tickets")
    cy.add_card("Merchants onboard alone")
    seen(bo, cy, ana)
    view = bo.view()
    assert [c["id"] for c in view.shown] == [mine["id"]] and (view.total, view.yours) == (3, 1)
    assert mine["author"] == "Bo" and mine["kind"] == "outcome"
    assert mine["retro"] == ana.session.retro_id
    again = enter(config, hands, "Bo")  # Bo's app restarted: his named cards are his still
    assert [c["id"] for c in again.view().shown] == [mine["id"]]
    assert ana.view().shown == [] and ana.view().total == 3
    bo.edit_card(mine["id"], "Refunds settle within a day")
    with pytest.raises(RetroError, match="only your own cards"):
        cy.edit_card(mine["id"], "Hijacked")
    ana.next_phase()  # reveal: every card, on every screen
    seen(bo, cy)
    assert len(bo.view().shown) == len(cy.view().shown) == 3
    assert cy.view("actions").shown == []  # another step's cards


def test_anonymous_cards_record_no_author(config: Path, hands: Hands, ana: Room) -> None:
    ana.session.save_frame({"cards": "anonymous"})
    ana.start_exercise()
    bo, cy = enter(config, hands, "Bo"), enter(config, hands, "Cy")
    first, second = bo.add_card("Refunds settle in a day"), cy.add_card("Fewer tickets")
    assert first["author"] == second["author"] == ""
    events = log_events(ana.session.repo.path)
    cards = [e for e in events if e["rec"]["kind"] == "outcome"]
    assert [e["by"] for e in cards] == ["", ""]
    named = {origin(e) for e in events if e not in cards}
    assert len({origin(e) for e in cards} - named) == 2  # nothing ties the cards to anyone
    assert [c["id"] for c in bo.view().shown] == [first["id"]]  # this process knows its own
    edited = bo.edit_card(first["id"], "Refunds settle within a day")
    assert edited["author"] == "" and log_events(ana.session.repo.path)[-1]["by"] == ""
    assert enter(config, hands, "Bo").view().yours == 0  # nothing in the log says whose it is


def test_votes_are_one_record_each_hidden_until_discussed(
    config: Path, hands: Hands, ana: Room
) -> None:
    bo, cy = enter(config, hands, "Bo"), enter(config, hands, "Cy")
    ana.start_exercise()
    a = bo.add_card("Refunds settle in a day")["id"]
    hands.move(1)
    b = cy.add_card("Fewer payout tickets")["id"]
    hands.move(1)
    c = cy.add_card("Refunds settle faster")["id"]
    seen(ana)
    with pytest.raises(RetroError, match="not voting"):
        bo.vote(a, 1)
    ana.next_phase(), ana.next_phase()  # reveal, group
    assert ana.suggestions() == [[a, c]]
    ana.fold(a, [c])
    assert ana.next_phase() == "vote"
    seen(bo, cy)
    assert bo.dots() == 2 and bo.vote(a, 1) == 1 and bo.vote(a, 1) == 0
    with pytest.raises(RetroError, match="no dots left"):
        bo.vote(b, 1)
    assert bo.vote(a, -1) == 1 and bo.vote(b, 1) == 0 and bo.my_dots()[a] == 1
    assert cy.vote(c, 1) == 1 and cy.vote(c, 1) == 0  # on a member: they count for its lead
    with pytest.raises(RetroError, match="no such card"):
        cy.vote(room_id("x", "y", "z"), -1)
    seen(ana, bo, cy)
    assert ana.tally() is bo.tally() is cy.tally() is None  # nobody sees counts while voting
    votes = ana.session.repo.find(kinds=["vote"])
    assert sorted(v["text"] for v in votes) == ["Bo", "Cy"]  # one record each for the step
    assert {v["text"]: v["dots"] for v in votes} == {"Bo": [a, b], "Cy": [c, c]}
    assert ana.next_phase() == "discuss"
    seen(bo, cy)
    assert ana.tally() == bo.tally() == {a: 3, b: 1}
    assert [card["id"] for card in cy.ordered()] == [a, b]
    with pytest.raises(RetroError, match="not voting"):
        cy.vote(b, 1)
    assert ana.next_phase() is None and ana.phase() is None


def test_folding_gathers_cards_and_unfolding_takes_one_out(
    config: Path, hands: Hands, ana: Room
) -> None:
    decision = ana.session.add_decision("Grow self-serve revenue")["id"]
    bo, cy = enter(config, hands, "Bo"), enter(config, hands, "Cy")
    ana.start_exercise()
    a = bo.add_card("Refunds settle in a day")["id"]
    hands.move(1)
    b = cy.add_card("Refunds settle faster")["id"]
    hands.move(1)
    c = ana.add_card("Refund tickets down")["id"]
    cy.session.repo.edit(b, link=[decision])
    seen(ana)
    with pytest.raises(RetroError, match="only cards of this step"):
        ana.fold(a, [decision])
    ana.fold(b, [c])
    ana.fold(a, [b])  # b's own member follows it into a
    lead = ana.session.record(a)
    assert lead is not None and lead["authors"] == ["Bo", "Cy", "Ana"]
    assert lead["links"] == [decision]
    assert [ana.session.record(rid)["group_of"] for rid in (b, c)] == [a, a]  # type: ignore[index]
    ana.next_phase()
    view = ana.view()
    assert [card["id"] for card in view.shown] == [a]
    assert [card["id"] for card in view.members[a]] == [b, c]
    ana.unfold(c)
    assert ana.session.record(c)["group_of"] is None  # type: ignore[index]
    assert [card["id"] for card in ana.view().shown] == [a, c]
    assert ana.session.record(a)["authors"] == ["Bo", "Cy", "Ana"]  # type: ignore[index]


def test_a_group_of_cards_counts_once_in_the_retro_s_figures(
    config: Path, hands: Hands, ana: Room
) -> None:
    ana.session.save_frame({"cards": "anonymous"})
    ana.start_exercise()
    bo, cy = enter(config, hands, "Bo"), enter(config, hands, "Cy")
    bo.add_card("Refunds settle in a day")
    hands.move(1)
    lead = cy.add_card("Fewer payout tickets")["id"]
    hands.move(1)
    member = cy.add_card("Payout tickets down")["id"]
    seen(ana)
    ana.fold(lead, [member])
    retro = ana.retro()
    assert retro is not None
    figures, entries = ana.session.retro_figures(retro)  # home's figures
    assert (figures.outcomes, entries) == (2, 2)  # the anonymous card counts like any other
    assert member not in figures.unanchored_outcomes and len(figures.unanchored_outcomes) == 2
    repo = ana.session.repo
    assert sessions.figures(repo, retro).outcomes == 2  # the summary's
    [period] = [p for p in build_report(repo.all()).periods if p.retro == retro["id"]]
    assert period.metrics.outcomes == 2  # the report's
    ana.unfold(member)
    assert ana.session.retro_figures(ana.retro())[0].outcomes == 3  # type: ignore[arg-type]
