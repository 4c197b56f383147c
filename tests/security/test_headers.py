"""Row 9 of issue #14: every answer under /api/v1 of a live server carries nosniff, a CSP that frames nothing and
no-store (the token-minting answers included), HSTS when the server is reached over HTTPS, and /api/v1/docs loads
Swagger UI from files the server ships, nothing from a CDN.
"""

from __future__ import annotations

import re

import pytest

from tests.security.conftest import PASSWORD, LiveServer

# The server is published as https (behind a TLS proxy): every answer carries HSTS.
LIVE_ENV = {"BASE_URL": "https://postmortems.example.org"}
API_CSP = "default-src 'none'; frame-ancestors 'none'"


@pytest.fixture(scope="module")
def admin(live: LiveServer) -> str:
    """An admin's token."""
    return live.add_user("headeradmin", role="admin")


def _locked_down(response, *, csp: str | None = API_CSP) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("cache-control") == "no-store", where
    assert response.headers.get("strict-transport-security") == "max-age=31536000", where
    if csp is not None:
        assert response.headers.get("content-security-policy") == csp, where


def test_every_api_answer_is_locked_down(live: LiveServer, admin: str) -> None:
    with live.client(admin) as api:
        _locked_down(api.get("/api/v1/incidents"))
        _locked_down(api.post("/api/v1/incidents", json={"title": "Headers", "severity": "SEV3"}))
        _locked_down(api.get("/api/v1/incidents/INC-1"))  # the fast read
        _locked_down(api.get("/api/v1/incidents/INC-404"))
        _locked_down(api.get("/api/v1/openapi.json"))
        _locked_down(api.get("/api/v1/no-such-route"))
        _locked_down(api.post("/api/v1/incidents", content=b"[" * 100_000, headers={"content-type": "text/json"}))
        # The answers that carry secrets: a new token, by password and by token, and a new account.
        _locked_down(api.post("/api/v1/tokens", json={"name": "ci"}))
        _locked_down(api.post("/api/v1/users", json={"name": "newcomer", "email": "newcomer@example.org",
                                                     "role": "viewer", "password": PASSWORD}))  # fmt: skip
    with live.client() as anonymous:
        minted = anonymous.post("/api/v1/auth/token", json={"username": "headeradmin", "password": PASSWORD})
        assert minted.status_code == 201 and minted.json()["token"]
        _locked_down(minted)
        _locked_down(anonymous.get("/api/v1/incidents"))  # 401
        _locked_down(anonymous.get("/readyz"))
        # The pages keep their own policy; they get HSTS and nosniff too.
        page = anonymous.get("/login")
        _locked_down(page, csp=None)
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_the_api_docs_load_nothing_from_outside(live: LiveServer) -> None:
    with live.client() as browser:
        docs = browser.get("/api/v1/docs")
        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
        sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
        assert sources and not [url for url in sources if "//" in url], sources
        assert "cdn" not in docs.text.lower()
        policy = docs.headers["content-security-policy"]
        assert "script-src 'self' 'sha256-" in policy and "unsafe" not in policy and "http" not in policy
        assert "frame-ancestors 'none'" in policy
        for url in sources:
            asset = browser.get(url)
            assert asset.status_code == 200 and asset.content, url
            assert asset.headers["x-content-type-options"] == "nosniff"
        script = browser.get(next(url for url in sources if url.split("?")[0].endswith(".js")))
        assert "javascript" in script.headers["content-type"] and b"SwaggerUIBundle" in script.content
        assert browser.get("/api/v1/openapi.json").json()["openapi"].startswith("3.1")
        assert browser.get("/api/v1/redoc").status_code == 404  # ReDoc is off
