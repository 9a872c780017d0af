"""The steps of a retro, each a screen with the step bar and the live counts.

One module per kind of step: :mod:`.frame`, :mod:`.follow_ups`, :mod:`.entries` (the form
and table every kind of entry shares) with :mod:`.kinds` (the six kinds), :mod:`.summary`,
and :mod:`.decisions` (the decision review's). A retro's format says which it runs.
"""

from __future__ import annotations

from retro.tui.screens.base import Navigator
from retro.tui.screens.steps.base import StepScreen
from retro.tui.screens.steps.decisions import DecisionsStep
from retro.tui.screens.steps.entries import EntryStep
from retro.tui.screens.steps.follow_ups import FollowUpsStep
from retro.tui.screens.steps.frame import FrameStep
from retro.tui.screens.steps.kinds import (
    ActionsStep,
    DependenciesStep,
    LessonsStep,
    OutcomesStep,
    OutputsStep,
    RisksStep,
)
from retro.tui.screens.steps.summary import SummaryStep
from retro.tui.session import Session

STEP_SCREENS: dict[str, type[StepScreen]] = {
    screen.STEP: screen
    for screen in (FrameStep, FollowUpsStep, OutputsStep, OutcomesStep, RisksStep, LessonsStep,
                   DependenciesStep, ActionsStep, SummaryStep, DecisionsStep)  # fmt: skip
}


def step_screen(step: str, session: Session, nav: Navigator) -> StepScreen:
    """A new screen for ``step``."""
    return STEP_SCREENS[step](session, nav)


__all__ = ["STEP_SCREENS", "EntryStep", "StepScreen", "SummaryStep", "step_screen"]
