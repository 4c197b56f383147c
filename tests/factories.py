"""Documents in a known state for the tests of several areas: a post-mortem with the sections the policy needs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest.mock import patch

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.domain.actions import ActionItemData
from afteraction.domain.incidents import TimelineEntry
from afteraction.domain.reviews import PostmortemDocument

SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident


def make_document(
    number: int = 1,
    *,
    title: str = "Checkout errors after a config push",
    severity: str | None = "SEV2",
    kind: str = "incident",
    summary: str = "A bad config push made checkout fail for 25 minutes.",
    impact: str = "12% of checkouts failed.",
    timeline: bool = True,
    actions: list[ActionItemData] | None = None,
    resolved_at: datetime | None = None,
    status: str = "draft",
) -> PostmortemDocument:
    """A post-mortem document with the sections the default policy requires, unless told otherwise."""
    start = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    return PostmortemDocument(
        id=f"INC-{number}",
        title=title,
        kind=kind,
        severity=severity,
        status=status,
        incident_status="resolved" if resolved_at else "open",
        started_at=start,
        resolved_at=resolved_at,
        authors=["Ann Lee"],
        summary=summary,
        impact=impact,
        timeline=[TimelineEntry(at=start, text="Alert fired", kind="alert")] if timeline else [],
        actions=actions
        if actions is not None
        else [
            ActionItemData(
                title="Validate config before push",
                owner="Bo Chen",
                due=date.today() + timedelta(days=10),
                priority="P1",
                type="prevent",
            ),
        ],
    )


def make_users(db: Database, *names: str, role: str = "editor") -> None:
    """Accounts of these names (cheap argon2 hashes): reviewers are users of afteraction, not free text."""
    from argon2 import PasswordHasher

    from afteraction.accounts import service as accounts

    with patch.object(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)):
        for name in names:
            accounts.create_user(db, name=name, email=f"{name}@example.org", role=role, password="correct horse")


def store_dated(
    db: Database, number: int, when: datetime, team: str, *, category: str = "config", private: bool = False
) -> str:
    """Store post-mortem INC-`number` of a team, started at `when`, detected 3×number minutes and resolved `number`
    hours later, with one factor of `category`, on the service checkout; returns its incident id."""
    from afteraction.domain.reviews import FactorData
    from afteraction.usecases.documents import store_document

    doc = make_document(number, title=f"Incident {number} of {team}").model_copy(
        update={
            "started_at": when,
            "detected_at": when + timedelta(minutes=3 * number),
            "resolved_at": when + timedelta(hours=number),
            "teams": [team],
            "services": ["checkout"],
            "private": private,
            "factors": [FactorData(text=f"Factor {number}", category=category)],
        }
    )
    return store_document(db, doc=doc, severities=SEVERITIES, actor=SYSTEM).incident_id
