"""The live retro's room, as pure functions: phases, cards, groups, votes, presence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from retro import live

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def card(rid: str, text: str, minute: int, **fields: Any) -> dict[str, Any]:
    stamp = (NOW + timedelta(minutes=minute)).isoformat()
    return {"id": rid, "text": text, "created_at": stamp, "kind": "output", **fields}


def test_a_phase_and_its_timer_come_from_the_retro() -> None:
    retro = {"step": "outputs", "phase": "write", "phase_started_at": NOW.isoformat(),
             "phase_ends_at": (NOW + timedelta(minutes=5)).isoformat()}  # fmt: skip
    phase = live.phase_of(retro)
    assert phase is not None and (phase.step, phase.phase) == ("outputs", "write")
    assert live.timer_text(phase.remaining(NOW + timedelta(seconds=61))) == "03:59"
    assert live.timer_text(phase.remaining(NOW + timedelta(minutes=9))) == "00:00"
    assert live.phase_of({"step": "outputs", "phase": "nap"}) is None
    assert live.phase_of({"step": "outputs"}) is None
    assert live.timer_text(live.Phase("outputs", "vote").remaining(NOW)) == ""


def test_while_writing_only_your_own_cards_are_shown() -> None:
    cards = [card("a", "Shipped search", 1), card("b", "Shipped payouts", 2),
             card("c", "Fixed alerts", 3)]  # fmt: skip
    writing = live.Phase("outputs", "write")
    view = live.cards_view(cards, writing, mine={"b"})
    assert [c["id"] for c in view.shown] == ["b"] and (view.total, view.yours) == (3, 1)
    shown = live.cards_view(cards, live.Phase("outputs", "reveal"), mine={"b"})
    assert [c["id"] for c in shown.shown] == ["a", "b", "c"]


def test_folded_cards_show_under_their_lead_and_count_for_it() -> None:
    cards = [card("a", "Shipped search", 1), card("b", "Search shipped", 2, group_of="a"),
             card("c", "Fixed alerts", 3)]  # fmt: skip
    view = live.cards_view(cards, live.Phase("outputs", "vote"), mine=())
    assert [c["id"] for c in view.shown] == ["a", "c"]
    assert [c["id"] for c in view.members["a"]] == ["b"]
    votes = [{"dots": ["b", "c", "c"]}, {"dots": ["a", "a", "a", "a", "x"]}]
    counted = live.tally(votes, cards, dots=3)
    assert counted == {"a": 4, "c": 2}  # b's dot is a's; the fourth dot and x are not counted
    assert [c["id"] for c in live.vote_order(cards, counted)] == ["a", "c", "b"]
    assert live.dots_left({"dots": ["a"]}, 3) == 2 and live.dots_left(None) == 3


def test_a_fold_gathers_links_and_named_authors() -> None:
    lead = card("a", "Shipped search", 1, author="Ana", links=["d1"])
    members = [card("b", "x", 2, author="Bo", links=["d1", "d2"]),
               card("c", "y", 3, author="", links=["a"])]  # fmt: skip
    assert live.fold(lead, members) == {"links": ["d1", "d2"], "authors": ["Ana", "Bo"]}


def test_near_duplicates_are_suggested_as_groups() -> None:
    cards = [card("a", "Shipped the search index rebuild", 1),
             card("b", "Search index rebuild shipped!", 2),
             card("c", "Fixed the payout alerts", 3),
             card("d", "Payout alerts fixed", 4),
             card("e", "Onboarding emails", 5),
             card("f", "search", 6, group_of="a")]  # fmt: skip
    assert live.suggest_groups(cards) == [["a", "b"], ["c", "d"]]


def test_who_is_writing_done_away_or_gone() -> None:
    began = NOW - timedelta(minutes=2)
    phase = live.Phase("outputs", "write", began)
    seen = NOW.isoformat()
    presences = [
        {"text": "Bo", "role": "participant", "seen_at": seen},
        {"text": "Ana", "role": "facilitator", "seen_at": seen},
        {"text": "Cy", "role": "participant", "seen_at": seen, "done_at": NOW.isoformat()},
        {"text": "Di", "role": "participant", "seen_at": seen,
         "done_at": (began - timedelta(minutes=1)).isoformat()},  # done in an earlier phase
        {"text": "Ed", "role": "participant", "seen_at": (NOW - timedelta(minutes=5)).isoformat()},
        {"text": "Fa", "role": "participant", "seen_at": seen, "left_at": seen},
    ]  # fmt: skip
    found = [(p.name, p.state) for p in live.people(presences, phase, NOW)]
    assert found == [("Ana", "writing"), ("Bo", "writing"), ("Cy", "done"), ("Di", "writing"),
                     ("Ed", "away"), ("Fa", "left")]  # fmt: skip


def test_the_room_derives_the_same_ids_everywhere() -> None:
    first = live.room_id("r1", "vote:outputs", "Bo")
    assert first == live.room_id("r1", "vote:outputs", "Bo")
    assert first != live.room_id("r1", "vote:outputs", "Cy") != live.room_id("r2", "x", "Bo")


def test_the_room_s_records_are_checked_like_any_other() -> None:
    from retro.errors import ValidationError
    from retro.model import ENTRY_KINDS, new_record, parse_count

    base = {"team": "payments", "author": "Bo", "at": NOW}
    vote = new_record("vote", "Bo", fields={"step": "outputs", "dots": [live.room_id("r", "x",
                      "y")]}, **base)  # fmt: skip
    assert vote["kind"] == "vote" and "vote" not in ENTRY_KINDS
    presence = new_record("presence", "Bo", fields={"role": "participant",
                          "seen_at": NOW.isoformat()}, **base)  # fmt: skip
    assert presence["role"] == "participant"
    retro = new_record("retro", "Retro", fields={"phase": "vote", "dots": 3}, **base)
    assert retro["dots"] == 3
    for bad in ({"phase": "nap"}, {"dots": -1}, {"dots": 1000}, {"dots": "3"}):
        try:
            new_record("retro", "Retro", fields=bad, **base)
        except ValidationError:
            continue
        raise AssertionError(f"{bad} was accepted")
    assert parse_count(" 12 ") == 12


def test_a_phase_s_timer_comes_from_the_step_s_timebox() -> None:
    fields = live.phase_fields("write", NOW, {"write": 5, "vote": 2})
    assert fields == {"phase": "write", "phase_started_at": NOW.isoformat(),
                      "phase_ends_at": (NOW + timedelta(minutes=5)).isoformat()}  # fmt: skip
    assert live.phase_fields("reveal", NOW, {"write": 5})["phase_ends_at"] is None
    assert set(live.phase_fields(None, NOW).values()) == {None}
    assert [live.next_phase(p) for p in live.PHASES] == [*live.PHASES[1:], None]


def test_a_timer_is_extended_from_its_end_or_from_now() -> None:
    running = live.Phase("outputs", "write", NOW, NOW + timedelta(minutes=2))
    assert live.extended(running, NOW, 1) == NOW + timedelta(minutes=3)
    assert live.extended(running, NOW + timedelta(minutes=4), 1) == NOW + timedelta(minutes=5)
    assert live.extended(live.Phase("outputs", "vote"), NOW, 2) == NOW + timedelta(minutes=2)


def test_a_presence_is_written_again_once_it_is_stale() -> None:
    seen = {"seen_at": NOW.isoformat()}
    assert not live.stale(seen, NOW + timedelta(seconds=29))
    assert live.stale(seen, NOW + timedelta(seconds=30))
    assert live.stale(None, NOW) and live.stale({"seen_at": "garbage"}, NOW)


def test_a_group_counts_once_as_its_lead() -> None:
    cards = [card("a", "Shipped search", 1), card("b", "Search shipped", 2, group_of="a"),
             card("c", "Fixed alerts", 3, group_of="gone"), card("d", "x", 4, group_of="d"),
             card("e", "Anonymous", 5, author="")]  # fmt: skip
    assert [c["id"] for c in live.counted(cards)] == ["a", "c", "d", "e"]
    assert [c["id"] for c in live.counted(iter(cards[1:]))] == ["b", "c", "d", "e"]
