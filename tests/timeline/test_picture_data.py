"""What the picture of a timeline shows, read from the database: every event counted once in its lane and bucket, the
highlights and nothing else, the key moments and the span around them, and no picture of a private incident for an
outsider; the highlights are read along their partial index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event, select, update

from afteraction.accounts import service as accounts
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import NotFound
from afteraction.documents.picture import ALL_LANE, lane_of
from afteraction.domain.incidents import NewIncident
from afteraction.incidents.members import add_member
from afteraction.incidents.service import load_incident
from afteraction.timeline import picture
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.picture import BUCKETS, picture_data
from afteraction.timeline.service import add_event, mark_event
from afteraction.usecases.incidents import create_incident
from tests.timeline.test_paging import START, add_events

SYSTEM = Actor.system("ana")


@pytest.fixture
def incident(db: Database) -> str:
    new = NewIncident(title="Checkout down", severity="SEV1")
    return create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV1"]).id


def _events(db: Database, incident: str) -> list[TimelineEvent]:
    with db.transaction() as session:
        row_id = load_incident(session, incident, SYSTEM).id
        rows = list(session.scalars(select(TimelineEvent).where(TimelineEvent.incident_id == row_id)))
        session.expunge_all()
        return rows


def _highlight(db: Database, ids: list[int]) -> None:
    with db.transaction() as session:
        session.execute(update(TimelineEvent).where(TimelineEvent.id.in_(ids)).values(highlight=True))


def test_every_event_is_counted_once_in_its_lane(db: Database, incident: str) -> None:
    add_events(db, incident, 300, undated=4)  # slack, pagerduty and git in turn, three to a second
    add_event(db, incident_id=incident, at=START + timedelta(seconds=50), text="rolled back", kind="rollback",
              actor=SYSTEM)  # fmt: skip
    data = picture_data(db, incident_id=incident, actor=SYSTEM)
    # Detected (derived from the first alert) to the last event, five minutes (the least margin) around them.
    assert [(m.name, m.origin) for m in data.moments] == [("detected", "derived")]
    assert data.start == START - timedelta(minutes=5) and data.end == START + timedelta(seconds=99, minutes=5)
    assert data.total == 301 and data.untimed == 4 and data.before == data.after == 0
    assert all(len(counts) == BUCKETS for counts in data.counts.values())
    lanes = {lane: sum(counts) for lane, counts in data.counts.items() if sum(counts)}
    # git and a hand-added rollback are deploys; slack is chat, pagerduty the pages.
    assert lanes == {"chat": 100, "pages": 100, "deploys": 101}
    expected = {lane: 0 for lane in lanes}
    for row in _events(db, incident):
        if row.sort_at is not None:
            expected[lane_of(row.source, row.kind)] += 1
    assert lanes == expected


def test_only_highlights_are_marks_with_their_text_cut_and_in_time_order(db: Database, incident: str) -> None:
    add_events(db, incident, 60)
    rows = sorted(_events(db, incident), key=lambda row: (row.sort_at, row.position, row.id))
    chosen = [rows[5].id, rows[40].id, rows[12].id]
    _highlight(db, chosen)
    long = add_event(db, incident_id=incident, at=START + timedelta(seconds=3), text="word " * 100, actor=SYSTEM)
    data = picture_data(db, incident_id=incident, actor=SYSTEM)
    by_id = {mark.id: mark for mark in data.highlights}
    # An event added by hand is a highlight, and so is a key moment's (detected: the first alert).
    moments = {moment.event_id for moment in data.moments}
    assert set(by_id) == {*chosen, long.id, *moments} and data.more_highlights == 0 and len(moments) == 1
    assert [mark.at for mark in data.highlights] == sorted(mark.at for mark in data.highlights)
    mark = by_id[long.id or 0]
    assert mark.lane == "hand-added" and len(mark.text) == 120 and mark.text.endswith("…")


def test_past_the_cap_the_first_highlights_are_marks_and_the_rest_counted(
    db: Database, incident: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_events(db, incident, 30)
    _highlight(db, [row.id for row in _events(db, incident)])
    monkeypatch.setattr(picture, "MAX_HIGHLIGHTS", 8)
    data = picture_data(db, incident_id=incident, actor=SYSTEM)
    assert len(data.highlights) == 8 and data.more_highlights == 22


def test_the_key_moments_set_the_span_and_the_events_outside_it_are_counted(db: Database, incident: str) -> None:
    add_events(db, incident, 3 * 3600)  # an hour, three events a second
    rows = sorted(_events(db, incident), key=lambda row: (row.sort_at, row.position, row.id))
    detected, resolved = rows[3 * 1200], rows[3 * 1800]  # at 10:20 and 10:30
    mark_event(db, event_id=detected.id, moment="detected", incident_id=incident, actor=SYSTEM)
    mark_event(db, event_id=resolved.id, moment="resolved", incident_id=incident, actor=SYSTEM)
    data = picture_data(db, incident_id=incident, actor=SYSTEM)
    assert [(m.name, m.origin, m.event_id) for m in data.moments] == [
        ("detected", "marked", detected.id),
        ("resolved", "marked", resolved.id),
    ]
    # Ten minutes apart: a margin of five minutes (the least) on each side.
    assert data.start == START + timedelta(minutes=15) and data.end == START + timedelta(minutes=35)
    assert data.before == 3 * 900 and data.after == 3 * 1500 - 3 and data.total == 3 * 1200 + 3
    assert {mark.id for mark in data.highlights} >= {detected.id, resolved.id}  # a key moment's event is one


def test_a_big_span_is_counted_per_bucket_for_all_lanes_together(
    db: Database, incident: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_events(db, incident, 240)
    exact = picture_data(db, incident_id=incident, actor=SYSTEM)
    monkeypatch.setattr(picture, "EXACT_EVENTS", 100)
    big = picture_data(db, incident_id=incident, actor=SYSTEM)
    assert list(big.counts) == [ALL_LANE] and big.total == exact.total == 240
    together = [sum(column) for column in zip(*exact.counts.values(), strict=True)]
    assert big.counts[ALL_LANE] == together


def test_one_event_or_none(db: Database, incident: str) -> None:
    empty = picture_data(db, incident_id=incident, actor=SYSTEM)
    assert empty.start is None and empty.empty and empty.total == 0
    added = add_event(db, incident_id=incident, at=START, text="it began", actor=SYSTEM)
    one = picture_data(db, incident_id=incident, actor=SYSTEM)
    assert one.end is not None and one.start is not None and one.end - one.start == timedelta(minutes=1)
    assert one.total == 1 and [mark.id for mark in one.highlights] == [added.id] and not one.empty


def test_a_private_incident_has_no_picture_for_an_outsider(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    new = NewIncident(title="Payroll leak", severity="SEV1", private=True)
    secret = create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV1"]).id
    add_events(db, secret, 5)
    for name in ("outsider", "member"):
        accounts.create_user(db, name=name, email=f"{name}@example.org", role="viewer", password="correct horse")
    add_member(db, incident_id=secret, user="member", actor=SYSTEM)
    outsider = accounts.authenticate_password(db, name="outsider", password="correct horse")
    member = accounts.authenticate_password(db, name="member", password="correct horse")
    assert outsider is not None and member is not None
    with pytest.raises(NotFound):
        picture_data(db, incident_id=secret, actor=outsider)
    assert picture_data(db, incident_id=secret, actor=member).total == 5


def test_the_highlights_are_read_along_their_partial_index(db: Database, incident: str) -> None:
    add_events(db, incident, 30)
    statements: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if "timeline_events.highlight" in statement and "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        picture_data(db, incident_id=incident, actor=SYSTEM)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert len(statements) == 1
    statement, parameters = statements[0]
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            plan = " ".join(
                str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            assert "ix_timeline_events_highlights" in plan and "TEMP B-TREE" not in plan
        else:  # a table this small is read whole unless told otherwise: the index must be usable
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(str(row[0]) for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
            assert "ix_timeline_events_highlights" in plan and "Sort" not in plan


def test_the_lanes_in_sql_are_the_lanes_in_python(db: Database, incident: str) -> None:
    sources = ("alertmanager", "grafana", "pagerduty", "opsgenie", "slack", "git", "github", "manual", "jira", "csv")
    with db.transaction() as session:
        row_id = load_incident(session, incident, SYSTEM).id
        at = datetime(2026, 3, 14, 10, tzinfo=UTC)
        session.add_all(
            TimelineEvent(incident_id=row_id, at=at, sort_at=at, source=source, kind=kind, text="x", source_id=f"{n}")
            for n, (source, kind) in enumerate((s, k) for s in sources for k in ("note", "deploy", "rollback", "alert"))
        )
    data = picture_data(db, incident_id=incident, actor=SYSTEM)
    expected: dict[str, int] = {}
    for source in sources:
        for kind in ("note", "deploy", "rollback", "alert"):
            expected[lane_of(source, kind)] = expected.get(lane_of(source, kind), 0) + 1
    assert {lane: sum(counts) for lane, counts in data.counts.items() if sum(counts)} == expected
    assert set(expected) == {"alerts", "pages", "chat", "deploys", "hand-added", "other"}


def test_a_large_timelines_lane_counts_are_counted_by_the_upkeep_after_an_import_or_an_edit(
    db: Database, incident: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import json

    from afteraction.insights.service import upkeep
    from afteraction.timeline.service import import_timeline

    monkeypatch.setattr(picture, "EXACT_EVENTS", 100)
    add_events(db, incident, 300)
    alerts = [
        {"status": "firing", "labels": {"alertname": f"A{n}"}, "startsAt": (START + timedelta(seconds=n)).isoformat(),
         "endsAt": "0001-01-01T00:00:00Z", "fingerprint": f"f{n}"}
        for n in range(5)
    ]  # fmt: skip
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps({"version": "4", "status": "firing", "alerts": alerts}))
    import_timeline(db, incident_id=incident, path=path, all_time=True, actor=SYSTEM)
    with db.transaction() as session:  # the import only marks the picture for the upkeep to count
        assert load_incident(session, incident, SYSTEM).timeline_picture == {"stale": True}
    assert set(picture_data(db, incident_id=incident, actor=SYSTEM).counts) == {ALL_LANE}
    assert upkeep(db)
    stored = picture_data(db, incident_id=incident, actor=SYSTEM)
    assert ALL_LANE not in stored.counts and stored.total == 305  # each lane of its own, from the stored counts
    assert sum(stored.counts[lane_of("alertmanager", "alert")]) >= 5
    with db.transaction() as session:  # past EXACT_EVENTS, the lanes can only have come from the stored counts
        row = load_incident(session, incident, SYSTEM)
        kept = dict(row.timeline_picture or {})
    assert kept["counts"] == stored.counts
    add_event(db, incident_id=incident, at=START + timedelta(seconds=30), text="one more", actor=SYSTEM)
    with db.transaction() as session:
        assert load_incident(session, incident, SYSTEM).timeline_picture == {"stale": True}
    stale = picture_data(db, incident_id=incident, actor=SYSTEM)
    assert set(stale.counts) == {ALL_LANE} and stale.total == 306  # counted along the index until counted again
    assert upkeep(db)
    again = picture_data(db, incident_id=incident, actor=SYSTEM)
    assert ALL_LANE not in again.counts and again.total == 306
