"""The sample team logs: healthy, shaped like real retros, and reproduced byte for byte."""

from __future__ import annotations

import difflib
import importlib.util
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

import pytest

from retro.model import Record
from retro.store.checked import CheckedLog
from retro.store.events import DEL, PUT, Event, replay
from retro.store.journal import Journal

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
TEAMS = ("payments", "onboarding", "platform", "mobile")
Log = tuple[dict[str, Record], dict[str, Event]]  # current records, head event of every id


def load_generator() -> ModuleType:
    """The generator script beside the stories it reads (whatever the working directory)."""
    name = "sample_data_generate"
    spec = importlib.util.spec_from_file_location(name, SAMPLE / "stories" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def read_log(team: str) -> Log:
    heads = replay(Journal(SAMPLE / f"{team}.jsonl").read().events)
    records = {rid: head["rec"] for rid, head in heads.items() if head["op"] == PUT}
    return records, heads


@pytest.fixture(scope="module")
def logs() -> dict[str, Log]:
    return {team: read_log(team) for team in TEAMS}


def of_kind(records: dict[str, Record], kind: str) -> list[Record]:
    return [rec for rec in records.values() if rec["kind"] == kind]


def day(value: str) -> date:
    return datetime.fromisoformat(value).date()


@pytest.mark.parametrize("team", TEAMS)
def test_each_log_verifies_healthy(team: str) -> None:
    checked = CheckedLog(SAMPLE / f"{team}.jsonl", keep=False)
    assert list(checked)
    assert checked.problems == [] and not checked.journal.incomplete_tail


def test_regenerating_writes_the_same_bytes(tmp_path: Path) -> None:
    written = load_generator().generate(tmp_path)
    assert sorted(path.name for path in written) == sorted(f"{team}.jsonl" for team in TEAMS)
    for path in written:
        assert path.read_bytes() == (SAMPLE / path.name).read_bytes(), path.name


def test_every_team_has_six_sprints_of_realistic_size(logs: dict[str, Log]) -> None:
    for team, (records, _) in logs.items():
        assert 60 <= len(records) <= 120, team
        retros = sorted(of_kind(records, "retro"), key=lambda rec: rec["period_start"])
        assert len(retros) >= 6, team
        assert retros[0]["period_start"] == "2026-08-31"
        assert retros[-1]["period_end"] == "2026-11-22"
        assert all(rec["team"] == team for rec in records.values() if rec["kind"] != "decision")
        kinds = Counter(rec["kind"] for rec in records.values())
        assert set(kinds) == {
            "decision", "retro", "output", "outcome", "risk", "lesson", "dependency", "action",
        }  # fmt: skip
        assert any(rec["retro"] is None and rec["kind"] != "decision" for rec in records.values())


def test_focus_differs_across_teams(logs: dict[str, Log]) -> None:
    focuses = {}
    for team, (records, _) in logs.items():
        retros = sorted(of_kind(records, "retro"), key=lambda rec: rec["period_start"])
        focuses[team] = tuple(rec["focus"] for rec in retros)
    assert len(set(focuses.values())) == len(TEAMS)
    main_focus = {Counter(sequence).most_common(1)[0][0] for sequence in focuses.values()}
    assert len(main_focus) > 1


def test_some_retros_are_still_open(logs: dict[str, Log]) -> None:
    statuses = Counter(rec["status"] for records, _ in logs.values()
                       for rec in of_kind(records, "retro"))  # fmt: skip
    assert 1 <= statuses["open"] <= 2 and statuses["closed"] >= 20


def test_every_reference_resolves_within_its_log(logs: dict[str, Log]) -> None:
    for team, (records, _) in logs.items():
        for rec in records.values():
            refs = [*rec["links"], *(rec.get("applies_to") or []), *(rec.get("decisions") or [])]
            if rec["retro"] is not None:
                assert records[rec["retro"]]["kind"] == "retro"
            missing = [ref for ref in refs if ref not in records]
            assert not missing, (team, rec["text"])


@pytest.mark.parametrize("team", TEAMS)
def test_orphan_outputs_and_unanchored_outcomes(logs: dict[str, Log], team: str) -> None:
    records, _ = logs[team]
    outcomes = of_kind(records, "outcome")
    credited = {rid for rec in outcomes for rid in rec["links"]}
    orphans = [rec for rec in of_kind(records, "output") if rec["id"] not in credited]
    assert orphans and len(orphans) < len(of_kind(records, "output"))
    unanchored = [
        rec for rec in outcomes if all(records[rid]["kind"] != "decision" for rid in rec["links"])
    ]
    assert unanchored and len(unanchored) < len(outcomes)


def test_a_lesson_arrives_after_its_decision_was_reviewed(logs: dict[str, Log]) -> None:
    late = [
        (team, lesson["text"])
        for team, (records, _) in logs.items()
        for lesson in of_kind(records, "lesson")
        for rid in lesson["applies_to"]
        if records[rid]["kind"] == "decision"
        and day(lesson["learned_at"]) > date.fromisoformat(records[rid]["review_by"])
    ]
    assert len(late) >= 2


def test_some_dependencies_are_discovered_late(logs: dict[str, Log]) -> None:
    late = [
        rec
        for records, _ in logs.values()
        for rec in of_kind(records, "dependency")
        if datetime.fromisoformat(rec["discovered_at"]) > datetime.fromisoformat(rec["needed_at"])
    ]
    assert len(late) >= 2
    on: dict[str, set[str]] = {}
    for team, (records, _) in logs.items():
        for rec in of_kind(records, "dependency"):
            on.setdefault(rec["on"], set()).add(team)
    assert len(on["identity team SSO API"]) >= 3
    assert sum(len(teams) > 1 for teams in on.values()) >= 2


def test_shared_decisions_are_the_same_record_in_every_log(logs: dict[str, Log]) -> None:
    copies: dict[str, list[Record]] = {}
    for records, _ in logs.values():
        for rec in of_kind(records, "decision"):
            copies.setdefault(rec["id"], []).append(rec)
    shared = {rid: recs for rid, recs in copies.items() if len(recs) > 1}
    assert len(shared) >= 4
    for recs in shared.values():
        assert all(rec == recs[0] for rec in recs)
    by_text = Counter(recs[0]["text"] for recs in copies.values())
    assert max(by_text.values()) == 1  # one id per decision


def test_one_decision_nearly_duplicates_a_shared_one(logs: dict[str, Log]) -> None:
    copies: dict[str, list[Record]] = {}
    for records, _ in logs.values():
        for rec in of_kind(records, "decision"):
            copies.setdefault(rec["id"], []).append(rec)
    shared = [recs[0] for recs in copies.values() if len(recs) > 1]
    alone = [recs[0] for recs in copies.values() if len(recs) == 1]
    pairs = [
        (local["text"], other["text"])
        for local in alone
        for other in shared
        if difflib.SequenceMatcher(None, local["text"].lower(), other["text"].lower()).ratio()
        > 0.85
    ]
    assert len(pairs) == 1


@pytest.mark.parametrize("team", TEAMS)
def test_edits_deletions_and_action_follow_up(logs: dict[str, Log], team: str) -> None:
    records, heads = logs[team]
    assert any(head["op"] == DEL for head in heads.values())
    edited = [head for head in heads.values() if head["op"] == PUT and head["prev"]]
    assert len(edited) >= 12  # ten actions given a status at the next retro, two content edits
    retro_end = {rec["id"]: rec["period_end"] for rec in of_kind(records, "retro")}
    last_end = max(retro_end.values())
    statuses: Counter[str] = Counter()
    for rec in of_kind(records, "action"):
        if rec["retro"] is None:
            continue
        final = retro_end[rec["retro"]] == last_end
        assert (rec["status"] == "open") == final, rec["text"]
        statuses[rec["status"]] += 1
    assert statuses["done"] and statuses["open"]
    assert statuses["carried"] or statuses["dropped"]


def test_every_package_ships_in_the_wheel() -> None:
    """pyproject.toml names the packages one by one: a new one must be named too."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    setuptools = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    inits = (root / "retro").rglob("__init__.py")
    found = {".".join(init.parent.relative_to(root).parts) for init in inits}
    assert found <= set(setuptools["packages"])
