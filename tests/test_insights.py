"""The insights: a hand-built retro whose figures are worked out by hand, and the sample logs."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from retro import insights, scope
from retro.insights import Metrics, learning_latency_days, link_index, metrics
from retro.model import STILL_OPEN, Record, new_record
from retro.store import Repository

TZ = timezone(timedelta(hours=1))
WEST = timezone(timedelta(hours=-8))
EAST = timezone(timedelta(hours=9))
BASE = datetime(2026, 9, 1, 9, 0, tzinfo=TZ)
PERIOD_END = date(2026, 9, 13)
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
TEAMS = ("payments", "onboarding", "platform", "mobile")


def at(day: int, hour: int = 10, minute: int = 0, tz: timezone = TZ) -> str:
    """A September 2026 timestamp."""
    return datetime(2026, 9, day, hour, minute, tzinfo=tz).isoformat()


@dataclass
class World:
    """Named records: ``scope`` (one retro's entries and the retro) within ``context``."""

    records: dict[str, Record] = field(default_factory=dict)
    scope_names: list[str] = field(default_factory=list)

    def add(self, name: str, kind: str, *, in_scope: bool = True, **fields: Any) -> Record:
        rec = new_record(
            kind,
            f"{kind} {name}",
            team="leadership" if kind == "decision" else "payments",
            author="Ana",
            at=BASE + timedelta(minutes=len(self.records)),
            fields=fields,
        )
        self.records[name] = rec
        if in_scope:
            self.scope_names.append(name)
        return rec

    def link(self, name: str, *others: str, field_name: str = "links") -> None:
        self.records[name][field_name] = [self.records[other]["id"] for other in others]

    def id(self, name: str) -> str:
        return str(self.records[name]["id"])

    def ids(self, *names: str) -> tuple[str, ...]:
        return tuple(self.id(name) for name in names)

    @property
    def scope(self) -> list[Record]:
        return [self.records[name] for name in self.scope_names]

    @property
    def context(self) -> dict[str, Record]:
        return {rec["id"]: rec for rec in self.records.values()}


def build_world() -> World:
    w = World()
    # Decisions, known from the context only. D3 has no review date.
    w.add("D1", "decision", in_scope=False, review_by="2026-09-10")
    w.add("D2", "decision", in_scope=False, review_by="2026-09-20")
    w.add("D3", "decision", in_scope=False)
    w.add("D4", "decision", in_scope=False, review_by="2026-12-01")
    # An outcome of another team's retro, anchored to D4.
    w.add("OX", "outcome", in_scope=False)
    w.records["OX"]["team"] = "platform"
    w.link("OX", "D4")
    retro = w.add(
        "R", "retro", period_start="2026-08-31", period_end="2026-09-13", focus="stability"
    )
    # Outputs: P1 -> O1, P2 <- O2 (the outcome links the output), P3 linked to nothing,
    # P4 -> OX (outside the scope), P5 -> O3 (an outcome without a decision).
    for name in ("P1", "P2", "P3", "P4", "P5"):
        w.add(name, "output")
    # Outcomes: O1 -> D1; O2 <- D2 (the decision links the outcome); O3 no decision;
    # O4 -> D3. Confidence: O1 2->4 (+2), O2 3->3 (0), O3 4->3 (-1), O4 before only.
    w.add("O1", "outcome", confidence_before=2, confidence_after=4)
    w.add("O2", "outcome", confidence_before=3, confidence_after=3)
    w.add("O3", "outcome", confidence_before=4, confidence_after=3)
    w.add("O4", "outcome", confidence_before=2)
    w.link("P1", "O1")
    w.link("O2", "P2")
    w.link("P4", "OX")
    w.link("P5", "O3")
    w.link("O1", "D1")
    w.link("D2", "O2")
    w.link("O4", "D3")
    # Risks: K1 4x4=16 -> 2x4=8 (+8); K2 3x3=9 -> 3x4=12 (-3); K3 has no after (ignored).
    w.add("K1", "risk", before={"likelihood": 4, "impact": 4}, after={"likelihood": 2, "impact": 4})
    w.add("K2", "risk", before={"likelihood": 3, "impact": 3}, after={"likelihood": 3, "impact": 4})
    w.add("K3", "risk", before={"likelihood": 5, "impact": 5})
    # Lessons (D1 is reviewed on 10 Sep, D2 on 20 Sep, the period ends on 13 Sep):
    # L1 -> D1 at 23:30 on 10 Sep at UTC-8 (7:30 on 11 Sep in UTC): on the day, on time.
    # L2 -> D1 at 00:30 on 11 Sep at UTC+9 (15:30 on 10 Sep in UTC): a day after, late.
    # L3 links D2, learned 15 Sep: before D2's review, on time (though after the period).
    # L4 applies to O1 only, no decision: learned 14 Sep, after the period, late.
    # L5 no decision, 20:00 on 13 Sep at UTC-8 (4:00 on 14 Sep in UTC): on time.
    # L6 <- D1 (the decision links the lesson), learned 12 Sep: late.
    # L7 -> D1 and D2, learned 15 Sep: after D1's review, late.
    # L8 -> D3 (no review date), learned 12 Sep: within the period, on time.
    w.add("L1", "lesson", learned_at=at(10, 23, 30, WEST))
    w.add("L2", "lesson", learned_at=at(11, 0, 30, EAST))
    w.add("L3", "lesson", learned_at=at(15))
    w.add("L4", "lesson", learned_at=at(14, 9))
    w.add("L5", "lesson", learned_at=at(13, 20, 0, WEST))
    w.add("L6", "lesson", learned_at=at(12))
    w.add("L7", "lesson", learned_at=at(15))
    w.add("L8", "lesson", learned_at=at(12))
    w.link("L1", "D1", field_name="applies_to")
    w.link("L2", "D1", field_name="applies_to")
    w.link("L3", "D2")
    w.link("L4", "O1", field_name="applies_to")
    w.link("D1", "L6")
    w.link("L7", "D1", "D2", field_name="applies_to")
    w.link("L8", "D3", field_name="applies_to")
    # Dependencies (the last three days of the period are 11, 12 and 13 Sep):
    # Y1 discovered 5 Sep, needed 4 Sep: late.  Y2 discovered 5 Sep, needed 20 Sep: on time.
    # Y3 discovered 11 Sep: in the last days, late.
    # Y4 discovered 23:30 on 10 Sep at UTC-8 (11 Sep in UTC): before the last days, on time.
    # Y5 discovered at the very instant it was needed (other offset): on time.
    # Y6 discovered 10:00+01:00 (09:00 UTC), needed 09:30+00:00: half an hour early, on time.
    w.add("Y1", "dependency", discovered_at=at(5), needed_at=at(4, 9))
    w.add("Y2", "dependency", discovered_at=at(5), needed_at=at(20))
    w.add("Y3", "dependency", discovered_at=at(11, 9), needed_at=at(30))
    w.add("Y4", "dependency", discovered_at=at(10, 23, 30, WEST), needed_at=at(30))
    w.add("Y5", "dependency", discovered_at=at(8, 12), needed_at=at(8, 11, 0, UTC))
    w.add("Y6", "dependency", discovered_at=at(6, 10), needed_at=at(6, 9, 30, UTC))
    # Actions: one open, one done, one carried over.
    w.add("A1", "action", status="open")
    w.add("A2", "action", status="done")
    w.add("A3", "action", status="carried")
    for name in w.scope_names:
        if name != "R":
            w.records[name]["retro"] = retro["id"]
    return w


@pytest.fixture
def world() -> World:
    return build_world()


def test_figures_of_a_retro_worked_out_by_hand(world: World) -> None:
    m = metrics(world.scope, context=world.context, period_end=PERIOD_END)
    w = world
    assert m == Metrics(
        outputs=5,
        outcomes=4,
        outcome_ratio=4 / 5,
        orphan_outputs=w.ids("P3"),
        unanchored_outcomes=w.ids("O3"),
        risks=3,
        risk_reduction=5,  # 8 - 3
        predictability_gained=1,  # O1
        confidence_delta=1,  # +2 + 0 - 1
        lessons=8,
        late_lessons=w.ids("L2", "L4", "L6", "L7"),
        dependencies=6,
        late_dependencies=w.ids("Y1", "Y3"),
        actions=3,
        open_actions=w.ids("A1", "A3"),  # carried is still open
        decisions_reinforced=w.ids("D1", "D2", "D3"),  # not D4: OX is outside the scope
        coherence=3 / 5,  # P1 (O1 -> D1), P2 (O2 <- D2), P4 (OX -> D4)
    )


def test_a_prebuilt_index_gives_the_same_figures(world: World) -> None:
    by_scan = metrics(world.scope, context=world.context, period_end=PERIOD_END)
    index = link_index(world.records.values())
    by_index = metrics(world.scope, context=world.context, period_end=PERIOD_END, index=index)
    assert by_index == by_scan


def test_without_context_links_leaving_the_scope_do_not_count(world: World) -> None:
    m = metrics(world.scope, period_end=PERIOD_END)
    w = world
    # No decision is known: every outcome is unanchored and P4's outcome OX is unknown.
    assert m.orphan_outputs == w.ids("P3", "P4")
    assert m.unanchored_outcomes == w.ids("O1", "O2", "O3", "O4")
    assert m.decisions_reinforced == ()
    assert m.coherence == 0.0
    # Every lesson is judged against the period end (13 Sep, in its own offset).
    assert m.late_lessons == w.ids("L3", "L4", "L7")


def test_context_records_are_looked_up_when_the_scope_holds_copies(world: World) -> None:
    copies = [dict(rec) for rec in world.scope]
    m = metrics(copies, context=world.context, period_end=PERIOD_END)
    assert m == metrics(world.scope, context=world.context, period_end=PERIOD_END)


def test_the_scope_wins_over_the_context_for_the_same_id(world: World) -> None:
    edited = dict(world.records["P3"], links=[world.id("O1")])
    scope = [edited if rec["id"] == edited["id"] else rec for rec in world.scope]
    m = metrics(scope, context=world.context, period_end=PERIOD_END)
    assert m.orphan_outputs == ()
    assert m.coherence == 4 / 5


def test_no_outputs_means_no_ratio_and_no_coherence(world: World) -> None:
    outcomes = [rec for rec in world.scope if rec["kind"] == "outcome"]
    m = metrics(outcomes, context=world.context)
    assert (m.outputs, m.outcomes, m.outcome_ratio, m.coherence) == (0, 4, None, None)
    empty = metrics([])
    assert empty.outcome_ratio is None and empty.coherence is None
    assert empty.outputs == empty.outcomes == empty.risks == empty.risk_reduction == 0
    assert empty.orphan_outputs == empty.late_lessons == empty.decisions_reinforced == ()


def test_retros_in_scope_are_not_counted(world: World) -> None:
    without = [rec for rec in world.scope if rec["kind"] != "retro"]
    assert metrics(without, context=world.context, period_end=PERIOD_END) == metrics(
        world.scope, context=world.context, period_end=PERIOD_END
    )


def test_a_link_counts_in_either_direction(world: World) -> None:
    w = world
    context = w.context
    # O1 -> D1 written the other way round: D1 -> O1 (and D1 keeps its link to L6).
    w.records["O1"]["links"] = []
    w.records["D1"]["links"] = [w.id("L6"), w.id("O1")]
    m = metrics(w.scope, context=context, period_end=PERIOD_END)
    assert m.unanchored_outcomes == w.ids("O3")
    assert m.decisions_reinforced == w.ids("D1", "D2", "D3")
    # P1 -> O1 written as O1 -> P1.
    w.records["P1"]["links"] = []
    w.records["O1"]["links"] = [w.id("P1")]
    m = metrics(w.scope, context=context, period_end=PERIOD_END)
    assert m.orphan_outputs == w.ids("P3")
    assert m.coherence == 3 / 5


def test_lessons_are_late_after_the_review_day_in_their_own_offset(world: World) -> None:
    w = world
    context = w.context
    latency = {
        name: learning_latency_days(w.records[name], context)
        for name in ("L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8")
    }
    # Against the earliest review of each lesson's decisions; None with no review date.
    assert latency == {
        "L1": 0, "L2": 1, "L3": -5, "L4": None, "L5": None, "L6": 2, "L7": 5, "L8": None,
    }  # fmt: skip
    index = link_index(context.values())
    assert {
        name: learning_latency_days(w.records[name], context, index=index) for name in latency
    } == latency
    # Without a period end, only lessons with a decision to review can be late.
    m = metrics(w.scope, context=context)
    assert m.late_lessons == w.ids("L2", "L6", "L7")
    # A lesson with no learned_at cannot be judged.
    del w.records["L2"]["learned_at"]
    assert learning_latency_days(w.records["L2"], context) is None
    m = metrics(w.scope, context=context, period_end=PERIOD_END)
    assert m.late_lessons == w.ids("L4", "L6", "L7")


def test_dependencies_are_late_by_needed_at_or_in_the_last_days(world: World) -> None:
    w = world
    context = w.context
    assert metrics(w.scope, context=context).late_dependencies == w.ids("Y1")
    window = {
        days: metrics(
            w.scope, context=context, period_end=PERIOD_END, late_window_days=days
        ).late_dependencies
        for days in (0, 1, 3, 4)
    }
    assert window == {
        0: w.ids("Y1"),  # no window
        1: w.ids("Y1"),  # 13 Sep only
        3: w.ids("Y1", "Y3"),  # 11-13 Sep
        4: w.ids("Y1", "Y3", "Y4"),  # 10-13 Sep: Y4 was discovered on 10 Sep, its own day
    }
    # Discovered after the period ended: late too.
    w.records["Y2"]["discovered_at"] = at(14)
    m = metrics(w.scope, context=context, period_end=PERIOD_END)
    assert m.late_dependencies == w.ids("Y1", "Y2", "Y3")


def test_risks_without_after_are_left_out(world: World) -> None:
    w = world
    risks = [w.records[name] for name in ("K1", "K2", "K3")]
    m = metrics(risks)
    assert (m.risks, m.risk_reduction) == (3, 5)
    assert metrics([w.records["K3"]]).risk_reduction == 0


def test_id_tuples_follow_the_scope_order(world: World) -> None:
    scope = world.scope
    random.Random(7).shuffle(scope)
    m = metrics(scope, context=world.context, period_end=PERIOD_END)
    order = [rec["id"] for rec in scope]
    for ids in (m.late_lessons, m.late_dependencies, m.orphan_outputs):
        assert list(ids) == sorted(ids, key=order.index)
    assert set(m.late_lessons) == set(world.ids("L2", "L4", "L6", "L7"))
    assert m.decisions_reinforced == world.ids("D1", "D2", "D3")


def test_link_index_is_undirected(world: World) -> None:
    w = world
    index = link_index(w.records.values())
    assert index[w.id("P2")] == {w.id("O2")}
    assert index[w.id("O2")] == {w.id("P2"), w.id("D2")}
    assert w.id("L6") in index[w.id("D1")] and w.id("D1") in index[w.id("L6")]
    assert index[w.id("L7")] == {w.id("D1"), w.id("D2")}  # applies_to counts as a link
    assert w.id("P3") not in index


def test_a_link_to_itself_is_no_link(repo: Repository) -> None:
    """The index built from records and the one the store keeps agree: no self-links."""
    rec = repo.add("output", "Shipped")
    repo.edit(rec["id"], link=[rec["id"]])
    assert rec["id"] in repo.get(rec["id"])["links"]
    assert link_index(repo.records().values()) == {} and dict(repo.links()) == {}


def test_retro_entries_and_by_id(world: World) -> None:
    records = list(world.records.values())
    retro_id = world.id("R")
    retros = [rec for rec in records if rec["kind"] == "retro"]
    groups = scope.group_by_retro(records, retros, world.context)
    in_retro = [rec["id"] for rec in world.scope[1:] if rec["kind"] != "decision"]
    assert [rec["id"] for rec in groups[retro_id]] == in_retro
    assert insights.by_id(records) == world.context


# --- the sample logs ------------------------------------------------------------------


def load(team: str) -> list[Record]:
    return Repository(SAMPLE / f"{team}.jsonl", author="x", team="y").load().all()


@pytest.fixture(scope="module")
def logs() -> dict[str, list[Record]]:
    return {team: load(team) for team in TEAMS}


def points_to(a: Record, b: Record) -> bool:
    fields = {"lesson": "applies_to", "retro": "decisions"}
    named = [*a.get("links", []), *(a.get(fields.get(a["kind"], "links")) or [])]
    return b["id"] in named


def linked(a: Record, b: Record) -> bool:
    return a is not b and (points_to(a, b) or points_to(b, a))


def recompute(
    scope: list[Record], context: Mapping[str, Record], period_end: date | None
) -> dict[str, Any]:
    """The figures, worked out the long way: every pair of records compared."""
    everything = list(context.values())

    def of(kind: str, records: Iterable[Record]) -> list[Record]:
        return [rec for rec in records if rec["kind"] == kind]

    def near(rec: Record, kind: str) -> list[Record]:
        return [other for other in of(kind, everything) if linked(rec, other)]

    outputs, outcomes = of("output", scope), of("outcome", scope)
    confidences = [
        (rec["confidence_before"], rec["confidence_after"])
        for rec in outcomes
        if rec.get("confidence_before") is not None and rec.get("confidence_after") is not None
    ]
    late_lessons = []
    for rec in of("lesson", scope):
        learned = datetime.fromisoformat(rec["learned_at"])
        reviews = [d["review_by"] for d in near(rec, "decision") if d.get("review_by")]
        ends = [
            datetime.combine(date.fromisoformat(review), time.max, tzinfo=learned.tzinfo)
            for review in reviews
        ]
        if not ends and period_end is not None:
            ends = [datetime.combine(period_end, time.max, tzinfo=learned.tzinfo)]
        if any(learned > end for end in ends):
            late_lessons.append(rec["id"])
    late_deps = []
    for rec in of("dependency", scope):
        found = datetime.fromisoformat(rec["discovered_at"])
        needed = datetime.fromisoformat(rec["needed_at"])
        last_days = period_end is not None and (period_end - found.date()).days < 3
        if found > needed or last_days:
            late_deps.append(rec["id"])
    risks = of("risk", scope)
    return {
        "outputs": len(outputs),
        "outcomes": len(outcomes),
        "orphan_outputs": tuple(rec["id"] for rec in outputs if not near(rec, "outcome")),
        "unanchored_outcomes": tuple(rec["id"] for rec in outcomes if not near(rec, "decision")),
        "risks": len(risks),
        "risk_reduction": sum(
            r["before"]["likelihood"] * r["before"]["impact"]
            - r["after"]["likelihood"] * r["after"]["impact"]
            for r in risks
            if r.get("after")
        ),
        "predictability_gained": sum(after > before for before, after in confidences),
        "confidence_delta": sum(after - before for before, after in confidences),
        "lessons": len(of("lesson", scope)),
        "late_lessons": tuple(late_lessons),
        "dependencies": len(of("dependency", scope)),
        "late_dependencies": tuple(late_deps),
        "actions": len(of("action", scope)),
        "open_actions": tuple(r["id"] for r in of("action", scope) if r["status"] in STILL_OPEN),
        "decisions_reinforced": {
            d["id"] for d in of("decision", everything) if any(linked(d, o) for o in outcomes)
        },
        "coherent": sum(
            any(near(outcome, "decision") for outcome in near(rec, "outcome")) for rec in outputs
        ),
    }


def as_figures(m: Metrics) -> dict[str, Any]:
    figures = {name: getattr(m, name) for name in recompute([], {}, None) if hasattr(m, name)}
    figures["decisions_reinforced"] = set(m.decisions_reinforced)
    figures["coherent"] = round((m.coherence or 0) * m.outputs)
    return figures


@pytest.mark.parametrize("team", TEAMS)
def test_each_sample_retro_matches_a_long_hand_count(
    logs: dict[str, list[Record]], team: str
) -> None:
    records = logs[team]
    context = {rec["id"]: rec for rec in records}
    retros = [rec for rec in records if rec["kind"] == "retro"]
    assert len(retros) >= 6
    groups = scope.group_by_retro(records, retros, context)
    for retro in retros:
        entries = groups.get(retro["id"], [])
        end = date.fromisoformat(retro["period_end"])
        m = metrics(entries, context=context, period_end=end)
        assert as_figures(m) == recompute(entries, context, end), retro["text"]
        assert m.outcome_ratio == (m.outcomes / m.outputs if m.outputs else None)


@pytest.mark.parametrize("team", TEAMS)
def test_each_sample_log_as_a_whole_matches_a_long_hand_count(
    logs: dict[str, list[Record]], team: str
) -> None:
    records = logs[team]
    context = {rec["id"]: rec for rec in records}
    m = metrics(records)
    assert as_figures(m) == recompute(records, context, None)
    assert metrics(records, index=link_index(records)) == m
    assert m.orphan_outputs, "every team ships outputs that no outcome credits"


def test_the_sample_story_holds_across_teams(logs: dict[str, list[Record]]) -> None:
    whole = {team: metrics(records) for team, records in logs.items()}
    assert all(m.orphan_outputs and m.unanchored_outcomes for m in whole.values())
    assert sum(len(m.late_lessons) for m in whole.values()) >= 2
    assert sum(len(m.late_dependencies) for m in whole.values()) >= 2
    merged = {rec["id"]: rec for records in logs.values() for rec in records}
    together = metrics(merged.values())
    assert together.outputs == sum(m.outputs for m in whole.values())
    assert together.risk_reduction == sum(m.risk_reduction for m in whole.values())
    shared = {rid for m in whole.values() for rid in m.decisions_reinforced}
    assert set(together.decisions_reinforced) == shared
