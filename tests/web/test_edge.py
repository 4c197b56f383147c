"""The edge (web/edge.py, web/limits.py): hostile text is a 4xx naming the field, never a 500; bodies keep their size
and time limits; server-side failures are told without URLs, paths or SQL; secrets stay out of the access log."""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy.exc import DataError

from afteraction.core.errors import DatabaseUnavailable
from afteraction.web.edge import RedactSecrets, redact_query
from afteraction.web.limits import BodyLimits, BodyRefused
from tests.web.conftest import WEBHOOK_SECRET, Api, new_incident

PROBLEM = "application/problem+json"
DEEP = b"[" * 60_000  # under the tests' 64 KiB body limit; the live attack sends 200,000


def _run(coroutine: Any) -> Any:
    """Run a coroutine on an event loop of its own (a thread of its own: other tests may leave a loop running)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert "Traceback" not in response.text
    if field is not None:
        assert body["field"] == field
    return body


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/incidents?q=%00", "q"),
        ("/api/v1/incidents?service=check%00out&limit=5", "service"),
        ("/api/v1/similar?text=a%00", "text"),
        ("/api/v1/incidents/INC-1%00", "path"),
        ("/api/v1/users/%00/x", "path"),
    ],
)
def test_a_nul_in_the_address_or_a_query_is_a_422_naming_it(api: Api, url: str, field: str):
    body = _problem(api.call("viewer", "GET", url), 422, field)
    assert "must not contain NUL characters" in body["detail"]


def test_a_nul_in_a_page_address_or_form_is_a_400_page(api: Api):
    page = api.client.get("/incidents?q=%00")
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "Query parameter q: must not contain NUL characters." in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    login = api.client.post("/login", data={"username": "ad\x00min", "password": "x", "csrf_token": "x"})
    assert login.status_code == 400 and "Form field username: must not contain NUL characters." in login.text


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        (b'{"title": "\\ud800", "severity": "SEV2"}', "body", "surrogate"),
        (b'{"title": "ok", "severity": "SEV2", "services": ["a\\u0000b"]}', "services.0", "NUL"),
        (b'{"title": "ok", "severity": "SEV2", "x\\u0000": 1}', "x\\0", "NUL"),
        (b'{"title": "\\\\u0000 is fine as text", "severity": "SEV2", "x": ' + b"[" * 300 + b"]" * 300 + b"}", "body",
         "AFTERACTION_JSON_MAX_DEPTH"),
        (DEEP, "body", "AFTERACTION_JSON_MAX_DEPTH"),
        (b"{not json", "body", "not valid JSON"),
    ],
)  # fmt: skip
def test_a_hostile_json_body_is_a_422_naming_why(api: Api, body: bytes, field: str, detail: str):
    for content_type in ("application/json", "application/merge-patch+json", None):
        headers = {"content-type": content_type} if content_type else {}
        response = api.call("editor", "POST", "/api/v1/incidents", content=body, headers=headers)
        assert detail in _problem(response, 422, field)["detail"]
    assert api.call("viewer", "GET", "/api/v1/incidents").json()["items"] == []  # nothing was written


def test_a_nul_escape_in_text_is_not_a_nul(api: Api):
    created = api.call(
        "editor", "POST", "/api/v1/incidents", content=b'{"title": "a \\\\u0000 b", "severity": "SEV2"}',
        headers={"content-type": "application/json"},
    )  # fmt: skip
    assert created.status_code == 201 and created.json()["title"] == "a \\u0000 b"


def test_webhook_bodies_are_checked_as_json_whatever_their_content_type(api: Api):
    url = "/api/v1/webhooks/alertmanager"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/json"):
        headers = {"content-type": content_type, "X-Afteraction-Token": WEBHOOK_SECRET}
        response = api.client.post(url, content=DEEP, headers=headers)
        assert "AFTERACTION_JSON_MAX_DEPTH" in _problem(response, 422, "body")["detail"]
    with_bom = b"\xef\xbb\xbf" + json.dumps({"receiver": "x", "status": "firing", "alerts": []}).encode()
    accepted = api.client.post(url, content=with_bom, headers={"X-Afteraction-Token": WEBHOOK_SECRET})
    assert accepted.status_code == 202, accepted.text


def test_multipart_is_taken_by_uploads_only(api: Api):
    refused = api.call("editor", "POST", "/api/v1/incidents", files={"title": (None, "x"), "severity": (None, "SEV2")})
    assert "only by file uploads" in _problem(refused, 415)["detail"]
    page = api.client.post("/login", files={"username": (None, "ad\x00min"), "password": (None, "x")})
    assert page.status_code == 415 and page.headers["content-type"].startswith("text/html")
    new_incident(api)
    upload = api.call("editor", "POST", "/api/v1/incidents/INC-1/timeline/import",
                      files={"file": ("a.json", b'{"receiver": "x", "status": "firing", "alerts": []}')})  # fmt: skip
    assert upload.status_code == 200, upload.text


def test_a_declared_body_over_the_limit_is_a_413_naming_the_setting_and_closing_the_connection(api: Api):
    big = {"title": "x" * (70 * 1024), "severity": "SEV2"}
    response = api.call("editor", "POST", "/api/v1/incidents", json=big)
    assert "AFTERACTION_MAX_BODY_BYTES" in _problem(response, 413)["detail"]
    assert response.headers["connection"] == "close"


def test_an_answer_before_the_body_was_read_closes_the_connection(api: Api):
    # The route answers without reading the body: the rest of it must not keep the connection open.
    response = api.call("viewer", "GET", "/api/v1/incidents", content=b"x" * 100, headers={"content-type": "x/y"})
    assert response.status_code == 200 and response.headers["connection"] == "close"
    assert "connection" not in api.call("viewer", "GET", "/api/v1/incidents").headers


def test_a_body_that_does_not_arrive_in_time_is_refused():
    limits = BodyLimits(max_body=100, max_upload=1000, timeout=0.2)

    async def dripping():
        await asyncio.sleep(0.05)
        return {"type": "http.request", "body": b"x", "more_body": True}

    async def read() -> BodyRefused:
        body = limits.body("/api/v1/incidents", dripping)
        with pytest.raises(BodyRefused) as refused:
            await body.read()
        assert not body.done and 2 <= body.received <= 5
        return refused.value

    refused = _run(read())
    assert refused.status == 408 and "0.2 seconds (set by AFTERACTION_BODY_TIMEOUT)" in refused.detail


def test_a_streamed_body_over_the_limit_is_refused_as_it_passes_it():
    limits = BodyLimits(max_body=100, max_upload=1000, timeout=5)

    async def chunks():
        return {"type": "http.request", "body": b"x" * 40, "more_body": True}

    async def read(path: str) -> BodyRefused:
        with pytest.raises(BodyRefused) as refused:
            await limits.body(path, chunks).read()
        return refused.value

    assert "100 bytes (set by AFTERACTION_MAX_BODY_BYTES)" in _run(read("/api/v1/incidents")).detail
    assert "1000 bytes (set by AFTERACTION_MAX_UPLOAD_BYTES)" in _run(read("/x/import")).detail


def test_server_side_failures_are_told_without_urls_paths_or_sql(api: Api, monkeypatch):
    from afteraction.usecases import incidents as service

    def unavailable(*args, **kwargs):
        raise DatabaseUnavailable("cannot reach database sqlite:////srv/secret/afteraction.db: disk I/O error")

    def refused(*args, **kwargs):
        raise DataError("SELECT * FROM incidents WHERE title = %(t)s", {"t": "x"}, Exception("value too long"))

    monkeypatch.setattr(service, "page_incidents", unavailable)
    body = _problem(api.call("viewer", "GET", "/api/v1/incidents"), 503)
    assert body["detail"] == "the database is unavailable: the server log has the details"
    monkeypatch.setattr(service, "page_incidents", refused)
    body = _problem(api.call("viewer", "GET", "/api/v1/incidents"), 422)
    assert "SELECT" not in json.dumps(body) and "too long or out of range" in body["detail"]


def test_numbers_beyond_any_id_are_not_found(api: Api):
    new_incident(api)
    for url in ("/api/v1/incidents/INC-99999999999999999999", "/api/v1/actions/AI-99999999999999999999",
                "/api/v1/incidents/99999999999999999999/timeline"):  # fmt: skip
        assert _problem(api.call("admin", "GET", url), 404)


def test_secret_query_parameters_are_redacted_in_the_access_log():
    assert redact_query("/api/v1/webhooks/grafana?incident=INC-1&token=s3cret&x=1") == (
        "/api/v1/webhooks/grafana?incident=INC-1&token=REDACTED&x=1"
    )
    assert redact_query("/hook?TOKEN=a&t%6Fken=b") == "/hook?TOKEN=REDACTED&t%6Fken=REDACTED"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "POST", "/api/v1/webhooks/opsgenie?token=s3cret", "1.1", 202), None,
    )  # fmt: skip
    assert RedactSecrets().filter(record) and "s3cret" not in record.getMessage()
    assert record.getMessage() == '127.0.0.1:5 - "POST /api/v1/webhooks/opsgenie?token=REDACTED HTTP/1.1" 202'
