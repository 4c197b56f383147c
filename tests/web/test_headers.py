"""Response headers of the API (nosniff, a CSP that loads and frames nothing, no-store; HSTS over HTTPS) and the
Swagger UI page served from the package's own files under a CSP of its own."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.testclient import TestClient

from afteraction.web import create_app
from tests.web.conftest import Api, make_settings, new_incident

API_CSP = "default-src 'none'; frame-ancestors 'none'"


def _api_headers(response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == API_CSP
    assert response.headers["cache-control"] == "no-store"


def test_every_api_answer_carries_the_headers(api: Api, monkeypatch):
    created = new_incident(api)
    _api_headers(api.call("viewer", "GET", "/api/v1/incidents"))
    read = api.call("viewer", "GET", f"/api/v1/incidents/{created['id']}")  # the fast path
    _api_headers(read)
    assert read.headers["etag"] == '"1"'  # versions still travel as ETags
    _api_headers(api.call(None, "GET", "/api/v1/incidents"))  # 401
    _api_headers(api.call("viewer", "GET", "/api/v1/incidents?q=%00"))  # refused at the edge
    _api_headers(api.call("viewer", "POST", "/api/v1/tokens", json={"name": "ci"}))
    _api_headers(api.client.post("/api/v1/auth/token", json={"username": "viewer", "password": "correct horse"}))
    _api_headers(api.client.get("/readyz"))
    from afteraction.usecases import incidents as service

    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(service, "page_incidents", boom)
    failed = api.call("viewer", "GET", "/api/v1/incidents")
    assert failed.status_code == 500
    _api_headers(failed)
    assert "strict-transport-security" not in failed.headers


def test_hsts_is_sent_when_served_over_https(database_url: str):
    with TestClient(create_app(make_settings(database_url)), base_url="https://testserver") as client:
        assert client.get("/api/v1/incidents").headers["strict-transport-security"] == "max-age=31536000"
        assert client.get("/login").headers["strict-transport-security"] == "max-age=31536000"
    published = make_settings(database_url, base_url="https://postmortems.example.org")
    with TestClient(create_app(published)) as client:  # plain HTTP behind a TLS proxy
        assert client.get("/healthz").headers["strict-transport-security"] == "max-age=31536000"
        assert client.get("/static/app.css").headers["strict-transport-security"] == "max-age=31536000"


def test_pages_keep_their_own_policy(api: Api):
    page = api.client.get("/login")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert api.client.get("/static/app.css").headers["x-content-type-options"] == "nosniff"


def test_the_docs_page_runs_only_the_packaged_swagger_ui(api: Api):
    docs = api.client.get("/api/v1/docs")
    assert docs.status_code == 200
    policy = docs.headers["content-security-policy"]
    inline = re.findall(r"<script>(.*?)</script>", docs.text, flags=re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in policy
    assert "unsafe" not in policy and "frame-ancestors 'none'" in policy and "connect-src 'self'" in policy
    assert '"validatorUrl": null' in docs.text  # Swagger UI would ask validator.swagger.io otherwise
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sorted(url.split("?")[0] for url in sources) == [
        "/api/v1/docs/assets/swagger-ui-bundle.js", "/api/v1/docs/assets/swagger-ui.css", "/static/favicon.svg",
    ]  # fmt: skip
    for url in sources:
        asset = api.client.get(url)
        assert asset.status_code == 200, url
    bundle = api.client.get(next(url for url in sources if url.split("?")[0].endswith(".js")))
    assert bundle.headers["cache-control"] == "public, max-age=604800, immutable"
    assert api.client.get("/api/v1/docs/assets/nothing.js").status_code == 404
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/api/v1/docs")]
