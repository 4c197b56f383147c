"""Reading a timeline a page at a time: every event exactly once and in the timeline's order, filters, cursors that
jump to a time and go back, and a deep page read along the index like the first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy import inspect

from afteraction.accounts import service as accounts
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput, NotFound
from afteraction.domain.incidents import NewIncident
from afteraction.incidents.members import add_member
from afteraction.incidents.service import load_incident
from afteraction.timeline import service
from afteraction.timeline.models import TimelineEvent
from afteraction.timeline.paging import (
    TimelineFilters,
    count_events,
    cursor_at,
    event_sources,
    page_events,
    timeline_page,
)
from afteraction.usecases.incidents import create_incident

SYSTEM = Actor.system("ana")
START = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
SOURCES = ("slack", "pagerduty", "git")
DAY = timedelta(days=1)


def add_events(db: Database, incident_id: str, count: int, *, undated: int = 0) -> None:
    """`undated` events without a time (as a document leaves them), then `count` events, three to a second (so
    that many share a time), their source, kind and actor taking turns."""
    with db.transaction() as session:
        row_id = load_incident(session, incident_id, SYSTEM).id
        rows = [
            TimelineEvent(incident_id=row_id, at=None, sort_at=None, time_text="earlier", text=f"undated {n}",
                          source="manual", kind="note", position=n)
            for n in range(undated)
        ]  # fmt: skip
        for n in range(count):
            at = START + timedelta(seconds=n // 3)
            rows.append(
                TimelineEvent(
                    incident_id=row_id, at=at, sort_at=at, text=f"event {n} about 50% of CHECKOUT" if n % 100 == 7
                    else f"event {n}", source=SOURCES[n % 3], kind="alert" if n % 5 == 0 else "message",
                    actor="Ana" if n % 2 else "Bo", position=(count - n) % 4,
                )
            )  # fmt: skip
        session.add_all(rows)


@pytest.fixture
def incident(db: Database) -> str:
    new = NewIncident(title="Checkout down", severity="SEV1")
    return create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV1"]).id


def _all_pages(db: Database, incident: str, limit: int, filters: TimelineFilters | None = None) -> list[list[int]]:
    pages: list[list[int]] = []
    cursor = None
    while True:
        items, cursor = page_events(db, incident_id=incident, actor=SYSTEM, limit=limit, cursor=cursor, filters=filters)
        pages.append([item.id or 0 for item in items])
        if cursor is None:
            return pages


def test_paging_1050_events_in_pages_of_500_gives_each_once_in_the_timelines_order(db: Database, incident: str):
    add_events(db, incident, 1_040, undated=10)
    pages = _all_pages(db, incident, 500)
    assert [len(page) for page in pages] == [500, 500, 50]
    everything = [entry.id for entry in service.list_events(db, incident_id=incident, actor=SYSTEM)]
    assert [event for page in pages for event in page] == everything and len(set(everything)) == 1_050
    first, _ = page_events(db, incident_id=incident, actor=SYSTEM)
    assert len(first) == 100 and [e.text for e in first[:2]] == ["undated 0", "undated 1"]


def test_filters_keep_the_order_and_page_too(db: Database, incident: str):
    add_events(db, incident, 600)
    everything = service.list_events(db, incident_id=incident, actor=SYSTEM)

    def ids(filters: TimelineFilters, limit: int = 500) -> list[int]:
        return [event for page in _all_pages(db, incident, limit, filters) for event in page]

    assert ids(TimelineFilters(source="git"), 70) == [e.id for e in everything if e.source == "git"]
    assert ids(TimelineFilters(kind="alert", actor="bo")) == [
        e.id for e in everything if e.kind == "alert" and e.actor == "Bo"
    ]
    assert ids(TimelineFilters(text="50% of checkout")) == [e.id for e in everything if "50% of" in e.text]
    assert len(ids(TimelineFilters(text="50% of checkout"))) == 6 and ids(TimelineFilters(text="50_ of")) == []
    since, until = START + timedelta(seconds=10), START + timedelta(seconds=20)
    window = ids(TimelineFilters(since=since, until=until, source="slack"), 7)
    assert window == [e.id for e in everything if e.at and since <= e.at <= until and e.source == "slack"]
    assert len(window) == 11
    assert count_events(db, incident_id=incident, actor=SYSTEM, filters=TimelineFilters(source="git")) == 200


def test_a_bad_cursor_limit_or_range_is_one_line_naming_it(db: Database, incident: str):
    add_events(db, incident, 3)
    for cursor in ("nonsense", "WyJhIl0", "", "x" * 300, "WyJhIiwiMjAyNi0wMy0xNFQxMDowMDowMFoiLDAsImEiXQ"):
        with pytest.raises(InvalidInput) as raised:
            page_events(db, incident_id=incident, actor=SYSTEM, cursor=cursor)
        assert raised.value.field == "cursor" and "\n" not in raised.value.message
    for limit in (0, 501):
        with pytest.raises(InvalidInput) as raised:
            page_events(db, incident_id=incident, actor=SYSTEM, limit=limit)
        assert raised.value.field == "limit"
    with pytest.raises(InvalidInput) as raised:
        page_events(db, incident_id=incident, actor=SYSTEM, filters=TimelineFilters(since=START, until=START - DAY))
    assert raised.value.field == "until"
    with pytest.raises(InvalidInput) as raised:
        page_events(db, incident_id=incident, actor=SYSTEM, filters=TimelineFilters(source="s" * 201))
    assert raised.value.field == "source"


def test_a_private_timeline_is_not_found_for_an_outsider(db: Database, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    new = NewIncident(title="Payroll leak", severity="SEV1", private=True)
    secret = create_incident(db, actor=SYSTEM, new=new, allowed_severities=["SEV1"]).id
    add_events(db, secret, 5)
    accounts.create_user(db, name="outsider", email="o@example.org", role="viewer", password="correct horse")
    accounts.create_user(db, name="member", email="m@example.org", role="viewer", password="correct horse")
    add_member(db, incident_id=secret, user="member", actor=SYSTEM)
    outsider = accounts.authenticate_password(db, name="outsider", password="correct horse")
    member = accounts.authenticate_password(db, name="member", password="correct horse")
    assert outsider is not None and member is not None
    with pytest.raises(NotFound):
        page_events(db, incident_id=secret, actor=outsider)
    with pytest.raises(NotFound):
        timeline_page(db, incident_id=secret, actor=outsider)
    assert len(page_events(db, incident_id=secret, actor=member)[0]) == 5


def test_a_page_goes_forward_and_back_and_jumps_to_a_time(db: Database, incident: str):
    add_events(db, incident, 450, undated=2)
    everything = [e.id for e in service.list_events(db, incident_id=incident, actor=SYSTEM)]
    first = timeline_page(db, incident_id=incident, actor=SYSTEM, limit=200)
    assert first.previous_cursor is None and [e.id for e in first.items] == everything[:200]
    second = timeline_page(db, incident_id=incident, actor=SYSTEM, limit=200, cursor=first.next_cursor)
    assert [e.id for e in second.items] == everything[200:400] and second.previous_cursor
    back = timeline_page(db, incident_id=incident, actor=SYSTEM, limit=200, cursor=second.previous_cursor)
    assert [e.id for e in back.items] == everything[:200] and back.next_cursor == first.next_cursor
    last = timeline_page(db, incident_id=incident, actor=SYSTEM, limit=200, cursor=second.next_cursor)
    assert [e.id for e in last.items] == everything[400:] and last.next_cursor is None
    # A jump: the page starts at the first event at or after the time, and goes back from there.
    jumped = timeline_page(db, incident_id=incident, actor=SYSTEM, limit=50, start_at=START + timedelta(seconds=100))
    assert jumped.items[0].at == START + timedelta(seconds=100) and jumped.items[0].id == everything[302]
    assert [e.id for e in jumped.items] == everything[302:352]
    before = timeline_page(db, incident_id=incident, actor=SYSTEM, limit=50, cursor=jumped.previous_cursor)
    assert [e.id for e in before.items] == everything[252:302]
    # Near the start, going back shows the first page.
    near = timeline_page(db, incident_id=incident, actor=SYSTEM, limit=50, start_at=START + timedelta(seconds=5))
    assert [e.id for e in timeline_page(db, incident_id=incident, actor=SYSTEM, limit=50,
                                        cursor=near.previous_cursor).items] == everything[:50]  # fmt: skip
    # Past the end: nothing, and the way back to the last events.
    after = timeline_page(db, incident_id=incident, actor=SYSTEM, limit=50, start_at=START + DAY)
    assert after.items == [] and after.next_cursor is None and after.previous_cursor
    end = timeline_page(db, incident_id=incident, actor=SYSTEM, limit=50, cursor=after.previous_cursor)
    assert [e.id for e in end.items] == everything[-50:]
    assert count_events(db, incident_id=incident, actor=SYSTEM, cursor=first.next_cursor) == 252
    assert count_events(db, incident_id=incident, actor=SYSTEM, cursor=cursor_at(START + timedelta(seconds=100))) == 150


def test_events_of_any_year_page_across_their_cursors(db: Database, incident: str):
    add_events(db, incident, 4)
    with db.transaction() as session:
        row_id = load_incident(session, incident, SYSTEM).id
        for year in (5, 999, 9999):
            at = datetime(year, 1, 1, tzinfo=UTC)
            session.add(TimelineEvent(incident_id=row_id, at=at, sort_at=at, text=f"year {year}", position=0))
    pages = _all_pages(db, incident, 1)
    assert len(pages) == 7 and [e.id for e in service.list_events(db, incident_id=incident, actor=SYSTEM)] == [
        page[0] for page in pages
    ]
    with pytest.raises(InvalidInput) as raised:
        cursor_at(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))))
    assert raised.value.field == "at"


def test_the_sources_of_a_timeline_are_listed_once_each(db: Database, incident: str):
    assert event_sources(db, incident_id=incident, actor=SYSTEM) == []
    add_events(db, incident, 30, undated=1)
    assert event_sources(db, incident_id=incident, actor=SYSTEM) == ["git", "manual", "pagerduty", "slack"]


def test_one_index_covers_the_timelines_whole_order(db: Database):
    with db.transaction() as session:
        indexes = inspect(session.connection()).get_indexes("timeline_events")
    columns = {index["name"]: index["column_names"] for index in indexes}
    assert columns["ix_timeline_events_incident_order"] == ["incident_id", "sort_at", "position", "id"]


def test_a_deep_page_is_read_along_the_index_without_sorting(db: Database, incident: str):
    add_events(db, incident, 50)
    _, cursor = page_events(db, incident_id=incident, actor=SYSTEM, limit=20)
    assert cursor
    with db.transaction() as session:
        connection = session.connection()
        if connection.dialect.name != "sqlite":
            pytest.skip("SQLite's query plan")
        plan = " ".join(
            str(row[-1])
            for row in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM timeline_events WHERE incident_id = 1 AND sort_at IS NOT NULL "
                "AND (sort_at, position, id) > ('2026-03-14 10:00:05.000000', 0, 7) "
                "ORDER BY sort_at, position, id LIMIT 501"
            )
        )
    assert "ix_timeline_events_incident_order" in plan and "TEMP B-TREE" not in plan
