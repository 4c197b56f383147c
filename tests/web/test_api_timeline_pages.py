"""The timeline API a page at a time: `{"items", "next_cursor"}`, every event once in order, filters as query
parameters, a bad cursor or limit a 422 naming it, and a private incident's timeline a 404 for an outsider."""

from __future__ import annotations

from typing import Any

from afteraction.core.db import Database
from tests.timeline.test_paging import add_events
from tests.web.conftest import Api, new_incident


def _db(api: Api) -> Database:
    db: Database = api.client.app.state.db  # type: ignore[attr-defined]
    return db


def _pages(api: Api, url: str, **params: Any) -> list[list[dict[str, Any]]]:
    pages = []
    cursor = None
    while True:
        answer = api.call("viewer", "GET", url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"items", "next_cursor"}
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_1050_events_in_pages_of_500_come_once_each_in_order(api: Api):
    incident = new_incident(api)["id"]
    add_events(_db(api), incident, 1_040, undated=10)
    url = f"/api/v1/incidents/{incident}/timeline"
    pages = _pages(api, url, limit=500)
    assert [len(page) for page in pages] == [500, 500, 50]
    events = [event for page in pages for event in page]
    assert len({event["id"] for event in events}) == 1_050
    assert [e["text"] for e in events[:10]] == [f"undated {n}" for n in range(10)]
    timed = [(e["at"], e["id"]) for e in events[10:]]
    assert [at for at, _ in timed] == sorted(at for at, _ in timed)
    first = api.call("viewer", "GET", url).json()
    assert len(first["items"]) == 100 and first["next_cursor"]  # the default page
    assert first["items"][0] == events[0] and set(first["items"][0]) >= {"id", "at", "source", "actor", "kind", "text"}


def test_filters_are_query_parameters(api: Api):
    incident = new_incident(api)["id"]
    add_events(_db(api), incident, 300)
    url = f"/api/v1/incidents/{incident}/timeline"
    git = [e for page in _pages(api, url, source="git", limit=40) for e in page]
    assert len(git) == 100 and {e["source"] for e in git} == {"git"}
    alerts = _pages(api, url, kind="alert", actor="ANA", q="event 1")[0]
    assert alerts and all(e["kind"] == "alert" and e["actor"] == "Ana" and "event 1" in e["text"] for e in alerts)
    window = _pages(api, url, since="2026-03-14T10:00:10Z", until="2026-03-14T11:00:20+01:00")[0]
    assert [e["at"] for e in window][:1] == ["2026-03-14T10:00:10Z"] and window[-1]["at"] == "2026-03-14T10:00:20Z"
    assert len(window) == 33
    # Events written straight into the table (not imported) are not highlights until someone stars them.
    assert _pages(api, url, highlights="true", limit=500)[0] == []
    starred = [e["id"] for e in _pages(api, url, source="git", limit=3)[0]]
    api.call("editor", "POST", f"{url}/highlights", json={"event_ids": starred})
    assert [e["id"] for e in _pages(api, url, highlights="true", limit=500)[0]] == starred


def test_a_bad_cursor_limit_or_time_is_a_422_naming_it(api: Api):
    incident = new_incident(api)["id"]
    url = f"/api/v1/incidents/{incident}/timeline"
    for params, field in (
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "x" * 201}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"since": "2026-03-14T10:00:00"}, "since"),
        ({"since": "2026-03-15T10:00:00Z", "until": "2026-03-14T10:00:00Z"}, "until"),
    ):
        answer = api.call("viewer", "GET", url, params=params)
        assert answer.status_code == 422 and answer.json()["field"] == field, (params, answer.text)
        assert "\n" not in answer.json()["detail"]


def test_an_outsider_gets_404_for_a_private_timeline(api: Api):
    secret = new_incident(api, private=True)["id"]
    add_events(_db(api), secret, 3)
    url = f"/api/v1/incidents/{secret}/timeline"
    assert api.call("outsider", "GET", url).status_code == 404
    assert api.call("outsider", "GET", url, params={"limit": 1, "source": "git"}).status_code == 404
    assert len(api.call("editor", "GET", url).json()["items"]) == 3
