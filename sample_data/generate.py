"""Write the sample team logs: four teams, six sprints, four shared strategic decisions.

Usage: ``python sample_data/generate.py [FOLDER]`` (default: this file's folder).

The files ``payments.jsonl``, ``onboarding.jsonl``, ``platform.jsonl`` and
``mobile.jsonl`` are deleted and rewritten through retro's own repository API.
Ids, clocks and writer origins are fixed, so every run writes the same bytes.
An organisation-level decision is recorded once and its event copied, unchanged,
into the log of every team that works towards it.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from unittest import mock

from retro import model
from retro.store import Repository
from retro.store.journal import Journal

FOLDER = Path(__file__).resolve().parent
FIRST_SPRINT = date(2026, 8, 31)  # a Monday
SPRINT_DAYS = 14

# --- how the data is described ---------------------------------------------------------


@dataclass(frozen=True)
class At:
    """A moment: ``day`` days after the start of the sprint it is written in, at hour:minute."""

    day: int
    hour: int = 10
    minute: int = 0


@dataclass(frozen=True)
class On:
    """A date: ``day`` days after the start of the sprint it is written in."""

    day: int


@dataclass(frozen=True)
class Entry:
    """A record to add: during the sprint's retro, or as a check-in when ``at`` is set."""

    kind: str
    key: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    links: tuple[str, ...] = ()
    at: At | None = None
    by: str | None = None
    then: str | None = None  # an action's status, given at the next retro


@dataclass(frozen=True)
class Edit:
    """A second revision of the record named ``key`` (``at`` None: during the retro)."""

    key: str
    at: At | None
    by: str
    text: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    link: tuple[str, ...] = ()


@dataclass(frozen=True)
class Remove:
    """The deletion of the record named ``key`` (a tombstone)."""

    key: str
    at: At
    by: str


Step = Entry | Edit | Remove


@dataclass(frozen=True)
class Sprint:
    """One sprint of a team: its retro and what was recorded between retros."""

    focus: str
    facilitator: str
    goal: str
    entries: tuple[Entry, ...]
    between: tuple[Step, ...] = ()
    away: tuple[str, ...] = ()
    status: str = "closed"
    decisions: tuple[str, ...] = ()  # the team's own decisions in play, beyond the shared ones


@dataclass(frozen=True)
class Team:
    """A team, its people, the shared decisions it works towards and its six sprints."""

    name: str
    utc_offset: timedelta
    origin: str
    seed: int
    people: tuple[str, ...]
    decisions: tuple[str, ...]
    retro_at: At  # when in the sprint the retro is held
    sprints: tuple[Sprint, ...]


def output(key: str, text: str, *, at: At | None = None, by: str | None = None) -> Entry:
    """Something delivered."""
    return Entry("output", key, text, at=at, by=by)


def outcome(
    key: str,
    text: str,
    *,
    who: str,
    evidence: str,
    metric: str,
    baseline: str | float,
    observed: str | float,
    seen: At,
    conf: tuple[int, int],
    links: tuple[str, ...],
    at: At | None = None,
    by: str | None = None,
) -> Entry:
    """Something that changed, for someone, with evidence."""
    fields = {
        "for_whom": who,
        "evidence": evidence,
        "metric": metric,
        "baseline": baseline,
        "observed": observed,
        "observed_at": seen,
        "confidence_before": conf[0],
        "confidence_after": conf[1],
    }
    return Entry("outcome", key, text, fields, links, at=at, by=by)


def _risk_value(pair: tuple[int, int]) -> dict[str, int]:
    return {"likelihood": pair[0], "impact": pair[1]}


def risk(
    key: str,
    text: str,
    *,
    before: tuple[int, int],
    after: tuple[int, int],
    evidence: str,
    links: tuple[str, ...] = (),
    at: At | None = None,
    by: str | None = None,
) -> Entry:
    """A risk that was reduced (or grew): likelihood × impact before and after."""
    fields = {"before": _risk_value(before), "after": _risk_value(after), "evidence": evidence}
    return Entry("risk", key, text, fields, links, at=at, by=by)


def lesson(
    key: str,
    text: str,
    *,
    learned: At,
    applies: tuple[str, ...],
    links: tuple[str, ...] = (),
    at: At | None = None,
    by: str | None = None,
) -> Entry:
    """Something learned, when it was learned, and what it applies to."""
    fields = {"learned_at": learned, "applies_to": applies}
    return Entry("lesson", key, text, fields, links, at=at, by=by)


def dependency(
    key: str,
    text: str,
    *,
    on: str,
    found: At,
    needed: At,
    links: tuple[str, ...] = (),
    at: At | None = None,
    by: str | None = None,
) -> Entry:
    """A dependency on another team or system."""
    fields = {"on": on, "discovered_at": found, "needed_at": needed}
    return Entry("dependency", key, text, fields, links, at=at, by=by)


def action(
    key: str,
    text: str,
    *,
    owner: str,
    due: On,
    expects: str,
    then: str | None = None,
    links: tuple[str, ...] = (),
    at: At | None = None,
    by: str | None = None,
) -> Entry:
    """A follow-up; ``then`` is the status the next retro gives it."""
    fields = {"owner": owner, "due": due, "expected_outcome": expects}
    return Entry("action", key, text, fields, links, at=at, by=by, then=then)


def decision(
    key: str, text: str, *, criteria: str, review_by: str, at: At, by: str
) -> Entry:
    """A strategic decision with explicit criteria and a review date."""
    fields = {"criteria": criteria, "review_by": review_by}
    return Entry("decision", key, text, fields, at=at, by=by)


# --- the organisation's decisions --------------------------------------------------------

LEADERSHIP = "leadership"
LEADERSHIP_OFFSET = timedelta(hours=1)
LEADERSHIP_ORIGIN = "hq"
LEADERSHIP_SEED = 20260826

DECISIONS: tuple[Entry, ...] = (
    decision(
        "revenue",
        "Grow self-serve revenue to 40% of new revenue by Q2 2027",
        criteria="Self-serve share of new annual recurring revenue, from the billing "
        "warehouse, at 40% or more for April–June 2027 (22% in July 2026). Guardrails: "
        "90-day churn of self-serve cohorts no higher than sales-led ones; fewer than 0.5 "
        "support tickets per new self-serve account in its first month.",
        review_by="2026-12-15",
        at=At(-5, 9, 30),
        by="Miriam Okafor",
    ),
    decision(
        "ttfv",
        "Cut time-to-first-value for new customers below one day",
        criteria="Median time from sign-up to first live payment under 24 hours for every "
        "monthly cohort, p75 under 3 days, as measured by the activation report. Web and app "
        "sign-ups both count; accounts closed by compliance are excluded.",
        review_by="2026-10-16",
        at=At(-5, 9, 45),
        by="Miriam Okafor",
    ),
    decision(
        "events",
        "Consolidate on one event platform",
        criteria="New producers publish only through the platform event gateway from "
        "1 Oct 2026; RabbitMQ and Segment carry no production traffic by 31 Jan 2027; one "
        "schema registry; eventing on-call owned by the platform team alone.",
        review_by="2026-11-13",
        at=At(-5, 10, 0),
        by="Tobias Lindqvist",
    ),
    decision(
        "checkout",
        "Reach 99.9% checkout availability",
        criteria="Successful or cleanly declined payment attempts divided by all attempts, "
        "shopper aborts excluded, at 99.9% or more over every rolling 28 days, measured by "
        "real-user monitoring and synthetic probes in every sales region. An error-budget "
        "policy binds payments and platform.",
        review_by="2026-10-30",
        at=At(-5, 10, 15),
        by="Tobias Lindqvist",
    ),
)

# --- payments ----------------------------------------------------------------------------

PAYMENTS = Team(
    name="payments",
    utc_offset=timedelta(hours=1),
    origin="pay1",
    seed=101,
    people=(
        "Jonas Weber", "Amara Nwosu", "Lucía Ferrer", "Tomasz Nowak", "Priya Raman",
        "Henrik Lund",
    ),
    decisions=("revenue", "checkout", "events"),
    retro_at=At(11, 14, 0),
    sprints=(
        Sprint(
            focus="stability",
            facilitator="Amara Nwosu",
            goal="checkout survives PSP latency spikes",
            between=(
                dependency(
                    "pd1",
                    "Probes outside Frankfurt need the platform team's synthetic-monitoring "
                    "agents, which only run in eu-central today",
                    on="platform team synthetic monitoring",
                    found=At(2, 16),
                    needed=At(9, 9),
                    links=("checkout",),
                    at=At(2, 16, 20),
                    by="Priya Raman",
                ),
                lesson(
                    "pl1",
                    "One probe region hid the Frankfurt-only outage on 2 Sep: checkout failed "
                    "for German shoppers for 41 minutes while the availability graph stayed "
                    "green",
                    learned=At(2, 11),
                    applies=("checkout",),
                    at=At(3, 9, 30),
                    by="Tomasz Nowak",
                ),
            ),
            entries=(
                output(
                    "po1",
                    "Circuit breaker around the card tokenisation call to the PSP, with a "
                    "retry page instead of the 502",
                ),
                output("po2", "Runbook for draining a PSP webhook backlog, rehearsed on staging"),
                output("po3", "Payments service upgraded to Java 21 and Spring Boot 3.3"),
                output("po4", "Alert on webhook queue age: over 5 minutes pages on-call"),
                outcome(
                    "pc1",
                    "Shoppers get a retry page instead of an error when tokenisation times out",
                    who="shoppers on web checkout",
                    evidence="Checkout errors dashboard: the PSP latency spikes of 8 and 10 Sep "
                    "were absorbed by the breaker; 38 support tickets after the August spike, "
                    "2 this time",
                    metric="checkout 5xx rate during PSP latency spikes",
                    baseline="4.1%",
                    observed="0.6%",
                    seen=At(10, 17),
                    conf=(2, 3),
                    links=("po1", "checkout"),
                ),
                risk(
                    "pr1",
                    "A PSP webhook backlog leaves orders paid but unconfirmed for hours",
                    before=(4, 4),
                    after=(2, 4),
                    evidence="Staging rehearsal on 9 Sep drained 20,000 queued webhooks in "
                    "11 minutes; the queue-age alert fired after 5 minutes as designed",
                    links=("po2", "po4"),
                ),
                action(
                    "pa1",
                    "Add synthetic checkout probes in São Paulo and Singapore",
                    owner="Priya Raman",
                    due=On(20),
                    expects="The availability figure covers the regions that bring 80% of "
                    "card volume",
                    then="done",
                    links=("checkout",),
                ),
                action(
                    "pa2",
                    "Agree an error-budget policy for checkout with the platform team",
                    owner="Jonas Weber",
                    due=On(25),
                    expects="Risky platform deploys pause when checkout has burnt its budget",
                    then="carried",
                    links=("checkout",),
                ),
            ),
        ),
        Sprint(
            focus="stability",
            facilitator="Tomasz Nowak",
            goal="see checkout availability where shoppers are",
            away=("Henrik Lund",),
            between=(
                output(
                    "po7",
                    "Idempotency keys on capture and refund calls to the PSP",
                    at=At(2, 15),
                    by="Lucía Ferrer",
                ),
                outcome(
                    "pc2",
                    "Duplicate captures after network timeouts stopped",
                    who="finance operations",
                    evidence="Weekly reconciliation report: 17 duplicate captures in August, "
                    "none since the idempotency fix went live on 16 Sep",
                    metric="duplicate captures per week",
                    baseline=4,
                    observed=0,
                    seen=At(9, 9),
                    conf=(3, 4),
                    links=("po7",),
                    at=At(9, 9, 30),
                    by="Lucía Ferrer",
                ),
            ),
            entries=(
                output("po5", "Synthetic checkout probes in São Paulo, Singapore and Frankfurt"),
                output("po6", "Checkout availability dashboard by region and payment method"),
                output("po8", "Refund service currency handling refactored into one Money type"),
                output("po9", "Error-budget policy draft shared with platform and product"),
                outcome(
                    "pc3",
                    "We see checkout availability where shoppers are: the 28-day figure fell "
                    "from 99.95% to 99.82% once São Paulo and Singapore were counted",
                    who="payments on-call and the product lead",
                    evidence="Probe results 14–24 Sep; the gap is the Singapore PSP route, "
                    "not our code",
                    metric="28-day checkout availability",
                    baseline="99.95% (1 region)",
                    observed="99.82% (3 regions)",
                    seen=At(10, 12),
                    conf=(2, 4),
                    links=("po5", "po6", "checkout"),
                ),
                risk(
                    "pr2",
                    "Platform deploys during the evening peak burn the checkout error budget",
                    before=(3, 3),
                    after=(3, 4),
                    evidence="Two Friday-evening platform deploys (11 and 18 Sep) caused "
                    "6 minutes of 502s; the risk grew because we now know how small the "
                    "budget is",
                    links=("checkout",),
                ),
                lesson(
                    "pl2",
                    "Idempotency keys must be created before the first attempt, not on retry: "
                    "our first version still produced duplicates in staging",
                    learned=At(4, 14),
                    applies=("pc2",),
                    links=("po7",),
                ),
                dependency(
                    "pd2",
                    "Publishing payment.captured through the event gateway needs a payments "
                    "namespace in the schema registry",
                    on="platform team event gateway",
                    found=At(10, 16),
                    needed=At(11, 12),
                    links=("events",),
                ),
                action(
                    "pa3",
                    "Game day: the PSP unreachable from one region for 30 minutes",
                    owner="Henrik Lund",
                    due=On(22),
                    expects="On-call reroutes card traffic in under 10 minutes",
                    then="done",
                    links=("checkout",),
                ),
                action(
                    "pa4",
                    "Ask platform for a deploy freeze on Fridays 17:00–21:00 until the "
                    "error-budget policy is signed",
                    owner="Jonas Weber",
                    due=On(16),
                    expects="No platform-caused checkout errors during the evening peak",
                    then="done",
                    links=("checkout",),
                ),
            ),
        ),
        Sprint(
            focus="quality",
            facilitator="Lucía Ferrer",
            goal="self-serve plans take SEPA and fewer 3-D Secure abandons",
            between=(
                Edit(
                    "pc3",
                    At(1, 9, 40),
                    "Priya Raman",
                    fields={
                        "observed": "99.81% (3 regions)",
                        "evidence": "Probe results 14–24 Sep, recomputed after the probe "
                        "backfill on 28 Sep; the gap is the Singapore PSP route, not our code",
                    },
                ),
                dependency(
                    "pd3",
                    "Self-serve merchants need SSO for merchant sub-accounts; the pricing page "
                    "went live assuming it, and identity's SSO API does not support "
                    "sub-accounts",
                    on="identity team SSO API",
                    found=At(3, 10),
                    needed=At(-4, 9),
                    links=("revenue",),
                    at=At(3, 10, 15),
                    by="Amara Nwosu",
                ),
            ),
            entries=(
                output("po10", "Contract tests against the PSP sandbox for authorise, "
                       "capture and refund"),
                output("po11", "Self-serve plan checkout: card and SEPA direct debit on the "
                       "pricing page"),
                output("po12", "3-D Secure 2 challenge moved into an in-page modal"),
                output("po13", "Quarantine job for flaky tests in CI"),
                output("po14", "Game day: PSP unreachable from São Paulo for 30 minutes"),
                outcome(
                    "pc4",
                    "Small businesses pay for self-serve plans by SEPA without talking to sales",
                    who="small businesses on self-serve plans",
                    evidence="Billing warehouse: 46 self-serve subscriptions paid by SEPA in "
                    "9 days; sales-assisted SEPA set-ups for plans under €500/month fell from "
                    "31 to 4",
                    metric="self-serve share of new revenue, month to date",
                    baseline="22%",
                    observed="26%",
                    seen=At(10, 9),
                    conf=(2, 3),
                    links=("po11", "revenue"),
                ),
                outcome(
                    "pc5",
                    "Fewer shoppers abandon at the 3-D Secure challenge",
                    who="shoppers with cards from EU issuers",
                    evidence="Checkout funnel, 7 days and 18,000 challenges: abandonment "
                    "14.2% before the modal, 9.8% after",
                    metric="3-D Secure challenge abandonment",
                    baseline="14.2%",
                    observed="9.8%",
                    seen=At(10, 15),
                    conf=(3, 4),
                    links=("po12", "checkout"),
                ),
                risk(
                    "pr3",
                    "A PSP outage in one region takes checkout down for every shopper there",
                    before=(3, 5),
                    after=(2, 4),
                    evidence="Game day 6 Oct: on-call rerouted São Paulo card traffic to the "
                    "secondary acquirer in 7 minutes; 0.4% of attempts failed during the switch",
                    links=("po14", "checkout"),
                ),
                lesson(
                    "pl3",
                    "Contract tests caught two breaking changes in the PSP sandbox before "
                    "release; without them we would have learned from refund failures a week "
                    "later",
                    learned=At(7, 11),
                    applies=("checkout",),
                    links=("po10",),
                ),
                action(
                    "pa5",
                    "Replace the shared-password workaround once identity ships SSO for "
                    "merchant sub-accounts",
                    owner="Amara Nwosu",
                    due=On(25),
                    expects="Self-serve merchants log in with SSO; no more tickets about "
                    "shared passwords",
                    then="carried",
                    links=("pd3", "revenue"),
                ),
                action(
                    "pa6",
                    "Retire the RabbitMQ payment.captured exchange after two weeks of "
                    "dual-publishing",
                    owner="Tomasz Nowak",
                    due=On(26),
                    expects="One path for payment events, as the event-platform decision asks",
                    then="dropped",
                    links=("events",),
                ),
            ),
        ),
        Sprint(
            focus="stability",
            facilitator="Henrik Lund",
            goal="Black Friday capacity",
            away=("Priya Raman",),
            between=(
                risk(
                    "pr4",
                    "Black Friday volume exceeds the acquirer's authorisation rate limit",
                    before=(3, 5),
                    after=(3, 5),
                    evidence="The acquirer confirmed 400 authorisations per second per "
                    "merchant account; last year's peak was 310/s and volume is up 40%",
                    links=("checkout",),
                    at=At(2, 11),
                    by="Jonas Weber",
                ),
                output(
                    "po15",
                    "Load test of checkout at 450 authorisations per second against the "
                    "acquirer's sandbox",
                    at=At(7, 17),
                    by="Henrik Lund",
                ),
                Edit(
                    "pr4",
                    At(11, 14, 50),
                    "Henrik Lund",
                    fields={
                        "after": _risk_value((1, 5)),
                        "evidence": "The acquirer confirmed 400 authorisations per second per "
                        "merchant account; with a second account and card-brand routing the "
                        "load test held 450/s for 20 minutes",
                    },
                    link=("po15",),
                ),
            ),
            entries=(
                output("po16", "Second merchant account with the acquirer, traffic split by "
                       "card brand"),
                output("po17", "Checkout error-budget policy signed by payments, platform and "
                       "product"),
                output("po18", "Dual-publishing payment.captured to RabbitMQ and the event "
                       "gateway"),
                output("po19", "Dependency upgrades: Jackson, Netty and the PSP SDK"),
                outcome(
                    "pc6",
                    "Black Friday peak fits within the acquirer's limits",
                    who="the commercial team and Black Friday shoppers",
                    evidence="Load test 19 Oct: 450 authorisations/s for 20 minutes across two "
                    "merchant accounts, p99 810 ms",
                    metric="headroom over last year's peak",
                    baseline="29%",
                    observed="190%",
                    seen=At(7, 18),
                    conf=(2, 4),
                    links=("po15", "po16", "checkout"),
                ),
                outcome(
                    "pc7",
                    "Platform deploys no longer break checkout at peak",
                    who="shoppers in the evening peak",
                    evidence="No platform-caused 5xx between 17:00 and 21:00 since the freeze "
                    "on 2 Oct; 68% of the error budget left at sprint end",
                    metric="platform-caused checkout errors in peak hours",
                    baseline="6 min/month",
                    observed="0 min",
                    seen=At(11, 10),
                    conf=(2, 4),
                    links=("po17", "checkout"),
                ),
                lesson(
                    "pl4",
                    "Dual-publishing doubles the event bill: the gateway charges per message, "
                    "so retiring RabbitMQ quickly matters more than we thought",
                    learned=At(9, 16),
                    applies=("events",),
                    links=("po18",),
                ),
                dependency(
                    "pd4",
                    "The ledger service needs an event gateway consumer for payment.captured "
                    "before RabbitMQ can go",
                    on="platform team event gateway",
                    found=At(4, 10),
                    needed=At(13, 12),
                    links=("events",),
                ),
                action(
                    "pa7",
                    "Go/no-go for Black Friday with the acquirer's account manager",
                    owner="Jonas Weber",
                    due=On(24),
                    expects="The acquirer confirms capacity in writing before the 27 Nov peak",
                    then="done",
                    links=("checkout",),
                ),
                action(
                    "pa8",
                    "Measure checkout availability per acquirer account, not only per region",
                    owner="Priya Raman",
                    due=On(20),
                    expects="We can tell which account fails first under load",
                    then="done",
                    links=("checkout",),
                ),
            ),
        ),
        Sprint(
            focus="cost",
            facilitator="Priya Raman",
            goal="lower processing fees and compute spend",
            between=(
                lesson(
                    "pl5",
                    "The 99.9% checkout decision was reviewed on 30 Oct with per-region "
                    "numbers only; the per-acquirer view we finished on 2 Nov shows the second "
                    "account failing twice as often as the first, which the review needed",
                    learned=At(7, 11),
                    applies=("checkout",),
                    at=At(7, 11, 30),
                    by="Priya Raman",
                ),
                Remove("po21b", At(11, 16, 30), "Jonas Weber"),
            ),
            entries=(
                output("po20", "PSP fee reconciliation moved from hourly jobs to a nightly "
                       "batch", by="Lucía Ferrer"),
                output("po21", "Routing rules send domestic debit cards to the cheaper acquirer"),
                output("po21b", "Nightly batch for PSP fee reconciliation", by="Tomasz Nowak"),
                output("po22", "Cost dashboard: fees per payment method and acquirer"),
                output("po23", "Payments database on smaller instances after the slow-query "
                       "clean-up"),
                outcome(
                    "pc8",
                    "Processing fees per transaction fell",
                    who="finance",
                    evidence="Acquirer invoices for October against September at the same "
                    "volume mix: blended fee 1.42% → 1.31%",
                    metric="blended processing fee",
                    baseline="1.42%",
                    observed="1.31%",
                    seen=At(9, 11),
                    conf=(3, 4),
                    links=("po21", "po22"),
                ),
                outcome(
                    "pc9",
                    "The reconciliation compute bill is a quarter of what it was",
                    who="finance and the platform team",
                    evidence="Cloud bill: reconciliation workers €3,900 → €1,100 a month",
                    metric="monthly reconciliation compute cost (EUR)",
                    baseline=3900,
                    observed=1100,
                    seen=At(10, 10),
                    conf=(4, 4),
                    links=("po20", "po23"),
                ),
                risk(
                    "pr5",
                    "Routing debit cards to the second acquirer raises declines for German "
                    "issuers",
                    before=(2, 3),
                    after=(3, 3),
                    evidence="Declines for Girocard co-branded debit cards went from 3.1% to "
                    "4.6% on the new route",
                    links=("po21",),
                ),
                dependency(
                    "pd5",
                    "Identity moved SSO for merchant sub-accounts to December; self-serve "
                    "merchants keep the shared-password workaround through Black Friday",
                    on="identity team SSO API",
                    found=At(8, 15),
                    needed=At(11, 9),
                    links=("revenue",),
                ),
                action(
                    "pa9",
                    "Exclude Girocard co-branded cards from the cheaper route until the "
                    "acquirer fixes its BIN table",
                    owner="Lucía Ferrer",
                    due=On(16),
                    expects="German debit declines back under 3.5% and the fee saving kept",
                    then="done",
                ),
                action(
                    "pa10",
                    "Switch off the RabbitMQ payment.captured exchange",
                    owner="Tomasz Nowak",
                    due=On(18),
                    expects="One event path for payments and €600 a month less broker cost",
                    then="done",
                    links=("events",),
                ),
            ),
        ),
        Sprint(
            focus="stability",
            facilitator="Jonas Weber",
            goal="ready for Black Friday",
            between=(
                output(
                    "po24",
                    "Black Friday war-room rota and a checkout change freeze from 20 Nov",
                    at=At(3, 12),
                    by="Jonas Weber",
                ),
            ),
            entries=(
                output("po25", "RabbitMQ payment.captured exchange switched off"),
                output("po26", "Girocard co-branded cards excluded from the cheaper route"),
                output("po27", "Checkout page bundle 120 kB smaller"),
                output("po28", "Acquirer capacity for 27 Nov confirmed in writing"),
                outcome(
                    "pc10",
                    "Payment events flow through one platform",
                    who="ledger, analytics and the platform team",
                    evidence="RabbitMQ payment exchanges at 0 messages since 12 Nov; the ledger "
                    "reads only from the event gateway",
                    metric="event paths for payment events",
                    baseline=2,
                    observed=1,
                    seen=At(4, 9),
                    conf=(3, 4),
                    links=("po25", "events"),
                ),
                outcome(
                    "pc11",
                    "Checkout availability is above target going into Black Friday",
                    who="the commercial team",
                    evidence="Real-user monitoring and probes in three regions, 28 days to "
                    "19 Nov; failover rehearsed twice",
                    metric="28-day checkout availability",
                    baseline="99.82%",
                    observed="99.91%",
                    seen=At(10, 17),
                    conf=(3, 4),
                    links=("po24", "po28", "checkout"),
                ),
                risk(
                    "pr6",
                    "A checkout change during Black Friday week causes an outage at peak",
                    before=(3, 5),
                    after=(1, 5),
                    evidence="Change freeze from 20 Nov agreed with product; only hotfixes "
                    "approved by the war room",
                    links=("po24",),
                ),
                lesson(
                    "pl6",
                    "Identity plans quarterly: asking in September for an October change was "
                    "never going to work; cross-team asks have to reach their quarterly "
                    "planning",
                    learned=At(8, 14),
                    applies=("revenue",),
                    links=("pd3", "pd5"),
                ),
                action(
                    "pa11",
                    "Review checkout availability after Black Friday against the 99.9% target",
                    owner="Priya Raman",
                    due=On(18),
                    expects="A decision on whether the second acquirer account stays",
                    links=("checkout",),
                ),
                action(
                    "pa12",
                    "Raise SSO for merchant sub-accounts at identity's Q1 planning",
                    owner="Amara Nwosu",
                    due=On(17),
                    expects="Sub-account SSO on identity's Q1 roadmap",
                    links=("revenue",),
                ),
            ),
        ),
    ),
)

# --- onboarding --------------------------------------------------------------------------

ONBOARDING = Team(
    name="onboarding",
    utc_offset=timedelta(0),
    origin="onb1",
    seed=202,
    people=(
        "Siobhán Kelly", "Marco Bianchi", "Aoife Byrne", "Daniel Costa", "Yuki Tanaka",
        "Fatima Zahra",
    ),
    decisions=("revenue", "ttfv"),
    retro_at=At(10, 15, 30),
    sprints=(
        Sprint(
            focus="speed",
            facilitator="Siobhán Kelly",
            goal="a shorter sign-up",
            between=(
                output(
                    "oo1",
                    "Sign-up form cut from 11 fields to 5",
                    at=At(3, 14),
                    by="Marco Bianchi",
                ),
            ),
            entries=(
                output("oo2", "Guided setup checklist on the empty dashboard"),
                output("oo3", "Sample-data toggle so new accounts see a populated dashboard"),
                output("oo4", "Welcome email sequence rewritten: 4 emails instead of 7"),
                output("oo5", "Business verification (KYB) documents can be uploaded from a "
                       "phone"),
                outcome(
                    "oc1",
                    "More visitors who start signing up finish",
                    who="small businesses signing up on the website",
                    evidence="Sign-up funnel 1–9 Sep against 18–26 Aug, 2,310 visitors who "
                    "started: completion 41% → 58%",
                    metric="sign-up completion",
                    baseline="41%",
                    observed="58%",
                    seen=At(9, 10),
                    conf=(2, 3),
                    links=("oo1", "revenue"),
                ),
                risk(
                    "or1",
                    "The KYB review backlog delays live mode for new accounts by days",
                    before=(4, 4),
                    after=(4, 4),
                    evidence="Compliance queue at 380 cases, median 3.5 days to approve; "
                    "nothing we shipped changes it yet",
                    links=("ttfv",),
                ),
                dependency(
                    "od1",
                    "Live mode waits for compliance's manual KYB review; the time-to-first-value "
                    "plan assumed verification was automatic",
                    on="compliance operations KYB review",
                    found=At(8, 11),
                    needed=At(0, 9),
                    links=("ttfv",),
                ),
                action(
                    "oa1",
                    "Instrument time-to-first-value end to end: sign-up, KYB approved, first "
                    "live payment",
                    owner="Yuki Tanaka",
                    due=On(18),
                    expects="Median time-to-first-value reported weekly, per step",
                    then="done",
                    links=("ttfv",),
                ),
                action(
                    "oa2",
                    "Ask compliance which KYB checks can be automated for sole traders",
                    owner="Siobhán Kelly",
                    due=On(17),
                    expects="Sole traders go live on the day they sign up",
                    then="done",
                    links=("od1",),
                ),
            ),
        ),
        Sprint(
            focus="speed",
            facilitator="Marco Bianchi",
            goal="automatic KYB for sole traders",
            away=("Fatima Zahra",),
            decisions=("events-dup",),
            between=(
                decision(
                    "events-dup",
                    "Consolidate onto one event platform",
                    criteria="All onboarding funnel events go through one event pipeline by "
                    "the end of Q4; Segment and the home-grown tracker switched off; one schema "
                    "for sign-up events.",
                    review_by="2026-12-18",
                    at=At(2, 10),
                    by="Daniel Costa",
                ),
                output(
                    "oo6",
                    "Funnel events for every KYB step, sent to Segment",
                    at=At(4, 16),
                    by="Yuki Tanaka",
                ),
            ),
            entries=(
                output("oo7", "Time-to-first-value report in the product analytics workspace, "
                       "refreshed hourly"),
                output("oo8", "Automatic KYB for sole traders in the UK and Ireland through the "
                       "Companies House and CRO lookups"),
                output("oo9", "Progress bar in the setup checklist"),
                output("oo10", "Referral code field on the sign-up form"),
                outcome(
                    "oc2",
                    "We know where new customers wait: 71% of time-to-first-value is the KYB "
                    "review",
                    who="the onboarding team and compliance",
                    evidence="Time-to-first-value report 14–24 Sep, 612 new accounts: median "
                    "3.9 days, of which 2.8 days waiting for KYB review",
                    metric="median time-to-first-value",
                    baseline="unknown",
                    observed="3.9 days",
                    seen=At(9, 16),
                    conf=(1, 3),
                    links=("oo6", "oo7", "ttfv"),
                ),
                outcome(
                    "oc3",
                    "Sole traders in the UK and Ireland go live within hours",
                    who="sole traders in the UK and Ireland",
                    evidence="94 sole-trader accounts since 21 Sep: median time to live mode "
                    "3 h 10 min, was 2.6 days",
                    metric="median time to live mode, UK and IE sole traders",
                    baseline="2.6 days",
                    observed="3.2 hours",
                    seen=At(10, 11),
                    conf=(2, 4),
                    links=("oo8", "ttfv"),
                ),
                lesson(
                    "ol1",
                    "Automatic KYB helps sole traders only; limited companies still wait for "
                    "manual review, and they bring 70% of new revenue",
                    learned=At(9, 12),
                    applies=("ttfv", "oc3"),
                ),
                dependency(
                    "od2",
                    "Segment's event quota runs out in October at this volume, and the event "
                    "decision says not to renew: onboarding events need the gateway first",
                    on="platform team event gateway",
                    found=At(10, 14),
                    needed=At(17, 9),
                    links=("events-dup",),
                ),
                action(
                    "oa3",
                    "Move onboarding funnel events from Segment to the event gateway",
                    owner="Daniel Costa",
                    due=On(25),
                    expects="Onboarding events on one platform before Segment's quota runs out",
                    then="carried",
                    links=("events-dup",),
                ),
                action(
                    "oa4",
                    "Extend automatic KYB to limited companies with a clean Companies House "
                    "record",
                    owner="Aoife Byrne",
                    due=On(25),
                    expects="Median time-to-first-value for limited companies under 2 days",
                    then="done",
                    links=("ttfv",),
                ),
            ),
        ),
        Sprint(
            focus="learning",
            facilitator="Aoife Byrne",
            goal="learn what first value means to new customers",
            decisions=("events-dup",),
            between=(
                lesson(
                    "ol2",
                    "Five customer interviews: new accounts do not want sample data, they want "
                    "to send one real invoice to themselves",
                    learned=At(3, 15),
                    applies=("ttfv",),
                    links=("oo3",),
                    at=At(3, 16),
                    by="Aoife Byrne",
                ),
                dependency(
                    "od3",
                    "'Sign up with Google or Microsoft' assumed the SSO API could create "
                    "accounts; it only logs existing users in",
                    on="identity team SSO API",
                    found=At(4, 10),
                    needed=At(2, 9),
                    links=("revenue",),
                    at=At(4, 10, 30),
                    by="Marco Bianchi",
                ),
            ),
            entries=(
                output("oo11", "Automatic KYB for limited companies with a clean Companies "
                       "House record"),
                output("oo12", "'Send a test invoice to yourself' as the first checklist step"),
                output("oo13", "Sample data removed from new accounts"),
                output("oo14", "Interview guide and a shared notes board for onboarding "
                       "interviews"),
                outcome(
                    "oc4",
                    "UK limited companies go live in under two days",
                    who="limited companies in the UK",
                    evidence="Time-to-first-value report 28 Sep–8 Oct, 201 limited companies: "
                    "63% approved automatically; median 1.6 days, was 4.4",
                    metric="median time-to-first-value, UK limited companies",
                    baseline="4.4 days",
                    observed="1.6 days",
                    seen=At(9, 10),
                    conf=(2, 3),
                    links=("oo11", "ttfv"),
                ),
                outcome(
                    "oc5",
                    "More new accounts send an invoice in their first session",
                    who="new self-serve accounts",
                    evidence="1,140 new accounts: 31% sent an invoice in the first session, 12% "
                    "the fortnight before",
                    metric="accounts sending an invoice in their first session",
                    baseline="12%",
                    observed="31%",
                    seen=At(9, 15),
                    conf=(2, 3),
                    links=("oo12", "oo13", "ttfv"),
                ),
                risk(
                    "or2",
                    "Automatic approval lets a fraudulent company go live",
                    before=(2, 5),
                    after=(3, 5),
                    evidence="Compliance sent 2 of 201 automatic approvals back for manual "
                    "review on 7 Oct; neither was fraud, but the checks ignore director changes",
                    links=("oo11",),
                ),
                action(
                    "oa5",
                    "Add a director-change check to automatic KYB, with compliance",
                    owner="Aoife Byrne",
                    due=On(24),
                    expects="Automatic approvals keep compliance's sign-off",
                    then="done",
                    links=("or2",),
                ),
                action(
                    "oa6",
                    "Agree with identity whether sign-up with Google or Microsoft can ship "
                    "this quarter",
                    owner="Siobhán Kelly",
                    due=On(18),
                    expects="A date to plan social sign-up around",
                    then="dropped",
                    links=("od3",),
                ),
            ),
        ),
        Sprint(
            focus="speed",
            facilitator="Daniel Costa",
            goal="time-to-first-value under a day",
            away=("Yuki Tanaka",),
            decisions=("events-dup",),
            between=(
                Edit(
                    "oc4",
                    At(2, 10),
                    "Yuki Tanaka",
                    fields={
                        "observed": "1.5 days",
                        "evidence": "Time-to-first-value report 28 Sep–8 Oct, 201 limited "
                        "companies, recomputed after late KYB approvals were backfilled: 63% "
                        "approved automatically; median 1.5 days, was 4.4",
                    },
                ),
                lesson(
                    "ol3",
                    "The time-to-first-value decision was reviewed on 16 Oct with data that "
                    "ended on 8 Oct: automatic KYB for limited companies was not in it, so the "
                    "review called it off track on stale numbers",
                    learned=At(8, 11),
                    applies=("ttfv",),
                    links=("oc4",),
                    at=At(8, 11, 30),
                    by="Siobhán Kelly",
                ),
            ),
            entries=(
                output("oo15", "Onboarding funnel events moved from Segment to the event "
                       "gateway"),
                output("oo16", "Director-change check in automatic KYB"),
                output("oo17", "Pricing page copy test with three variants"),
                output("oo18", "Live mode before KYB completes, with a €1,000 payout hold"),
                outcome(
                    "oc6",
                    "Median time-to-first-value under one day for the first time",
                    who="new self-serve customers",
                    evidence="Time-to-first-value report 12–22 Oct, 688 new accounts: median "
                    "21 hours, p75 2.9 days",
                    metric="median time-to-first-value",
                    baseline="3.9 days",
                    observed="21 hours",
                    seen=At(10, 9),
                    conf=(3, 4),
                    links=("oo16", "oo18", "ttfv"),
                ),
                risk(
                    "or3",
                    "The payout hold confuses new customers and floods support",
                    before=(3, 3),
                    after=(2, 3),
                    evidence="9 tickets about the hold from 1,100 new accounts; after the help "
                    "article on day 2, one or two a day",
                    links=("oo18",),
                ),
                dependency(
                    "od4",
                    "Onboarding's event schemas need the platform team's schema review before "
                    "the gateway accepts them",
                    on="platform team event gateway",
                    found=At(3, 11),
                    needed=At(5, 9),
                    links=("events-dup",),
                ),
                action(
                    "oa7",
                    "Switch Segment off for onboarding",
                    owner="Daniel Costa",
                    due=On(24),
                    expects="Onboarding events only in the event gateway and the €1,800 "
                    "monthly Segment line gone",
                    then="done",
                    links=("events-dup",),
                ),
                action(
                    "oa8",
                    "Send leadership the corrected time-to-first-value numbers",
                    owner="Siobhán Kelly",
                    due=On(17),
                    expects="The decision is judged on current data",
                    then="done",
                    links=("ttfv",),
                ),
            ),
        ),
        Sprint(
            focus="learning",
            facilitator="Yuki Tanaka",
            goal="why sign-ups never go live",
            decisions=("events-dup",),
            between=(
                Edit(
                    "oo18",
                    At(1, 10),
                    "Daniel Costa",
                    text="Live mode before KYB completes, with a payout hold of €1,000 (€500 "
                    "for sole traders)",
                ),
                output(
                    "oo19",
                    "Cohort view of time-to-first-value by country and company type",
                    at=At(4, 13),
                    by="Yuki Tanaka",
                ),
                Remove("or5", At(11, 9, 20), "Siobhán Kelly"),
            ),
            entries=(
                output("oo20", "Segment switched off for onboarding"),
                output("oo21", "Interviews with 8 accounts that signed up but never went live"),
                output("oo22", "Help-centre article on the payout hold"),
                output("oo23", "Sign-up A/B test with the phone number optional"),
                outcome(
                    "oc7",
                    "We know why one sign-up in four never goes live: many were only "
                    "comparing prices",
                    who="onboarding and marketing",
                    evidence="8 interviews and a leaving survey (n=143): 38% comparing prices, "
                    "22% waiting for a colleague, 14% stuck in KYB",
                    metric="never-live sign-ups with a known reason",
                    baseline="0%",
                    observed="74%",
                    seen=At(9, 16),
                    conf=(1, 3),
                    links=("oo21", "revenue"),
                ),
                outcome(
                    "oc8",
                    "Support tickets about sign-up halved",
                    who="the support team",
                    evidence="Helpdesk 'sign-up' tag: 212 tickets in September, 97 in October",
                    metric="sign-up tickets per month",
                    baseline=212,
                    observed=97,
                    seen=At(5, 10),
                    conf=(3, 3),
                    links=("oo22",),
                ),
                lesson(
                    "ol4",
                    "Time-to-first-value under one day holds for the UK only: Irish limited "
                    "companies still take 3 days because the CRO lookup has no director data",
                    learned=At(7, 15),
                    applies=("ttfv", "oc6"),
                    links=("oo19",),
                ),
                risk(
                    "or5",
                    "Girocard declines on the cheaper acquirer route",
                    before=(2, 3),
                    after=(3, 3),
                    evidence="Declines for Girocard co-branded cards 3.1% → 4.6%",
                    by="Marco Bianchi",
                ),
                dependency(
                    "od5",
                    "Director data from the Irish companies registry (CRO) comes through the "
                    "data partnerships team's contract",
                    on="data partnerships team",
                    found=At(9, 11),
                    needed=At(14, 9),
                    links=("ttfv",),
                ),
                action(
                    "oa9",
                    "Prototype a 'compare plans' page for visitors who are comparing prices",
                    owner="Marco Bianchi",
                    due=On(23),
                    expects="Price-comparing visitors leave with a plan, not an abandoned "
                    "account",
                    then="carried",
                    links=("revenue",),
                ),
                action(
                    "oa10",
                    "Ask data partnerships for CRO director data",
                    owner="Fatima Zahra",
                    due=On(16),
                    expects="Irish limited companies approved automatically, like UK ones",
                    then="done",
                    links=("od5",),
                ),
            ),
        ),
        Sprint(
            focus="speed",
            facilitator="Fatima Zahra",
            goal="Irish companies and price-comparers",
            status="open",
            decisions=("events-dup",),
            between=(
                output(
                    "oo24",
                    "Automatic KYB for Irish limited companies, using CRO director data",
                    at=At(3, 11),
                    by="Fatima Zahra",
                ),
            ),
            entries=(
                output("oo25", "'Compare plans' page prototype tested with 6 visitors"),
                output("oo26", "Setup checklist translated into German and French"),
                output("oo27", "Onboarding dashboards rebuilt on event gateway data"),
                outcome(
                    "oc9",
                    "Irish limited companies go live within a day",
                    who="limited companies in Ireland",
                    evidence="31 Irish limited companies since 12 Nov: median 19 hours, was "
                    "3.1 days",
                    metric="median time-to-first-value, IE limited companies",
                    baseline="3.1 days",
                    observed="19 hours",
                    seen=At(10, 10),
                    conf=(2, 4),
                    links=("oo24", "ttfv"),
                ),
                risk(
                    "or4",
                    "Rebuilt dashboards disagree with the Segment history and break "
                    "year-on-year funnel numbers",
                    before=(3, 2),
                    after=(2, 2),
                    evidence="12 months backfilled from the Segment export into the gateway's "
                    "warehouse tables; totals within 1.5%",
                    links=("oo27", "events-dup"),
                ),
                lesson(
                    "ol5",
                    "Visitors comparing plans wanted the price of the add-ons, not a feature "
                    "grid",
                    learned=At(8, 16),
                    applies=("revenue",),
                    links=("oo25",),
                ),
                action(
                    "oa11",
                    "Add-on price calculator on the pricing page",
                    owner="Marco Bianchi",
                    due=On(25),
                    expects="More price-comparing visitors choose a plan",
                    links=("revenue",),
                ),
                action(
                    "oa12",
                    "Measure time-to-first-value for German and French sign-ups once the "
                    "translated checklist is live",
                    owner="Yuki Tanaka",
                    due=On(24),
                    expects="We know whether the one-day target holds outside the UK and "
                    "Ireland",
                    links=("ttfv",),
                ),
            ),
        ),
    ),
)

# --- platform ----------------------------------------------------------------------------

PLATFORM = Team(
    name="platform",
    utc_offset=timedelta(hours=5, minutes=30),
    origin="plt1",
    seed=303,
    people=(
        "Arjun Mehta", "Kavya Iyer", "Rahul Deshpande", "Neha Kapoor", "Sam Fischer",
        "Inês Duarte",
    ),
    decisions=("events", "checkout", "ttfv"),
    retro_at=At(11, 11, 0),
    sprints=(
        Sprint(
            focus="cost",
            facilitator="Arjun Mehta",
            goal="a smaller cloud bill and the event gateway v1",
            between=(
                output(
                    "to1",
                    "40 staging nodes right-sized after the August usage report",
                    at=At(2, 15),
                    by="Neha Kapoor",
                ),
            ),
            entries=(
                output("to2", "Event gateway v1: HTTP ingest in front of Kafka, with a schema "
                       "registry"),
                output("to3", "Spot instances for CI runners"),
                output("to4", "Terraform modules for the shared Kafka cluster"),
                output("to5", "Debug log retention cut from 30 to 7 days"),
                outcome(
                    "tc1",
                    "Cloud bill down 11% month on month",
                    who="finance and engineering leadership",
                    evidence="Cost explorer: August $184k, September projected at $164k; spot "
                    "CI and staging right-sizing account for $17k of it",
                    metric="monthly cloud spend (USD)",
                    baseline=184000,
                    observed=164000,
                    seen=At(10, 12),
                    conf=(3, 4),
                    links=("to1", "to3", "to5"),
                ),
                risk(
                    "tr1",
                    "RabbitMQ, Segment and Kafka side by side triple the on-call load for "
                    "eventing",
                    before=(4, 3),
                    after=(4, 3),
                    evidence="14 eventing pages in August across three systems; the gateway "
                    "adds a fourth until the others go",
                    links=("to2", "events"),
                ),
                lesson(
                    "tl1",
                    "Spot interruptions doubled the mobile team's iOS build times: their macOS "
                    "runners cannot be spot",
                    learned=At(8, 10),
                    applies=("tc1",),
                    links=("to3",),
                ),
                dependency(
                    "td1",
                    "Every producer team migrates its own producers: consolidation needs "
                    "payments, onboarding and mobile to schedule the work",
                    on="payments, onboarding and mobile teams",
                    found=At(9, 16),
                    needed=At(14, 9),
                    links=("events",),
                ),
                action(
                    "ta1",
                    "Migration guide and office hours for moving producers to the event "
                    "gateway",
                    owner="Kavya Iyer",
                    due=On(18),
                    expects="A team moves a producer in a day without our help",
                    then="done",
                    links=("events",),
                ),
                action(
                    "ta2",
                    "Move iOS CI back to on-demand runners",
                    owner="Sam Fischer",
                    due=On(15),
                    expects="Mobile build times back under 20 minutes",
                    then="done",
                ),
            ),
        ),
        Sprint(
            focus="cost",
            facilitator="Kavya Iyer",
            goal="first producers on the gateway; committed database spend",
            away=("Inês Duarte",),
            between=(
                dependency(
                    "td2",
                    "SSO for the schema review UI in the developer portal needs the identity "
                    "team's SSO API",
                    on="identity team SSO API",
                    found=At(3, 12),
                    needed=At(11, 9),
                    links=("events",),
                    at=At(3, 12, 10),
                    by="Rahul Deshpande",
                ),
            ),
            entries=(
                output("to6", "Event gateway migration guide and weekly office hours"),
                output("to7", "Schema registry namespaces for payments and onboarding"),
                output("to8", "One-year reserved instances for the production database fleet"),
                output("to9", "Grafana upgraded to 11"),
                outcome(
                    "tc2",
                    "The first producer outside platform publishes through the gateway",
                    who="payments and the data team",
                    evidence="payment.captured published from payments' staging since "
                    "21 Sep: 1.9 M test events, 0 schema rejections; the data team reads it "
                    "without a custom connector",
                    metric="teams publishing through the gateway",
                    baseline=1,
                    observed=2,
                    seen=At(9, 14),
                    conf=(2, 3),
                    links=("to6", "to7", "events"),
                ),
                outcome(
                    "tc3",
                    "Database spend is fixed for a year",
                    who="finance",
                    evidence="Reserved instances: $21.0k a month on demand → $13.4k committed",
                    metric="monthly database cost (USD)",
                    baseline=21000,
                    observed=13400,
                    seen=At(4, 12),
                    conf=(2, 5),
                    links=("to8",),
                ),
                risk(
                    "tr2",
                    "Friday-evening deploys collide with the European checkout peak",
                    before=(3, 4),
                    after=(2, 4),
                    evidence="Payments asked for a deploy freeze on Friday evenings, "
                    "17:00–21:00 in Europe; agreed on 24 Sep and enforced by hand until the "
                    "pipeline can block it",
                    links=("checkout",),
                ),
                action(
                    "ta3",
                    "Deploy-window guard: the pipeline blocks production deploys during the "
                    "checkout peak",
                    owner="Rahul Deshpande",
                    due=On(18),
                    expects="No platform-caused checkout errors at peak",
                    then="done",
                    links=("checkout",),
                ),
                action(
                    "ta4",
                    "Show each team what its events cost, so dual-publishing has a price",
                    owner="Neha Kapoor",
                    due=On(25),
                    expects="Teams retire old event paths sooner",
                    then="carried",
                    links=("events",),
                ),
            ),
        ),
        Sprint(
            focus="stability",
            facilitator="Rahul Deshpande",
            goal="no more broker disk incidents",
            between=(
                risk(
                    "tr3",
                    "A stuck consumer fills a Kafka broker's disk and publishes are rejected",
                    before=(2, 4),
                    after=(3, 4),
                    evidence="Incident 1 Oct: the ledger consumer stopped, lag and retention "
                    "filled broker 3's disk, and publishes failed for 12 minutes",
                    links=("events",),
                    at=At(3, 18),
                    by="Rahul Deshpande",
                ),
            ),
            entries=(
                output("to10", "Deploy-window guard in the production pipeline"),
                output("to11", "Tiered storage for Kafka segments older than 3 days"),
                output("to12", "Consumer lag alerts per team, routed to the owning team's "
                       "on-call"),
                output("to13", "On-call handbook for the event gateway"),
                output("to14", "Kubernetes clusters upgraded to 1.30"),
                outcome(
                    "tc4",
                    "Checkout no longer sees errors from platform deploys",
                    who="payments on-call and shoppers",
                    evidence="0 deploy-related checkout 5xx since 2 Oct; the guard blocked and "
                    "rescheduled 3 deploys",
                    metric="platform-caused checkout error minutes",
                    baseline="6 min/month",
                    observed="0 min",
                    seen=At(10, 10),
                    conf=(2, 4),
                    links=("to10", "checkout"),
                ),
                outcome(
                    "tc5",
                    "One stuck consumer can no longer fill a broker's disk",
                    who="every team publishing events",
                    evidence="Chaos test 8 Oct: ledger consumer stopped for 6 hours; disk "
                    "peaked at 54% with tiered storage",
                    metric="peak broker disk during a 6-hour consumer stop",
                    baseline="100% (1 Oct incident)",
                    observed="54%",
                    seen=At(8, 17),
                    conf=(2, 4),
                    links=("to11", "to12", "events"),
                ),
                lesson(
                    "tl2",
                    "Lag alerts came to us, but only the owning team can fix its consumer; "
                    "routing alerts to owners cut time to fix from 50 to 12 minutes",
                    learned=At(9, 11),
                    applies=("events",),
                    links=("to12",),
                ),
                dependency(
                    "td3",
                    "The ledger team must add a dead-letter queue before hot retention can be "
                    "shortened",
                    on="ledger team",
                    found=At(11, 9),
                    needed=At(7, 9),
                    links=("events",),
                ),
                action(
                    "ta5",
                    "Shorten hot retention from 7 to 3 days once the ledger dead-letter queue "
                    "is live",
                    owner="Inês Duarte",
                    due=On(25),
                    expects="Broker storage cost down by 40%",
                    then="done",
                    links=("td3",),
                ),
                action(
                    "ta6",
                    "Publish an availability SLO for the event gateway",
                    owner="Arjun Mehta",
                    due=On(21),
                    expects="Teams plan on the gateway like on any other dependency",
                    then="done",
                    links=("events",),
                ),
            ),
        ),
        Sprint(
            focus="cost",
            facilitator="Neha Kapoor",
            goal="storage and network costs",
            away=("Sam Fischer",),
            between=(
                Edit(
                    "tc3",
                    At(1, 11),
                    "Neha Kapoor",
                    fields={
                        "observed": 13100,
                        "evidence": "Reserved instances: $21.0k a month on demand → $13.1k "
                        "committed, per the first invoice",
                    },
                ),
                output(
                    "to15",
                    "Event gateway SLO published: 99.95% of ingest requests accepted each "
                    "month",
                    at=At(3, 10),
                    by="Arjun Mehta",
                ),
            ),
            entries=(
                output("to16", "Gateway cost report per team: messages, storage and egress"),
                output("to17", "Hot retention shortened from 7 to 3 days"),
                output("to18", "S3 and ECR traffic moved from the NAT gateway to VPC endpoints"),
                output("to19", "Cost anomaly alerts in Slack"),
                outcome(
                    "tc6",
                    "Kafka storage cost down 38%",
                    who="finance and the teams paying for events",
                    evidence="Cost report: broker storage $9.8k → $6.1k a month",
                    metric="monthly broker storage cost (USD)",
                    baseline=9800,
                    observed=6100,
                    seen=At(10, 9),
                    conf=(3, 4),
                    links=("to17", "events"),
                ),
                outcome(
                    "tc7",
                    "Network charges down by a third",
                    who="finance",
                    evidence="NAT gateway data processing $7.2k → $4.6k a month",
                    metric="monthly NAT gateway charges (USD)",
                    baseline=7200,
                    observed=4600,
                    seen=At(9, 15),
                    conf=(3, 4),
                    links=("to18",),
                ),
                risk(
                    "tr4",
                    "Teams read the cost report as a bill and slow their migrations down",
                    before=(2, 3),
                    after=(3, 3),
                    evidence="Onboarding asked whose budget pays for dual-publishing; two "
                    "teams paused migrations until there is an answer",
                    links=("to16", "events"),
                ),
                lesson(
                    "tl3",
                    "Per-team cost made dual-publishing visible: payments planned to retire "
                    "RabbitMQ two weeks earlier once they saw the number",
                    learned=At(10, 12),
                    applies=("events",),
                    links=("to16",),
                ),
                dependency(
                    "td4",
                    "Mobile's analytics SDK still posts to Segment; the gateway needs a public "
                    "ingest endpoint with rate limits per app install",
                    on="mobile team analytics SDK",
                    found=At(8, 16),
                    needed=At(4, 9),
                    links=("events",),
                ),
                action(
                    "ta7",
                    "Write down who pays for dual-publishing during migrations (platform, "
                    "until 31 Jan)",
                    owner="Arjun Mehta",
                    due=On(16),
                    expects="Teams migrate without budget worries",
                    then="done",
                    links=("tr4",),
                ),
                action(
                    "ta8",
                    "Public ingest endpoint for mobile events",
                    owner="Kavya Iyer",
                    due=On(25),
                    expects="Mobile can stop sending to Segment",
                    then="carried",
                    links=("td4", "events"),
                ),
            ),
        ),
        Sprint(
            focus="quality",
            facilitator="Sam Fischer",
            goal="schemas that do not break consumers; Black Friday headroom",
            between=(
                Edit(
                    "to16",
                    At(0, 15),
                    "Neha Kapoor",
                    text="Gateway cost report per team, refreshed daily: messages, storage and "
                    "egress",
                ),
                output(
                    "to20",
                    "Schema linting in CI for every producer repository",
                    at=At(2, 14),
                    by="Kavya Iyer",
                ),
            ),
            entries=(
                output("to21", "Producer-consumer contract tests in the schema registry"),
                output("to22", "Public ingest endpoint with per-install rate limits, in beta"),
                output("to23", "Incident review template with a 'which decision did this "
                       "affect?' field"),
                output("to24", "Load test of the gateway at five times the current peak"),
                outcome(
                    "tc8",
                    "Breaking schema changes are caught before production",
                    who="teams consuming events",
                    evidence="Linting rejected 7 incompatible changes in two weeks; no consumer "
                    "incidents from schema changes in October, 3 in September",
                    metric="consumer incidents caused by schema changes",
                    baseline="3/month",
                    observed="0/month",
                    seen=At(9, 10),
                    conf=(2, 4),
                    links=("to20", "to21", "events"),
                ),
                outcome(
                    "tc9",
                    "The gateway has headroom for Black Friday",
                    who="payments and the commercial team",
                    evidence="Load test 3 Nov: five times peak ingest for an hour, p99 publish "
                    "latency 38 ms",
                    metric="headroom over last year's peak ingest",
                    baseline="1.8×",
                    observed="5×",
                    seen=At(8, 18),
                    conf=(3, 4),
                    links=("to24", "checkout"),
                ),
                risk(
                    "tr5",
                    "Black Friday traffic overloads the gateway and delays payment events",
                    before=(3, 4),
                    after=(1, 4),
                    evidence="Load test 3 Nov held five times last year's peak",
                    links=("to24", "checkout"),
                ),
                dependency(
                    "td5",
                    "Extra brokers for Black Friday week need a capacity reservation from the "
                    "cloud provider",
                    on="cloud provider account team",
                    found=At(10, 11),
                    needed=At(12, 9),
                    links=("checkout",),
                ),
                action(
                    "ta9",
                    "Move mobile's analytics SDK traffic to the public endpoint, with mobile",
                    owner="Kavya Iyer",
                    due=On(25),
                    expects="The Segment contract can end in January",
                    then="carried",
                    links=("events",),
                ),
                action(
                    "ta10",
                    "Archive the RabbitMQ cluster once payments switches off its last exchange",
                    owner="Inês Duarte",
                    due=On(21),
                    expects="One event platform and $2.3k a month saved",
                    then="done",
                    links=("events",),
                ),
            ),
        ),
        Sprint(
            focus="cost",
            facilitator="Inês Duarte",
            goal="RabbitMQ gone; compute commitments",
            between=(
                output("to29", "RabbitMQ cluster archived", at=At(3, 10), by="Inês Duarte"),
                Remove("to29", At(3, 16), "Arjun Mehta"),
                lesson(
                    "tl5",
                    "The event-platform review on 13 Nov counted producers, not consumers: four "
                    "consumers still read Segment exports, so calling it consolidated was "
                    "premature",
                    learned=At(7, 10),
                    applies=("events",),
                    at=At(7, 10, 30),
                    by="Neha Kapoor",
                ),
            ),
            entries=(
                output("to25", "RabbitMQ cluster archived after the last ledger consumer moved"),
                output("to26", "Broker capacity reserved for 23–30 Nov"),
                output("to27", "Three-year compute savings plan"),
                output("to28", "Gateway dashboards kept as code"),
                outcome(
                    "tc10",
                    "Payments runs on one event platform and RabbitMQ is gone",
                    who="payments, ledger and on-call",
                    evidence="RabbitMQ cluster deleted on 17 Nov; 3 eventing pages in November, "
                    "14 in August",
                    metric="eventing pages per month",
                    baseline=14,
                    observed=3,
                    seen=At(10, 16),
                    conf=(3, 4),
                    links=("to25", "events"),
                ),
                outcome(
                    "tc11",
                    "Compute cost committed at 28% below on-demand",
                    who="finance",
                    evidence="Savings plan: $61k a month on demand → $44k",
                    metric="monthly compute cost (USD)",
                    baseline=61000,
                    observed=44000,
                    seen=At(9, 11),
                    conf=(3, 5),
                    links=("to27",),
                ),
                risk(
                    "tr6",
                    "The Segment contract renews on 31 Jan with mobile still on it",
                    before=(3, 3),
                    after=(4, 3),
                    evidence="Mobile's migration was carried twice; Segment's renewal notice "
                    "arrived on 16 Nov",
                    links=("events",),
                ),
                action(
                    "ta11",
                    "Pair with mobile for two days to move the analytics SDK to the public "
                    "endpoint",
                    owner="Kavya Iyer",
                    due=On(25),
                    expects="Segment can be cancelled before it renews",
                    links=("tr6", "events"),
                ),
                action(
                    "ta12",
                    "Count consumers as well as producers in the event-platform scorecard",
                    owner="Neha Kapoor",
                    due=On(18),
                    expects="The next review of the decision sees the real state",
                    links=("events",),
                ),
            ),
        ),
    ),
)

# --- mobile ------------------------------------------------------------------------------

MOBILE = Team(
    name="mobile",
    utc_offset=timedelta(hours=-5),
    origin="mob1",
    seed=404,
    people=(
        "Jordan Reyes", "Keisha Brown", "Ethan Park", "Olivia Chen", "Mateo Álvarez",
        "Grace Liu",
    ),
    decisions=("revenue", "ttfv", "checkout"),
    retro_at=At(11, 10, 0),
    sprints=(
        Sprint(
            focus="speed",
            facilitator="Jordan Reyes",
            goal="in-app sign-up on Android",
            between=(
                output(
                    "mo1",
                    "Release 5.12 submitted to both stores",
                    at=At(3, 17),
                    by="Olivia Chen",
                ),
            ),
            entries=(
                output("mo2", "In-app sign-up on Android, at parity with iOS"),
                output("mo3", "Dark mode for the invoice editor"),
                output("mo4", "Push notification when the first payment arrives"),
                output("mo5", "Crash reporting moved from Crashlytics to Sentry"),
                outcome(
                    "mc1",
                    "Android installs turn into sign-ups in the app instead of bouncing to the "
                    "website",
                    who="merchants who install the Android app first",
                    evidence="1,480 Android installs 3–10 Sep: 52% completed sign-up in the "
                    "app; the website hand-off converted 29%",
                    metric="sign-up completion after install, Android",
                    baseline="29%",
                    observed="52%",
                    seen=At(10, 9),
                    conf=(2, 3),
                    links=("mo2", "revenue"),
                ),
                risk(
                    "mr1",
                    "App Store review rejects in-app plan upgrades sold outside Apple's "
                    "payment system",
                    before=(3, 5),
                    after=(3, 5),
                    evidence="Review notes on 5.11 asked how plans are sold; guideline 3.1.3(f) "
                    "covers multiplatform services but nobody has checked our case",
                    links=("revenue",),
                ),
                lesson(
                    "ml1",
                    "Behind a feature flag, Android sign-up shipped the same day as the backend; "
                    "last quarter that kind of change waited for a store release",
                    learned=At(9, 15),
                    applies=("mc1",),
                    links=("mo2",),
                ),
                dependency(
                    "md1",
                    "Sign in with Apple and Google during in-app sign-up needs the identity "
                    "team's SSO API to create accounts",
                    on="identity team SSO API",
                    found=At(10, 16),
                    needed=At(4, 9),
                    links=("ttfv",),
                ),
                action(
                    "ma1",
                    "Ask Apple developer relations how plan upgrades fit guideline 3.1.3(f)",
                    owner="Keisha Brown",
                    due=On(20),
                    expects="A written answer before we build in-app plan upgrades",
                    then="done",
                    links=("mr1",),
                ),
                action(
                    "ma2",
                    "Crash-free sessions target per release in the release checklist",
                    owner="Olivia Chen",
                    due=On(17),
                    expects="Releases with a crash regression stop at 10% rollout",
                    then="done",
                ),
            ),
        ),
        Sprint(
            focus="quality",
            facilitator="Keisha Brown",
            goal="stop crash regressions and lost invoices",
            away=("Mateo Álvarez",),
            between=(
                output(
                    "mo6",
                    "Hotfix 5.12.1: OkHttp connection-pool crash on Android 14",
                    at=At(2, 13),
                    by="Ethan Park",
                ),
                outcome(
                    "mc2",
                    "Crash-free sessions back above 99.5% on Android",
                    who="merchants on Android",
                    evidence="Sentry: 5.12 at 98.9% crash-free sessions, 5.12.1 at 99.6% after "
                    "four days",
                    metric="crash-free sessions, Android",
                    baseline="98.9%",
                    observed="99.6%",
                    seen=At(6, 10),
                    conf=(2, 3),
                    links=("mo6",),
                    at=At(6, 11),
                    by="Ethan Park",
                ),
            ),
            entries=(
                output("mo7", "Release checklist: halt at 10% rollout when crash-free sessions "
                       "drop"),
                output("mo8", "Offline queue for invoices created without signal"),
                output("mo9", "UI test suite on real devices in the device farm"),
                output("mo10", "App icon refresh"),
                outcome(
                    "mc3",
                    "Invoices created offline are no longer lost",
                    who="merchants at markets and trade fairs",
                    evidence="Tickets tagged 'invoice disappeared': 23 in August, 2 since 5.13 "
                    "shipped on 21 Sep",
                    metric="lost-invoice tickets per fortnight",
                    baseline=11,
                    observed=2,
                    seen=At(11, 9),
                    conf=(2, 4),
                    links=("mo8",),
                ),
                risk(
                    "mr2",
                    "A crash regression reaches every user before anyone notices",
                    before=(3, 4),
                    after=(2, 3),
                    evidence="The staged rollout of 5.13 halted at 10% on 22 Sep for a camera "
                    "crash, fixed in 5.13.1 before going wider",
                    links=("mo7",),
                ),
                lesson(
                    "ml2",
                    "Apple's answer: upgrades to plans sold on the web need in-app purchase "
                    "unless we only link out, and the 30% fee makes an in-app upgrade of the "
                    "cheapest plan unprofitable",
                    learned=At(8, 12),
                    applies=("revenue",),
                    links=("mr1",),
                ),
                dependency(
                    "md2",
                    "Device farm minutes come from a shared QA budget that runs out in "
                    "mid-October",
                    on="engineering operations QA tooling budget",
                    found=At(9, 15),
                    needed=At(30, 9),
                    links=("mo9",),
                ),
                action(
                    "ma3",
                    "Compare in-app purchase with a link-out for plan upgrades",
                    owner="Grace Liu",
                    due=On(25),
                    expects="A way to upgrade in the app that keeps the self-serve margin",
                    then="done",
                    links=("revenue",),
                ),
                action(
                    "ma4",
                    "Run the device-farm UI tests in the release pipeline",
                    owner="Ethan Park",
                    due=On(20),
                    expects="Fewer release-blocking bugs found by hand",
                    then="carried",
                ),
            ),
        ),
        Sprint(
            focus="quality",
            facilitator="Ethan Park",
            goal="upgrades from the app; Tap to Pay pilot",
            between=(
                dependency(
                    "md3",
                    "Tap to Pay on iPhone needs the payments team to enable the entitlement on "
                    "our acquirer merchant accounts",
                    on="payments team acquirer integration",
                    found=At(2, 10),
                    needed=At(9, 9),
                    links=("checkout",),
                    at=At(2, 10, 30),
                    by="Mateo Álvarez",
                ),
            ),
            entries=(
                output("mo11", "Plan upgrades link out to the web, no in-app purchase"),
                output("mo12", "Device-farm smoke suite of 14 UI tests in the release pipeline"),
                output("mo13", "Dynamic type on the checkout screens"),
                output("mo14", "Tap to Pay on iPhone behind a flag for 50 pilot merchants"),
                outcome(
                    "mc4",
                    "Merchants upgrade their plan from the app without contacting sales",
                    who="merchants using the app",
                    evidence="31 upgrades through the link-out in 9 days, 24% of all self-serve "
                    "upgrades; no review questions on 5.14",
                    metric="share of self-serve upgrades started in the app",
                    baseline="0%",
                    observed="24%",
                    seen=At(10, 11),
                    conf=(2, 3),
                    links=("mo11", "revenue"),
                ),
                outcome(
                    "mc5",
                    "Pilot merchants take in-person payments with Tap to Pay",
                    who="50 pilot merchants: cafés and market stalls",
                    evidence="1,206 Tap to Pay payments, 99.7% successful; the 3 failures were "
                    "acquirer timeouts",
                    metric="Tap to Pay payment success",
                    baseline="n/a (new)",
                    observed="99.7%",
                    seen=At(10, 16),
                    conf=(2, 3),
                    links=("mo14", "checkout"),
                ),
                risk(
                    "mr3",
                    "Tap to Pay timeouts at a busy stall make merchants give up on it",
                    before=(3, 3),
                    after=(3, 3),
                    evidence="Pilot survey: 4 of 22 merchants saw a timeout; the acquirer "
                    "waits 8 s where Apple recommends 5 s",
                    links=("mo14", "checkout"),
                ),
                lesson(
                    "ml3",
                    "The device farm found two bugs only on Samsung phones with the system font "
                    "at 130%: accessibility needs real devices",
                    learned=At(7, 14),
                    applies=("mc2",),
                    links=("mo12", "mo13"),
                ),
                action(
                    "ma5",
                    "Agree a 5-second Tap to Pay timeout with the payments team",
                    owner="Mateo Álvarez",
                    due=On(20),
                    expects="Tap to Pay succeeds as often as web checkout",
                    then="done",
                    links=("checkout",),
                ),
                action(
                    "ma6",
                    "Count app sign-ups in onboarding's time-to-first-value report",
                    owner="Olivia Chen",
                    due=On(25),
                    expects="App sign-ups are visible to the time-to-first-value decision",
                    then="dropped",
                    links=("ttfv",),
                ),
            ),
        ),
        Sprint(
            focus="speed",
            facilitator="Olivia Chen",
            goal="Tap to Pay for everyone; weekly releases",
            away=("Jordan Reyes",),
            between=(
                Edit(
                    "mc4",
                    At(1, 10),
                    "Grace Liu",
                    fields={
                        "observed": "26%",
                        "evidence": "34 upgrades through the link-out in 9 days (final count "
                        "after refunds), 26% of all self-serve upgrades; no review questions "
                        "on 5.14",
                    },
                ),
            ),
            entries=(
                output("mo15", "Tap to Pay timeout lowered to 5 seconds with the acquirer"),
                output("mo16", "Tap to Pay for all US merchants on iOS 17.4 and later"),
                output("mo17", "In-app walkthrough of taking a first payment"),
                output("mo18", "Home-screen widget with today's takings"),
                output("mo19", "Weekly release train instead of fortnightly"),
                outcome(
                    "mc6",
                    "Tap to Pay succeeds as often as web checkout",
                    who="merchants taking in-person payments",
                    evidence="Three weeks, 9,840 payments, 99.91% successful after the timeout "
                    "change",
                    metric="Tap to Pay payment success",
                    baseline="99.7%",
                    observed="99.91%",
                    seen=At(10, 10),
                    conf=(3, 4),
                    links=("mo15", "mo16", "checkout"),
                ),
                outcome(
                    "mc7",
                    "Merchants who sign up in the app take a first payment the same day",
                    who="merchants signing up in the app",
                    evidence="App cohort 12–21 Oct, 412 sign-ups: 58% took a first payment "
                    "within 24 hours; the web cohort 34%",
                    metric="first payment within 24 hours of sign-up, app",
                    baseline="n/a",
                    observed="58%",
                    seen=At(9, 17),
                    conf=(1, 3),
                    links=("mo17", "ttfv"),
                ),
                risk(
                    "mr4",
                    "Weekly releases raise the crash rate",
                    before=(3, 3),
                    after=(2, 3),
                    evidence="Two weekly releases so far at 99.7% and 99.8% crash-free; the "
                    "halt rule is unchanged",
                    links=("mo19",),
                ),
                lesson(
                    "ml4",
                    "Time-to-first-value was reviewed on 16 Oct without app sign-ups; our app "
                    "cohort already met the one-day target and nobody at the review knew",
                    learned=At(8, 11),
                    applies=("ttfv", "mc7"),
                ),
                dependency(
                    "md4",
                    "A weekly train needs App Store review within 48 hours; in October review "
                    "took up to four days",
                    on="Apple App Store review",
                    found=At(11, 8),
                    needed=At(4, 9),
                    links=("mo19",),
                ),
                action(
                    "ma7",
                    "Send the app cohort's time-to-first-value to onboarding every week until "
                    "the event gateway migration lands",
                    owner="Olivia Chen",
                    due=On(17),
                    expects="The time-to-first-value decision sees app sign-ups",
                    then="done",
                    links=("ttfv",),
                ),
                action(
                    "ma8",
                    "Move the analytics SDK from Segment to the event gateway's public endpoint",
                    owner="Ethan Park",
                    due=On(25),
                    expects="App events on the one event platform",
                    then="carried",
                ),
            ),
        ),
        Sprint(
            focus="other",
            facilitator="Mateo Álvarez",
            goal="accessibility and the design system",
            between=(
                output(
                    "mo20",
                    "Accessibility audit with an external firm, VoiceOver and TalkBack",
                    at=At(3, 13),
                    by="Grace Liu",
                ),
                action(
                    "ma0",
                    "Renew the Apple distribution certificate before it expires on 30 Nov",
                    owner="Grace Liu",
                    due=On(10),
                    expects="Release 5.19 can be signed",
                    at=At(4, 9),
                    by="Grace Liu",
                ),
                Remove("ma0", At(4, 9, 40), "Grace Liu"),
            ),
            entries=(
                output("mo21", "Screen-reader labels on every checkout and invoice screen"),
                output("mo22", "Design tokens shared between iOS and Android"),
                output("mo23", "Analytics SDK posting to the event gateway in the beta build"),
                output("mo24", "Hack day: receipt-scanning prototype"),
                outcome(
                    "mc8",
                    "Blind and low-vision merchants take a payment without help",
                    who="merchants using VoiceOver or TalkBack",
                    evidence="Audit retest 5 Nov: payment flows pass WCAG 2.2 AA on both "
                    "platforms; two merchants from the accessibility panel took a payment "
                    "unaided",
                    metric="critical accessibility issues in payment flows",
                    baseline=17,
                    observed=0,
                    seen=At(10, 14),
                    conf=(2, 4),
                    links=("mo20", "mo21"),
                ),
                risk(
                    "mr5",
                    "Moving the SDK off Segment loses marketing's install attribution",
                    before=(3, 3),
                    after=(3, 4),
                    evidence="Growth marketing's install-campaign attribution comes from "
                    "Segment; the gateway has nothing like it, and their beta dashboards broke",
                    links=("mo23",),
                ),
                lesson(
                    "ml5",
                    "Moving to the event gateway is cheap for us and expensive for marketing; "
                    "we learned it only when their dashboards broke in the beta",
                    learned=At(9, 16),
                    applies=(),
                    links=("mo23", "mr5"),
                ),
                dependency(
                    "md5",
                    "Install attribution on the event gateway needs growth marketing to choose "
                    "a replacement for Segment's",
                    on="growth marketing team",
                    found=At(9, 14),
                    needed=At(11, 9),
                    links=("mo23",),
                ),
                action(
                    "ma9",
                    "Keep Segment for attribution events only until marketing has a "
                    "replacement",
                    owner="Ethan Park",
                    due=On(25),
                    expects="App analytics on the gateway without breaking install attribution",
                    then="carried",
                    links=("mr5",),
                ),
                action(
                    "ma10",
                    "Accessibility check in the release checklist",
                    owner="Grace Liu",
                    due=On(18),
                    expects="No new critical accessibility issues in releases",
                    then="done",
                    links=("mc8",),
                ),
            ),
        ),
        Sprint(
            focus="quality",
            facilitator="Grace Liu",
            goal="a quiet Black Friday",
            status="open",
            between=(
                Edit(
                    "mr5",
                    At(1, 11),
                    "Ethan Park",
                    fields={
                        "evidence": "Growth marketing's install-campaign attribution comes from "
                        "Segment; the gateway has nothing like it, and their beta dashboards "
                        "broke. Marketing confirmed on 10 Nov that 30% of paid installs are "
                        "attributed through it",
                    },
                ),
                output(
                    "mo25",
                    "Release 5.19: analytics on the gateway, attribution still through Segment",
                    at=At(4, 15),
                    by="Ethan Park",
                ),
                dependency(
                    "md6",
                    "Identity confirmed SSO account creation for Q1; Sign in with Apple stays "
                    "on the web sign-up until then",
                    on="identity team SSO API",
                    found=At(3, 11),
                    needed=At(0, 9),
                    links=("ttfv", "md1"),
                    at=At(3, 11, 20),
                    by="Keisha Brown",
                ),
            ),
            entries=(
                output("mo26", "Tap to Pay load test with the payments team"),
                output("mo27", "Rollout gate raised to 99.7% crash-free sessions"),
                output("mo28", "'Send a test invoice to yourself' as the first step in the app, "
                       "as on the web"),
                output("mo29", "Spanish (US) localisation"),
                outcome(
                    "mc9",
                    "Crash regressions stop before they reach everyone",
                    who="all app users",
                    evidence="Six releases since the gate: two halted at 10%, none reached 100% "
                    "with a regression; 99.78% crash-free over 28 days",
                    metric="28-day crash-free sessions",
                    baseline="99.4%",
                    observed="99.78%",
                    seen=At(10, 9),
                    conf=(3, 4),
                    links=("mo27",),
                ),
                outcome(
                    "mc10",
                    "Tap to Pay is ready for Black Friday peak",
                    who="US merchants on Black Friday",
                    evidence="Joint load test with payments on 17 Nov: 40 payments a second "
                    "through Tap to Pay for 15 minutes, 99.93% successful",
                    metric="Tap to Pay success under peak load",
                    baseline="untested",
                    observed="99.93%",
                    seen=At(8, 13),
                    conf=(2, 4),
                    links=("mo26", "checkout"),
                ),
                risk(
                    "mr6",
                    "Segment renews on 31 Jan and we pay for two analytics pipelines another "
                    "year",
                    before=(3, 3),
                    after=(3, 3),
                    evidence="Renewal notice on 16 Nov; marketing has not scheduled the "
                    "attribution replacement",
                    links=("mr5",),
                ),
                lesson(
                    "ml6",
                    "Quality paid off for the app, but four of our ten outcomes this quarter "
                    "reinforce no decision: sprint planning should name the decision each goal "
                    "serves",
                    learned=At(10, 10),
                    applies=(),
                    links=("mc8", "mc9"),
                ),
                action(
                    "ma11",
                    "Ask 'which decision does this serve?' for every sprint goal at planning",
                    owner="Jordan Reyes",
                    due=On(17),
                    expects="Most outcomes next quarter reinforce a decision",
                ),
                action(
                    "ma12",
                    "Plan the attribution replacement with growth marketing before Segment "
                    "renews",
                    owner="Keisha Brown",
                    due=On(24),
                    expects="Segment cancelled on time",
                    links=("mr6",),
                ),
            ),
        ),
    ),
)

TEAMS: tuple[Team, ...] = (PAYMENTS, ONBOARDING, PLATFORM, MOBILE)

# --- writing the logs --------------------------------------------------------------------

Event = dict[str, Any]
Planned = tuple[datetime, int, Step, "str | None"]  # when, order, step, key of its retro


class Clock:
    """A clock that shows whatever moment it was last set to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def seeded_ids(seed: int) -> Iterator[None]:
    """Make record ids a reproducible sequence for the duration of the block."""
    rng = random.Random(seed)

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    with mock.patch.object(model, "new_id", new_id):
        yield


def sprint_start(number: int) -> date:
    """The first day of sprint ``number`` (1-based)."""
    return FIRST_SPRINT + timedelta(days=SPRINT_DAYS * (number - 1))


def moment(start: date, at: At, tz: timezone) -> datetime:
    """The datetime ``at`` names in the sprint that starts on ``start``."""
    day = start + timedelta(days=at.day)
    return datetime.combine(day, time(at.hour, at.minute), tzinfo=tz)


class Log:
    """One log being written: its repository, its clock and the ids of the records named so far."""

    def __init__(self, path: Path, team: str, utc_offset: timedelta, origin: str) -> None:
        self.tz = timezone(utc_offset)
        self.clock = Clock(datetime.combine(FIRST_SPRINT, time(), tzinfo=self.tz))
        self.repo = Repository(path, author=team, team=team, clock=self.clock, origin=origin)
        self.ids: dict[str, str] = {}

    def _value(self, kind: str, name: str, value: Any, start: date) -> Any:
        if isinstance(value, At):
            return moment(start, value, self.tz).isoformat()
        if isinstance(value, On):
            return (start + timedelta(days=value.day)).isoformat()
        if model.field_type(kind, name) == model.IDS:
            return [self.ids[key] for key in value]
        return value

    def _fields(self, kind: str, fields: Mapping[str, Any], start: date) -> dict[str, Any]:
        return {name: self._value(kind, name, value, start) for name, value in fields.items()}

    def apply(self, step: Step, when: datetime, start: date, retro: str | None = None) -> None:
        """Write ``step`` at ``when``; ``start`` is the first day of its sprint."""
        self.clock.now = when
        self.repo.author = step.by or self.repo.author
        if isinstance(step, Entry):
            if step.key in self.ids:
                raise ValueError(f"{self.repo.team}: the key {step.key!r} is used twice")
            rec = self.repo.add(
                step.kind,
                step.text,
                fields=self._fields(step.kind, step.fields, start),
                links=[self.ids[key] for key in step.links],
                retro=retro,
                at=when,
            )
            self.ids[step.key] = rec["id"]
        elif isinstance(step, Edit):
            rid = self.ids[step.key]
            kind = self.repo.get(rid)["kind"]
            self.repo.edit(
                rid,
                text=step.text,
                fields=self._fields(kind, step.fields, start),
                link=[self.ids[key] for key in step.link],
            )
        else:
            self.repo.remove(self.ids[step.key])


def write_decisions(path: Path) -> dict[str, Event]:
    """Record the organisation's decisions in a log of their own; return their events by key."""
    log = Log(path, LEADERSHIP, LEADERSHIP_OFFSET, LEADERSHIP_ORIGIN)
    with seeded_ids(LEADERSHIP_SEED):
        for entry in DECISIONS:
            assert entry.at is not None
            log.apply(entry, moment(FIRST_SPRINT, entry.at, log.tz), FIRST_SPRINT)
    events = {event["id"]: event for event in Journal(path).read().events}
    return {entry.key: events[log.ids[entry.key]] for entry in DECISIONS}


def plan(team: Team, number: int, previous: Sequence[Entry], pace: random.Random) -> list[Planned]:
    """The steps of one sprint, each with its moment.

    Check-ins, edits and deletions happen when they say. The retro opens at the
    team's usual time, first gives last sprint's actions their status, then
    records its entries a few minutes apart.
    """
    sprint = team.sprints[number - 1]
    tz = timezone(team.utc_offset)
    start = sprint_start(number)
    participants = [name for name in team.people if name not in sprint.away]
    steps: list[Planned] = []
    for step in sprint.between:
        if step.at is None:
            raise ValueError(f"{team.name}: {step.key!r} happens between retros but has no time")
        when = moment(start, step.at, tz)
        if isinstance(step, Entry):
            when += timedelta(seconds=pace.randint(0, 240))
            step = replace(step, by=step.by or pace.choice(participants))
        steps.append((when, len(steps), step, None))

    session = moment(start, team.retro_at, tz)
    retro_key = f"retro-{number}"
    fields = {
        "period_start": start.isoformat(),
        "period_end": (start + timedelta(days=SPRINT_DAYS - 1)).isoformat(),
        "facilitator": sprint.facilitator,
        "participants": participants,
        "focus": sprint.focus,
        "status": sprint.status,
        "decisions": team.decisions + sprint.decisions,
        "sprint_goal": sprint.goal,
    }
    text = f"Sprint {number} retro: {sprint.goal}"
    retro = Entry("retro", retro_key, text, fields, by=sprint.facilitator)
    steps.append((session, len(steps), retro, None))

    when = session + timedelta(minutes=1)
    for done in previous:
        if done.then is not None:
            when += timedelta(seconds=pace.randint(20, 50))
            status = Edit(done.key, None, sprint.facilitator, fields={"status": done.then})
            steps.append((when, len(steps), status, None))
    when += timedelta(minutes=2)
    for entry in sprint.entries:
        if entry.at is not None:
            raise ValueError(f"{team.name}: {entry.key!r} is a retro entry with its own time")
        when += timedelta(seconds=pace.randint(70, 260))
        entry = replace(entry, by=entry.by or pace.choice(participants))
        steps.append((when, len(steps), entry, retro_key))
    return sorted(steps, key=lambda planned: planned[:2])


def write_team(team: Team, path: Path, shared: Mapping[str, Event]) -> None:
    """Write a team's log: copies of the shared decisions it works towards, then six sprints."""
    Journal(path).append([shared[key] for key in team.decisions])
    log = Log(path, team.name, team.utc_offset, team.origin)
    log.ids.update({key: shared[key]["id"] for key in team.decisions})
    pace = random.Random(f"{team.name} pace")
    previous: Sequence[Entry] = ()
    with seeded_ids(team.seed):
        for number, sprint in enumerate(team.sprints, 1):
            start = sprint_start(number)
            for when, _, step, retro_key in plan(team, number, previous, pace):
                log.apply(step, when, start, log.ids[retro_key] if retro_key else None)
            previous = [entry for entry in sprint.entries if entry.kind == "action"]


def generate(folder: Path = FOLDER) -> list[Path]:
    """Delete and rewrite the four team logs in ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{team.name}.jsonl" for team in TEAMS]
    for path in paths:
        path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        shared = write_decisions(Path(scratch) / "decisions.jsonl")
    for team, path in zip(TEAMS, paths, strict=True):
        write_team(team, path, shared)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    """The command line: ``generate.py [FOLDER]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folder", nargs="?", type=Path, default=FOLDER,
        help="where to write the logs (default: the folder of this script)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    for path in generate(args.folder):
        events = Journal(path).read().events
        records = len({event["id"] for event in events})
        print(f"{path}: {len(events)} events, {records} records")


if __name__ == "__main__":
    main()
