"""The search index is kept on writes and by upkeep, never by a read (issue #15, item 6)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.domain.incidents import IncidentChanges, NewIncident
from afteraction.insights.service import upkeep
from afteraction.insights.similar import similar_incidents
from afteraction.reviews.sections import update_text_section
from afteraction.usecases import incidents as usecases

SYSTEM = Actor.system()
SEVERITIES = ("SEV1", "SEV2", "SEV3")


def _indexed(db: Database) -> dict[int, str]:
    with db.transaction() as session:
        rows = session.execute(text("SELECT incident_id, title || ' ' || summary FROM search_documents"))
        return {int(row[0]): str(row[1]) for row in rows}


def _found(db: Database, words: str) -> list[str]:
    return [hit.id for hit in similar_incidents(db, text=words, actor=SYSTEM)]


def test_a_new_or_renamed_incident_is_searchable_at_once(db: Database):
    usecases.create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Kafka consumer lag", severity="SEV2"), allowed_severities=SEVERITIES
    )
    assert _found(db, "kafka consumer lag") == ["INC-1"]
    usecases.update_incident(
        db, actor=SYSTEM, incident_id="INC-1", changes=IncidentChanges(title="Zookeeper quorum lost"),
        allowed_severities=SEVERITIES,
    )  # fmt: skip
    assert _found(db, "zookeeper quorum") == ["INC-1"]


def test_an_edited_section_is_reindexed_by_the_servers_upkeep_not_by_reads(db: Database):
    usecases.create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Checkout errors", severity="SEV2"), allowed_severities=SEVERITIES
    )
    update_text_section(db, incident_id="INC-1", name="summary", text="The certificate expired", actor=SYSTEM)
    assert _found(db, "certificate expired") == []  # the read finds the old document and writes nothing
    assert "certificate" not in next(iter(_indexed(db).values()))
    assert upkeep(db) is True  # the CLI's catch-up indexes missing documents only
    assert _found(db, "certificate expired") == []
    assert upkeep(db, stale=True, changed_since=utcnow() - timedelta(minutes=2)) is True  # the server's pass
    assert _found(db, "certificate expired") == ["INC-1"]
    # A later pass looking only at rows changed since then finds nothing to do, and changes nothing.
    before = _indexed(db)
    assert upkeep(db, stale=True, changed_since=utcnow()) is True
    assert _indexed(db) == before
