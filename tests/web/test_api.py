"""The REST API as its users see it: CRUD, pages, versions, private incidents, errors as problem+json."""

from __future__ import annotations

import json

from tests.web.conftest import Api, new_incident

PROBLEM = "application/problem+json"


def test_health_answers_without_a_token_and_readiness_checks_the_database(api: Api):
    assert api.call(None, "GET", "/healthz").json() == {"status": "ok"}
    assert api.call(None, "GET", "/readyz").json() == {"status": "ready"}


def test_readiness_is_503_when_the_database_is_not_initialised(tmp_path):
    from fastapi.testclient import TestClient

    from afteraction.web import create_app
    from tests.web.conftest import make_settings

    with TestClient(create_app(make_settings(f"sqlite:///{tmp_path}/empty.db"))) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
    # Ready or not, nothing more: why (naming the database) goes to the server log, not to whoever asks.
    assert response.status_code == 503 and response.json() == {"status": "not ready"}
    assert str(tmp_path) not in response.text


def test_an_editor_creates_reads_updates_and_an_admin_deletes_an_incident(api: Api):
    created = api.call("editor", "POST", "/api/v1/incidents", json={"title": "DB failover", "severity": "sev1"})
    assert created.status_code == 201
    assert created.headers["Location"] == "/api/v1/incidents/INC-1"
    assert created.headers["ETag"] == '"1"'
    assert created.json()["severity"] == "SEV1"
    shown = api.call("viewer", "GET", "/api/v1/incidents/INC-1")
    assert shown.json()["title"] == "DB failover" and shown.headers["ETag"] == '"1"'
    changed = api.call(
        "editor", "PATCH", "/api/v1/incidents/INC-1",
        json={"status": "resolved", "resolved_at": "2026-03-14T11:00:00+01:00"}, headers={"If-Match": '"1"'},
    )  # fmt: skip
    assert changed.status_code == 200
    assert changed.json()["resolved_at"] == "2026-03-14T10:00:00Z"
    assert changed.headers["ETag"] == '"2"'
    assert api.call("editor", "DELETE", "/api/v1/incidents/INC-1").status_code == 403
    assert api.call("admin", "DELETE", "/api/v1/incidents/INC-1").status_code == 204
    assert api.call("admin", "GET", "/api/v1/incidents/INC-1").status_code == 404


def test_an_incident_shows_its_labels_in_the_order_they_were_given(api: Api):
    body = {"title": "Checkout errors", "severity": "SEV2", "services": ["web", "api", "db"], "teams": ["payments"],
            "tags": ["zeta", "alpha"]}  # fmt: skip
    assert api.call("editor", "POST", "/api/v1/incidents", json=body).status_code == 201
    shown = api.call("viewer", "GET", "/api/v1/incidents/INC-1").json()
    assert (shown["services"], shown["teams"], shown["tags"]) == (["web", "api", "db"], ["payments"], ["zeta", "alpha"])
    bare = {"title": "No labels", "severity": "SEV3"}
    assert api.call("editor", "POST", "/api/v1/incidents", json=bare).status_code == 201
    assert api.call("viewer", "GET", "/api/v1/incidents/INC-2").json()["services"] == []


def test_a_stale_version_gets_409_with_the_current_version_and_changes_nothing(api: Api):
    new_incident(api)
    assert api.call("editor", "PATCH", "/api/v1/incidents/INC-1", json={"title": "First", "version": 1}).is_success
    stale = api.call("editor", "PATCH", "/api/v1/incidents/INC-1", json={"title": "Second"}, headers={"If-Match": "1"})
    assert stale.status_code == 409
    assert stale.headers["content-type"] == PROBLEM
    assert stale.json()["current_version"] == 2
    assert stale.headers["ETag"] == '"2"'
    assert api.call("viewer", "GET", "/api/v1/incidents/INC-1").json()["title"] == "First"


def test_the_list_filters_and_pages_newest_first(api: Api):
    for n in range(5):
        new_incident(api, title=f"Incident {n}", severity="SEV1" if n % 2 else "SEV3")
    page = api.call("viewer", "GET", "/api/v1/incidents", params={"limit": 2}).json()
    assert [i["id"] for i in page["items"]] == ["INC-5", "INC-4"] and page["next_offset"] == 2
    last = api.call("viewer", "GET", "/api/v1/incidents", params={"limit": 2, "offset": 4}).json()
    assert [i["id"] for i in last["items"]] == ["INC-1"] and last["next_offset"] is None
    sev1 = api.call("viewer", "GET", "/api/v1/incidents", params={"severity": "SEV1"}).json()
    assert [i["id"] for i in sev1["items"]] == ["INC-4", "INC-2"]
    bad = api.call("viewer", "GET", "/api/v1/incidents", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["field"] == "limit"
    unknown = api.call("viewer", "GET", "/api/v1/incidents", params={"severity": "SEV9"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "severity"
    assert "invalid severity 'SEV9'" in unknown.json()["detail"]


def test_a_private_incident_is_hidden_everywhere_from_non_members(api: Api):
    new_incident(api, title="Public")
    secret = new_incident(api, title="Credential leak", private=True)
    api.call("editor", "POST", f"/api/v1/incidents/{secret['id']}/actions", json={"title": "Rotate keys"})
    urls = [f"/api/v1/incidents/{secret['id']}{suffix}" for suffix in (
        "", "/timeline", "/metrics", "/postmortem", "/postmortem/lint", "/export?format=json", "/actions", "/review",
    )]  # fmt: skip
    for url in urls:
        assert api.call("outsider", "GET", url).status_code == 404, url
        assert api.call("admin", "GET", url).status_code == 200, url
        assert api.call("editor", "GET", url).status_code == 200, url  # the creator is a member
    titles = [i["title"] for i in api.call("outsider", "GET", "/api/v1/incidents").json()["items"]]
    assert titles == ["Public"]
    assert api.call("outsider", "GET", "/api/v1/actions").json() == {"items": [], "next_cursor": None}
    assert api.call("outsider", "GET", "/api/v1/actions/AI-1").status_code == 404
    assert len(api.call("admin", "GET", "/api/v1/actions").json()["items"]) == 1
    assert api.call("editor", "PUT", f"/api/v1/incidents/{secret['id']}/members/outsider").status_code == 200
    assert api.call("outsider", "GET", f"/api/v1/incidents/{secret['id']}").status_code == 200


def test_timeline_add_edit_mark_delete_and_metrics(api: Api):
    new_incident(api, started_at="2026-03-14T10:00:00Z")
    base = "/api/v1/incidents/INC-1/timeline"
    alert = api.call(
        "editor", "POST", base, json={"at": "2026-03-14T10:05:00Z", "text": "Alert fired", "kind": "alert"}
    )
    assert alert.status_code == 201
    event_id = alert.json()["id"]
    note = api.call("editor", "POST", base, json={"at": "2026-03-14T10:20:00Z", "text": "Rolled back"}).json()
    edited = api.call("editor", "PATCH", f"{base}/{note['id']}", json={"text": "Rolled back v2.3", "actor": "Ana"})
    assert edited.json()["text"] == "Rolled back v2.3" and edited.json()["actor"] == "Ana"
    marked = api.call("editor", "PUT", f"{base}/{note['id']}/key-moment", json={"moment": "mitigated"})
    assert marked.json()["key_moment"] == "mitigated"
    metrics = api.call("viewer", "GET", "/api/v1/incidents/INC-1/metrics").json()
    assert metrics["time_to_detect_s"] == 300 and metrics["time_to_mitigate_s"] == 1200
    assert api.call("editor", "DELETE", f"{base}/{event_id}").status_code == 204
    assert [e["text"] for e in api.call("viewer", "GET", base).json()["items"]] == ["Rolled back v2.3"]
    assert api.call("editor", "DELETE", f"{base}/{event_id}").status_code == 404
    naive = api.call("editor", "POST", base, json={"at": "2026-03-14T10:05:00", "text": "x"})
    assert naive.status_code == 422 and naive.json()["field"] == "at"


def test_a_timeline_upload_is_imported_once_and_an_oversized_one_gets_413(api: Api):
    new_incident(api)
    payload = {
        "receiver": "team", "status": "firing", "groupKey": "{}:{alertname=\"HighLatency\"}", "version": "4",
        "alerts": [{"status": "resolved", "labels": {"alertname": "HighLatency", "service": "checkout"},
                    "annotations": {"summary": "p99 above 2s"}, "startsAt": "2026-03-14T10:05:00Z",
                    "endsAt": "2026-03-14T10:30:00Z", "fingerprint": "abc123"}],
    }  # fmt: skip
    files = {"file": ("alerts.json", json.dumps(payload).encode(), "application/json")}
    url = "/api/v1/incidents/INC-1/timeline/import"
    first = api.call("editor", "POST", url, files=files)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "import_id": 1, "incident_id": "INC-1", "format": "alertmanager", "read": 2, "added": 2, "duplicates": 0,
        "skipped_outside": 0, "since": None, "until": None, "read_as_utc": 0,
    }  # fmt: skip
    again = api.call("editor", "POST", url, files=files).json()
    assert again["added"] == 0 and again["import_id"] == 2
    huge = {"file": ("big.json", b"[" + b" " * (300 * 1024) + b"]", "application/json")}
    too_big = api.call("editor", "POST", url, files=huge)
    assert too_big.status_code == 413 and too_big.headers["content-type"] == PROBLEM
    garbage = api.call("editor", "POST", url, files={"file": ("x.bin", b"\x00\x01binary", "application/octet-stream")})
    assert garbage.status_code == 422


def test_json_bodies_over_the_limit_get_413_even_when_streamed(api: Api):
    big = {"title": "x" * (70 * 1024), "severity": "SEV2"}
    assert api.call("editor", "POST", "/api/v1/incidents", json=big).status_code == 413

    def chunks():
        yield b'{"title": "'
        for _ in range(80):
            yield b"y" * 1024
        yield b'", "severity": "SEV2"}'

    streamed = api.call(
        "editor", "POST", "/api/v1/incidents", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert streamed.headers["content-type"] == PROBLEM


def test_post_mortem_sections_carry_versions(api: Api):
    new_incident(api)
    base = "/api/v1/incidents/INC-1/postmortem"
    summary = api.call("viewer", "GET", f"{base}/sections/summary")
    assert summary.json() == {"name": "summary", "text": "", "version": 1} and summary.headers["ETag"] == '"1"'
    saved = api.call("editor", "PUT", f"{base}/sections/summary", json={"text": "Checkout was slow."},
                     headers={"If-Match": '"1"'})  # fmt: skip
    assert saved.json()["version"] == 2
    other = api.call("editor", "PUT", f"{base}/sections/impact", json={"text": "5% of orders", "version": 1})
    assert other.status_code == 200  # a different section is not a conflict
    whys = {"nodes": [{"text": "Cache restarted", "children": [{"text": "No drain step", "root_cause": True}]}]}
    assert api.call("editor", "PUT", f"{base}/whys", json=whys).json()["version"] == 2
    factors = {"items": [{"text": "No runbook for cache restarts", "category": "process"}]}
    assert api.call("editor", "PUT", f"{base}/factors", json=factors).status_code == 200
    lessons = {"items": [{"kind": "went-well", "text": "Alert fired within a minute"}]}
    assert api.call("editor", "PUT", f"{base}/lessons", json=lessons).status_code == 200
    doc = api.call("viewer", "GET", base).json()
    assert doc["summary"] == "Checkout was slow." and doc["whys"][0]["children"][0]["root_cause"] is True
    assert doc["section_versions"]["summary"] == 2 and doc["section_versions"]["trigger"] == 1
    unknown = api.call("editor", "PUT", f"{base}/sections/nonsense", json={"text": "x"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "name"


def test_an_action_item_added_without_a_due_date_gets_the_policy_default(api: Api):
    from datetime import UTC, datetime, timedelta

    new_incident(api)
    body = {"title": "Alert on pool use", "priority": "P0"}
    added = api.call("editor", "POST", "/api/v1/incidents/INC-1/actions", json=body)
    assert added.status_code == 201
    assert added.json()["due"] == (datetime.now(UTC).date() + timedelta(days=7)).isoformat()  # the default P0 = 7d


def test_action_items_add_update_with_versions_and_list(api: Api):
    new_incident(api)
    added = api.call("editor", "POST", "/api/v1/incidents/INC-1/actions",
                     json={"title": "Add a drain step to the cache restart runbook", "owner": "Ana", "type": "prevent",
                           "priority": "P1", "due": "2026-04-01"})  # fmt: skip
    assert added.status_code == 201 and added.headers["ETag"] == '"1"'
    done = api.call("editor", "PATCH", "/api/v1/actions/AI-1", json={"status": "done"}, headers={"If-Match": '"1"'})
    assert done.json()["status"] == "done" and done.json()["closed_at"]
    stale = api.call("editor", "PATCH", "/api/v1/actions/AI-1", json={"owner": "Bo", "version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    wont = api.call("editor", "PATCH", "/api/v1/actions/AI-1", json={"status": "wont-do"})
    assert wont.status_code == 422 and wont.json()["field"] == "reason"
    owned = api.call("viewer", "GET", "/api/v1/actions", params={"owner": "ana"}).json()["items"]
    assert [a["id"] for a in owned] == ["AI-1"]


def test_exports_lint_and_review_of_a_post_mortem(api: Api):
    new_incident(api)
    md = api.call("viewer", "GET", "/api/v1/incidents/INC-1/export", params={"format": "md"})
    assert md.headers["content-type"].startswith("text/markdown") and md.text.startswith("---\nid: INC-1")
    html = api.call("viewer", "GET", "/api/v1/incidents/INC-1/export", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html") and "<html" in html.text
    assert (
        api.call("viewer", "GET", "/api/v1/incidents/INC-1/export", params={"format": "json"}).json()["id"] == "INC-1"
    )
    assert api.call("viewer", "GET", "/api/v1/incidents/INC-1/export", params={"format": "pdf"}).status_code == 422
    lint = api.call("viewer", "GET", "/api/v1/incidents/INC-1/postmortem/lint").json()
    assert "structure/missing-section" in {f["rule"] for f in lint["findings"]} and lint["completeness"] < 100
    requested = api.call("editor", "POST", "/api/v1/incidents/INC-1/review/request", json={"reviewers": ["admin"]})
    assert requested.status_code == 200 and requested.json()["status"] == "in-review"
    empty = api.call("admin", "POST", "/api/v1/incidents/INC-1/review/approve", json={})
    assert empty.status_code == 409 and "is an empty draft" in empty.json()["detail"]
    summary = {"text": "Checkout failed for 23 minutes."}
    api.call("editor", "PUT", "/api/v1/incidents/INC-1/postmortem/sections/summary", json=summary)
    approved = api.call("admin", "POST", "/api/v1/incidents/INC-1/review/approve", json={})
    assert approved.json()["status"] == "approved"
    refused = api.call("editor", "POST", "/api/v1/incidents/INC-1/review/publish", json={})
    assert refused.status_code == 409 and "cannot publish" in refused.json()["detail"]
    history = api.call("viewer", "GET", "/api/v1/incidents/INC-1/review").json()["history"]
    assert [step["action"] for step in history] == ["request", "approve"]


def test_accounts_sign_in_tokens_and_users(api: Api):
    signed = api.call(None, "POST", "/api/v1/auth/token", json={"username": "viewer", "password": "correct horse"})
    assert signed.status_code == 201
    token = signed.json()["token"]
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json() == {"name": "viewer", "role": "viewer"}
    wrong = api.call(None, "POST", "/api/v1/auth/token", json={"username": "viewer", "password": "wrong horse"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    mine = api.call("viewer", "GET", "/api/v1/tokens").json()
    assert {t["name"] for t in mine} == {"tests", "api"} and all("token" not in t for t in mine)
    revoked_id = signed.json()["id"]
    assert api.call("viewer", "DELETE", f"/api/v1/tokens/{revoked_id}").status_code == 204
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    dana = {"name": "dana", "email": "dana@example.org", "role": "editor", "password": "long enough"}
    created = api.call("admin", "POST", "/api/v1/users", json=dana)
    assert created.status_code == 201 and "password" not in created.text
    assert api.call("admin", "POST", "/api/v1/users", json=dana).status_code == 409
    assert api.call("admin", "PATCH", "/api/v1/users/editor", json={"active": False}).json()["active"] is False
    assert api.call("editor", "GET", "/api/v1/me").status_code == 401
    settings = api.call("admin", "GET", "/api/v1/settings").json()
    assert settings["webhooks"]["pagerduty"] is True and "secret" not in json.dumps(settings).lower().replace(
        "webhooks", ""
    )


def test_errors_never_show_a_traceback(api: Api, monkeypatch):
    from afteraction.usecases import incidents as service

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(service, "page_incidents", boom)
    response = api.call("viewer", "GET", "/api/v1/incidents")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "internals" not in response.text and "Traceback" not in response.text
    bad_json = api.call(
        "editor", "POST", "/api/v1/incidents", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 422 and bad_json.headers["content-type"] == PROBLEM
    nul = api.call("editor", "POST", "/api/v1/incidents", json={"title": "a\x00b", "severity": "SEV2"})
    assert nul.status_code == 422 and nul.json()["field"] == "title"
    assert api.call("viewer", "GET", "/api/v1/nothing-here").json()["status"] == 404
