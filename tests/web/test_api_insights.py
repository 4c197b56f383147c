"""Insights through the REST API: the dashboard's figures and the editor's similar incidents and recurrences."""

from __future__ import annotations

from tests.insights.conftest import build_history
from tests.web.conftest import Api


def test_insights_similar_and_recurrences(api: Api):
    build_history(api.client.app.state.db)  # type: ignore[attr-defined]
    report = api.call("viewer", "GET", "/api/v1/insights", params={"service": "checkout"}).json()
    assert report["incidents"]["total"] == 2 and report["recurrences"][0]["resembles"] == "INC-1"
    hits = api.call("viewer", "GET", "/api/v1/incidents/INC-2/similar", params={"top": 1}).json()
    assert [h["id"] for h in hits] == ["INC-1"]
    by_text = api.call("viewer", "GET", "/api/v1/similar", params={"text": "connection pool config change"}).json()
    assert "INC-1" in {h["id"] for h in by_text}
    found = api.call("viewer", "GET", "/api/v1/incidents/INC-2/recurrences").json()
    assert found[0]["resembles"] == "INC-1" and "was closed on 2026-01-20" in found[0]["message"]
    assert api.call("viewer", "GET", "/api/v1/insights", params={"since": "soon"}).status_code == 422
    assert api.call("viewer", "GET", "/api/v1/incidents/INC-99/similar").status_code == 404
    assert api.call(None, "GET", "/api/v1/insights").status_code == 401
