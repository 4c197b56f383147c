"""Live webhooks: each receiver checks its secret or signature, finds the incident, and a redelivery adds nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from tests.web.conftest import PAGERDUTY_SECRET, WEBHOOK_SECRET, Api, new_incident

ALERTMANAGER = {
    "version": "4", "groupKey": '{}:{alertname="HighLatency"}', "status": "firing", "receiver": "afteraction",
    "groupLabels": {"alertname": "HighLatency"}, "commonLabels": {"alertname": "HighLatency", "service": "checkout"},
    "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
    "alerts": [{
        "status": "firing", "labels": {"alertname": "HighLatency", "service": "checkout", "severity": "page"},
        "annotations": {"summary": "p99 latency above 2s"}, "startsAt": "2026-03-14T10:05:00Z",
        "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus/graph", "fingerprint": "f1",
    }],
}  # fmt: skip
GRAFANA = {
    **ALERTMANAGER, "orgId": 1, "title": "[FIRING:1] HighLatency", "state": "alerting",
    "commonLabels": {"alertname": "HighLatency", "incident": "INC-2"},
}  # fmt: skip
OPSGENIE = {
    "action": "Create", "integrationName": "afteraction",
    "alert": {"alertId": "a-1", "alias": "checkout-latency", "message": "Checkout latency", "tinyId": "42",
              "createdAt": 1773482700000, "updatedAt": 1773482700000000000, "username": "System",
              "tags": ["service:checkout"], "details": {}},
}  # fmt: skip
PAGERDUTY = {
    "event": {
        "id": "01DEN4HPBQAAAG05V5QQYBRZMF", "event_type": "incident.triggered", "resource_type": "incident",
        "occurred_at": "2026-03-14T10:06:00.123Z", "agent": None,
        "data": {"id": "PGR0VU2", "type": "incident", "number": 2, "title": "Checkout latency",
                 "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2", "status": "triggered",
                 "service": {"id": "PF9KMXH", "summary": "checkout"}},
    }
}  # fmt: skip


def post(api: Api, receiver: str, payload: Any, *, secret: str | None = WEBHOOK_SECRET, **kwargs: Any) -> Any:
    headers = kwargs.pop("headers", {})
    if secret is not None:
        headers["X-Afteraction-Token"] = secret
    body = json.dumps(payload).encode()
    return api.client.post(f"/api/v1/webhooks/{receiver}", content=body, headers=headers, **kwargs)


def signed(body: bytes, secret: str = PAGERDUTY_SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def timeline(api: Api, incident: str = "INC-1") -> list[dict[str, Any]]:
    return api.call("viewer", "GET", f"/api/v1/incidents/{incident}/timeline").json()["items"]


def test_alertmanager_adds_to_the_open_incident_of_its_service_once(api: Api):
    new_incident(api, services=["checkout"])
    first = post(api, "alertmanager", ALERTMANAGER)
    assert first.status_code == 200, first.text
    assert first.json() | {"receiver": "alertmanager"} == {
        "receiver": "alertmanager", "incident_id": "INC-1", "matched": True, "read": 1, "added": 1, "duplicate": False,
    }  # fmt: skip
    again = post(api, "alertmanager", ALERTMANAGER)
    assert again.json()["duplicate"] is True and again.json()["added"] == 0
    resolved = json.loads(json.dumps(ALERTMANAGER))
    resolved["status"] = resolved["alerts"][0]["status"] = "resolved"
    resolved["alerts"][0]["endsAt"] = "2026-03-14T10:30:00Z"
    api.call("editor", "PATCH", "/api/v1/incidents/INC-1", json={"status": "resolved"})
    # The incident is resolved now, but it received this alert group before: the resolution still finds it.
    assert post(api, "alertmanager", resolved).json()["added"] == 1
    events = timeline(api)
    assert [(e["kind"], e["at"]) for e in events] == [
        ("alert", "2026-03-14T10:05:00Z"), ("resolve", "2026-03-14T10:30:00Z"),
    ]  # fmt: skip
    assert events[0]["text"].startswith("Firing: HighLatency [page]")


def test_secrets_are_checked_in_a_header_bearer_basic_auth_or_query(api: Api):
    new_incident(api, services=["checkout"])
    assert post(api, "alertmanager", ALERTMANAGER, secret=None).status_code == 401
    assert post(api, "alertmanager", ALERTMANAGER, secret="wrong").status_code == 401
    assert post(api, "alertmanager", ALERTMANAGER, secret=None, params={"token": WEBHOOK_SECRET}).status_code == 200
    basic = base64.b64encode(f"alertmanager:{WEBHOOK_SECRET}".encode()).decode()
    response = post(api, "grafana", GRAFANA, secret=None, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code in (200, 202)
    bearer = post(api, "opsgenie", OPSGENIE, secret=None, headers={"Authorization": f"Bearer {WEBHOOK_SECRET}"})
    assert bearer.status_code == 200
    assert post(api, "alertmanager", ALERTMANAGER, secret=api.tokens["admin"]).status_code == 401


def test_an_incident_label_names_the_incident_and_no_match_is_accepted_without_adding(api: Api):
    new_incident(api, services=["checkout"])
    new_incident(api, services=["search"])
    grafana = post(api, "grafana", GRAFANA)
    assert grafana.json()["incident_id"] == "INC-2"
    assert timeline(api, "INC-2")[0]["source"] == "grafana"
    nowhere = json.loads(json.dumps(ALERTMANAGER))
    nowhere["commonLabels"]["service"] = nowhere["alerts"][0]["labels"]["service"] = "billing"
    nowhere["groupKey"] = "other"
    unmatched = post(api, "alertmanager", nowhere)
    assert unmatched.status_code == 202 and unmatched.json()["matched"] is False
    by_query = post(api, "alertmanager", nowhere, params={"incident": "INC-1"})
    assert by_query.json()["incident_id"] == "INC-1" and by_query.json()["added"] == 1


def test_opsgenie_events_land_on_the_service_incident(api: Api):
    new_incident(api, services=["checkout"])
    response = post(api, "opsgenie", OPSGENIE)
    assert response.json()["incident_id"] == "INC-1" and response.json()["added"] == 1
    ack = json.loads(json.dumps(OPSGENIE))
    ack["action"] = "Acknowledge"
    ack["alert"]["updatedAt"] = 1773482760000000000
    ack["alert"]["username"] = "ana@example.org"
    ack["alert"]["tags"] = []  # found by the alias this time
    assert post(api, "opsgenie", ack).json()["added"] == 1
    assert [e["kind"] for e in timeline(api)] == ["alert", "acknowledge"]


def test_pagerduty_checks_the_signature_and_maps_v3_events(api: Api):
    new_incident(api, services=["checkout"])
    body = json.dumps(PAGERDUTY).encode()
    url = "/api/v1/webhooks/pagerduty"
    assert api.client.post(url, content=body).status_code == 401
    assert (
        api.client.post(url, content=body, headers={"X-PagerDuty-Signature": signed(body, "nope")}).status_code == 401
    )
    tampered = body.replace(b"Checkout latency", b"Something else")
    assert api.client.post(url, content=tampered, headers={"X-PagerDuty-Signature": signed(body)}).status_code == 401
    # Several signatures (during a secret rotation): one valid one is enough.
    header = f"{signed(body, 'rotated-away')},{signed(body)}"
    first = api.client.post(url, content=body, headers={"X-PagerDuty-Signature": header})
    assert first.status_code == 200 and first.json()["added"] == 1
    ack = json.loads(body)
    ack["event"] |= {"id": "01DEN4HPBQAAAG05V5QQYBRZMG", "event_type": "incident.acknowledged",
                     "occurred_at": "2026-03-14T10:07:00.123Z", "agent": {"summary": "Ana Ops"}}  # fmt: skip
    ack_body = json.dumps(ack).encode()
    assert (
        api.client.post(url, content=ack_body, headers={"X-PagerDuty-Signature": signed(ack_body)}).json()["added"] == 1
    )
    assert (
        api.client.post(url, content=ack_body, headers={"X-PagerDuty-Signature": signed(ack_body)}).json()["added"] == 0
    )
    events = timeline(api)
    assert [(e["kind"], e["actor"]) for e in events] == [("page", None), ("acknowledge", "Ana Ops")]
    assert events[0]["text"] == "Incident #2 triggered: Checkout latency"
    metrics = api.call("viewer", "GET", "/api/v1/incidents/INC-1/metrics").json()
    assert metrics["time_to_acknowledge_s"] == 60


def test_malformed_payloads_are_422_and_oversized_ones_413(api: Api):
    bad = api.client.post(
        "/api/v1/webhooks/alertmanager", content=b"{nope", headers={"X-Afteraction-Token": WEBHOOK_SECRET}
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    wrong_shape = post(api, "alertmanager", {"alerts": [{"labels": {}}]})
    assert wrong_shape.status_code == 422
    huge = post(api, "alertmanager", {"pad": "x" * (70 * 1024)})
    assert huge.status_code == 413


def test_receivers_are_off_without_a_configured_secret(database_url: str):
    from fastapi.testclient import TestClient

    from afteraction.web import create_app
    from tests.web.conftest import make_settings

    app = create_app(make_settings(database_url, webhook_secret=None, pagerduty_webhook_secret=None))
    with TestClient(app) as client:
        response = client.post("/api/v1/webhooks/alertmanager", json=ALERTMANAGER, params={"token": ""})
        assert response.status_code == 401 and "AFTERACTION_WEBHOOK_SECRET" in response.json()["detail"]
        assert client.post("/api/v1/webhooks/pagerduty", json=PAGERDUTY).status_code == 401


def test_a_webhook_link_that_is_not_http_or_mailto_is_dropped_not_stored(api: Api):
    new_incident(api, services=["checkout"])
    grafana = json.loads(json.dumps(GRAFANA))
    grafana["commonLabels"]["incident"] = "INC-1"
    grafana["alerts"][0] |= {"panelURL": "javascript:fetch('/api/v1/tokens')", "generatorURL": "javascript:alert(1)"}
    assert post(api, "grafana", grafana).json()["added"] == 1
    alertmanager = json.loads(json.dumps(ALERTMANAGER))
    alertmanager["alerts"][0] |= {"generatorURL": " JavaScript:alert(2)", "fingerprint": "f2"}
    assert post(api, "alertmanager", alertmanager).json()["added"] == 1
    fine = json.loads(json.dumps(ALERTMANAGER))
    fine["alerts"][0] |= {"generatorURL": "https://prometheus.example/graph", "fingerprint": "f3"}
    assert post(api, "alertmanager", fine).json()["added"] == 1
    links = sorted(str(event["link"]) for event in timeline(api))
    assert links == ["None", "None", "https://prometheus.example/graph"]


def test_a_webhook_body_nested_too_deep_is_422_naming_the_setting(api: Api):
    deep = b'{"alerts": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    answer = api.client.post(
        "/api/v1/webhooks/alertmanager", content=deep, headers={"X-Afteraction-Token": WEBHOOK_SECRET}
    )
    assert answer.status_code == 422, answer.text
    assert "AFTERACTION_JSON_MAX_DEPTH" in answer.json()["detail"]
    surrogate = api.client.post(
        "/api/v1/webhooks/grafana", content=b'{"alerts": ["\\ud800"]}', headers={"X-Afteraction-Token": WEBHOOK_SECRET}
    )
    assert surrogate.status_code == 422
