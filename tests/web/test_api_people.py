"""The directory of people through the API, and the signed-in person's inbox: what waits for them, over the incidents
they may see."""

from __future__ import annotations

from datetime import date, timedelta

from tests.web.conftest import Api, new_incident


def test_people_are_listed_found_added_changed_and_merged(api: Api):
    added = api.call("editor", "POST", "/api/v1/people", json={"name": "Rita Gomez", "email": "rita@example.com"})
    assert added.status_code == 201 and added.json()["name"] == "Rita Gomez"
    assert api.call("editor", "POST", "/api/v1/people", json={"name": "rita gomez"}).status_code == 409
    api.call("editor", "POST", "/api/v1/people", json={"name": "Rita Smith", "team": "payments"})
    found = api.call("viewer", "GET", "/api/v1/people", params={"q": "rita"}).json()
    assert [p["name"] for p in found] == ["Rita Gomez", "Rita Smith"]
    several = api.call("editor", "PATCH", "/api/v1/people/rita", json={"team": "core"})
    assert several.status_code == 422
    assert "'rita' matches several people: Rita Gomez, Rita Smith" in several.json()["detail"]
    changed = api.call("editor", "PATCH", "/api/v1/people/rita@example.com", json={"slack_id": "U0RITA"}).json()
    assert changed["slack_id"] == "U0RITA"
    assert api.call("viewer", "PATCH", "/api/v1/people/Rita Smith", json={"team": "x"}).status_code == 403
    assert api.call("editor", "POST", "/api/v1/people/merge", json={"keep": "Rita Gomez", "others": ["Rita Smith"]}
                    ).status_code == 403  # fmt: skip
    merged = api.call("admin", "POST", "/api/v1/people/merge", json={"keep": "Rita Gomez", "others": ["Rita Smith"]})
    assert merged.json()["team"] == "payments"
    accounts = api.call("admin", "POST", "/api/v1/people/merge", json={"keep": "viewer", "others": ["editor"]})
    assert accounts.status_code == 409 and "a person has one account" in accounts.json()["detail"]


def test_the_inbox_holds_reviews_items_and_postmortems_due_of_the_signed_in_person(api: Api):
    incident = new_incident(api, title="Checkout down")["id"]
    secret = new_incident(api, "admin", title="Payroll leak", private=True)["id"]
    soon = (date.today() + timedelta(days=3)).isoformat()
    late = (date.today() - timedelta(days=2)).isoformat()
    for where, title, due in ((incident, "Add a canary", soon), (incident, "Fix the alert", late),
                              (secret, "Rotate keys", late)):  # fmt: skip
        body = {"title": title, "owner": "viewer", "due": due}
        assert api.call("admin", "POST", f"/api/v1/incidents/{where}/actions", json=body).status_code == 201
    api.call("editor", "PUT", f"/api/v1/incidents/{incident}/postmortem/sections/summary", json={"text": "Down."})
    asked = api.call("editor", "POST", f"/api/v1/incidents/{incident}/review/request", json={"reviewers": ["admin"]})
    assert asked.status_code == 200, asked.text
    admin = api.call("admin", "GET", "/api/v1/me/inbox").json()
    assert admin["person"] == "admin" and [r["id"] for r in admin["reviews"]] == [incident]
    assert admin["reviews"][0]["requested_by"] == "editor"
    viewer = api.call("viewer", "GET", "/api/v1/me/inbox").json()
    assert [(a["title"], a["overdue"]) for a in viewer["actions"]] == [("Fix the alert", True), ("Add a canary", False)]
    assert "Payroll leak" not in str(viewer) and "Rotate keys" not in str(viewer)  # not a member of the private one
    assert set(viewer) == {"person", "reviews", "actions", "postmortems_due"}
    approved = api.call("admin", "POST", f"/api/v1/incidents/{incident}/review/approve", json={})
    assert approved.status_code == 200, approved.text
    assert api.call("admin", "GET", "/api/v1/me/inbox").json()["reviews"] == []
