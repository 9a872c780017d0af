"""The command line, driven through click's CliRunner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from retro.cli import COMMANDS, cli
from retro.config import Settings, write_config
from retro.errors import RetroError
from retro.inputs import read_inputs
from retro.store import Repository

NOW = "2026-11-27T10:30:00+01:00"


@pytest.fixture
def run(log_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RETRO_NOW", NOW)
    runner = CliRunner()

    def invoke(*args: str, log: Path | None = log_path, input: str | None = None) -> Result:
        full = (["--log", str(log)] if log else []) + list(args)
        return runner.invoke(cli, full, input=input, catch_exceptions=False)

    return invoke


def test_checkin_prints_the_id_alone_on_stdout(run, log_path: Path) -> None:
    result = run("checkin", "Refunds settle in one day", "--for", "buyers")
    assert result.exit_code == 0, result.stderr
    rid = result.stdout.strip()
    assert len(rid) == 36 and result.stdout == rid + "\n"
    assert "Recorded outcome" in result.stderr
    shown = json.loads(run("log", "--format", "json").stdout)
    assert shown[0]["id"] == rid and shown[0]["for_whom"] == "buyers"
    assert {"id", "kind", "team", "author", "text", "created_at"} <= shown[0].keys()
    assert shown[0]["team"] == "payments" and shown[0]["author"] == "Ana"


def test_checkin_every_kind_with_its_options(run) -> None:
    dec = run("checkin", "-k", "decision", "Grow self-serve revenue", "--criteria", "share > 40%",
              "--review-by", "in 2 weeks").stdout.strip()  # fmt: skip
    out = run("checkin", "-k", "output", "Shipped one-click pay", "--link", "self-serve")
    assert out.exit_code == 0, out.stderr
    cases = [
        ("outcome", "Conversion up 3%", "--observed", "5.1%", "--baseline", "4.8%",
         "--confidence-before", "2", "--confidence-after", "4", "--link", dec[:8]),
        ("risk", "PCI audit gaps", "--before", "4x3", "--after", "2x3", "--evidence", "audit"),
        ("lesson", "Flags need owners", "--learned", "last friday", "--applies-to", "self-serve"),
        ("dependency", "SSO API", "--on", "identity team", "--needed", "3 days ago"),
        ("action", "Add flag owners", "--owner", "Bo", "--due", "next monday",
         "--expected", "no stale flags"),
    ]  # fmt: skip
    for kind, text, *options in cases:
        result = run("checkin", "--kind", kind, text, *options)
        assert result.exit_code == 0, result.stderr
    records = {r["kind"]: r for r in json.loads(run("log", "--format", "json").stdout)}
    assert records["output"]["links"] == [dec]
    assert records["decision"]["review_by"] == "2026-12-11"
    assert records["risk"]["before"] == {"likelihood": 4, "impact": 3}
    assert records["lesson"]["learned_at"].startswith("2026-11-20T00:00:00")
    assert records["lesson"]["applies_to"] == [dec]
    assert records["dependency"]["discovered_at"] == NOW  # defaults to now
    assert records["action"]["due"] == "2026-11-30" and records["action"]["status"] == "open"
    assert records["outcome"]["confidence_after"] == 4


THURSDAY = "2026-12-03T10:00:00+01:00"


@pytest.mark.parametrize(
    ("now", "args", "field", "saved"),
    [
        # when something is due: the next such day
        (THURSDAY, ["-k", "action", "--due", "friday"], "due", "2026-12-04"),
        (THURSDAY, ["-k", "action", "--field", "due=fri"], "due", "2026-12-04"),
        (THURSDAY, ["-k", "action", "--due", "thursday"], "due", "2026-12-03"),
        (NOW, ["-k", "action", "--due", "Dec 11"], "due", "2026-12-11"),
        (THURSDAY, ["-k", "dependency", "--needed", "monday"], "needed_at",
         "2026-12-07T00:00:00+01:00"),
        (THURSDAY, ["-k", "decision", "--review-by", "friday"], "review_by", "2026-12-04"),
        # when something happened: the last such day
        (THURSDAY, ["-k", "lesson", "--learned", "friday"], "learned_at",
         "2026-11-27T00:00:00+01:00"),
        (THURSDAY, ["-k", "dependency", "--discovered", "monday"], "discovered_at",
         "2026-11-30T00:00:00+01:00"),
        (NOW, ["--observed-at", "Dec 11"], "observed_at", "2025-12-11T00:00:00+01:00"),
        (THURSDAY, ["--at", "friday"], "created_at", "2026-11-27T00:00:00+01:00"),
    ],
)  # fmt: skip
def test_due_dates_lean_forward_and_happened_dates_back(
    run, monkeypatch: pytest.MonkeyPatch, now: str, args: list[str], field: str, saved: str
) -> None:
    monkeypatch.setenv("RETRO_NOW", now)
    result = run("checkin", "x", *args)
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    [rec] = json.loads(run("log", "--format", "json").stdout)
    assert rec[field] == saved


@pytest.mark.parametrize(
    ("args", "warning"),
    [
        (["-k", "action", "--due", "2026-11-01"], "--due 2026-11-01 is in the past"),
        (["-k", "action", "--field", "due=yesterday"], "due 2026-11-26 is in the past"),
        (["-k", "dependency", "--needed", "3 days ago"], "--needed 2026-11-24 is in the past"),
        (["-k", "decision", "--review-by", "last friday"], "--review-by 2026-11-20 is in the past"),
        (["-k", "lesson", "--learned", "in 2 days"], "--learned 2026-11-29 is in the future"),
        (["--observed-at", "28 Nov 2026"], "--observed-at 2026-11-28 is in the future"),
        (["--at", "tomorrow 9am"], "--at 2026-11-28 is in the future"),
    ],
)
def test_a_date_typed_in_full_the_wrong_way_is_kept_with_a_warning(
    run, args: list[str], warning: str
) -> None:
    result = run("checkin", "x", *args)
    assert result.exit_code == 0
    assert result.stderr.startswith(f"retro: warning: {warning}\n")
    assert result.stderr.count("warning") == 1
    [rec] = json.loads(run("log", "--format", "json").stdout)
    assert rec["id"] == result.stdout.strip()


def test_edit_warns_about_a_due_date_in_the_past(run) -> None:
    rid = run("checkin", "-k", "action", "Add flag owners", "--due", "friday").stdout.strip()
    result = run("edit", rid[:8], "--due", "2026-11-02")
    assert result.exit_code == 0
    assert "retro: warning: --due 2026-11-02 is in the past" in result.stderr
    [rec] = json.loads(run("log", "--format", "json").stdout)
    assert rec["due"] == "2026-11-02"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["checkin", "x", "--at", "the day after never"], "cannot understand the date"),
        (["checkin", "x", "--owner", "Bo"], "--owner applies to action entries, not outcome"),
        (["checkin", "x", "-k", "risk", "--before", "9x9"], "likelihood x impact"),
        (["checkin", "x", "--field", "nokey"], "is not KEY=VALUE"),
        (["checkin", "x", "--field", "id=1"], "set by retro"),
        (["checkin", "x", "--confidence-after", "seven"], "1 to 5"),
        (["checkin"], "say what to record"),
        (["checkin", "x", "-k", "feeling"], "Invalid value"),
        (["log", "--since", "soonish"], "cannot understand the date"),
    ],
)
def test_bad_input_is_a_usage_error(run, args: list[str], message: str,
                                    log_path: Path) -> None:  # fmt: skip
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not log_path.exists()


def test_date_error_lists_accepted_forms(run) -> None:
    result = run("checkin", "x", "--at", "\x1b[31mnever")
    assert "yesterday" in result.stderr and "3 days ago" in result.stderr
    assert "\x1b" not in result.stderr


def test_unknown_link_is_a_clear_error(run, log_path: Path) -> None:
    run("checkin", "seed")
    before = log_path.read_bytes()
    result = run("checkin", "x", "--link", "nothing-like-it")
    assert result.exit_code == 1 and "no entry matches" in result.stderr
    assert log_path.read_bytes() == before


def test_log_formats_and_filters(run) -> None:
    run("checkin", "-k", "output", "Shipped one-click pay", "--at", "2026-11-10")
    run("checkin", "Conversion up 3%", "--at", "yesterday")
    jsonl = run("log", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["kind"] for line in jsonl] == ["output", "outcome"]
    assert len(json.loads(run("log", "--format", "json", "--kind", "output").stdout)) == 1
    assert len(json.loads(run("log", "--format", "json", "--since", "3 days ago").stdout)) == 1
    assert len(json.loads(run("log", "--format", "json", "--until", "2026-11-15").stdout)) == 1
    assert len(json.loads(run("log", "--format", "json", "--search", "one-click").stdout)) == 1
    assert json.loads(run("log", "--format", "json", "--team", "mobile").stdout) == []
    table = run("log").stdout
    assert "Shipped one-click pay" in table and "outcome" in table
    limited = run("log", "--limit", "1").stdout
    assert "Shipped" not in limited and "showing the last 1 of 2" in limited


def test_hostile_text_is_shown_literally(run) -> None:
    hostile = "[bold]x[/] a[/]b [@click=app.quit]q[/] \x1b[2J\x1b]0;pwned\x07 \u202eevil"
    rid = run("checkin", hostile).stdout.strip()
    for output in (run("log").stdout, run("show", rid).stdout):
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
        assert "[bold]x[/]" in output and "[@click=app.quit]q[/]" in output
        assert "\\x1b[2J" in output
    raw = run("log", "--format", "json").stdout
    assert "\x1b" not in raw and "\u202e" not in raw
    assert json.loads(raw)[0]["text"] == hostile  # the data itself is untouched


def test_show_edit_history_and_rm(run) -> None:
    dec = run("checkin", "-k", "decision", "Grow self-serve").stdout.strip()
    rid = run("checkin", "-k", "output", "Shipped pay", "--link", dec).stdout.strip()
    shown = run("show", rid[:6]).stdout
    assert "output " + rid in shown and "(decision) Grow self-serve" in shown
    edited = run("edit", rid[:6], "--text", "Shipped one-click pay", "--field", "squad=blue")
    assert edited.exit_code == 0 and "Updated output" in edited.stderr
    assert "squad            blue" in run("show", rid).stdout
    history = run("show", "--history", rid).stdout
    assert "created" in history and "text: Shipped pay → Shipped one-click pay" in history
    assert run("edit", rid, "--owner", "Bo").exit_code == 2
    removed = run("rm", rid)
    assert removed.exit_code == 0 and "Deleted output" in removed.stderr
    assert run("show", rid).exit_code == 1
    assert "deleted" in run("show", "--history", rid).stdout
    assert rid not in run("log", "--format", "json").stdout


def test_missing_log_is_a_clear_error(run, tmp_path: Path) -> None:
    for command in (["log"], ["show", "abcd"], ["verify"], ["compact"]):
        result = run(*command, log=tmp_path / "nope.jsonl")
        assert result.exit_code == 1 and "no log at" in result.stderr, command


def test_damaged_lines_warn_and_exit_3(run, log_path: Path) -> None:
    run("checkin", "one")
    with open(log_path, "ab") as out:
        out.write(b"{broken\n")
    run("checkin", "two")
    result = run("log", "--format", "json")
    assert result.exit_code == 3
    assert [r["text"] for r in json.loads(result.stdout)] == ["one", "two"]
    assert "line 3: the line is not valid JSON" in result.stderr
    verify = run("verify")
    assert verify.exit_code == 1 and "line 3" in verify.stdout
    compact = run("compact")
    assert compact.exit_code == 0 and ".rejected" in compact.stderr
    assert run("verify").exit_code == 0


def test_verify_healthy(run, log_path: Path) -> None:
    run("checkin", "one")
    result = run("verify", "--log", str(log_path), log=None)
    assert result.exit_code == 0 and "healthy" in result.stdout


def test_init_then_settings_apply(run, isolated: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv("RETRO_TEAM")
    monkeypatch.delenv("RETRO_AUTHOR")
    log = tmp_path / "mobile.jsonl"
    result = run("init", "--team", "mobile", "--author", "Kai", "--log", str(log),
                 "--sprint-start", "2026-11-16", "--sprint-length", "2 weeks",
                 log=None)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    config = (isolated / "config" / "config.toml").read_text()
    assert 'team = "mobile"' in config and 'sprint_length = "14d"' in config
    rid = run("checkin", "x", "--at", "last sprint", log=None).stdout.strip()
    [rec] = json.loads(run("log", "--format", "json", log=None).stdout)
    assert rec["id"] == rid and rec["team"] == "mobile" and rec["author"] == "Kai"
    assert rec["created_at"].startswith("2026-11-02")
    assert log.exists()


def test_team_defaults_to_log_name_and_default_log_is_created(
    run, isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RETRO_TEAM")
    run("checkin", "x", log=tmp_path / "platform.jsonl")
    assert json.loads(run("log", "--format", "json", log=tmp_path / "platform.jsonl").stdout)[0][
        "team"
    ] == "platform"
    result = run("checkin", "into the default log", log=None)
    assert result.exit_code == 0, result.stderr
    assert (isolated / "data" / "retro" / "retro-log.jsonl").exists()


def test_broken_config_is_a_clear_error(run, isolated: Path) -> None:
    config = isolated / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("team = [unclosed\n")
    result = run("checkin", "x", log=None)
    assert result.exit_code == 1 and "not valid TOML" in result.stderr


def test_a_broken_cadence_fails_the_check_before_the_app(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('sprint_start = "someday"\n')
    with pytest.raises(RetroError, match="sprint cadence"):
        Settings(config_file=config).check()
    config.write_text('sprint_start = "2026-01-05"\nsprint_length = "2w"\n')
    Settings(config_file=config).check()
    assert Settings(config_file=config).cadence is not None


def test_reading_inputs_tells_the_progress(run, log_path: Path, tmp_path: Path) -> None:
    run("checkin", "Refunds settle in one day")
    other = tmp_path / "other.jsonl"
    run("checkin", "Payouts on time", log=other)
    told: list[int] = []
    inputs = read_inputs([log_path, other], skip_bad=False, progress=told.append)
    assert told == [log_path.stat().st_size, other.stat().st_size]
    assert {rec["text"] for rec in inputs.current()} == {"Refunds settle in one day",
                                                        "Payouts on time"}  # fmt: skip


def _commands(group: click.Group) -> list[tuple[str, click.Command]]:
    ctx = click.Context(group)
    found = [(name, group.get_command(ctx, name)) for name in group.list_commands(ctx)]
    return [(name, command) for name, command in found if command is not None]


def test_every_command_has_help() -> None:
    runner = CliRunner()
    assert cli.help
    commands = _commands(cli)
    assert {"checkin", "log", "merge", "report", "run", "decision"} <= dict(commands).keys()
    for name, command in commands:
        assert command.help and len(command.help) > 20, name
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts}"


def test_the_command_list_matches_each_command_s_help() -> None:
    """``retro --help`` lists the summaries kept beside the lazy commands: they must agree."""
    for name, command in _commands(cli):
        for limit in (45, 70, 200):
            listed = click.Command(name, help=COMMANDS[name].summary).get_short_help_str(limit)
            assert listed == command.get_short_help_str(limit), name


def _imported_by(tmp_path: Path, *args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The modules a real ``retro ARGS`` process imported, and how it ended."""
    code = (
        "import sys\n"
        "from retro.cli import main\n"
        f"sys.argv = ['retro', '--log', {str(tmp_path / 'x.jsonl')!r}, *{list(args)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('MODULES', *sorted(sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    listed = [line for line in done.stderr.splitlines() if line.startswith("MODULES ")]
    assert listed, done.stderr
    return set(listed[-1].split()[1:]), done


HEAVY = ("textual", "rich", "tinydb", "retro.report", "retro.merge", "retro.insights",
         "retro.tui", "retro.present.terminal", "retro.present.tables")  # fmt: skip


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)}


def test_checkin_does_not_import_textual(tmp_path: Path) -> None:
    """A check-in appends without TinyDB, Rich, Textual, the report or the merge."""
    modules, done = _imported_by(tmp_path, "checkin", "hello", "--kind", "lesson")
    assert not _heavy(modules), _heavy(modules)
    assert len(done.stdout.strip()) == 36
    assert "Recorded lesson" in done.stderr
    log = (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(log) == 2 and '"learned_at"' in log[1]


def test_a_checkin_that_links_reads_the_log(tmp_path: Path) -> None:
    """Resolving --link needs the log read: only then is the repository (TinyDB) loaded."""
    first, _ = _imported_by(tmp_path, "checkin", "Refunds in a day", "--kind", "decision")
    modules, done = _imported_by(tmp_path, "checkin", "Shipped", "--kind", "output",
                                 "--link", "refunds")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "tinydb" in modules and "tinydb" not in first


def test_help_imports_no_command(tmp_path: Path) -> None:
    modules, done = _imported_by(tmp_path, "--help")
    assert "checkin" in done.stdout and "merge-driver" in done.stdout
    loaded = {m for m in modules if m.startswith("retro.cli.")}
    assert loaded == {"retro.cli.context", "retro.cli.lazy"}, loaded


def test_every_command_module_imports_alone() -> None:
    """Each family of commands can be loaded by itself, in a fresh interpreter."""
    for module in sorted({lazy.module for lazy in COMMANDS.values()}):
        done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                              text=True, check=False)  # fmt: skip
        assert done.returncode == 0, f"{module}: {done.stderr[-2000:]}"


def test_demo_prints_the_sample_data_without_a_terminal(run) -> None:
    result = run("demo", "--print", log=None)
    assert result.exit_code == 0, result.stderr
    assert "The sample logs were copied to" in result.stderr
    assert "payments" in result.stdout and "mobile" in result.stdout


def test_app_commands_need_a_terminal(run) -> None:
    for args in (["run"], ["demo"], []):
        result = run(*args, log=None)
        assert result.exit_code == 2 and "needs a terminal" in result.stderr, args
        assert "copied" not in result.stderr  # the demo copies nothing it cannot show
    assert run("run", "--sprint", "someday").exit_code == 2


def test_themes_are_listed(run, isolated: Path) -> None:
    folder = isolated / "config" / "themes"
    folder.mkdir(parents=True)
    (folder / "broken.toml").write_text("name = [")
    result = run("themes", log=None)
    assert result.exit_code == 0
    names = result.stdout.split()
    assert {"retro-dark", "retro-light", "retro-high-contrast", "retro-colorblind"} <= set(names)
    assert "* retro-dark" in result.stdout and "broken.toml" in result.stderr


def test_rm_then_restore_then_show(run) -> None:
    rid = run("checkin", "-k", "output", "Shipped one-click pay").stdout.strip()
    removed = run("rm", rid[:8])
    assert f"(undo: retro restore {rid[:8]})" in removed.stderr
    restored = run("restore", rid[:8])
    assert restored.exit_code == 0
    assert restored.stderr == f"Restored output {rid[:8]} 'Shipped one-click pay'\n"
    assert "Shipped one-click pay" in run("show", rid).stdout
    history = run("show", "--history", rid).stdout.splitlines()
    assert [line.split()[-1] for line in history if " rev " in line] == \
        ["created", "deleted", "restored"]  # fmt: skip
    assert [r["id"] for r in json.loads(run("log", "--format", "json").stdout)] == [rid]


def test_restore_of_a_live_or_unknown_entry_fails_cleanly(run, log_path: Path) -> None:
    rid = run("checkin", "-k", "output", "Shipped one-click pay").stdout.strip()
    before = log_path.read_bytes()
    for ref, message in ((rid[:8], f"entry {rid[:8]} is not deleted"),
                         ("ffffffff", "no entry matches 'ffffffff'")):  # fmt: skip
        result = run("restore", ref)
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and message in result.stderr
    assert log_path.read_bytes() == before


def test_a_restore_survives_merging_a_copy_made_before_it(run, log_path: Path,
                                                           tmp_path: Path) -> None:  # fmt: skip
    rid = run("checkin", "-k", "output", "Shipped pay").stdout.strip()
    run("rm", rid)
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(log_path.read_bytes())  # another team's copy: it still says deleted
    run("restore", rid)
    run("edit", rid, "--text", "Shipped one-click pay")
    one, other = tmp_path / "one.jsonl", tmp_path / "other.jsonl"
    assert run("merge", str(copy), str(log_path), "-o", str(one), log=None).exit_code == 0
    assert run("merge", str(log_path), str(copy), "-o", str(other), log=None).exit_code == 0
    assert one.read_bytes() == other.read_bytes()
    merged = run("merge", str(log_path), "--into", str(copy), "--format", "json", log=None)
    assert merged.exit_code == 0 and copy.read_bytes() == one.read_bytes()
    [report] = json.loads(merged.stdout)["inputs"]
    assert (report["updated_records"], report["deletions"]) == (1, 0)  # the restore travelled
    for log in (one, copy):
        assert "Shipped one-click pay" in run("show", rid, log=log).stdout
        assert run("verify", log=log).exit_code == 0
        assert run("compact", log=log).exit_code == 0
        assert "Shipped one-click pay" in run("show", rid, log=log).stdout


def test_a_named_log_in_a_missing_folder_is_one_clear_message(run, tmp_path: Path) -> None:
    log = tmp_path / "no-such-folder" / "team.jsonl"
    result = run("checkin", "Refunds settle in a day", log=log)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "does not exist" in result.stderr and not log.parent.exists()


def test_where_says_where_the_log_and_config_live(run, isolated: Path, log_path: Path) -> None:
    lines = dict(line.split(None, 1) for line in run("where").stdout.splitlines())
    assert lines["log"] == str(log_path)
    assert lines["config"] == str(isolated / "config" / "config.toml")
    assert lines["team"] == "payments" and NOW in lines["clock"]


def test_summary_of_a_sprint_that_held_no_retro_creates_nothing(run, log_path: Path,
                                                              isolated: Path) -> None:  # fmt: skip
    write_config(isolated / "config" / "config.toml",
                 {"sprint_start": "2026-11-16", "sprint_length": "14d"})  # fmt: skip
    run("checkin", "-k", "output", "One-click refunds")
    run("checkin", "Refunds settle in a day")
    text = run("summary", "--sprint", "current")
    assert text.exit_code == 0, text.output
    assert "2026-11-16 – 2026-11-29  (no retro held: its check-ins)" in text.stdout
    assert "Outcome ratio          1.00  (1 outcomes / 1 outputs)" in text.stdout
    data = json.loads(run("summary", "--sprint", "current", "--format", "json").stdout)
    assert (data["retro"], data["status"], data["outcome_ratio"]) == (None, "not held", 1.0)
    assert json.loads(run("summary", "2026-11-20", "--format", "json").stdout) == data
    assert run("log", "--kind", "retro", "--format", "json").stdout.strip() == "[]"
    assert "no entry matches" in run("summary", "zzzz-nothing").stderr
    assert run("summary", "--sprint", "someday").exit_code == 2


def test_checkin_into_the_current_retro_needs_one(run, isolated: Path) -> None:
    write_config(isolated / "config" / "config.toml",
                 {"sprint_start": "2026-11-16", "sprint_length": "14d"})  # fmt: skip
    refused = run("checkin", "-k", "output", "Webhook retries", "--retro", "current")
    assert refused.exit_code == 1 and "no retro yet" in refused.stderr


def test_checkin_into_the_current_retro_records_what_its_step_records(
    run, isolated: Path, log_path: Path
) -> None:
    """A teammate's card from another terminal lands in the step the retro is at."""
    write_config(isolated / "config" / "config.toml",
                 {"sprint_start": "2026-11-16", "sprint_length": "14d"})  # fmt: skip
    repo = Repository(log_path, author="Ana", team="payments")
    retro = repo.add("retro", "Retro", fields={"period_start": "2026-11-16",
                                               "period_end": "2026-11-29", "step": "outputs"})
    card = run("checkin", "Webhook retries", "--retro", "current").stdout.strip()
    assert repo.load().get(card)["kind"] == "output" and repo.get(card)["retro"] == retro["id"]
    repo.edit(retro["id"], fields={"step": "risks"})
    risk = run("checkin", "Chargebacks", "--retro", "current", "--before", "4x3").stdout.strip()
    repo.refresh()
    assert repo.get(risk)["kind"] == "risk" and repo.get(risk)["before"] == {
        "likelihood": 4, "impact": 3}  # fmt: skip
    explicit = run("checkin", "-k", "lesson", "Flags need owners", "--retro", "current")
    repo.refresh()
    assert repo.get(explicit.stdout.strip())["kind"] == "lesson"
    repo.edit(retro["id"], fields={"step": "frame"})
    cards = [run("checkin", "A", "--retro", "current").stdout.strip(),
             run("checkin", "B").stdout.strip()]  # fmt: skip
    repo.refresh()
    assert [repo.get(rid)["kind"] for rid in cards] == ["outcome", "outcome"]


def test_checkin_into_an_anonymous_retro_records_no_author(
    run, isolated: Path, log_path: Path
) -> None:
    config = {"sprint_start": "2026-11-16", "sprint_length": "14d", "author": "Ana"}
    write_config(isolated / "config" / "config.toml", config)
    repo = Repository(log_path, author="Fay", team="payments")
    repo.add("retro", "Retro", fields={"period_start": "2026-11-16", "period_end": "2026-11-29",
                                       "step": "outcomes", "cards": "anonymous"})  # fmt: skip
    done = run("checkin", "Refunds settle in a day", "--retro", "current")
    assert done.exit_code == 0 and "without its author" in done.stderr
    line = log_path.read_text().splitlines()[-1]
    assert repo.load().get(done.stdout.strip())["author"] == "" and "Ana" not in line
    assert "anonymous" in run("log").stdout  # said so, not left blank
    assert "anonymous" in run("show", done.stdout.strip(), "--history").stdout
