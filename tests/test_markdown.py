"""The Markdown summary of a retro: its figures and sections, determinism, hostile text."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from retro import insights, scope
from retro.model import Record, new_record
from retro.present.markdown import md_text
from retro.present.summary import retro_summary
from retro.store import Repository

TZ = timezone(timedelta(hours=1))
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
SECTIONS = ("Figures", "Outcomes", "Outputs", "Risks reduced", "Lessons", "Dependencies", "Actions")
HOSTILE = (
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "![img](http://x/y.png)",
    "a | b",
    "\x1b[31m",
    "=cmd|' /C calc'!A0",
)
markdown_it = pytest.importorskip("markdown_it")


def commonmark(text: str) -> str:
    """HTML from strict CommonMark with tables."""
    return str(markdown_it.MarkdownIt("commonmark").enable("table").render(text))


def gfm(text: str) -> str:
    """HTML the way GitHub-like renderers see it (tables, strikethrough, bare links)."""
    return str(markdown_it.MarkdownIt("gfm-like").render(text))


class Log:
    """Records made one minute apart, named for the test."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}

    def add(self, name: str, kind: str, text: str, **fields: Any) -> Record:
        links = fields.pop("links", ())
        team = fields.pop("team", "leadership" if kind == "decision" else "payments")
        rec = new_record(
            kind,
            text,
            team=team,
            author="Ana",
            at=datetime(2026, 9, 1, 9, tzinfo=TZ) + timedelta(minutes=len(self.records)),
            fields=fields,
            links=[self.records[other]["id"] for other in links],
        )
        self.records[name] = rec
        return rec

    @property
    def context(self) -> dict[str, Record]:
        return {rec["id"]: rec for rec in self.records.values()}


Texts = Callable[[str], str]


def build_retro(say: Texts = lambda text: text) -> tuple[Record, list[Record], dict[str, Record]]:
    """One retro with one entry of each kind; ``say`` rewrites every piece of user text."""
    log = Log()
    decision = log.add(
        "D", "decision", say("Reach 99.9% checkout availability"), review_by="2026-09-05"
    )
    retro = log.add(
        "R",
        "retro",
        say("Sprint 1 retro"),
        team=say("payments"),
        period_start="2026-09-01",
        period_end="2026-09-14",
        facilitator=say("Amara Nwosu"),
        participants=[say("Amara Nwosu"), say("Jonas Weber")],
        focus="quality",
        status="open",
        decisions=[decision["id"]],
    )
    log.add("P1", "output", say("Circuit breaker around tokenisation"))
    log.add("P2", "output", say("Home-screen widget"))
    log.add(
        "O1",
        "outcome",
        say("Shoppers get a retry page instead of an error"),
        links=["P1", "D"],
        for_whom=say("shoppers on web checkout"),
        evidence=say("Checkout errors dashboard"),
        metric=say("checkout 5xx rate"),
        baseline=say("4.1%"),
        observed=say("0.6%"),
        observed_at="2026-09-10T17:00:00+01:00",
        confidence_before=2,
        confidence_after=4,
    )
    log.add(
        "K",
        "risk",
        say("A webhook backlog"),
        before={"likelihood": 4, "impact": 4},
        after={"likelihood": 2, "impact": 4},
    )
    # Learned three days after the decision was reviewed (5 Sep).
    log.add(
        "L",
        "lesson",
        say("One probe region hid the outage"),
        learned_at="2026-09-08T11:00:00+01:00",
        applies_to=[decision["id"]],
    )
    # Discovered a day after it was needed.
    log.add(
        "Y",
        "dependency",
        say("Probes need the platform team's agents"),
        on=say("platform team"),
        discovered_at="2026-09-10T16:00:00+01:00",
        needed_at="2026-09-09T09:00:00+01:00",
    )
    log.add(
        "A",
        "action",
        say("Add probes in São Paulo"),
        owner=say("Priya Raman"),
        due="2026-09-20",
        expected_outcome=say("Availability covers 80% of volume"),
    )
    entries = [rec for name, rec in log.records.items() if name not in ("D", "R")]
    for rec in entries:
        rec["retro"] = retro["id"]
    return retro, entries, log.context


def summary(retro: Record, entries: list[Record], context: dict[str, Record]) -> str:
    m = insights.metrics(entries, context=context, period_end=date.fromisoformat("2026-09-14"))
    return retro_summary(retro, entries, m, context=context)


def section(text: str, heading: str) -> list[str]:
    """The lines of one ``## heading`` section (without blank lines)."""
    body = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in body.splitlines() if line]


def test_the_summary_has_the_retro_figures_and_sections() -> None:
    text = summary(*build_retro())
    lines = text.splitlines()
    assert lines[0] == "# Retro: payments, 2026-09-01–2026-09-14"
    assert "- Facilitator: Amara Nwosu" in lines
    assert "- Participants: Amara Nwosu, Jonas Weber" in lines
    assert "- Focus: quality" in lines
    assert "- Decisions in view: Reach 99.9% checkout availability" in lines
    headings = [line[3:] for line in lines if line.startswith("## ")]
    assert headings == list(SECTIONS)
    figures = dict(line.strip("| ").split(" | ") for line in section(text, "Figures")[2:])
    assert figures["Outcome ratio"] == "0.50 (1 outcome / 2 outputs)"
    assert figures["Orphan outputs"] == "1 of 2"
    assert figures["Unanchored outcomes"] == "0 of 1"
    assert figures["Risk reduction"] == "+8 (1 risk)"  # 4x4=16 -> 2x4=8
    assert figures["Predictability gained"] == "1 of 1 outcome (confidence +2)"
    assert figures["Late lessons"] == "1 of 1"
    assert figures["Late dependencies"] == "1 of 1"
    assert figures["Actions"] == "1 (1 open)"
    assert figures["Decisions reinforced"] == "1"
    assert figures["Coherence (output → outcome → decision)"] == "50% of outputs"
    assert section(text, "Outcomes") == [
        "- Shoppers get a retry page instead of an error — for shoppers on web checkout; "
        "evidence: Checkout errors dashboard; checkout 5xx rate: 4.1% → 0.6%; "
        "observed 2026-09-10; confidence 2 → 4; reinforces: Reach 99.9% checkout availability"
    ]
    assert section(text, "Outputs") == [
        "- Circuit breaker around tokenisation → Shoppers get a retry page instead of an error",
        "- Home-screen widget — no outcome yet",
    ]
    assert section(text, "Risks reduced") == [
        "- A webhook backlog — score 16 (4×4) → 8 (2×4), reduced by 8"
    ]
    assert section(text, "Lessons") == [
        "- One probe region hid the outage — learned 2026-09-08; applies to: Reach 99.9% "
        "checkout availability — late: 3 days after the decision's review"
    ]
    assert section(text, "Dependencies") == [
        "- Probes need the platform team's agents — on platform team; discovered 2026-09-10, "
        "needed 2026-09-09 — late: discovered after it was needed"
    ]
    assert section(text, "Actions")[2:] == [
        "| Add probes in São Paulo | Priya Raman | 2026-09-20 | "
        "Availability covers 80% of volume | open |"
    ]


def test_empty_sections_say_so_and_no_outputs_shows_no_ratio() -> None:
    retro, entries, context = build_retro()
    only = [rec for rec in entries if rec["kind"] == "outcome"]
    text = retro_summary(retro, only, insights.metrics(only, context=context), context=context)
    assert "| Outcome ratio | — (1 outcome / 0 outputs) |" in text
    for heading in ("Outputs", "Risks reduced", "Lessons", "Dependencies", "Actions"):
        assert section(text, heading) == ["None."]


def test_late_marks_follow_the_metrics() -> None:
    retro, entries, context = build_retro()
    m = insights.metrics(entries, context=context)  # no period end
    text = retro_summary(retro, entries, m, context=context)
    assert "late" in section(text, "Lessons")[0]
    # Learned on time: the same lesson unmarked.
    lesson = next(rec for rec in entries if rec["kind"] == "lesson")
    lesson["learned_at"] = "2026-09-04T11:00:00+01:00"
    m = insights.metrics(entries, context=context)
    assert m.late_lessons == ()
    assert "late" not in section(retro_summary(retro, entries, m, context=context), "Lessons")[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("[x](javascript:alert(1))", r"\[x\](javascript:alert(1))"),
        ("![img](http://x/y.png)", r"\!\[img\](http://x/y.png)"),
        ("a | b", r"a \| b"),
        ("\x1b[31m", r"\\x1b\[31m"),
        ("=cmd|' /C calc'!A0", r"\=cmd\|' /C calc'!A0"),
        ("`code` *em* _em_ ~~del~~ $x$", r"\`code\` \*em\* \_em\_ \~\~del\~\~ \$x\$"),
        ("# heading", r"\# heading"),
        ("---", r"\---"),
        ("- item", r"\- item"),
        ("1. item", r"1\. item"),
        ("99.5% & rising", "99.5% &amp; rising"),
        ("a\\", "a\\\\"),
        ("one\r\ntwo\nthree\u2028four", "one two three four"),
        ("  \u202eevil\u200b ", r"\\u202eevil\\u200b"),
        ("Fix the release train", "Fix the release train"),
    ],
)
def test_md_text_makes_text_inert(text: str, expected: str) -> None:
    assert md_text(text) == expected


def hostile(text: str) -> str:
    """Every user text of the fixture carries every hostile string."""
    return text + " " + " ".join(HOSTILE)


def test_hostile_text_comes_out_inert() -> None:
    text = summary(*build_retro(hostile))
    assert "\x1b" not in text and "\r" not in text
    assert "<" not in text
    for render in (commonmark, gfm):
        html = render(text)
        assert "<script" not in html and "<img" not in html
        assert "javascript:" not in re.sub(r">[^<]*<", "><", html)  # only ever as text
        assert "href=" not in html or render is gfm  # GitHub-like renderers link bare URLs
        assert html.count("<h1>") == 1 and html.count("<h2>") == len(SECTIONS)
        assert "<ol" not in html and "<hr" not in html and "<code" not in html
        assert "<em>" not in html and "<strong>" not in html and "<del>" not in html
        # Tables keep their columns: 2 in Figures, 5 in Actions.
        rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
        assert [row.count("<td") + row.count("<th") for row in rows] == [2] * 11 + [5] * 2
    assert "alert(1)&lt;/script&gt;" in text  # shown, not dropped
    assert r"\\x1b\[31m" in text


def test_the_summary_is_deterministic() -> None:
    retro, entries, context = build_retro(hostile)
    first = summary(retro, entries, context)
    assert summary(retro, entries, context) == first
    shuffled = entries[:]
    random.Random(3).shuffle(shuffled)
    reordered = dict(reversed(list(context.items())))
    assert summary(retro, shuffled, reordered) == first
    index = insights.link_index(context.values())
    m = insights.metrics(entries, context=context, period_end=date(2026, 9, 14))
    assert retro_summary(retro, entries, m, context=context, index=index) == first


@pytest.mark.parametrize("team", ["payments", "onboarding", "platform", "mobile"])
def test_a_sample_retro_renders(team: str) -> None:
    records = Repository(SAMPLE / f"{team}.jsonl", author="x", team="y").load().all()
    context = insights.by_id(records)
    retros = [rec for rec in records if rec["kind"] == "retro"]
    by_retro = scope.group_by_retro(records, retros, context)
    for retro in retros:
        entries = by_retro.get(retro["id"], [])
        end = date.fromisoformat(retro["period_end"])
        m = insights.metrics(entries, context=context, period_end=end)
        text = retro_summary(retro, entries, m, context=context)
        assert text.startswith(f"# Retro: {team}, {retro['period_start']}–{retro['period_end']}\n")
        assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == list(SECTIONS)
        orphans = [line for line in section(text, "Outputs") if line.endswith("no outcome yet")]
        assert len(orphans) == len(m.orphan_outputs)
        late = [line for line in section(text, "Lessons") if " — late: " in line]
        assert len(late) == len(m.late_lessons)
        html = commonmark(text)
        assert "<script" not in html and "<a " not in html and "<img" not in html
