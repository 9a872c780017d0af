"""Logs shared through git: `retro git-setup`, the merge driver, and merging by hand."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from retro.store import Repository
from tests.conftest import Clock

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@example.invalid"]
LOG = "log.jsonl"


@pytest.fixture(autouse=True)
def git_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """git (and retro's calls to git) see only a config and a home inside the test's folder."""
    for name in list(os.environ):
        if name.startswith("GIT_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    return home


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(["git", *IDENTITY, *args], cwd=cwd, capture_output=True, timeout=60,
                          env=os.environ.copy(), check=False)  # fmt: skip
    if check:
        assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done


def git_text(cwd: Path, *args: str) -> str:
    return git(cwd, *args).stdout.decode().strip()


def retro(cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run retro as its own process in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "retro", *(str(arg) for arg in args)],
        cwd=cwd, capture_output=True, text=True, timeout=60, env=os.environ.copy(), check=False,
    )  # fmt: skip


def records(log: Path) -> dict[str, dict[str, Any]]:
    """The current entries of ``log`` by id (and a check that it reads without damage)."""
    done = retro(log.parent, "--log", log, "log", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return {rec["id"]: rec for rec in json.loads(done.stdout)}


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "-c", "init.defaultBranch=main", "init", "-q")
    return path


# --- git-setup ------------------------------------------------------------------------------


def driver_command() -> str:
    return f"{shlex.quote(sys.executable)} -m retro merge-driver %O %A %B %P"


def test_git_setup_registers_the_driver_in_the_repository(tmp_path: Path, git_home: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    (repo / ".gitattributes").write_text("*.png binary")  # no newline at the end
    sub = repo / "logs"
    sub.mkdir()
    for cwd in (repo, repo, sub):  # twice, then from a subfolder
        done = retro(cwd, "git-setup")
        assert done.returncode == 0, done.stderr
        assert ".gitattributes" in done.stderr
    assert (repo / ".gitattributes").read_text() == "*.png binary\n*.jsonl merge=retro\n"
    assert not (sub / ".gitattributes").exists()
    drivers = git_text(repo, "config", "--local", "--get-all", "merge.retro.driver")
    assert drivers == driver_command()
    assert git_text(repo, "config", "--local", "merge.retro.name")
    assert git_text(repo, "check-attr", "merge", "--", "logs/team.jsonl") == \
        "logs/team.jsonl: merge: retro"  # fmt: skip
    assert not (git_home / "gitconfig").exists()
    assert not (git_home / ".config").exists()


def test_git_setup_pattern(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    assert retro(repo, "git-setup", "--pattern", "retro/*.log").returncode == 0
    assert (repo / ".gitattributes").read_text() == "retro/*.log merge=retro\n"
    assert git_text(repo, "check-attr", "merge", "--", "retro/a.log") == "retro/a.log: merge: retro"


def test_git_setup_global_writes_the_users_files(tmp_path: Path, git_home: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    for _ in range(2):
        done = retro(repo, "git-setup", "--global")
        assert done.returncode == 0, done.stderr
    attributes = git_home / ".config" / "git" / "attributes"
    assert attributes.read_text() == "*.jsonl merge=retro\n"
    assert git_text(repo, "config", "--global", "--get-all", "merge.retro.driver") == \
        driver_command()  # fmt: skip
    assert not (repo / ".gitattributes").exists()
    local = git(repo, "config", "--local", "merge.retro.driver", check=False)
    assert local.returncode == 1  # not set in the repository
    other = init_repo(tmp_path / "other")  # every repository of this user now merges logs
    assert git_text(other, "check-attr", "merge", "--", "a.jsonl") == "a.jsonl: merge: retro"


def test_git_setup_global_uses_the_configured_attributes_file(
    tmp_path: Path, git_home: Path
) -> None:
    repo = init_repo(tmp_path / "repo")
    git(repo, "config", "--global", "core.attributesFile", "~/my-attributes")
    done = retro(repo, "git-setup", "--global")
    assert done.returncode == 0, done.stderr
    assert (git_home / "my-attributes").read_text() == "*.jsonl merge=retro\n"
    assert not (git_home / ".config").exists()
    assert git_text(repo, "check-attr", "merge", "--", "a.jsonl") == "a.jsonl: merge: retro"


def test_git_setup_global_follows_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    repo = init_repo(tmp_path / "repo")
    done = retro(repo, "git-setup", "--global")
    assert done.returncode == 0, done.stderr
    assert git_text(repo, "check-attr", "merge", "--", "a.jsonl") == "a.jsonl: merge: retro"


def test_git_setup_outside_a_repository(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    done = retro(folder, "git-setup")
    assert done.returncode == 1
    assert "not a git repository" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(folder.iterdir()) == []


# --- merging branches -----------------------------------------------------------------------


@dataclass
class Scenario:
    """A base log and two branches' versions of it (each appends to the base)."""

    base: bytes
    a: bytes
    b: bytes
    ids: list[str]  # the base's four entries
    added: list[str]  # two by branch a, one by branch b
    both: str  # edited on both branches
    deleted: str  # deleted on branch a
    revisions: list[str]  # a's and b's edits of ``both``


@pytest.fixture
def scenario(tmp_path: Path, clock: Clock) -> Scenario:
    work = tmp_path / "build"
    work.mkdir()
    base = work / "base.jsonl"
    repo = Repository(base, author="Ana", team="payments", clock=clock)
    texts = ["Refunds take five days", "Payouts are daily", "Disputes answered in a week",
             "Checkout converts 3%"]  # fmt: skip
    ids = [repo.add("outcome", text)["id"] for text in texts]
    a, b = work / "a.jsonl", work / "b.jsonl"
    shutil.copyfile(base, a)
    shutil.copyfile(base, b)

    side_a = Repository(a, author="Ana", team="payments", clock=clock).load()
    added = [side_a.add("output", "Refund API is live")["id"],
             side_a.add("lesson", "Flags need owners")["id"]]  # fmt: skip
    side_a.edit(ids[0], text="Refunds take two days")
    side_a.remove(ids[1])

    side_b = Repository(b, author="Bo", team="payments", clock=clock).load()
    added.append(side_b.add("output", "Dispute form shipped")["id"])
    side_b.edit(ids[3], text="Checkout converts 4%")
    side_b.edit(ids[0], text="Refunds take one day")

    def rev_of_last_edit(log: Path) -> str:
        events = [json.loads(line) for line in log.read_bytes().splitlines()[1:]]
        rev: str = [event for event in events if event["id"] == ids[0]][-1]["rev"]
        return rev

    revisions = [rev_of_last_edit(a), rev_of_last_edit(b)]
    return Scenario(base.read_bytes(), a.read_bytes(), b.read_bytes(), ids, added, ids[0], ids[1],
                    revisions)  # fmt: skip


def branches(path: Path, scenario: Scenario, *, driver: bool = False,
             attributes: str | None = None) -> Path:  # fmt: skip
    """A repository with the base on main, and branches ``a`` and ``b``; ``a`` checked out."""
    repo = init_repo(path)
    if driver:
        done = retro(repo, "git-setup")
        assert done.returncode == 0, done.stderr
    if attributes:
        (repo / ".gitattributes").write_text(attributes)
    log = repo / LOG
    log.write_bytes(scenario.base)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    for name, data in (("a", scenario.a), ("b", scenario.b)):
        git(repo, "checkout", "-q", "-b", name, "main")
        log.write_bytes(data)
        git(repo, "commit", "-q", "-am", f"entries on {name}")
    git(repo, "checkout", "-q", "a")
    return repo


def merge_b(repo: Path) -> subprocess.CompletedProcess[bytes]:
    return git(repo, "merge", "--no-edit", "b", check=False)


def assert_merged(repo: Path) -> None:
    """The merge is committed: no conflict left, two parents."""
    assert git_text(repo, "diff", "--name-only", "--diff-filter=U") == ""
    assert len(git_text(repo, "rev-list", "--parents", "-n", "1", "HEAD").split()) == 3


def test_the_driver_merges_without_conflict(tmp_path: Path, scenario: Scenario) -> None:
    repo = branches(tmp_path / "repo", scenario, driver=True)
    ours, theirs = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    ours.write_bytes(git(repo, "show", f"a:{LOG}").stdout)
    theirs.write_bytes(git(repo, "show", f"b:{LOG}").stdout)

    done = merge_b(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert b"CONFLICT" not in done.stdout
    assert_merged(repo)
    assert git_text(repo, "status", "--porcelain") == ""
    log = repo / LOG

    expected = tmp_path / "expected.jsonl"
    made = retro(tmp_path, "merge", ours, theirs, "-o", expected)
    assert made.returncode == 0, made.stderr
    assert log.read_bytes() == expected.read_bytes()
    assert b"<<<<<<<" not in log.read_bytes()

    verified = retro(repo, "verify", "--log", log)
    assert verified.returncode == 0, verified.stdout
    assert "healthy" in verified.stdout

    current = records(log)
    kept = [i for i in scenario.ids if i != scenario.deleted]
    assert set(current) == {*kept, *scenario.added}  # the deleted entry stays deleted
    assert current[scenario.ids[3]]["text"] == "Checkout converts 4%"
    history = retro(repo, "--log", log, "show", scenario.both, "--history")
    assert history.returncode == 0, history.stderr
    for rev in scenario.revisions:  # both sides' edits of the same entry are kept
        assert rev in history.stdout
    winner = max(scenario.revisions)
    text = "Refunds take two days" if winner == scenario.revisions[0] else "Refunds take one day"
    assert current[scenario.both]["text"] == text

    # The other way round, b merging a, gives the very same file.
    git(repo, "checkout", "-q", "-b", "b2", "b")
    done = git(repo, "merge", "--no-edit", "a", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert log.read_bytes() == expected.read_bytes()


def test_without_the_driver_a_conflict_is_resolved_with_retro_merge(
    tmp_path: Path, scenario: Scenario
) -> None:
    repo = branches(tmp_path / "plain", scenario)
    done = merge_b(repo)
    assert done.returncode != 0
    assert git_text(repo, "diff", "--name-only", "--diff-filter=U") == LOG

    (repo / "ours.jsonl").write_bytes(git(repo, "show", f":2:{LOG}").stdout)
    (repo / "theirs.jsonl").write_bytes(git(repo, "show", f":3:{LOG}").stdout)
    made = retro(repo, "merge", "ours.jsonl", "theirs.jsonl", "-o", LOG)
    assert made.returncode == 0, made.stderr
    git(repo, "add", LOG)
    git(repo, "commit", "-q", "--no-edit")
    assert_merged(repo)

    with_driver = branches(tmp_path / "driver", scenario, driver=True)
    assert merge_b(with_driver).returncode == 0
    assert (repo / LOG).read_bytes() == (with_driver / LOG).read_bytes()


def test_union_merge_reads_like_the_proper_merge(tmp_path: Path, scenario: Scenario) -> None:
    # b also holds one of a's new events (say both merged the same log): union keeps it twice.
    shared = scenario.a.removeprefix(scenario.base).splitlines(keepends=True)[0]
    scenario = replace(scenario, b=scenario.b + shared)
    repo = branches(tmp_path / "union", scenario, attributes="*.jsonl merge=union\n")
    done = merge_b(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_merged(repo)
    log = repo / LOG
    assert b"<<<<<<<" not in log.read_bytes()
    assert log.read_bytes().splitlines(keepends=True).count(shared) == 2

    with_driver = branches(tmp_path / "driver", scenario, driver=True)
    assert merge_b(with_driver).returncode == 0
    assert (with_driver / LOG).read_bytes().splitlines(keepends=True).count(shared) == 1
    assert records(log) == records(with_driver / LOG)
    lines = set(log.read_bytes().splitlines()[1:])  # the driver's header names its generation
    assert lines == set((with_driver / LOG).read_bytes().splitlines()[1:])  # same events
    verified = retro(repo, "verify", "--log", log)
    assert verified.returncode == 0, verified.stdout
    # Compacting the union (or merging it) gives the canonical file, the driver's.
    compacted = retro(repo, "--log", log, "compact")
    assert compacted.returncode == 0, compacted.stderr
    assert log.read_bytes() == (with_driver / LOG).read_bytes()


def test_the_driver_merges_two_logs_started_apart(tmp_path: Path, clock: Clock) -> None:
    """Both branches create the log (no common version): git still hands it to the driver."""
    repo = init_repo(tmp_path / "repo")
    assert retro(repo, "git-setup").returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "attributes")
    made = {}
    for name, author in (("a", "Ana"), ("b", "Bo")):
        git(repo, "checkout", "-q", "-b", name, "main")
        log = repo / LOG
        Repository(log, author=author, team=name, clock=clock).add("outcome", f"Shipped {name}")
        made[name] = tmp_path / f"{name}.jsonl"
        shutil.copyfile(log, made[name])
        git(repo, "add", LOG)
        git(repo, "commit", "-q", "-m", f"log on {name}")
    git(repo, "checkout", "-q", "a")
    done = merge_b(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_merged(repo)
    expected = tmp_path / "expected.jsonl"
    assert retro(tmp_path, "merge", made["a"], made["b"], "-o", expected).returncode == 0
    assert (repo / LOG).read_bytes() == expected.read_bytes()
    assert {rec["text"] for rec in records(repo / LOG).values()} == {"Shipped a", "Shipped b"}


def test_the_driver_keeps_what_it_holds_back_beside_the_log(
    tmp_path: Path, scenario: Scenario, clock: Clock
) -> None:
    """A record moved to another team on one branch: not merged, not lost, and said."""
    moved = tmp_path / "moved.jsonl"
    moved.write_bytes(scenario.b)
    Repository(moved, author="Bo", team="payments", clock=clock).load().edit(
        scenario.ids[2], fields={"team": "search"})  # fmt: skip
    change = moved.read_bytes()[len(scenario.b):]
    repo = branches(tmp_path / "repo", replace(scenario, b=moved.read_bytes()), driver=True)

    done = merge_b(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_merged(repo)
    err = done.stderr.decode()
    assert "held back: 1 event, not merged, kept in log.jsonl.held" in err
    log, held = repo / LOG, repo / (LOG + ".held")
    assert change not in log.read_bytes()
    assert held.read_bytes().splitlines(keepends=True)[1:] == [change]
    assert records(log)[scenario.ids[2]]["team"] == "payments"
    assert set(records(log)) >= {*scenario.added, scenario.both}
    assert git_text(repo, "status", "--porcelain") == "?? log.jsonl.held"

    taken = retro(repo, "merge", held, "--into", log, "--accept-foreign")
    assert taken.returncode == 0, taken.stderr
    assert records(log)[scenario.ids[2]]["team"] == "search" and not held.exists()
