"""The field registry: one declaration serves validation, the command line and the forms."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from retro.fields import KINDS, PROMPTS, form_of, options
from retro.model import CHOICES, DATE_DIRECTIONS, ENTRY_KINDS, KIND_FIELDS

# Adding a field is one Field in retro/fields.py: here it is added before anything reads the
# registry, as an edit of that file would, and every part of retro picks it up.
ADD_A_FIELD = """
import json, sys
from retro import fields
fields.KINDS["risk"] = (*fields.KINDS["risk"], fields.Field(
    "mitigation", fields.TEXT, "Mitigation", "--mitigation", "What brought the risk down.",
    form=True, placeholder="what brought it down"))

from click.testing import CliRunner
from retro.cli import cli
from retro.model import field_type, record_problem
from retro.store import Repository

log = sys.argv[1]
done = CliRunner().invoke(cli, ["--log", log, "checkin", "-k", "risk", "Chargebacks",
                                "--mitigation", "3-D Secure on every card"])
assert done.exit_code == 0, done.output
[risk] = Repository(log, author="x", team="x").load().all()
print(json.dumps({
    "stored": risk.get("mitigation"),
    "type": field_type("risk", "mitigation"),
    "refused": record_problem({**risk, "mitigation": 42}),
    "help": "--mitigation" in CliRunner().invoke(cli, ["checkin", "--help"]).output,
    "form": [f.name for f in fields.form_of("risk")],
}))
"""


def test_adding_a_field_is_one_declaration(tmp_path: Path) -> None:
    import json

    done = subprocess.run([sys.executable, "-c", ADD_A_FIELD, str(tmp_path / "t.jsonl")],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["stored"] == "3-D Secure on every card" and found["type"] == "text"
    assert "mitigation" in found["refused"]  # validated as the registry declares
    assert found["help"] and "mitigation" in found["form"]


def test_the_registry_is_what_validation_reads() -> None:
    for kind, declared in KINDS.items():
        assert KIND_FIELDS[kind] == {field.name: field.type for field in declared}
        for field in declared:
            if field.choices:
                assert CHOICES[(kind, field.name)] == field.choices
            if field.direction:
                assert DATE_DIRECTIONS[(kind, field.name)] == field.direction
                assert field.type in ("date", "datetime")


def test_every_form_and_option_comes_from_a_declared_field() -> None:
    for kind in ENTRY_KINDS:
        assert kind in PROMPTS
        if kind == "decision":
            continue  # decisions are added in the frame step, not in an entry form
        form = form_of(kind)
        assert form[0].name == "text"
        assert all(field in KINDS[kind] for field in form if field.form and field.name != "text")
    for flag, (field, kinds) in options().items():
        assert flag.startswith("--") and field.help
        assert all(field.name in KIND_FIELDS[kind] for kind in kinds)
