"""Issue #15, items 4 and 5, against a live server over real HTTP on SQLite and PostgreSQL: no lost and no refused
writes under concurrency. Fifty concurrent creates of incidents and of action items (each with a new owner, or all
with the same new owner) all succeed with unique, gapless numbers; concurrent label changes all apply and the labels
left are exactly the last write's; conditional writes from the same version give one 200 and 409s carrying the
current version; unconditional PATCHes never 409; and the server logs no 500 and no traceback."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.security.conftest import LiveServer

CREATES = 50
WRITERS = 10
_runs = itertools.count(1)


@pytest.fixture(scope="module")
def editor(live: LiveServer) -> str:
    """An editor's API token on the module's server."""
    return live.add_user("concurrent-editor")


def together(
    live: LiveServer, token: str, count: int, send: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    """`count` clients (each its own connection) send at the same moment; their answers in order."""
    barrier = threading.Barrier(count)
    answers: list[Any] = [None] * count
    clients = [live.client(token) for _ in range(count)]

    def run(index: int) -> None:
        barrier.wait()
        answers[index] = send(clients[index], index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    return answers


def codes(answers: list[httpx.Response]) -> list[int]:
    """The status codes of answers, sorted."""
    return sorted(answer.status_code for answer in answers)


def one_incident(live: LiveServer, token: str) -> str:
    """A new incident's id."""
    with live.client(token) as client:
        created = client.post("/api/v1/incidents", json={"title": "Checkout 502s", "severity": "SEV3"})
        assert created.status_code == 201, created.text
        return str(created.json()["id"])


def test_fifty_concurrent_incident_creates_all_succeed_with_unique_gapless_numbers(live: LiveServer, editor: str):
    first = int(one_incident(live, editor)[4:])
    answers = together(live, editor, CREATES, lambda client, i: client.post(
        "/api/v1/incidents", json={"title": f"Burst {i}", "severity": "SEV3", "services": [f"burst-{i}", "shared"]},
    ))  # fmt: skip
    assert codes(answers) == [201] * CREATES, [a.text for a in answers if a.status_code != 201][:3]
    numbers = sorted(int(answer.json()["id"][4:]) for answer in answers)
    assert numbers == list(range(first + 1, first + 1 + CREATES))


@pytest.mark.parametrize("owners", ["a new owner each", "the same new owner"])
def test_fifty_concurrent_action_items_with_new_owners_all_succeed_with_unique_gapless_ids(
    live: LiveServer, editor: str, owners: str
):
    incident = one_incident(live, editor)
    run = next(_runs)

    def owner(i: int) -> str:
        return f"Owner {run}-{i}" if owners == "a new owner each" else f"Owner {run} for all"

    answers = together(live, editor, CREATES, lambda client, i: client.post(
        f"/api/v1/incidents/{incident}/actions", json={"title": f"Item {i}", "owner": owner(i)},
    ))  # fmt: skip
    assert codes(answers) == [201] * CREATES, [a.text for a in answers if a.status_code != 201][:3]
    ids = sorted(int(answer.json()["id"][3:]) for answer in answers)
    assert ids == list(range(ids[0], ids[0] + CREATES))
    assert sorted(answer.json()["owner"] for answer in answers) == sorted(owner(i) for i in range(CREATES))
    with live.client(editor) as client:
        listed = client.get("/api/v1/actions", params={"incident": incident, "limit": 500}).json()["items"]
    assert len(listed) == CREATES


def test_concurrent_unconditional_label_changes_all_apply_and_the_last_write_stays_whole(live: LiveServer, editor: str):
    incident = one_incident(live, editor)
    answers = together(live, editor, WRITERS, lambda client, i: client.patch(
        f"/api/v1/incidents/{incident}", json={"services": [f"svc-{i}", f"svc-{i}-db"], "tags": [f"tag-{i}"]},
    ))  # fmt: skip
    assert codes(answers) == [200] * WRITERS, [a.text for a in answers if a.status_code != 200][:3]
    assert sorted(answer.json()["version"] for answer in answers) == list(range(2, 2 + WRITERS))
    last = max((answer.json() for answer in answers), key=lambda body: body["version"])
    with live.client(editor) as client:
        final = client.get(f"/api/v1/incidents/{incident}")
    assert final.json()["services"] == last["services"] and final.json()["tags"] == last["tags"]
    assert len(final.json()["services"]) == 2 and final.headers["ETag"] == f'"{1 + WRITERS}"'


def test_concurrent_conditional_label_changes_from_one_version_give_one_200_and_409s_with_the_current_version(
    live: LiveServer, editor: str
):
    incident = one_incident(live, editor)
    answers = together(live, editor, WRITERS, lambda client, i: client.patch(
        f"/api/v1/incidents/{incident}", json={"services": [f"only-{i}"]}, headers={"If-Match": '"1"'},
    ))  # fmt: skip
    assert codes(answers) == [200] + [409] * (WRITERS - 1), [a.text for a in answers]
    assert {answer.json()["current_version"] for answer in answers if answer.status_code == 409} == {2}
    winner = next(answer.json() for answer in answers if answer.status_code == 200)
    with live.client(editor) as client:
        final = client.get(f"/api/v1/incidents/{incident}").json()
    assert final["services"] == winner["services"] and final["version"] == 2


def test_concurrent_unconditional_action_patches_never_409(live: LiveServer, editor: str):
    incident = one_incident(live, editor)
    with live.client(editor) as client:
        item = client.post(f"/api/v1/incidents/{incident}/actions", json={"title": "Add a drain step"}).json()["id"]
    answers = together(live, editor, 12, lambda client, i: client.patch(
        f"/api/v1/actions/{item}", json={"owner": f"Patcher {i}", "priority": "P1" if i % 2 else "P3"},
    ))  # fmt: skip
    assert codes(answers) == [200] * 12, [a.text for a in answers if a.status_code != 200][:3]
    last = max((answer.json() for answer in answers), key=lambda body: body["version"])
    with live.client(editor) as client:
        final = client.get(f"/api/v1/actions/{item}").json()
    assert final["version"] == 13 and final["owner"] == last["owner"]


def test_the_server_logged_no_500_and_no_traceback(live: LiveServer):
    log = live.log()
    assert "Traceback" not in log and " 500" not in log and "UniqueViolation" not in log, log[-3000:]
    assert live.alive()
