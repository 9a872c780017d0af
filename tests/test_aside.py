"""Work done in another process: the result comes back, and a failure there is done here."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from retro import merge
from retro.aside import aside
from retro.merging import merge_logs
from retro.store import Repository
from retro.trust import Trust
from tests.conftest import Clock


def test_the_result_comes_from_another_process() -> None:
    here = os.getpid()
    assert aside(lambda: [os.getpid() != here, "done"])() == [True, "done"]


def test_work_that_fails_there_is_done_here() -> None:
    calls = []

    def work() -> str:
        calls.append(os.getpid())
        if len(calls) == 1 and os.getpid() != here:
            raise RuntimeError("only over there")
        return "done here"

    here = os.getpid()
    waiting = aside(work)
    assert waiting() == "done here" and calls == [here]  # the child's call is not seen here


def test_a_large_merge_finds_alike_decisions_while_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    clock = Clock()
    Repository(a, author="Ana", team="payments", clock=clock).add("decision", "Grow revenue now")
    Repository(b, author="Bo", team="identity", clock=clock).add("decision", "Grow the revenue now")
    trust = Trust(now=datetime.now(UTC), accept_foreign=True)
    here = merge_logs([a, b], output=tmp_path / "here.jsonl", trust=trust).result.duplicates
    monkeypatch.setattr(merge, "ASIDE_FROM", 1)
    done = merge_logs([a, b], output=tmp_path / "there.jsonl", trust=trust).result
    assert done._alike is not None  # looked for in another process
    assert done.duplicates == here and len(here) == 1
    assert (tmp_path / "here.jsonl").read_bytes() == (tmp_path / "there.jsonl").read_bytes()
