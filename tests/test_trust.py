"""Forged revisions and whom a merge trusts: real files, the real command line."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from retro import dates
from retro.cli import cli
from retro.config import write_config
from retro.errors import ValidationError
from retro.merge import merge
from retro.model import new_record, record_problem
from retro.present.json import safe_json
from retro.store import Repository
from retro.store.events import PUT, Event, content_hash, decode, encode, make_event
from retro.store.journal import Journal
from retro.trust import FOREIGN, FUTURE, Trust, suspicious
from tests.conftest import Clock

Run = Callable[..., Result]
NOW = datetime.now(UTC)


def body(log: Path | bytes) -> bytes:
    """A log's lines after its header (a rewrite stamps the header with its generation)."""
    data = log if isinstance(log, bytes) else log.read_bytes()
    return data.split(b"\n", 1)[1]


@pytest.fixture
def run() -> Run:
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        return runner.invoke(cli, [str(arg) for arg in args], catch_exceptions=False)

    return invoke


def lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_bytes().splitlines()[1:]]


def forged(base: Event, *, at: datetime = NOW, stamp: str | None = None, by: str = "Mallory",
           **changes: Any) -> Event:  # fmt: skip
    """An edit of ``base``'s record, as anyone with a text editor can write one."""
    event = make_event(PUT, base["id"], rec={**base["rec"], **changes}, prev=base["rev"], at=at,
                       by=by, origin="evil")  # fmt: skip
    if stamp is not None:  # a time retro would never write, with a matching hash
        event["rev"] = f"{stamp}-evil-{content_hash(event)}"
    return event


def append(log: Path, *events: Event | bytes) -> None:
    with open(log, "ab") as out:
        for event in events:
            out.write(event if isinstance(event, bytes) else encode(event))


@pytest.fixture
def team_log(tmp_path: Path, clock: Clock) -> tuple[Path, Event]:
    """payments.jsonl with one decision; its event."""
    log = tmp_path / "payments.jsonl"
    Repository(log, author="Ana", team="payments", clock=clock).add("decision", "Refunds first")
    return log, lines(log)[0]


# --- forged or invalid revisions ----------------------------------------------------------


@pytest.mark.parametrize(("stamp", "message"), [
    ("99991231T235959.999999Z", "'rev' is outside the years retro accepts"),
    ("20261320T000000.000000Z", "'rev' is not a real time"),
])  # fmt: skip
def test_a_forged_revision_is_a_damaged_line(
    run: Run, team_log: tuple[Path, Event], stamp: str, message: str
) -> None:
    log, first = team_log
    append(log, forged(first, stamp=stamp, text="forged"))
    for command in (["edit", first["id"][:8], "--text", "Refunds second"], ["rm", first["id"][:8]]):
        done = run("--log", log, *command)
        assert done.exit_code == 3, done.output  # done, and the damaged line reported
        assert message in done.stderr
    verified = run("verify", "--log", log)
    assert verified.exit_code == 1 and f"line 3: the event's {message}" in verified.stdout
    assert run("--log", log, "compact").exit_code == 0
    assert run("verify", "--log", log).exit_code == 0
    assert stamp.encode() in log.with_name(log.name + ".rejected").read_bytes()


def test_a_line_whose_content_does_not_match_is_skipped_everywhere(
    run: Run, team_log: tuple[Path, Event], tmp_path: Path
) -> None:
    log, first = team_log
    tampered = {**first, "rec": {**first["rec"], "text": "Refunds never"}}
    append(log, tampered)
    assert run("--log", log, "log").exit_code == 3
    out = tmp_path / "out.jsonl"
    refused = run("merge", log, "-o", out)
    assert refused.exit_code != 0 and "line 3: the content does not match" in refused.stderr
    assert run("merge", log, "-o", out, "--skip-bad").exit_code == 0
    assert [e["rec"]["text"] for e in lines(out)] == ["Refunds first"]
    assert run("--log", log, "compact").exit_code == 0
    assert run("verify", "--log", log).exit_code == 0


@pytest.mark.parametrize("value", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_nan_and_infinity_are_not_values(value: bytes, team_log: tuple[Path, Event]) -> None:
    _, first = team_log
    line = encode({**first, "rec": {**first["rec"], "baseline": 1.5}})[:-1]
    problem = decode(line.replace(b"1.5", value))
    assert isinstance(problem, str) and "JSON does not allow" in problem or "too large" in problem
    rec = new_record("outcome", "x", team="t", author="a", at=NOW)
    for number in (math.nan, math.inf):
        assert record_problem({**rec, "baseline": number}) == \
            "field 'baseline' must be a finite number or a short text"
        assert record_problem({**rec, "free": number}) is not None
        with pytest.raises(ValueError, match="JSON compliant"):
            safe_json({"x": number})


def test_a_lone_surrogate_is_not_text(run: Run, team_log: tuple[Path, Event]) -> None:
    log, first = team_log
    line = encode(first).replace(b"Refunds first", b"Refunds \\ud800")
    assert decode(line[:-1]) == "the line holds a lone surrogate escape, which is not text"
    done = run("--log", log, "checkin", "bytes \udcff of another encoding")
    assert done.exit_code == 2 and "not valid text" in done.stderr


@pytest.mark.parametrize("args", [
    ["--kind", "action", "--due", "9999-12-31T23:59:59-14:00"],
    ["--kind", "decision", "--review-by", "0001-01-01T00:00:00+14:00"],
    ["--kind", "lesson", "--learned", "9999-12-31T23:59:59-14:00"],
    ["--at", "0001-01-01T00:00:00+14:00"],
])  # fmt: skip
def test_dates_at_the_ends_of_the_calendar_are_usage_errors(
    run: Run, team_log: tuple[Path, Event], args: list[str]
) -> None:
    log, _ = team_log
    done = run("--log", log, "checkin", "At the edge", *args)
    assert done.exit_code == 2, done.output
    assert "outside the years 1900–9998" in done.stderr
    assert len(lines(log)) == 1


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                  "1899-12-31", "in 8000 years"])  # fmt: skip
def test_the_apps_forms_read_dates_the_same_way(text: str) -> None:
    """The forms parse with these functions: a DateError is shown under the field."""
    now = datetime(2026, 11, 20, 15, tzinfo=UTC)
    for forward in (False, True):
        with pytest.raises(dates.DateError):
            dates.parse_when(text, now=now, forward=forward)
        with pytest.raises(dates.DateError):
            dates.parse_day(text, now=now, forward=forward)


def test_a_clock_outside_the_years_accepted_writes_nothing(
    run: Run, team_log: tuple[Path, Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    log, _ = team_log
    monkeypatch.setenv("RETRO_NOW", "9999-12-31T23:59:59.999999+00:00")
    done = run("--log", log, "checkin", "From the end of time")
    assert done.exit_code == 1 and "RETRO_NOW" in done.stderr
    with pytest.raises(ValidationError, match="outside the years"):
        make_event(PUT, "x", rec=None, prev=None, at=datetime(9999, 6, 1, tzinfo=UTC),
                   by="a", origin="o")  # fmt: skip


# --- whom a merge trusts ------------------------------------------------------------------


def test_another_teams_log_cannot_rewrite_your_records(
    run: Run, team_log: tuple[Path, Event], tmp_path: Path
) -> None:
    log, first = team_log
    evil = tmp_path / "evil.jsonl"
    evil.write_bytes(log.read_bytes())
    hijack = forged(first, team="evil", kind="outcome")
    moved = forged(first, team="evil", at=NOW + timedelta(seconds=1))
    quiet = forged(first, text="Refunds last", by="Ana", at=NOW + timedelta(seconds=2))
    future = forged(first, text="Forever", at=datetime(2999, 1, 1, tzinfo=UTC))
    new = make_event(PUT, "00000000-0000-4000-8000-000000000001", origin="evil", prev=None,
                     rec={**first["rec"], "id": "00000000-0000-4000-8000-000000000001",
                          "team": "evil", "text": "Their own"}, at=NOW, by="Mallory")  # fmt: skip
    append(evil, hijack, moved, quiet, future, new)
    before = log.read_bytes()

    done = run("merge", evil, "--into", log, "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    why = {h["rev"]: (h["reason"], h["why"]) for h in data["held"]}
    assert why == {
        hijack["rev"]: (FOREIGN, "changes the record's kind from decision to outcome "
                                 "(from evil.jsonl)"),
        moved["rev"]: (FOREIGN, "moves the record from team payments to team evil "
                                "(from evil.jsonl)"),
        quiet["rev"]: (FOREIGN, "edits a record of your team payments (from evil.jsonl)"),
        future["rev"]: (FUTURE, "stamped 2999-01-01 00:00 UTC, more than 1 day ahead of "
                                "this machine's clock"),
    }  # fmt: skip
    held = log.with_name(log.name + ".held")
    assert data["held_file"] == str(held)
    assert body(log) == body(before) + encode(new)  # only their own new record came in
    assert {e["rev"] for e in lines(held)} == set(why)  # nothing lost: a log of its own
    assert run("verify", "--log", held).exit_code == 0

    table = run("merge", evil, "--into", log)  # again: the same held back, nothing new
    assert "held back: 4 events, not merged, kept in" in table.stdout
    assert f"retro merge {held} --into {log} --accept-foreign" in table.stdout
    assert body(log) == body(before) + encode(new)

    accepted = json.loads(run("merge", held, "--into", log, "--accept-foreign",
                              "--format", "json").stdout)  # fmt: skip
    assert [h["rev"] for h in accepted["held"]] == [future["rev"]]  # the future still waits
    assert {e["rev"] for e in lines(held)} == {future["rev"]}
    assert {hijack["rev"], moved["rev"], quiet["rev"]} <= {e["rev"] for e in lines(log)}


def test_trusted_teams_and_your_teams_logs_may_change_your_records(
    run: Run, team_log: tuple[Path, Event], tmp_path: Path, isolated: Path
) -> None:
    log, first = team_log
    edit = forged(first, text="Refunds second", by="Bo")
    for name in ("platform", "payments"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / f"{name}.jsonl").write_bytes(log.read_bytes())
        append(folder / f"{name}.jsonl", edit)
    target = tmp_path / "mine.jsonl"
    target.write_bytes(log.read_bytes())
    data = json.loads(run("merge", tmp_path / "platform" / "platform.jsonl", "--into", target,
                          "--format", "json").stdout)  # fmt: skip
    assert [h["why"] for h in data["held"]] == \
        ["edits a record of your team payments (from platform.jsonl)"]  # fmt: skip
    write_config(isolated / "config" / "config.toml", {"trusted_teams": ["platform"]})
    for name in ("platform", "payments"):
        copy = tmp_path / f"{name}-target.jsonl"
        copy.write_bytes(log.read_bytes())
        data = json.loads(run("merge", tmp_path / name / f"{name}.jsonl", "--into", copy,
                              "--format", "json").stdout)  # fmt: skip
        assert data["held"] == [] and lines(copy)[-1]["rev"] == edit["rev"]
    write_config(isolated / "config" / "config.toml", {"trusted_teams": "platform, mobile"})
    assert run("merge", log, "--into", target).exit_code == 0  # one name: fine
    write_config(isolated / "config" / "config.toml", {"trusted_teams": [1]})
    broken = run("merge", log, "--into", target)
    assert broken.exit_code == 1 and "trusted_teams" in broken.stderr


def test_an_org_merge_holds_changes_of_team_or_kind(
    run: Run, team_log: tuple[Path, Event], tmp_path: Path
) -> None:
    log, first = team_log
    evil = tmp_path / "evil.jsonl"
    evil.write_bytes(log.read_bytes())
    hijack = forged(first, team="evil")
    append(evil, hijack)
    outs = [tmp_path / "ab.jsonl", tmp_path / "ba.jsonl"]
    for out, order in zip(outs, ([log, evil], [evil, log]), strict=True):
        done = run("merge", *order, "-o", out)
        assert done.exit_code == 0 and "moves the record from team payments to team evil" \
            in done.stdout  # fmt: skip
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert body(outs[0]) == body(log)  # a rewrite names its generation in the header
    held = [out.with_name(out.name + ".held").read_bytes() for out in outs]
    assert held[0] == held[1] and held[0].endswith(encode(hijack))
    run("merge", log, "-o", outs[0])  # a new output, nothing held: no stale side file
    assert not outs[0].with_name("ab.jsonl.held").exists()


def test_a_dry_run_reports_what_would_be_held(
    run: Run, team_log: tuple[Path, Event], tmp_path: Path
) -> None:
    log, first = team_log
    evil = tmp_path / "evil.jsonl"
    evil.write_bytes(log.read_bytes())
    append(evil, forged(first, kind="risk"))
    done = run("merge", evil, "--into", log, "--dry-run")
    assert "held back: 1 event, not merged (dry run: nothing written)" in done.stdout
    assert not log.with_name(log.name + ".held").exists()


def test_verify_lists_what_a_merge_would_hold(
    run: Run, team_log: tuple[Path, Event]
) -> None:
    log, first = team_log
    append(log, forged(first, kind="outcome"), forged(first, at=datetime(2999, 1, 1, tzinfo=UTC)))
    done = run("verify", "--log", log)
    assert done.exit_code == 0, done.output  # valid events: healthy, but worth a look
    assert "healthy" in done.stdout
    assert "2 events a merge would hold back" in done.stdout
    assert "line 3: changes the record's kind from decision to outcome" in done.stdout
    assert "line 4: revision 29990101T000000.000000Z is stamped in the future" in done.stdout


def test_verify_reads_again_only_to_list_the_records_in_dispute(
    run: Run, team_log: tuple[Path, Event], tmp_path: Path
) -> None:
    log, first = team_log
    twin = make_event(PUT, first["id"], rec={**first["rec"], "team": "evil"}, prev=None,
                      at=NOW - timedelta(days=400), by="Mallory", origin="evil")  # fmt: skip
    moved = forged(first, team="evil")
    other = tmp_path / "other.jsonl"
    append(log, twin)  # two creations disagree: every put of the record is listed
    Repository(other, author="Bo", team="identity").add("risk", "Tokens leak")
    created = lines(other)[0]
    append(other, forged(created, text="still identity"), forged(created, team="evil"))
    said = run("verify", "--log", log).stdout
    assert "2 events a merge would hold back" in said
    for line in (2, 3):
        assert f"line {line}: the record's creations disagree on its team or kind" in said
    said = run("verify", "--log", other).stdout  # only the put that moves the record
    assert "1 event a merge would hold back" in said
    assert "line 4: moves the record from team identity to team evil" in said
    events = [first, moved, twin]
    assert suspicious(events, NOW) == [
        (n, f"the record's creations disagree on its team or kind (record {first['id'][:8]})")
        for n in range(3)]  # fmt: skip
    assert suspicious([moved, first], NOW) == [
        (0, f"moves the record from team payments to team evil (record {first['id'][:8]})")]


# --- the pure functions -------------------------------------------------------------------


def test_held_back_does_not_depend_on_the_order_and_nothing_is_lost(
    team_log: tuple[Path, Event],
) -> None:
    log, first = team_log
    base = Journal(log).read().events
    theirs = [forged(first, team="evil"), forged(first, at=NOW + timedelta(days=3)),
              forged(first, text="fine", at=NOW + timedelta(hours=12))]  # fmt: skip
    trust = Trust(NOW)
    one = merge([("a", base + theirs[:2]), ("b", theirs[1:])], trust=trust)
    two = merge([("b", theirs[1:]), ("a", base + theirs[:2])], trust=trust)
    assert one.lines() == two.lines() and one.held == two.held
    assert [h.reason for h in one.held] == [FOREIGN, FUTURE]
    assert {e["rev"] for e in one.events} | {h.rev for h in one.held} == \
        {e["rev"] for e in base + theirs}  # fmt: skip
    again = merge([("a", one.events), ("b", theirs)], trust=trust)
    assert again.lines() == one.lines()  # idempotent on what was accepted
    assert merge([("a", base + theirs)], trust=Trust(NOW, accept_foreign=True)).held == \
        [one.held[1]]  # accepting the foreign ones never takes the future in  # fmt: skip


def test_conflicting_creations_hold_the_record_back(team_log: tuple[Path, Event]) -> None:
    _, first = team_log
    twin = make_event(PUT, first["id"], rec={**first["rec"], "team": "evil"}, prev=None,
                      at=NOW - timedelta(days=400), by="Mallory", origin="evil")  # fmt: skip
    result = merge([("payments", [first]), ("evil", [twin])], trust=Trust(NOW))
    assert result.events == []
    assert {h.why for h in result.held} == \
        {f"the record's creations disagree on its team or kind (from {name})"
         for name in ("payments", "evil")}  # fmt: skip
    assert suspicious([first, twin], NOW) != []


async def test_the_app_moves_on_past_a_forged_revision(
    tmp_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retro whose record has a forged revision in its log: PgDn saves the step as ever."""
    from retro.config import Settings
    from retro.tui.app import RetroApp
    from tests.test_tui import SIZE, wait_for_step

    monkeypatch.setenv("RETRO_NOW", "2026-11-20T15:00:00+01:00")
    config = isolated / "config" / "config.toml"
    log = tmp_path / "payments.jsonl"
    write_config(config, {"team": "payments", "author": "Ana", "log": str(log),
                          "sprint_start": "2026-08-31", "sprint_length": "14d"})  # fmt: skip
    async with RetroApp(Settings(config_file=config), start="run", poll=False).run_test(
            size=SIZE) as pilot:  # fmt: skip
        await wait_for_step(pilot, "frame")
        await pilot.press("pagedown")  # no follow-ups yet: on to the outputs
        await wait_for_step(pilot, "outputs")
        await pilot.press(*"Shipped", "enter")
        await pilot.pause(0.3)
    retro = next(e for e in reversed(lines(log)) if e["rec"]["kind"] == "retro")
    for stamp in ("99991231T235959.999999Z", "20261320T000000.000000Z"):
        append(log, forged(retro, stamp=stamp, step="summary"))
    app = RetroApp(Settings(config_file=config), start="run", poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_step(pilot, "outputs")  # not "summary": the forged revisions are damaged
        await pilot.press("pagedown")
        await wait_for_step(pilot, "outcomes")
    assert app.return_code in (0, None)
