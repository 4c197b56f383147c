"""A small history of incidents, post-mortems and action items, built through the services."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.domain.actions import ActionItemData
from afteraction.domain.reviews import FactorData, PostmortemDocument
from afteraction.incidents.models import Incident
from afteraction.reviews.models import Postmortem
from afteraction.usecases.documents import store_document

SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    """A UTC time from `2026-01-05 10:00`."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def build_history(db: Database) -> None:
    """INC-1 (SEV1, published on time), INC-2 (SEV2, a late draft that recurs INC-1), INC-3 (SEV3, unresolved)."""
    start1 = at("2026-01-05 10:00")
    store_document(
        db,
        severities=SEVERITIES,
        actor=SYSTEM,
        doc=PostmortemDocument(
            id="INC-1",
            title="Checkout errors after connection pool change",
            severity="SEV1",
            status="published",
            services=["checkout"],
            teams=["payments"],
            started_at=start1,
            detected_at=start1 + timedelta(minutes=10),
            acknowledged_at=start1 + timedelta(minutes=15),
            mitigated_at=start1 + timedelta(minutes=60),
            resolved_at=start1 + timedelta(minutes=120),
            summary="Checkout returned 502s because the database connection pool was exhausted.",
            factors=[
                FactorData(text="Connection pool limit was lowered in a config change", category="config-change"),
                FactorData(text="No alert on pool saturation", category="monitoring-gap"),
            ],
            actions=[
                ActionItemData(
                    title="Validate pool config in CI",
                    type="prevent",
                    owner="Alice",
                    due=date(2026, 1, 15),
                    status="done",
                    addresses="F1",
                ),
                ActionItemData(
                    title="Alert on pool saturation",
                    type="detect",
                    owner="Bob",
                    due=date(2026, 1, 10),
                    status="open",
                    addresses="F2",
                ),
            ],
        ),
    )
    start2 = at("2026-02-02 09:00")
    store_document(
        db,
        severities=SEVERITIES,
        actor=SYSTEM,
        doc=PostmortemDocument(
            id="INC-2",
            title="Payments timeouts",
            severity="SEV2",
            status="draft",
            services=["checkout"],
            teams=["payments"],
            started_at=start2,
            detected_at=start2 + timedelta(minutes=30),
            resolved_at=start2 + timedelta(hours=4),
            summary="Payments timed out: a config change shrank the connection pool again.",
            factors=[FactorData(text="A config change to the connection pool size", category="Config")],
            actions=[ActionItemData(title="Review pool sizing", type="process", owner="Bob", due=date(2026, 3, 10))],
        ),
    )
    store_document(
        db,
        severities=SEVERITIES,
        actor=SYSTEM,
        doc=PostmortemDocument(
            id="INC-3",
            title="Search index lag in eu-west-1",
            severity="SEV3",
            services=["search"],
            teams=["discovery"],
            categories=["cloud"],
            started_at=at("2026-02-10 08:00"),
            summary="The cloud provider's region had degraded disks; indexing lagged by an hour.",
        ),
    )
    with db.transaction() as session:
        session.execute(
            update(Postmortem)
            .where(Postmortem.incident_id == select(Incident.id).where(Incident.number == 1).scalar_subquery())
            .values(published_at=at("2026-01-07 10:00"))
        )
        for item in session.scalars(select(ActionItem)):
            item.opened_at = at("2026-01-06 10:00")
            if item.status == "done":
                item.closed_at = at("2026-01-20 10:00")


@pytest.fixture
def history(db: Database) -> Database:
    """The database with the small history in it."""
    build_history(db)
    return db
