"""Versions that cover everything: a label change moves an incident's version, a stale write is a 409 with the
current version (API and page), and writes without a version never 409, even when they race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from afteraction.core.actor import Actor
from afteraction.incidents.service import labels_of, load_incident
from tests.web.conftest import Api, new_incident
from tests.web.pages.conftest import Site, text_of
from tests.web.pages.conftest import new_incident as page_incident
from tests.web.pages.conftest import site as site


def together(api: Api, count: int, send: Callable[[TestClient, int], Any]) -> list[Any]:
    """`count` clients send at the same moment, each from its own thread; their answers in order."""
    barrier = threading.Barrier(count)
    answers: list[Any] = [None] * count

    def run(index: int) -> None:
        client = TestClient(api.client.app, raise_server_exceptions=False)
        barrier.wait()
        answers[index] = send(client, index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_a_label_change_moves_the_version_and_an_unchanged_one_does_not(api: Api):
    created = new_incident(api)
    assert created["version"] == 1
    for field, values in (("services", ["checkout", "payments"]), ("teams", ["core"]), ("tags", ["dns"])):
        before = api.call("viewer", "GET", "/api/v1/incidents/INC-1").json()["version"]
        changed = api.call("editor", "PATCH", "/api/v1/incidents/INC-1", json={field: values})
        assert changed.status_code == 200, changed.text
        assert changed.json()["version"] == before + 1 and changed.json()[field] == values
        assert changed.headers["ETag"] == f'"{before + 1}"'
    same = api.call("editor", "PATCH", "/api/v1/incidents/INC-1", json={"services": ["checkout", "payments"]})
    assert same.json()["version"] == 4


def test_two_label_changes_from_the_same_version_one_wins_the_other_is_a_409_with_the_current_version(api: Api):
    new_incident(api)
    first = api.call("editor", "PATCH", "/api/v1/incidents/INC-1", json={"services": ["a"]},
                     headers={"If-Match": '"1"'})  # fmt: skip
    second = api.call("admin", "PATCH", "/api/v1/incidents/INC-1", json={"services": ["b"]},
                      headers={"If-Match": '"1"'})  # fmt: skip
    assert first.status_code == 200 and second.status_code == 409, (first.text, second.text)
    assert second.json()["current_version"] == 2 and second.headers["ETag"] == '"2"'
    assert api.call("viewer", "GET", "/api/v1/incidents/INC-1").json()["services"] == ["a"]
    in_body = api.call("admin", "PATCH", "/api/v1/incidents/INC-1", json={"tags": ["x"], "version": 1})
    assert in_body.status_code == 409 and in_body.json()["current_version"] == 2


def test_racing_conditional_label_changes_one_wins_and_the_rest_are_409(api: Api):
    new_incident(api)
    answers = together(api, 8, lambda client, i: client.patch(
        "/api/v1/incidents/INC-1", json={"services": [f"svc-{i}"]},
        headers={**api.headers("editor"), "If-Match": '"1"'},
    ))  # fmt: skip
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200] + [409] * 7, codes
    winner = next(answer.json() for answer in answers if answer.status_code == 200)
    final = api.call("viewer", "GET", "/api/v1/incidents/INC-1").json()
    assert final["services"] == winner["services"] and final["version"] == 2


def test_racing_unconditional_label_changes_all_apply_and_the_last_one_stays_whole(api: Api):
    new_incident(api)
    answers = together(api, 8, lambda client, i: client.patch(
        "/api/v1/incidents/INC-1", json={"services": [f"svc-{i}", f"extra-{i}"]}, headers=api.headers("editor"),
    ))  # fmt: skip
    assert [answer.status_code for answer in answers] == [200] * 8, [a.text for a in answers]
    versions = sorted(answer.json()["version"] for answer in answers)
    assert versions == list(range(2, 10))
    last = next(answer.json() for answer in answers if answer.json()["version"] == 9)
    final = api.call("viewer", "GET", "/api/v1/incidents/INC-1").json()
    assert final["services"] == last["services"] and len(final["services"]) == 2 and final["version"] == 9


def test_racing_unconditional_action_changes_never_409(api: Api):
    new_incident(api)
    api.call("editor", "POST", "/api/v1/incidents/INC-1/actions", json={"title": "Add a drain step"})
    answers = together(api, 10, lambda client, i: client.patch(
        "/api/v1/actions/AI-1", json={"owner": f"Owner {i}"}, headers=api.headers("editor"),
    ))  # fmt: skip
    assert [answer.status_code for answer in answers] == [200] * 10, [a.text for a in answers]
    item = api.call("viewer", "GET", "/api/v1/actions/AI-1").json()
    assert item["version"] == 11
    assert item["owner"] == next(a.json()["owner"] for a in answers if a.json()["version"] == 11)


def test_racing_action_items_with_the_same_new_owner_all_get_the_one_person(api: Api):
    new_incident(api)
    answers = together(api, 10, lambda client, i: client.post(
        "/api/v1/incidents/INC-1/actions", json={"title": f"Item {i}", "owner": "Brand New Owner"},
        headers=api.headers("editor"),
    ))  # fmt: skip
    assert [answer.status_code for answer in answers] == [201] * 10, [a.text for a in answers]
    items = api.call("viewer", "GET", "/api/v1/actions", params={"owner": "Brand New Owner"}).json()["items"]
    assert sorted(int(item["id"][3:]) for item in items) == list(range(1, 11))


def test_the_edit_form_of_an_incident_whose_services_changed_meanwhile_saves_nothing_and_says_so(site: Site):
    incident = page_incident(site)
    form = {"version": "1", "title": "Checkout latency above SLO", "severity": "SEV2", "kind": "incident",
            "status": "open"}  # fmt: skip
    first = site.browser("editor").post(f"/incidents/{incident}", {**form, "services": "checkout, payments"})
    assert "Saved the incident." in text_of(first)
    stale = site.browser("admin").post(f"/incidents/{incident}", {**form, "services": "search"})
    said = text_of(stale)
    assert "Someone changed this incident meanwhile (now version 2; your form was of version 1)" in said
    assert "your changes were not saved" in said
    with site.db.transaction() as session:
        row = load_incident(session, incident, Actor.system())
        assert labels_of(row, "service") == ["checkout", "payments"] and row.version == 2
