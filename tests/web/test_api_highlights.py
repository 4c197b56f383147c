"""Choosing highlights through the API, and reading only them: what a client sees."""

from __future__ import annotations

from tests.web.conftest import Api, new_incident

BASE = "/api/v1/incidents/INC-1/timeline"


def _add(api: Api, text: str, at: str, kind: str = "note") -> int:
    made = api.call("editor", "POST", BASE, json={"at": at, "text": text, "kind": kind})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def test_events_are_starred_and_unstarred_and_the_highlights_filter_reads_only_them(api: Api):
    new_incident(api)
    first = _add(api, "Rolled back", "2026-03-14T10:00:00Z")
    second = _add(api, "Checked the dashboards", "2026-03-14T10:05:00Z")
    listed = api.call("viewer", "GET", BASE).json()["items"]
    assert [(e["id"], e["highlight"]) for e in listed] == [(first, True), (second, True)]  # added by hand
    off = api.call("editor", "POST", f"{BASE}/highlights", json={"event_ids": [second], "highlight": False})
    assert off.status_code == 200, off.text
    assert off.json() == {"event_ids": [second], "highlight": False, "changed": 1}
    only = api.call("viewer", "GET", BASE, params={"highlights": "true"}).json()
    assert [e["id"] for e in only["items"]] == [first] and only["next_cursor"] is None
    again = api.call("editor", "POST", f"{BASE}/highlights", json={"event_ids": [first, second]}).json()
    assert again == {"event_ids": [first, second], "highlight": True, "changed": 1}


def test_highlight_choices_are_refused_for_viewers_outsiders_and_other_incidents_events(api: Api):
    new_incident(api, private=True)
    event = _add(api, "Rolled back", "2026-03-14T10:00:00Z")
    body = {"event_ids": [event], "highlight": False}
    assert api.call("viewer", "POST", f"{BASE}/highlights", json=body).status_code in (403, 404)
    assert api.call("outsider", "POST", f"{BASE}/highlights", json=body).status_code == 404
    assert api.call("outsider", "GET", BASE, params={"highlights": "true"}).status_code == 404
    missing = api.call("editor", "POST", f"{BASE}/highlights", json={"event_ids": [event, 424242]})
    assert missing.status_code == 404 and "424242" in missing.text
    empty = api.call("editor", "POST", f"{BASE}/highlights", json={"event_ids": []})
    assert empty.status_code == 422 and "event_ids" in empty.text
    extra = api.call("editor", "POST", f"{BASE}/highlights", json={"event_ids": [event], "star": True})
    assert extra.status_code == 422
