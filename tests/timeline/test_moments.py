"""One truth for key moments (issue #15): an incident's effective moments and durations are stored with it,
recomputed with every change to its timeline or moments, and every face reads them; the status follows them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.domain.incidents import IncidentChanges, NewIncident
from afteraction.domain.policy import Policy
from afteraction.insights.dashboard import dashboard
from afteraction.reviews.workflow import policy_check
from afteraction.timeline import service as timeline
from afteraction.usecases import incidents as usecases
from tests.web.conftest import Api, new_incident
from tests.web.conftest import api as api
from tests.web.conftest import cheap_hashes as cheap_hashes

SYSTEM = Actor.system()
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
START = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def _example(cli, start: datetime = START) -> str:
    """The issue's example: an alert at +5 min, an acknowledgement at +7, a resolve at +30; no hand-set moments
    besides the start."""
    cli("incident", "create", "--title", "Checkout 502s", "--severity", "SEV2", "--started-at", start.isoformat())
    for minutes, kind in ((5, "alert"), (7, "acknowledge"), (30, "resolve")):
        at = (start + timedelta(minutes=minutes)).isoformat()
        cli("timeline", "add", "INC-1", "--at", at, "--text", f"{kind} happened", "--kind", kind)
    return "INC-1"


def test_the_issue_example_shows_in_incident_show_and_insights(cli):
    _example(cli)
    shown = cli("incident", "show", "INC-1").stdout
    assert "detected: 2026-03-14T10:05:00Z (derived)" in shown
    assert "resolved: 2026-03-14T10:30:00Z (derived)" in shown
    data = json.loads(cli("incident", "show", "INC-1", "--json").stdout)
    assert data["status"] == "resolved" and data["time_to_detect_s"] == 300.0
    assert data["moment_origins"]["acknowledged"] == "derived"
    report = json.loads(cli("insights", "--json").stdout)
    detect = report["durations"]["time_to_detect"]["overall"]
    assert (detect["n"], detect["median"], detect["p90"]) == (1, 300.0, 300.0)
    assert report["durations"]["time_to_resolve"]["overall"]["median"] == 1800.0
    assert report["durations"]["time_to_acknowledge"]["by_month"][0]["key"] == "2026-03"
    listed = json.loads(cli("incident", "list", "--status", "resolved", "--json").stdout)
    assert [i["id"] for i in listed] == ["INC-1"]


def test_the_dashboard_chart_counts_derived_moments(db: Database):
    now = datetime.now(UTC)
    row = usecases.create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Slow", severity="SEV2", started_at=now - timedelta(hours=1)),
        allowed_severities=SEVERITIES,
    )  # fmt: skip
    timeline.add_event(db, incident_id=row.id, at=now - timedelta(minutes=55), text="Paged", kind="page", actor=SYSTEM)
    board = dashboard(db, policy=Policy(), severities=SEVERITIES, now=now, actor=SYSTEM)
    assert board.time_to_detect[-1].n == 1 and board.time_to_detect[-1].median == 300.0


def test_marking_editing_and_deleting_events_recompute_the_stored_moments(api: Api):
    incident = new_incident(api, started_at="2026-03-14T10:00:00Z")
    url = f"/api/v1/incidents/{incident['id']}"
    events = url + "/timeline"
    alert = api.call("editor", "POST", events, json={"at": "2026-03-14T10:05:00Z", "text": "Alert", "kind": "alert"})
    assert alert.status_code == 201, alert.text
    fix = api.call("editor", "POST", events, json={"at": "2026-03-14T10:20:00Z", "text": "Rolled back"}).json()
    view = api.call("viewer", "GET", url).json()
    assert view["detected_at"] == "2026-03-14T10:05:00Z" and view["moment_origins"] == {
        "started": "manual", "detected": "derived"
    }  # fmt: skip
    assert view["status"] == "open" and view["mitigated_at"] is None
    fix_id = next(e["id"] for e in api.call("viewer", "GET", events).json()["items"] if e["text"] == "Rolled back")
    marked = api.call("editor", "PUT", f"{events}/{fix_id}/key-moment", json={"moment": "mitigated"})
    assert marked.status_code == 200, marked.text
    view = api.call("viewer", "GET", url).json()
    assert view["mitigated_at"] == "2026-03-14T10:20:00Z" and view["moment_origins"]["mitigated"] == "marked"
    assert view["time_to_mitigate_s"] == 1200.0 and view["status"] == "mitigated"
    metrics = api.call("viewer", "GET", url + "/metrics").json()
    assert metrics["mitigated_at"] == "2026-03-14T10:20:00Z" and metrics["moment_sources"]["mitigated"] == "marked"
    alert_id = next(e["id"] for e in api.call("viewer", "GET", events).json()["items"] if e["text"] == "Alert")
    moved = api.call("editor", "PATCH", f"{events}/{alert_id}", json={"at": "2026-03-14T10:03:00Z"})
    assert moved.status_code == 200, moved.text
    assert api.call("viewer", "GET", url).json()["time_to_detect_s"] == 180.0
    assert api.call("editor", "DELETE", f"{events}/{alert_id}").status_code == 204
    view = api.call("viewer", "GET", url).json()
    assert view["detected_at"] is None and view["time_to_detect_s"] is None and "detected" not in view["moment_origins"]
    assert fix["text"] == "Rolled back"


def test_status_follows_the_moments_and_a_hand_set_status_sticks(db: Database):
    row = usecases.create_incident(
        db,
        actor=SYSTEM,
        new=NewIncident(title="Down", severity="SEV2", started_at=START),
        allowed_severities=SEVERITIES,
    )
    timeline.add_event(
        db, incident_id=row.id, at=START + timedelta(minutes=9), text="Fixed", kind="recover", actor=SYSTEM
    )
    shown = usecases.get_incident(db, actor=SYSTEM, incident_id=row.id)
    assert shown.status == "resolved" and not shown.status_set_by_hand and shown.version == row.version
    by_hand = usecases.update_incident(
        db, actor=SYSTEM, incident_id=row.id, changes=IncidentChanges(status="open"), allowed_severities=SEVERITIES
    )
    assert by_hand.status == "open" and by_hand.status_set_by_hand and by_hand.version == row.version + 1
    timeline.add_event(
        db, incident_id=row.id, at=START + timedelta(minutes=12), text="Again", kind="resolve", actor=SYSTEM
    )
    assert usecases.get_incident(db, actor=SYSTEM, incident_id=row.id).status == "open"  # set by hand: stays
    cleared = usecases.update_incident(
        db, actor=SYSTEM, incident_id=row.id, changes=IncidentChanges(moments={"resolved_at": START}),
        allowed_severities=SEVERITIES,
    )  # fmt: skip
    assert cleared.resolved_at == START and cleared.moment_origins["resolved"] == "manual"
    assert cleared.time_to_resolve_s == 0.0


def test_policy_check_sees_an_incident_resolved_only_on_its_timeline(db: Database):
    row = usecases.create_incident(
        db, actor=SYSTEM, new=NewIncident(title="Old", severity="SEV2", started_at=START), allowed_severities=SEVERITIES
    )
    today = START.date() + timedelta(days=400)
    assert not [f for f in policy_check(db, actor=SYSTEM, policy=Policy(), today=today).findings if f.incident_id]
    timeline.add_event(
        db, incident_id=row.id, at=START + timedelta(hours=2), text="Fixed", kind="resolve", actor=SYSTEM
    )
    findings = policy_check(db, actor=SYSTEM, policy=Policy(), today=today).findings
    assert [(f.incident_id, f.days_late > 300) for f in findings] == [(row.id, True)]
