"""Help: the keys, the steps, and the words."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

HELP = """\
Keys
  ?, F1        this help                 Ctrl+P    every command (palette)
  s            start/resume the retro    c         quick check-in
  PgDn / PgUp  next / previous step      Esc       back home
  Enter        save a form / open a row  Ctrl+S    save the form
  Ctrl+N       new entry                 Ctrl+D    delete the entry
  Ctrl+E       export the summary        Ctrl+Q    quit
  Tab          next field                Shift+Tab previous field
  Ctrl+T       saved entries, and back   Space     pick in a list (type: filter)

The retro, step by step
  1 Frame         period, people, the team's focus, the decisions in play
  2 Follow-ups    last retro's actions: done, dropped or carried; did it move?
  3 Outputs       what was delivered
  4 Outcomes      what changed, for whom, with what evidence; linked to decisions
  5 Risks         risks reduced: likelihood x impact before and after
  6 Lessons       what we learned and when (late if after the review date)
  7 Dependencies  on whom, discovered when, needed when
  8 Actions       owner, due date, expected outcome
  9 Summary       the figures; close the retro; export Markdown

An output is something that gets delivered. An outcome is something that changes.
Every change is written to the log as it is made: quitting loses nothing.
Dates accept what people type: today 9am, 3 days ago, last friday, in 2 weeks, sprint."""


class HelpScreen(ModalScreen[None]):
    """Keys and steps."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Label("retro — help  (Esc closes)", classes="step-title")
            yield Static(HELP, markup=False)
