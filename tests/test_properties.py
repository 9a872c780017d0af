"""Property tests of the journal: replay of appends, torn prefixes."""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path
from random import Random

from hypothesis import HealthCheck, given, settings, strategies as st

from retro.errors import NotALogError
from retro.insights import link_index
from retro.merge import merge
from retro.store import Repository
from retro.store.events import DEL, PUT, Event, replay
from retro.store.journal import Journal
from retro.store.snapshot import _Fold
from retro.trust import FUTURE_TOLERANCE, Trust
from tests.conftest import START, Clock
from tests.test_merge import histories, split

# An operation: ("add", text) | ("edit", index, text) | ("remove", index) | ("restore", index)
texts = st.text(min_size=1, max_size=30).filter(lambda t: t.strip() == t and t != "")
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), texts),
        st.tuples(st.just("edit"), st.integers(0, 20), texts),
        st.tuples(st.just("remove"), st.integers(0, 20)),
        st.tuples(st.just("restore"), st.integers(0, 20)),
    ),
    max_size=25,
)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def run(ops: list[tuple], path: Path) -> dict[str, str]:
    """Apply ``ops`` through two alternating writers; return the expected id -> text."""
    clock = Clock()
    writers = [Repository(path, author=a, team="t", clock=clock) for a in ("Ana", "Bo")]
    expected: dict[str, str] = {}
    removed: dict[str, str] = {}
    for number, op in enumerate(ops):
        repo = writers[number % 2]
        if repo.loaded:
            repo.refresh()
        live, dead = sorted(expected), sorted(removed)
        if dead and op[0] == "restore":
            rid = dead[op[1] % len(dead)]
            assert repo.restore(rid)["text"] == removed[rid]
            expected[rid] = removed.pop(rid)
        elif op[0] == "add":
            expected[repo.add("output", op[1])["id"]] = op[1]
        elif live and op[0] == "edit":
            rid = live[op[1] % len(live)]
            repo.edit(rid, text=op[2])
            expected[rid] = op[2]
        elif live and op[0] == "remove":
            rid = live[op[1] % len(live)]
            repo.remove(rid)
            removed[rid] = expected.pop(rid)
        if not repo.loaded:
            repo.load(missing_ok=True)
    return expected


@SETTINGS
@given(ops=operations)
def test_replay_of_appends_is_the_expected_state(ops: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.jsonl"
        expected = run(ops, path)
        if not path.exists():
            assert not expected
            return
        state = Repository(path, author="Cy", team="t").load()
        assert {r["id"]: r["text"] for r in state.all()} == expected
        assert not state.problems


@SETTINGS
@given(ops=operations, cut=st.floats(0, 1))
def test_every_prefix_of_a_log_loads(ops: list[tuple], cut: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.jsonl"
        run([("add", "seed"), *ops], path)
        data = path.read_bytes()
        full = Journal(path).read().events
        size = int(len(data) * cut)
        path.write_bytes(data[:size])
        if size == 0:
            try:
                Journal(path).read()
            except NotALogError as err:
                assert "empty" in str(err)
            return
        batch = Journal(path).read()
        assert not batch.problems
        assert batch.events == full[: len(batch.events)]
        complete = data[:size].count(b"\n") - 1
        assert len(batch.events) in (complete, complete + 1)  # +1: last line whole, no newline
        # and the next writer carries on from there
        Repository(path, author="Cy", team="t", clock=Clock(start=Clock().now + timedelta(days=1)))\
            .add("output", "after the crash")
        after = Journal(path).read()
        assert after.events[-1]["rec"]["text"] == "after the crash"
        assert after.events[:-1] == batch.events


# An entry: (team, kind, in the team's retro, removed later)
entries = st.lists(
    st.tuples(st.sampled_from(["mobile", "payments"]), st.sampled_from(["output", "lesson"]),
              st.booleans(), st.booleans()),  # fmt: skip
    max_size=20,
)


@SETTINGS
@given(made=entries)
def test_index_narrowed_find_is_a_filter_of_everything(made: list[tuple]) -> None:
    """find() by kind, team and retro, answered from indexes, equals filtering every record."""
    with tempfile.TemporaryDirectory() as folder:
        path, clock = Path(folder) / "log.jsonl", Clock()
        repos = {team: Repository(path, author="Ana", team=team, clock=clock)
                 for team in ("mobile", "payments")}  # fmt: skip
        retros = {team: repo.add("retro", f"{team} retro")["id"] for team, repo in repos.items()}
        for team, kind, in_retro, removed in made:
            repo = repos[team]
            repo.refresh()
            rec = repo.add(kind, f"{kind} of {team}", retro=retros[team] if in_retro else None)
            if removed:
                repo.remove(rec["id"])
        reader = Repository(path, author="Bo", team="mobile").load()
        everything = reader.all()
        for kinds in ([], ["output"], ["lesson", "retro"]):
            for teams in ([], ["mobile"], ["mobile", "payments"]):
                for retro in (None, retros["payments"]):
                    expected = [rec for rec in everything
                                if (not kinds or rec["kind"] in kinds)
                                and (not teams or rec["team"] in teams)
                                and (retro is None or rec.get("retro") == retro)]  # fmt: skip
                    assert reader.find(kinds=kinds, teams=teams, retro=retro) == expected


@settings(max_examples=60, deadline=None)
@given(case=histories, order=st.randoms(use_true_random=False))
def test_what_a_restore_brings_back_does_not_depend_on_the_order_read(
    case: tuple[int, list[Event]], order: Random
) -> None:
    """Whatever the order of the lines, a deleted record's buried revision is its greatest put."""
    _, events = case
    events = list(events)
    order.shuffle(events)
    fold = _Fold({}, {}, 0)
    for place, event in enumerate(events):
        fold.add(event, place, 1)
    heads = replay(events)
    assert {rid: head.rev for rid, head in fold.heads.items()} == {
        rid: head["rev"] for rid, head in heads.items()}  # fmt: skip
    expected = {rid: replay(e for e in events if e["id"] == rid and e["op"] == PUT)[rid]["rev"]
                for rid, head in heads.items() if head["op"] == DEL}  # fmt: skip
    assert {rid: buried.rev for rid, buried in fold.buried.items()} == expected


@settings(max_examples=60, deadline=None)
@given(case=histories, cut=st.integers(0, 130))
def test_what_is_held_back_keeps_the_algebra_of_what_is_merged(
    case: tuple[int, list[Event]], cut: int
) -> None:
    """Revisions after the clock's tolerance are held back: whatever the order, grouping or
    repetition of the logs, the same events are merged and the same held; none is lost."""
    seed, events = case
    a, b, c = split(events, seed, 3)
    trust = Trust(START + timedelta(seconds=cut) - FUTURE_TOLERANCE)

    def merged(*logs: list[Event]) -> tuple[bytes, set[str]]:
        result = merge([(str(n), log) for n, log in enumerate(logs)], trust=trust)
        assert len({e["rev"] for e in result.events} & {h.rev for h in result.held}) == 0
        return b"".join(result.lines()), {h.rev for h in result.held}

    def events_of(*logs: list[Event]) -> list[Event]:
        return merge([(str(n), log) for n, log in enumerate(logs)], trust=trust).events

    assert merged(a, b) == merged(b, a)
    assert merged(a, a) == merged(a)
    assert merged(events_of(a, b), c)[0] == merged(a, events_of(b, c))[0] == merged(a, b, c)[0]
    text, held = merged(a, b, c)
    kept = {json.loads(line)["rev"] for line in text.splitlines()[1:]}
    assert kept | held == {e["rev"] for e in a + b + c}  # merged or held: nothing lost


@settings(max_examples=60, deadline=None)
@given(case=histories, shuffled=st.randoms(use_true_random=False))
def test_each_input_is_reported_against_everything_merged_before_it(
    case: tuple[int, list[Event]], shuffled: Random
) -> None:
    """New, updated and deleted records per input, as a plain replay of what came before
    and of what came with it counts them (whatever the order of each input's lines)."""
    seed, events = case
    logs = split(events, seed, 3)
    for log in logs:
        shuffled.shuffle(log)
    result = merge([(str(n), log) for n, log in enumerate([*logs, logs[0]])])
    seen: list[Event] = []
    for log, report in zip([*logs, logs[0]], result.inputs, strict=True):
        was, now = replay(seen), replay([*seen, *log])
        same = {rid for rid in was if was[rid]["rev"] == now[rid]["rev"]
                or was[rid]["op"] == now[rid]["op"] == DEL}  # unchanged, or still deleted
        changed = [rid for rid in {e["id"] for e in log} if rid not in same]
        deleted = [rid for rid in changed if now[rid]["op"] == DEL]
        new = [rid for rid in changed if rid not in was and rid not in deleted]
        assert (report.new_records, report.deletions, report.updated_records) == (
            len(new), len(deleted), len(changed) - len(new) - len(deleted))
        seen += log


# A change of links: (kind added, targets by index, or "link"/"unlink"/"remove"/"restore" + indexes)
link_ops = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["output", "lesson"]), st.lists(st.integers(0, 9), max_size=3)),
        st.tuples(st.sampled_from(["link", "unlink"]), st.integers(0, 9), st.integers(0, 9)),
        st.tuples(st.sampled_from(["remove", "restore"]), st.integers(0, 9)),
    ),
    max_size=25,
)


@SETTINGS
@given(ops=link_ops)
def test_the_stores_link_index_is_the_link_index_of_its_records(ops: list[tuple]) -> None:
    """However records are linked, unlinked, removed and restored (links both ways and to
    themselves included), the index kept up to date equals the one built from scratch."""
    with tempfile.TemporaryDirectory() as folder:
        repo = Repository(Path(folder) / "log.jsonl", author="Ana", team="t", clock=Clock())
        repo.load(missing_ok=True).links()  # built now: every change below updates it
        ids: list[str] = []
        for op, *args in ops:
            if op in ("output", "lesson"):
                targets = [ids[n % len(ids)] for n in args[0]] if ids else []
                fields = {"applies_to": targets} if op == "lesson" else {}
                links = targets if op == "output" else []
                ids.append(repo.add(op, "entry", links=links, fields=fields)["id"])
            elif ids:
                one, other = (ids[n % len(ids)] for n in (args[0], args[-1]))
                alive = repo.record(one) is not None
                if alive and op == "link":
                    repo.edit(one, link=[other])
                elif alive and op == "unlink":
                    repo.edit(one, unlink=[other])
                elif alive and op == "remove":
                    repo.remove(one)
                elif not alive and op == "restore":
                    repo.restore(one)
            assert repo.links() == link_index(repo.records().values())
