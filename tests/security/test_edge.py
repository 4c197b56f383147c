"""Row 8 of issue #14: hostile text (NULs, lone surrogates, 200,000 nested brackets, over-long fields) sent to a live
server is a 4xx with its reason: never a 500, a traceback in the answer or the log, or a reset kept-alive connection.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.security.conftest import WEBHOOK_SECRET, LiveServer

DEEP = b"[" * 200_000


@pytest.fixture(scope="module")
def world(live: LiveServer) -> dict[str, str]:
    """An admin and an editor with tokens, and one incident, INC-1."""
    tokens = {"admin": live.add_user("edgeadmin", role="admin"), "editor": live.add_user("edgeeditor")}
    with live.client(tokens["editor"]) as api:
        created = api.post("/api/v1/incidents", json={"title": "Checkout down", "severity": "SEV2"})
        assert created.status_code == 201, created.text
    return tokens


def _refused(response: httpx.Response, *, statuses: tuple[int, ...] = (400, 422), reason: str = "") -> None:
    assert response.status_code in statuses, f"{response.request.url}: {response.status_code} {response.text[:300]}"
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert reason in response.text


def test_hostile_text_through_the_api_is_a_422_on_one_kept_alive_connection(
    live: LiveServer, world: dict[str, str]
) -> None:
    json_type = {"content-type": "application/json"}
    attacks: list[tuple[str, Callable[[httpx.Client], httpx.Response], str]] = [
        ("q=%00", lambda c: c.get("/api/v1/incidents?q=%00"), "NUL"),
        ("a filter with a NUL", lambda c: c.get("/api/v1/incidents?service=check%00out"), "NUL"),
        ("similar text with a NUL", lambda c: c.get("/api/v1/similar?text=leak%00"), "NUL"),
        ("a NUL in the path", lambda c: c.get("/api/v1/incidents/INC-1%00"), "NUL"),
        ("a NUL in a member name", lambda c: c.put("/api/v1/incidents/INC-1/members/ed%00itor"), "NUL"),
        ("a lone surrogate", lambda c: c.post("/api/v1/incidents", content=b'{"title": "\\ud800", "severity": "SEV2"}',
                                              headers=json_type), "surrogate"),
        ("a NUL in JSON", lambda c: c.post("/api/v1/incidents", content=b'{"title": "a\\u0000b", "severity": "SEV2"}',
                                           headers=json_type), "title"),
        ("200,000 nested [", lambda c: c.post("/api/v1/incidents", content=DEEP, headers=json_type),
         "AFTERACTION_JSON_MAX_DEPTH"),
        ("200,000 nested [ without a content type", lambda c: c.patch("/api/v1/incidents/INC-1", content=DEEP),
         "AFTERACTION_JSON_MAX_DEPTH"),
        ("an over-long title", lambda c: c.post("/api/v1/incidents", json={"title": "x" * 100_000, "severity": "SEV2"}),
         "title"),
        ("an over-long service", lambda c: c.post("/api/v1/incidents",
                                                  json={"title": "x", "severity": "SEV2", "services": ["s" * 5000]}),
         "services"),
        ("an over-long member name", lambda c: c.put(f"/api/v1/incidents/INC-1/members/{'n' * 5000}"), "name"),
        ("an id beyond any number", lambda c: c.get("/api/v1/incidents/INC-99999999999999999999"), "INC-"),
        ("a NUL in the API sign-in", lambda c: c.post("/api/v1/auth/token",
                                                      json={"username": "edge\u0000admin", "password": "x"}), "NUL"),
    ]  # fmt: skip
    with live.client(world["editor"]) as api:
        for name, attack, reason in attacks:
            try:
                response = attack(api)
            except httpx.TransportError as exc:  # a reset or closed kept-alive connection
                pytest.fail(f"{name}: the connection broke: {exc!r}")
            _refused(response, statuses=(404,) if "beyond" in name else (400, 422), reason=reason)
            assert response.headers["content-type"] == "application/problem+json", name
            assert response.headers.get("connection") != "close", f"{name}: the server closed the connection"
        assert api.get("/api/v1/incidents/INC-1").status_code == 200  # the same connection still serves
        assert [item["title"] for item in api.get("/api/v1/incidents").json()["items"]] == ["Checkout down"]


def test_hostile_webhook_deliveries_are_422(live: LiveServer, world: dict[str, str]) -> None:
    with live.client() as hooks:
        for receiver in ("alertmanager", "grafana", "opsgenie"):
            for content_type in ("application/json", "text/plain"):
                headers = {"X-Afteraction-Token": WEBHOOK_SECRET, "content-type": content_type}
                response = hooks.post(f"/api/v1/webhooks/{receiver}", content=DEEP, headers=headers)
                _refused(response, reason="AFTERACTION_JSON_MAX_DEPTH")
        surrogate = hooks.post("/api/v1/webhooks/alertmanager", content=b'{"receiver": "\\udc00"}',
                               headers={"X-Afteraction-Token": WEBHOOK_SECRET})  # fmt: skip
        _refused(surrogate, reason="surrogate")
        pagerduty = hooks.post("/api/v1/webhooks/pagerduty", content=DEEP, headers={"content-type": "application/json"})
        _refused(pagerduty, reason="AFTERACTION_JSON_MAX_DEPTH")


def test_hostile_text_through_the_pages_is_a_400_page(live: LiveServer, world: dict[str, str]) -> None:
    live.add_user("edgepages")
    browser = live.sign_in("edgepages")
    csrf = live.csrf(browser)
    search = browser.get("/incidents?q=%00")
    _refused(search, reason="Query parameter q: must not contain NUL characters")
    assert search.headers["content-type"].startswith("text/html")
    form = browser.post("/incidents", data={"csrf_token": csrf, "title": "Leak\x00", "severity": "SEV2"})
    _refused(form, reason="Form field title: must not contain NUL characters")
    section = browser.post("/incidents/INC-1/postmortem/sections/summary",
                           data={"csrf_token": csrf, "text": "a\x00b", "version": "1"})  # fmt: skip
    _refused(section, reason="must not contain NUL characters")
    with live.client() as visitor:
        page = visitor.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        sign_in = visitor.post("/login", data={"username": "edge\x00pages", "password": "x", "csrf_token": token})
        _refused(sign_in, reason="Form field username: must not contain NUL characters")
    assert browser.get("/dashboard").status_code == 200


def test_the_server_log_holds_no_traceback(live: LiveServer, world: dict[str, str]) -> None:
    log = live.log()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-3000:]
    assert live.alive()
