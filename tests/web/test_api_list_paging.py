"""The lists that grow, a page at a time as a client walks them: incidents, action items and the events of one
import each answer `{"items", "next_cursor"}`, give every item exactly once in their order, with a limit and filters;
a bad cursor is a 422 naming `cursor`; a private incident's items appear on no page for an outsider."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event, select

from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.cursors import encode_cursor
from afteraction.core.db import Database
from afteraction.incidents.members import add_member
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.people.models import Person
from afteraction.timeline.models import TimelineEvent
from afteraction.usecases.incidents import page_incidents
from tests.web.conftest import Api, new_incident

SYSTEM = Actor.system()
START = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
TODAY = date(2026, 3, 20)
BAD_CURSORS = (
    "nonsense",
    "x" * 199,
    encode_cursor(["i", "7"]),
    encode_cursor(["ai", "2026-13-01", 1, 0, 1]),
    encode_cursor(["ai", None, 1, 0, True]),
    encode_cursor(["a", "2026-03-14T10:00:00", 0, 7]),  # a time without a zone
)
TIMELINE_CURSOR = encode_cursor(["a", "2026-03-14T10:00:00Z", 0, 7])  # a good cursor of a timeline
INCIDENT_CURSOR = encode_cursor(["i", 7])


def _db(api: Api) -> Database:
    db: Database = api.client.app.state.db  # type: ignore[attr-defined]
    return db


def _walk(api: Api, persona: str, url: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a list, following next_cursor, each answer checked for what it must not show."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        answer = api.call(persona, "GET", url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        if persona == "outsider":
            assert "Secret" not in answer.text, answer.text[:500]
        body = answer.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 1000


def _ids(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [item["id"] for page in pages for item in page]


def _refuses_bad_cursors(api: Api, url: str, *others: str) -> None:
    """Cursors that are not cursors of the list at `url` are a 422 naming `cursor`, in one line."""
    for cursor in (*BAD_CURSORS, *others):
        answer = api.call("admin", "GET", url, params={"cursor": cursor})
        assert answer.status_code == 422 and answer.json()["field"] == "cursor", (cursor, answer.text)
        assert "\n" not in answer.json()["detail"]


# ---------------------------------------------------------------- incidents


def _add_incidents(db: Database, count: int) -> None:
    """`count` incidents INC-1..: every 10th private ("Secret …"), SEV1 every 3rd, service checkout or search."""
    with db.transaction() as session:
        for n in range(1, count + 1):
            private = n % 10 == 0
            row = Incident(
                number=n,
                title=f"Secret {n}" if private else f"Incident {n}",
                kind="incident",
                severity="SEV1" if n % 3 == 0 else "SEV2",
                private=private,
            )
            row.labels = [IncidentLabel(kind="service", value="checkout" if n % 2 else "search")]
            session.add(row)


def test_250_incidents_come_once_each_newest_first_a_page_at_a_time(api: Api) -> None:
    _add_incidents(_db(api), 250)
    everything = [f"INC-{n}" for n in range(250, 0, -1)]
    pages = _walk(api, "admin", "/api/v1/incidents", limit=40)
    assert [len(page) for page in pages] == [40] * 6 + [10] and _ids(pages) == everything
    public = [key for key in everything if int(key[4:]) % 10]
    assert _ids(_walk(api, "outsider", "/api/v1/incidents", limit=33)) == public
    assert _ids(_walk(api, "outsider", "/api/v1/incidents", limit=500)) == public
    sev1_checkout = [key for key in public if int(key[4:]) % 3 == 0 and int(key[4:]) % 2]
    filtered = _walk(api, "viewer", "/api/v1/incidents", limit=7, severity="sev1", service="checkout")
    assert _ids(filtered) == sev1_checkout and len(sev1_checkout) == 42
    first = api.call("viewer", "GET", "/api/v1/incidents").json()
    assert len(first["items"]) == 100 and first["next_cursor"] and first["next_offset"] == 100  # the default page
    assert api.call("viewer", "GET", "/api/v1/incidents", params={"limit": 501}).status_code == 422


def test_the_offset_still_pages_for_old_clients_and_a_cursor_goes_on_from_it(api: Api) -> None:
    _add_incidents(_db(api), 12)
    page = api.call("admin", "GET", "/api/v1/incidents", params={"limit": 5, "offset": 5}).json()
    assert _ids([page["items"]]) == [f"INC-{n}" for n in range(7, 2, -1)]
    assert (page["offset"], page["next_offset"]) == (5, 10)
    after = api.call("admin", "GET", "/api/v1/incidents", params={"limit": 5, "cursor": page["next_cursor"]}).json()
    assert _ids([after["items"]]) == ["INC-2", "INC-1"] and after["next_cursor"] is None
    assert after["next_offset"] is None
    both = api.call("admin", "GET", "/api/v1/incidents", params={"offset": 5, "cursor": page["next_cursor"]})
    assert both.status_code == 422 and both.json()["field"] == "cursor"
    _refuses_bad_cursors(api, "/api/v1/incidents", TIMELINE_CURSOR)


def test_a_deep_page_of_incidents_seeks_by_number_without_an_offset(api: Api) -> None:
    db = _db(api)
    _add_incidents(db, 30)
    _, cursor = page_incidents(db, limit=20, actor=SYSTEM)
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor_: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        found, _ = page_incidents(db, limit=5, cursor=cursor, actor=SYSTEM)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert [i.id for i in found] == [f"INC-{n}" for n in range(10, 5, -1)]
    [(statement, parameters)] = [s for s in statements if "FROM incidents" in s[0] and "ORDER BY" in s[0]]
    assert "incidents.number <" in statement
    assert "OFFSET" not in statement or parameters[-1] == 0  # SQLite writes LIMIT ? OFFSET 0
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            plan = " ".join(
                str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
        assert "TEMP B-TREE" not in plan and "INDEX" in plan, plan


# ---------------------------------------------------------------- action items


def _add_actions(db: Database, count: int) -> None:
    """INC-1 and INC-2 public, INC-3 private ("Secret …"), and `count` action items taking turns among them: a due
    date among nine (every 5th none), several at one place of an incident, open or done, owned by Ana or Bo."""
    with db.transaction() as session:
        incidents = []
        for n in (1, 2, 3):
            row = Incident(number=n, title="Secret 3" if n == 3 else f"Incident {n}", severity="SEV2", private=n == 3)
            session.add(row)
            incidents.append(row)
        ana, bo = Person(name="Ana"), Person(name="Bo")
        session.add_all([ana, bo])
        session.flush()
        for n in range(count):
            incident = incidents[n % 3]
            session.add(
                ActionItem(
                    incident_id=incident.id,
                    title=f"Secret item {n}" if incident.private else f"Item {n}",
                    due_date=None if n % 5 == 0 else TODAY + timedelta(days=n % 9 - 4),
                    position=n // 6,
                    status="done" if n % 4 == 0 else "open",
                    owner_id=(ana if n % 2 else bo).id,
                )
            )


def _expected(db: Database, *where: Any) -> list[str]:
    """The ids of the action items in the lists' order, worked out here: soonest due first, none last, then by
    incident, place and id."""
    with db.transaction() as session:
        rows = session.execute(
            select(ActionItem.id, ActionItem.due_date, ActionItem.incident_id, ActionItem.position)
            .join(Incident, Incident.id == ActionItem.incident_id)
            .join(Person, Person.id == ActionItem.owner_id)
            .where(*where)
        ).all()
    ordered = sorted(rows, key=lambda r: (r.due_date is None, r.due_date or TODAY, r.incident_id, r.position, r.id))
    return [f"AI-{r.id}" for r in ordered]


def test_250_action_items_come_once_each_soonest_due_first_a_page_at_a_time(api: Api) -> None:
    db = _db(api)
    _add_actions(db, 250)
    pages = _walk(api, "admin", "/api/v1/actions", limit=40)
    assert [len(page) for page in pages] == [40] * 6 + [10]
    assert _ids(pages) == _expected(db)
    dues = [item["due"] for page in pages for item in page]
    assert dues[-50:] == [None] * 50 and dues[:200] == sorted(dues[:200])
    assert _ids(_walk(api, "admin", "/api/v1/actions", limit=500)) == _expected(db)
    public = _expected(db, Incident.private.is_(False))
    assert _ids(_walk(api, "outsider", "/api/v1/actions", limit=9)) == public and len(public) == 167
    assert _ids(_walk(api, "viewer", "/api/v1/incidents/INC-2/actions", limit=11)) == _expected(
        db, Incident.number == 2
    )
    open_ana = _expected(db, Incident.private.is_(False), ActionItem.status == "open", Person.name == "Ana")
    assert _ids(_walk(api, "outsider", "/api/v1/actions", limit=6, open="true", owner="ana")) == open_ana
    first = api.call("viewer", "GET", "/api/v1/actions").json()
    assert set(first) == {"items", "next_cursor"} and len(first["items"]) == 100 and first["next_cursor"]


def test_action_items_refuse_a_bad_cursor_or_limit_and_hide_a_private_incident(api: Api) -> None:
    db = _db(api)
    _add_actions(db, 30)
    _refuses_bad_cursors(api, "/api/v1/actions", TIMELINE_CURSOR, INCIDENT_CURSOR)
    _refuses_bad_cursors(api, "/api/v1/incidents/INC-1/actions", TIMELINE_CURSOR)
    for limit in (0, 501):
        assert api.call("viewer", "GET", "/api/v1/actions", params={"limit": limit}).status_code == 422
    assert api.call("outsider", "GET", "/api/v1/incidents/INC-3/actions").status_code == 404
    assert api.call("outsider", "GET", "/api/v1/actions", params={"incident": "INC-3"}).status_code == 404
    # A member's cursor at a private incident's item shows an outsider only what is theirs to see.
    add_member(db, incident_id="INC-3", user="editor", actor=SYSTEM)
    cursor = None
    while True:
        mine = api.call(
            "editor", "GET", "/api/v1/actions", params={"limit": 1, **({"cursor": cursor} if cursor else {})}
        )
        cursor = mine.json()["next_cursor"]
        if mine.json()["items"][0]["incident_id"] == "INC-3":
            break
    rest = _walk(api, "outsider", "/api/v1/actions", limit=4, cursor=cursor)
    public = _expected(db, Incident.private.is_(False))
    assert _ids(rest) and set(_ids(rest)) <= set(public) and _ids(rest) == public[-len(_ids(rest)) :]


# ---------------------------------------------------------------- the events of an import


def _alerts(names: list[str]) -> dict[str, tuple[str, bytes, str]]:
    """An Alertmanager payload with one firing alert per name, their times out of the order of the names (two to a
    second)."""
    alerts = [
        {"status": "firing", "labels": {"alertname": name}, "annotations": {"summary": name},
         "startsAt": (START + timedelta(seconds=(n * 7) % len(names) // 2)).isoformat().replace("+00:00", "Z"),
         "endsAt": "0001-01-01T00:00:00Z", "fingerprint": name}
        for n, name in enumerate(names)
    ]  # fmt: skip
    payload = {"version": "4", "status": "firing", "receiver": "afteraction", "groupKey": "{}:{}", "alerts": alerts}
    return {"file": ("alerts.json", json.dumps(payload).encode(), "application/json")}


def _import(api: Api, incident: str, names: list[str]) -> int:
    answer = api.call("editor", "POST", f"/api/v1/incidents/{incident}/timeline/import", files=_alerts(names),
                      data={"all_time": "true"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    import_id: int = answer.json()["import_id"]
    return import_id


def _event_ids(api: Api, import_id: int) -> list[int]:
    """The ids of an import's events in the timeline's order, as stored."""
    with _db(api).transaction() as session:
        query = select(TimelineEvent.id).where(TimelineEvent.import_id == import_id)
        return list(session.scalars(query.order_by(TimelineEvent.sort_at, TimelineEvent.position, TimelineEvent.id)))


def test_the_250_events_of_an_import_come_once_each_in_time_order_and_no_others(api: Api) -> None:
    incident = new_incident(api, started_at="2026-03-14T10:00:00Z")["id"]
    names = [f"Disk {n}" if n % 4 == 0 else f"Latency {n}" for n in range(250)]
    first = _import(api, incident, names)
    second = _import(api, incident, [f"Other {n}" for n in range(20)])
    api.call("editor", "POST", f"/api/v1/incidents/{incident}/timeline", json={"at": "2026-03-14T10:00:30Z",
             "text": "Latency by hand"})  # fmt: skip
    url = f"/api/v1/incidents/{incident}/timeline/imports/{first}/events"
    pages = _walk(api, "viewer", url, limit=40)
    assert [len(page) for page in pages] == [40] * 6 + [10]
    events = [e for page in pages for e in page]
    assert [e["id"] for e in events] == _event_ids(api, first) and len({e["id"] for e in events}) == 250
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    assert {e["source"] for e in events} == {"alertmanager"} and not any("Other" in e["text"] for e in events)
    disks = [e for page in _walk(api, "viewer", url, limit=9, q="disk") for e in page]
    assert [e["id"] for e in disks] == [e["id"] for e in events if "Disk" in e["text"]] and len(disks) == 63
    window = [e for page in _walk(api, "viewer", url, limit=9, until="2026-03-14T10:00:09Z") for e in page]
    assert [e["id"] for e in window] == [e["id"] for e in events if e["at"] <= "2026-03-14T10:00:09Z"]
    assert len(window) == 20
    others = _walk(api, "viewer", f"/api/v1/incidents/{incident}/timeline/imports/{second}/events", limit=6)
    assert [e["id"] for page in others for e in page] == _event_ids(api, second) and len(_event_ids(api, second)) == 20
    _refuses_bad_cursors(api, url, INCIDENT_CURSOR)


def test_an_import_of_another_incident_or_a_private_one_is_not_found(api: Api) -> None:
    public = new_incident(api)["id"]
    secret = new_incident(api, title="Secret payroll leak", private=True)["id"]
    mine = _import(api, public, ["Disk 1", "Disk 2"])
    theirs = _import(api, secret, ["Secret alert 1", "Secret alert 2"])
    base = "/api/v1/incidents/{}/timeline/imports/{}/events"
    assert api.call("viewer", "GET", base.format(public, mine)).status_code == 200
    assert api.call("viewer", "GET", base.format(public, theirs)).status_code == 404
    assert api.call("viewer", "GET", base.format(public, 99)).status_code == 404
    for url in (base.format(secret, theirs), base.format(secret, mine)):
        missing = api.call("outsider", "GET", url)
        assert missing.status_code == 404 and "Secret" not in missing.text
    member = api.call("editor", "GET", base.format(secret, theirs)).json()
    assert [e["text"] for e in member["items"]] and member["next_cursor"] is None
