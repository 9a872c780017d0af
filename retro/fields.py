"""The field registry: every field of every kind of record, declared once.

Validation (:mod:`retro.model`), the command line's options, the app's forms, table columns
and export headers are all derived from these declarations. Adding a field to a kind is
one :class:`Field` here (and its test); see the README's development section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# How a value is stored and checked.
FieldType = Literal[
    "text", "short", "scalar", "datetime", "date", "score", "risk", "ids", "names", "ref",
    "count",
]
TEXT: FieldType = "text"
SHORT: FieldType = "short"
SCALAR: FieldType = "scalar"  # a number or a short text
DATETIME: FieldType = "datetime"
DATE: FieldType = "date"
SCORE: FieldType = "score"  # 1 to 5
RISK: FieldType = "risk"  # likelihood and impact, 1 to 5 each
IDS: FieldType = "ids"
NAMES: FieldType = "names"
REF: FieldType = "ref"
COUNT: FieldType = "count"  # a whole number from 0 to 999

# Which side of today a date lies on: dates people type lean that way, and one typed in
# full the other way is kept but flagged.
Direction = Literal["future", "past"]
FUTURE: Direction = "future"
PAST: Direction = "past"

FOCUSES = ("speed", "quality", "cost", "stability", "learning", "other")
ACTION_STATUSES = ("open", "done", "dropped", "carried")
RETRO_STATUSES = ("open", "closed")
MOVED = ("yes", "no", "unclear")  # did an action's expected outcome move?
PHASES = ("write", "reveal", "group", "vote", "discuss")  # a step run as a group exercise
CARDS = ("named", "anonymous")  # whether a live retro's cards record their author
ROLES = ("facilitator", "participant")
LIVE_KINDS = ("vote", "presence")  # the room of a live retro: records, not entries

Widget = Literal["input", "score", "choice", "picker"]


@dataclass(frozen=True)
class Field:
    """One field of a kind of record: how it is stored, typed, asked for and shown.

    ``flag`` is its command-line option (None: not an option); ``form`` says whether the
    app's entry form asks for it, with ``placeholder`` and ``default`` ("now", "today");
    ``direction`` is the way an ambiguous date leans (date fields only; None: to the
    past, never flagged); ``source`` is what a picker offers ("decisions").
    """

    name: str
    type: FieldType
    label: str
    flag: str | None = None
    help: str = ""
    direction: Direction | None = None
    choices: tuple[str, ...] = ()
    form: bool = False
    widget: Widget = "input"
    placeholder: str = ""
    default: str = ""
    source: str = ""

    @property
    def metavar(self) -> str | None:
        """The option's value as the help shows it."""
        if self.type in (DATE, DATETIME):
            return "WHEN"
        return "REF" if self.type in (IDS, REF) else None


COMMON: tuple[Field, ...] = (
    Field("id", REF, "Id"),
    Field("kind", SHORT, "Kind"),
    Field("team", SHORT, "Team"),
    Field("author", SHORT, "Author"),
    Field("text", TEXT, "What"),
    Field("created_at", DATETIME, "Recorded"),
    Field("updated_at", DATETIME, "Changed"),
    Field("retro", REF, "Retro"),
    Field("links", IDS, "Links"),
)

# What a card of a live retro adds to an entry: the card it is folded into, and, on the card
# others are folded into, their authors.
CARD: tuple[Field, ...] = (
    Field("group_of", REF, "Folded into"),
    Field("authors", NAMES, "Authors"),
)

KINDS: dict[str, tuple[Field, ...]] = {
    "decision": (
        Field("criteria", TEXT, "Criteria", "--criteria", "The decision's explicit criteria.",
              form=True, placeholder="how we will know"),
        Field("review_by", DATE, "Review by", "--review-by", "WHEN the decision is revisited.",
              direction=FUTURE, form=True, placeholder="WHEN it is revisited"),
        Field("alias_of", REF, "Same as"),
    ),
    "output": CARD,
    "outcome": (
        Field("for_whom", SHORT, "For whom", "--for", "Who the outcome changed something for.",
              form=True, placeholder="merchants, new sign-ups, on-call…"),
        Field("metric", SHORT, "Metric", "--metric", "The metric the evidence is about.",
              form=True, placeholder="the evidence's measure"),
        Field("baseline", SCALAR, "Baseline", "--baseline", "The metric's value before.",
              form=True, placeholder="before, e.g. 4.5 days"),
        Field("observed", SCALAR, "Observed", "--observed", "The metric's value now.",
              form=True, placeholder="now, e.g. 1 day"),
        Field("observed_at", DATETIME, "Observed when", "--observed-at",
              "WHEN the change was observed.", direction=PAST, form=True, placeholder="WHEN",
              default="today"),
        Field("evidence", TEXT, "Evidence", "--evidence",
              "What shows it (a link, a figure, a quote).", form=True,
              placeholder="a link, a figure, a quote"),
        Field("confidence_before", SCORE, "Confidence before", "--confidence-before",
              "Predictability before, 1-5.", form=True, widget="score"),
        Field("confidence_after", SCORE, "Confidence after", "--confidence-after",
              "Predictability after, 1-5.", form=True, widget="score"),
        *CARD,
    ),
    "risk": (
        Field("before", RISK, "Before (LxI)", "--before",
              "Risk before, likelihood x impact (e.g. 4x3).", form=True,
              placeholder="likelihood x impact, e.g. 4x3"),
        Field("after", RISK, "After (LxI)", "--after",
              "Risk after, likelihood x impact (e.g. 2x3).", form=True, placeholder="e.g. 2x3"),
        Field("evidence", TEXT, "Evidence", "--evidence",
              "What shows it (a link, a figure, a quote).", form=True,
              placeholder="what shows it"),
        *CARD,
    ),
    "lesson": (
        Field("learned_at", DATETIME, "Learned when", "--learned",
              "WHEN the lesson was learned (default: now).", direction=PAST, form=True,
              placeholder="WHEN", default="now"),
        Field("applies_to", IDS, "Applies to", "--applies-to",
              "Decision or outcome the lesson applies to.", form=True, widget="picker",
              source="decisions"),
        *CARD,
    ),
    "dependency": (
        Field("on", SHORT, "On whom", "--on", "The team or system depended on.", form=True,
              placeholder="team or system"),
        Field("discovered_at", DATETIME, "Discovered", "--discovered",
              "WHEN it was discovered (default: now).", direction=PAST, form=True,
              placeholder="WHEN", default="now"),
        Field("needed_at", DATETIME, "Needed by", "--needed", "WHEN it was needed.",
              direction=FUTURE, form=True, placeholder="WHEN"),
        *CARD,
    ),
    "action": (
        Field("owner", SHORT, "Owner", "--owner", "Who follows the action up.", form=True,
              placeholder="who follows it up"),
        Field("due", DATE, "Due", "--due", "WHEN the action is due.", direction=FUTURE,
              form=True, placeholder="WHEN, e.g. next friday"),
        Field("expected_outcome", TEXT, "Expected outcome", "--expected",
              "The outcome the action should move.", form=True, placeholder="what should move"),
        Field("status", SHORT, "Status", "--status", "open, done, dropped or carried.",
              choices=ACTION_STATUSES),
        Field("moved", SHORT, "Outcome moved?", choices=MOVED),
        Field("moved_evidence", TEXT, "Evidence it moved"),
        Field("closed_in", REF, "Closed in retro"),  # whose follow-ups marked it done or dropped
        *CARD,
    ),
    "retro": (
        Field("period_start", DATE, "Period start"),
        Field("period_end", DATE, "Period end"),
        Field("facilitator", SHORT, "Facilitator"),
        Field("participants", NAMES, "Participants"),
        Field("focus", SHORT, "Focus", choices=FOCUSES),
        Field("status", SHORT, "Status", choices=RETRO_STATUSES),
        Field("decisions", IDS, "Decisions in play"),
        Field("step", SHORT, "Step"),
        Field("format", SHORT, "Format"),  # its steps (see retro.formats); none: outcome-retro
        # A live retro (see retro.live): the phase of its step, run as a group exercise, and
        # its timer; the dots each participant gives per step; whether cards are anonymous.
        Field("phase", SHORT, "Phase", choices=PHASES),
        Field("phase_started_at", DATETIME, "Phase started"),
        Field("phase_ends_at", DATETIME, "Phase ends"),
        Field("dots", COUNT, "Dots per person"),
        Field("cards", SHORT, "Cards", choices=CARDS),
    ),
    # One per participant and step of a live retro (its text: who): the cards they dot.
    "vote": (
        Field("step", SHORT, "Step"),
        Field("dots", IDS, "Dots"),
    ),
    # One per participant of a live retro (its text: who): when they were last seen, said
    # they were done writing, left.
    "presence": (
        Field("role", SHORT, "Role", choices=ROLES),
        Field("seen_at", DATETIME, "Seen"),
        Field("done_at", DATETIME, "Done writing"),
        Field("left_at", DATETIME, "Left"),
    ),
}  # fmt: skip


# How each kind's text is asked for in the app: (label, placeholder).
PROMPTS: dict[str, tuple[str, str]] = {
    "decision": ("Decision", "the strategic decision or bet"),
    "output": ("Delivered", "what was delivered"),
    "outcome": ("What changed", "what changed, for someone"),
    "risk": ("Risk", "the risk that went down (or up)"),
    "lesson": ("Lesson", "what we learned"),
    "dependency": ("Dependency", "what we needed"),
    "action": ("Action", "decision to reconsider, experiment, follow-up"),
}
# The links a kind's form offers to choose, after its fields: (what is offered, label).
LINK_CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "outcome": (("outputs", "Contributing outputs"), ("decisions", "Reinforces")),
    "risk": (("decisions", "Decisions"),),
}


def form_of(kind: str) -> tuple[Field, ...]:
    """What the app's entry form for ``kind`` asks, in order: the text, the kind's fields
    marked ``form``, then pickers for its links (each named by what it offers)."""
    label, placeholder = PROMPTS[kind]
    text = Field("text", TEXT, label, form=True, placeholder=placeholder)
    pickers = (Field(source, IDS, label, widget="picker", source=source)
               for source, label in LINK_CHOICES.get(kind, ()))  # fmt: skip
    return (text, *(field for field in KINDS[kind] if field.form), *pickers)


def fields_of(kind: str) -> tuple[Field, ...]:
    """The fields every record has, then those of ``kind``."""
    return (*COMMON, *KINDS.get(kind, ()))


def options() -> dict[str, tuple[Field, tuple[str, ...]]]:
    """The command line's entry options: flag -> (its field, the kinds it applies to).

    A flag several kinds share (``--evidence``) names the same field in each.
    """
    found: dict[str, tuple[Field, tuple[str, ...]]] = {}
    for kind, declared in KINDS.items():
        for field in declared:
            if field.flag is not None:
                first, kinds = found.get(field.flag, (field, ()))
                found[field.flag] = (first, (*kinds, kind))
    return found
