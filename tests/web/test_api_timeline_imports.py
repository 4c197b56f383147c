"""The API of import windows, import records, undo and bulk delete, as a client sees it."""

from __future__ import annotations

import json

from sqlalchemy import select

from afteraction.timeline.models import TimelineEvent
from tests.web.conftest import Api, new_incident

PAYLOAD = {
    "version": "4", "status": "firing", "receiver": "afteraction", "groupKey": "{}:{}",
    "alerts": [
        {"status": "firing", "labels": {"alertname": name}, "annotations": {"summary": name}, "startsAt": starts,
         "endsAt": "0001-01-01T00:00:00Z", "fingerprint": name}
        for name, starts in (("Old", "2016-05-01T12:00:00Z"), ("Errors", "2026-03-14T10:04:40Z"))
    ],
}  # fmt: skip
FILES = {"file": ("alerts.json", json.dumps(PAYLOAD).encode(), "application/json")}
BASE = "/api/v1/incidents/INC-1/timeline"


def _texts(api: Api) -> list[str]:
    """The texts of every timeline event stored, in time order."""
    with api.client.app.state.db.transaction() as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(TimelineEvent.text).order_by(TimelineEvent.at)))


def test_an_upload_keeps_the_incidents_window_unless_told_and_answers_what_it_skipped(api: Api):
    new_incident(api, started_at="2026-03-14T10:00:00Z")
    first = api.call("editor", "POST", f"{BASE}/import", files=FILES)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "import_id": 1, "incident_id": "INC-1", "format": "alertmanager", "read": 2, "added": 1, "duplicates": 0,
        "skipped_outside": 1, "since": "2026-03-14T09:00:00Z", "until": None, "read_as_utc": 0,
    }  # fmt: skip
    asked = api.call("editor", "POST", f"{BASE}/import", files=FILES,
                     data={"since": "2016-05-01T00:00:00Z", "until": "2016-05-02T00:00:00Z"}).json()  # fmt: skip
    assert (asked["added"], asked["skipped_outside"], asked["until"]) == (1, 1, "2016-05-02T00:00:00Z")
    everything = api.call("editor", "POST", f"{BASE}/import", files=FILES, data={"all_time": "true"}).json()
    assert (everything["added"], everything["skipped_outside"], everything["since"]) == (0, 0, None)
    naive = api.call("editor", "POST", f"{BASE}/import", files=FILES, data={"since": "2016-05-01T00:00:00"})
    assert naive.status_code == 422
    window = {"all_time": "true", "until": "2016-05-02T00:00:00Z"}
    both = api.call("editor", "POST", f"{BASE}/import", files=FILES, data=window)
    assert both.status_code == 422 and both.json()["field"] == "all_time"


def test_a_csv_upload_without_zones_is_read_in_the_tz_given_else_as_utc_and_counted(api: Api):
    new_incident(api, started_at="2026-03-14T10:00:00Z")
    log = {"file": ("log.csv", b"time,text\n2026-03-14 10:02:00,declared\n2026-03-14 10:09:00,paged\n", "text/csv")}
    utc = api.call("editor", "POST", f"{BASE}/import", files=log).json()
    assert (utc["format"], utc["added"], utc["read_as_utc"]) == ("csv", 2, 2)
    later = {"file": ("log2.csv", b"time,text\n2026-03-14 11:30:00,mitigated\n", "text/csv")}
    oslo = api.call("editor", "POST", f"{BASE}/import", files=later, data={"tz": "Europe/Oslo"}).json()
    assert (oslo["added"], oslo["read_as_utc"]) == (1, 0)
    assert _texts(api) == ["declared", "paged", "mitigated"]  # 11:30 in Oslo is 10:30 UTC
    wrong = api.call("editor", "POST", f"{BASE}/import", files=later, data={"tz": "Mars/Base"})
    assert wrong.status_code == 422 and "Mars/Base" in wrong.json()["detail"]


def test_imports_are_listed_and_one_is_undone_once_and_outsiders_see_none(api: Api):
    new_incident(api, private=True)
    api.call("editor", "POST", f"{BASE}/import", files=FILES)
    listed = api.call("editor", "GET", f"{BASE}/imports")
    assert listed.status_code == 200, listed.text
    [record] = listed.json()
    assert {k: record[k] for k in ("id", "incident_id", "format", "file_name", "actor", "state", "read", "added")} == {
        "id": 1, "incident_id": "INC-1", "format": "alertmanager", "file_name": "alerts.json", "actor": "editor",
        "state": "done", "read": 2, "added": 2,
    }  # fmt: skip
    assert api.call("outsider", "GET", f"{BASE}/imports").status_code == 404
    assert api.call("outsider", "DELETE", f"{BASE}/imports/1").status_code == 404
    assert api.call("viewer", "DELETE", f"{BASE}/imports/1").status_code == 403
    undone = api.call("editor", "DELETE", f"{BASE}/imports/1")
    assert undone.status_code == 200 and undone.json() == {"incident_id": "INC-1", "import_id": 1, "removed": 2}
    again = api.call("editor", "DELETE", f"{BASE}/imports/1")
    assert again.status_code == 409 and "already undone" in again.json()["detail"]
    assert api.call("editor", "DELETE", f"{BASE}/imports/2").status_code == 404
    assert _texts(api) == []


def test_bulk_delete_by_filter_gives_a_count_first_and_refuses_no_filter(api: Api):
    new_incident(api)
    api.call("editor", "POST", f"{BASE}/import", files=FILES)
    api.call("editor", "POST", BASE, json={"at": "2026-03-14T10:20:00Z", "text": "Rolled back"})
    dry = api.call("editor", "POST", f"{BASE}/delete", json={"source": "alertmanager", "dry_run": True})
    assert dry.status_code == 200 and dry.json() == {"count": 2, "dry_run": True}
    assert len(_texts(api)) == 3
    done = api.call("editor", "POST", f"{BASE}/delete", json={"source": "alertmanager"})
    assert done.json() == {"count": 2, "dry_run": False}
    assert _texts(api) == ["Rolled back"]
    empty = api.call("editor", "POST", f"{BASE}/delete", json={})
    assert empty.status_code == 422 and empty.json()["field"] == "filter"
    assert api.call("viewer", "POST", f"{BASE}/delete", json={"kind": "note"}).status_code == 403
