"""The demo post-mortem that `afteraction demo` loads: written by the project, complete in every section."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from afteraction.accounts import service as accounts
from afteraction.accounts.schemas import UserView
from afteraction.accounts.sessions import reset_demo_user
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.domain.actions import ActionItemData
from afteraction.domain.incidents import TimelineEntry
from afteraction.domain.reviews import FactorData, LessonData, PostmortemDocument, SectionData, WhyNodeData
from afteraction.reviews.workflow import restart_review
from afteraction.usecases.documents import export_document, store_document

DEMO_REF = "afteraction-demo"
DEMO_AUTHOR = "Dave Okafor"
# Reviewers are accounts: loading the demo creates these (as editors with a random password nobody is told, so they
# cannot sign in until an admin gives them one); `--user NAME` adds a reviewer who can.
DEMO_REVIEWERS = ("sarah.lindqvist", "ming.zhao")
DEMO_REQUEST_COMMENT = "Ready for review: please check the whys and that every action item addresses a cause."


def demo_request_time(today: date) -> datetime:
    """When the demo's author asked for its review: the afternoon before `today`."""
    return datetime.combine(today - timedelta(days=1), time(15, 0), tzinfo=UTC)


def demo_document(today: date, *, reviewer: str | None = None) -> PostmortemDocument:
    """A complete sample post-mortem of an incident three days before `today`; `reviewer` joins its reviewers."""
    day = today - timedelta(days=3)
    reviewers = list(DEMO_REVIEWERS)
    if reviewer and reviewer.strip().lower() not in {name.lower() for name in reviewers}:
        reviewers.append(reviewer.strip())

    def at(hh: int, mm: int, ss: int = 0) -> datetime:
        return datetime.combine(day, time(hh, mm, ss), tzinfo=UTC)

    def due(days: int) -> date:
        return today + timedelta(days=days)

    timeline = [
        TimelineEntry(
            at=at(9, 58, 12),
            source="git",
            actor="Priya Natarajan",
            kind="deploy",
            text="Deploy checkout-api v2.14.0: connection pool settings moved to the shared config",
            source_id="9f1c2e7",
        ),
        TimelineEntry(
            at=at(10, 4, 40),
            source="alertmanager",
            actor="Alertmanager",
            kind="alert",
            text="CheckoutHighErrorRate firing: 5xx ratio 18% on checkout-api",
            source_id="a1b2c3:firing",
            key_moment="detected",
        ),
        TimelineEntry(
            at=at(10, 5, 2),
            source="pagerduty",
            actor="PagerDuty",
            kind="page",
            text="Paged on-call for checkout (escalation policy Payments)",
            source_id="Q1PAGE",
        ),
        TimelineEntry(
            at=at(10, 7, 31),
            source="pagerduty",
            actor="Dave Okafor",
            kind="acknowledge",
            text="Acknowledged the page",
            source_id="Q1ACK",
            key_moment="acknowledged",
        ),
        TimelineEntry(
            at=at(10, 9, 5),
            source="slack",
            actor="Dave Okafor",
            kind="message",
            text="Opened #inc-checkout-502; seeing pool exhaustion on every checkout-api pod",
            source_id="C42:1710410945.000100",
        ),
        TimelineEntry(
            at=at(10, 16, 0),
            source="slack",
            actor="Sarah Lindqvist",
            kind="decision",
            text="Incident commander: roll back v2.14.0 rather than patch forward",
            source_id="C42:1710411360.000200",
        ),
        TimelineEntry(
            at=at(10, 21, 47),
            source="git",
            actor="Dave Okafor",
            kind="rollback",
            text="Rolled back checkout-api to v2.13.2",
            source_id="4d5e6f7",
            key_moment="mitigated",
        ),
        TimelineEntry(
            at=at(10, 29, 30),
            source="alertmanager",
            actor="Alertmanager",
            kind="resolve",
            text="CheckoutHighErrorRate resolved",
            source_id="a1b2c3:resolved",
            key_moment="resolved",
        ),
    ]
    return PostmortemDocument(
        id=None,
        external_ref=DEMO_REF,
        title="Checkout API returned 502s after a connection-pool config change",
        kind="incident",
        severity="SEV2",
        status="in-review",
        incident_status="resolved",
        services=["checkout-api", "payments-db"],
        teams=["payments"],
        tags=["config", "rollback"],
        authors=[DEMO_AUTHOR],
        reviewers=reviewers,
        started_at=at(9, 58, 12),
        detected_at=at(10, 4, 40),
        acknowledged_at=at(10, 7, 31),
        mitigated_at=at(10, 21, 47),
        resolved_at=at(10, 29, 30),
        due_date=due(2),
        summary=(
            "For 23 minutes, 18% of checkout requests failed with HTTP 502. A release moved the database "
            "connection-pool settings into the shared configuration, where the pool size default was 5 instead "
            "of 50. Rolling the release back restored service."
        ),
        impact=(
            "About 4,100 checkout attempts failed between the deploy and the rollback; most customers retried "
            "successfully. No payment was taken twice and no data was lost."
        ),
        trigger="Deploy of checkout-api v2.14.0, which read the pool size from the shared config.",
        detection="The CheckoutHighErrorRate alert fired 6 minutes after the deploy and paged the on-call engineer.",
        resolution="The release was rolled back to v2.13.2; the error rate returned to baseline within 8 minutes.",
        timeline_note="All times in UTC.",
        timeline=timeline,
        problem_statement="Checkout requests failed with 502 after the v2.14.0 deploy.",
        whys=[
            WhyNodeData(
                text="The checkout-api pods ran out of database connections.",
                children=[
                    WhyNodeData(
                        text="The pool size fell from 50 to the shared config's default of 5.",
                        children=[
                            WhyNodeData(
                                text="The shared config schema has defaults that no service reviewed.",
                                root_cause=True,
                            )
                        ],
                    )
                ],
            ),
            WhyNodeData(
                text="The canary stage did not catch the error.",
                children=[
                    WhyNodeData(
                        text="Canary traffic is too low to exhaust a pool of 5.",
                        children=[
                            WhyNodeData(
                                text="Canary analysis checks error rate only, not pool saturation.",
                                root_cause=True,
                            )
                        ],
                    )
                ],
            ),
        ],
        factors=[
            FactorData(
                text="Shared config defaults change behaviour silently when a key moves.",
                category="change/config",
            ),
            FactorData(text="Canary analysis has no saturation signal.", category="monitoring gap"),
            FactorData(text="The deploy went out at the start of the morning traffic peak.", category="deploy"),
        ],
        lessons=[
            LessonData(kind="went-well", text="The alert fired within 6 minutes and paged the right rotation."),
            LessonData(kind="went-well", text="The incident commander chose to roll back early."),
            LessonData(kind="went-wrong", text="The rollback needed a manual approval that took 4 minutes to find."),
            LessonData(kind="lucky", text="Most customers retried, so few orders were lost."),
        ],
        actions=[
            ActionItemData(
                title="Add pool-saturation metrics to the canary analysis of checkout-api",
                type="detect",
                owner="Ming Zhao",
                due=due(14),
                priority="P1",
                addresses="F2",
            ),
            ActionItemData(
                title="Make the shared config schema fail validation when a pool size is unset",
                type="prevent",
                owner="Priya Natarajan",
                due=due(21),
                priority="P1",
                addresses="W1.1.1",
            ),
            ActionItemData(
                title="Let the incident commander approve rollbacks without a second approver",
                type="process",
                owner="Sarah Lindqvist",
                due=due(10),
                priority="P2",
                status="in-progress",
                addresses="F3",
            ),
            ActionItemData(
                title="Document pool sizing in the checkout-api runbook",
                type="learn",
                owner="Dave Okafor",
                due=due(7),
                priority="P3",
                status="done",
            ),
        ],
        supporting_info="- Dashboard: checkout-api / connection pools\n- Release notes of checkout-api v2.14.0",
        sections=[SectionData(heading="Attendees", body="Dave Okafor, Sarah Lindqvist, Ming Zhao, Priya Natarajan")],
    )


@dataclass
class DemoLoad:
    """What loading the demo did: its incident, whether it is new, its Markdown, and the sign-in made for it."""

    incident_id: str
    created: bool
    markdown: str
    user: UserView | None = None
    password: str | None = None


def _ensure_demo_reviewers(db: Database) -> list[str]:
    """Create the demo's reviewer accounts that do not exist yet (an existing account of that name, in any case, is
    left as it is); returns the names created."""
    existing = {user.name.lower() for user in accounts.list_users(db)}
    created = []
    for name in DEMO_REVIEWERS:
        if name not in existing:
            accounts.create_user(
                db, name=name, email=f"{name}@example.invalid", role="editor", password=secrets.token_urlsafe(24)
            )
            created.append(name)
    return created


def load_demo(
    db: Database,
    *,
    actor: Actor,
    today: date,
    severities: Sequence[str],
    template_dir: Path | None = None,
    user: str | None = None,
) -> DemoLoad:
    """Store the demo post-mortem and start its review over (its author asked the afternoon before); with `user`,
    create or reset an editor sign-in who is one of its reviewers, with a new password. Its other reviewers are
    accounts too (created when missing)."""
    _ensure_demo_reviewers(db)
    result = store_document(db, doc=demo_document(today, reviewer=user), severities=severities, actor=actor)
    restart_review(
        db,
        incident_id=result.incident_id,
        actor=Actor.system(DEMO_AUTHOR),
        at=demo_request_time(today),
        comment=DEMO_REQUEST_COMMENT,
    )
    text = export_document(db, incident_id=result.incident_id, fmt="md", template_dir=template_dir, actor=actor)
    assert isinstance(text, str)  # Markdown is text
    loaded = DemoLoad(incident_id=result.incident_id, created=result.created, markdown=text)
    if user is not None:
        loaded.password = secrets.token_urlsafe(9)
        loaded.user = reset_demo_user(db, name=user, password=loaded.password)
    return loaded
