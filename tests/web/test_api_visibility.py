"""A viewer's figures through the API and the dashboard never name a private incident they are not a member of."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from afteraction.core.actor import Actor
from afteraction.core.db import Database, utcnow
from afteraction.domain.actions import ActionItemData
from afteraction.domain.reviews import FactorData, PostmortemDocument
from afteraction.incidents.members import add_member
from afteraction.usecases.documents import store_document
from tests.web.conftest import Api
from tests.web.pages.conftest import Browser

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident
SECRET = "payroll-secret-svc"


def _store(db: Database, number: int, title: str, *, private: bool, service: str, team: str, owner: str) -> None:
    now = utcnow()
    started = now - timedelta(days=10 * number)
    store_document(
        db,
        severities=["SEV1", "SEV2", "SEV3", "SEV4"],
        actor=SYSTEM,
        doc=PostmortemDocument(
            id=f"INC-{number}",
            title=title,
            severity="SEV1",
            status="in-review",
            private=private,
            services=[service, "checkout"],
            teams=[team],
            categories=["config-change"],
            started_at=started,
            resolved_at=started + timedelta(hours=1),
            summary=f"{title}: the connection pool was exhausted after a config change.",
            factors=[FactorData(text=f"{title} pool size lowered in a config change", category="config-change")],
            actions=[ActionItemData(title=f"{title} fix", owner=owner, due=now.date() - timedelta(days=3))],
        ),
    )


def test_a_viewers_insights_and_dashboard_never_name_a_private_incident(api: Api):
    db: Database = api.client.app.state.db  # type: ignore[attr-defined]
    _store(db, 1, "Checkout latency", private=False, service="checkout", team="payments", owner="Alice")
    _store(db, 2, "Payroll secret breach", private=True, service=SECRET, team="secret-team", owner="Secret Owner")
    add_member(db, incident_id="INC-2", user="editor", actor=SYSTEM)
    reads = [
        ("/api/v1/insights", {}),
        ("/api/v1/insights", {"service": "checkout"}),
        ("/api/v1/insights", {"team": "secret-team"}),
        ("/api/v1/similar", {"text": "payroll secret breach pool config change"}),
        ("/api/v1/incidents/INC-1/similar", {}),
        ("/api/v1/incidents/INC-1/recurrences", {}),
        ("/api/v1/incidents", {}),
        ("/api/v1/actions", {}),
    ]
    for path, params in reads:
        response = api.call("viewer", "GET", path, params=params)
        assert response.status_code == 200, (path, response.text)
        assert SECRET not in response.text and "INC-2" not in response.text, (path, response.text)
    report = api.call("viewer", "GET", "/api/v1/insights").json()
    assert report["incidents"]["total"] == 1 and report["recurrences"] == []
    assert [c["key"] for c in report["incidents"]["by_service"]] == ["checkout"]
    # The member sees it, with the recurrence the two make: so the checks above could fail.
    member = api.call("editor", "GET", "/api/v1/insights").json()
    assert member["incidents"]["total"] == 2 and SECRET in {c["key"] for c in member["incidents"]["by_service"]}
    assert [(r["incident_id"], r["resembles"]) for r in member["recurrences"]] == [("INC-1", "INC-2")]
    # The dashboard page, signed in as each.
    for name, sees in (("viewer", False), ("editor", True)):
        browser = Browser(TestClient(api.client.app, raise_server_exceptions=False))
        assert browser.sign_in(name).url.path == "/dashboard"
        page = browser.get("/dashboard")
        assert page.status_code == 200
        found = [word for word in ("INC-2", "Payroll secret breach", SECRET, "Secret Owner") if word in page.text]
        assert found == (["INC-2", "Payroll secret breach", "Secret Owner"] if sees else []), found
        browser.client.close()
