"""No lost updates: of two clients writing the same section from the same version, exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.web.conftest import Api, new_incident

WRITERS = ("editor", "admin")


def race(
    api: Api, method: str, url: str, body: Callable[[str], dict[str, Any]], headers: dict[str, str]
) -> dict[str, int]:
    """Both writers send their request at the same moment, each from its own client; their statuses by writer."""
    barrier = threading.Barrier(len(WRITERS))
    results: dict[str, int] = {}

    def write(who: str) -> None:
        client = TestClient(api.client.app, raise_server_exceptions=False)
        barrier.wait()
        response = client.request(method, url, json=body(who), headers={**api.headers(who), **headers})
        results[who] = response.status_code

    threads = [threading.Thread(target=write, args=(who,)) for who in WRITERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_clients_update_the_same_section_from_the_same_version_and_exactly_one_wins(api: Api):
    new_incident(api)
    url = "/api/v1/incidents/INC-1/postmortem/sections/impact"
    for round_ in range(8):
        version = api.call("editor", "GET", url).json()["version"]
        results = race(
            api, "PUT", url, lambda who, r=round_: {"text": f"{who} wrote this in round {r}"},
            {"If-Match": f'"{version}"'},
        )  # fmt: skip
        assert sorted(results.values()) == [200, 409], results
        winner = next(who for who, code in results.items() if code == 200)
        after = api.call("viewer", "GET", url).json()
        assert after == {"name": "impact", "text": f"{winner} wrote this in round {round_}", "version": version + 1}


def test_two_clients_update_the_same_action_item_from_the_same_version_and_exactly_one_wins(api: Api):
    new_incident(api)
    api.call("editor", "POST", "/api/v1/incidents/INC-1/actions", json={"title": "Add a drain step"})
    results = race(api, "PATCH", "/api/v1/actions/AI-1", lambda who: {"owner": who, "version": 1}, {})
    assert sorted(results.values()) == [200, 409], results
    item = api.call("viewer", "GET", "/api/v1/actions/AI-1").json()
    assert item["version"] == 2 and item["owner"] == next(w for w, c in results.items() if c == 200)


def test_two_clients_update_the_same_incident_from_the_same_version_and_exactly_one_wins(api: Api):
    new_incident(api)
    results = race(api, "PATCH", "/api/v1/incidents/INC-1", lambda who: {"title": f"By {who}"}, {"If-Match": '"1"'})
    assert sorted(results.values()) == [200, 409], results
    assert api.call("viewer", "GET", "/api/v1/incidents/INC-1").json()["version"] == 2
