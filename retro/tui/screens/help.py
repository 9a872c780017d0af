"""Help: the keys, the steps, and the words."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from retro.formats import DEFAULT_FORMAT, FALLBACK, Format
from retro.present.sanitize import clean
from retro.tui.widgets import STEP_TITLES

KEYS = """\
Keys
  ?, F1        this help                 Ctrl+P    every command (palette)
  s            start/resume the retro    c         quick check-in
  PgDn / PgUp  next / previous step      Esc       back home
  Enter        save a form / open a row  Ctrl+S    save the form
  Ctrl+N       new entry                 Ctrl+D    delete the entry
  Ctrl+E       export the summary        Ctrl+Q    quit
  Tab          next field                Shift+Tab previous field
  Ctrl+T       saved entries, and back   Space     pick in a list (type: filter)

A live retro (others joined with `retro join` or a browser)
  F7           step as group exercise    F5        next phase: write, reveal,
  F6           one more minute                     group, vote, discuss
  Space        mark a card (grouping)    g         fold the marked into the first
  u            unfold a card             s         fold the first suggestion
  + / -        a dot on a card, or back  Enter     add a card / a dot
"""
STEP_HELP = {
    "frame": "period, people, the team's focus, the decisions in play",
    "follow-ups": "last retro's actions: done, dropped or carried; did it move?",
    "outputs": "what was delivered",
    "outcomes": "what changed, for whom, with what evidence; linked to decisions",
    "risks": "risks reduced: likelihood x impact before and after",
    "lessons": "what we learned and when (late if after the review date)",
    "dependencies": "on whom, discovered when, needed when",
    "actions": "owner, due date, expected outcome",
    "summary": "the figures; close the retro; export Markdown",
    "decisions": "each decision in play: its outcomes arrived? its criterion still right?",
}
WORDS = """\
An output is something that gets delivered. An outcome is something that changes.
Every change is written to the log as it is made: quitting loses nothing.
Dates accept what people type: today 9am, 3 days ago, last friday, in 2 weeks, sprint."""


def help_text(fmt: Format = FALLBACK) -> str:
    """The help: the keys, the steps of a retro in format ``fmt``, and the words."""
    title = "The retro" if fmt.name == DEFAULT_FORMAT else clean(fmt.title)
    steps = [f"  {n} {STEP_TITLES[step]:<13} {STEP_HELP[step]}"
             for n, step in enumerate(fmt.step_names, start=1)]  # fmt: skip
    return "\n".join([KEYS, f"{title}, step by step", *steps, "", WORDS])


class HelpScreen(ModalScreen[None]):
    """Keys and steps (those of the open retro's format)."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def __init__(self, fmt: Format = FALLBACK) -> None:
        super().__init__()
        self.fmt = fmt

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Label("retro — help  (Esc closes)", classes="step-title")
            yield Static(help_text(self.fmt), markup=False)
