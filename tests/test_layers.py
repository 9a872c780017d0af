"""Imports run one way: cli -> tui -> store, merge, insights, present -> model.

Nothing below the app imports Textual; nothing below the command line imports click.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "retro"


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def layer(path: Path) -> str:
    """``cli``, ``tui`` or ``core`` (everything below the app)."""
    part = path.relative_to(PACKAGE).parts[0]
    if part == "__main__.py":  # `python -m retro` runs the command line
        return "cli"
    return part if part in ("cli", "tui") else "core"


MODULES = sorted(PACKAGE.rglob("*.py"))
FORBIDDEN = {
    "core": ("textual", "click", "retro.tui", "retro.cli"),
    "tui": ("click", "retro.cli"),
    "cli": (),
}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(path: Path) -> None:
    banned = FORBIDDEN[layer(path)]
    wrong = {m for m in imports(path) if any(m == b or m.startswith(b + ".") for b in banned)}
    assert not wrong, f"{path.name} imports {sorted(wrong)}"


def test_the_scan_sees_imports() -> None:
    assert "textual.app" in imports(PACKAGE / "tui" / "app.py")
    assert "click" in imports(PACKAGE / "cli" / "options.py")
