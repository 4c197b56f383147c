"""Webhook payloads of Alertmanager, Grafana, Opsgenie and PagerDuty (v3): their events, and what names the incident.

A body is parsed with the one JSON rule (core/safejson: a depth limit, no lone surrogates, no NUL), and an event's
link is kept only when it is http(s) or mailto (documents/markdown.safe_url): a `javascript:` panel or generator URL
is dropped, never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afteraction.core import safejson
from afteraction.core.errors import InvalidInput
from afteraction.documents.markdown import safe_url
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import read_events
from afteraction.timeline.importers._base import ENTRY_ERRORS, obj, text_of
from afteraction.timeline.importers.alertmanager import payload_events
from afteraction.timeline.timeparse import TimestampError, parse_rfc3339

RECEIVERS: tuple[str, ...] = ("alertmanager", "grafana", "opsgenie", "pagerduty")
# PagerDuty v3 event types -> timeline kind; other incident.* types become `status`, non-incident events are ignored.
PAGERDUTY_KINDS = {
    "incident.triggered": "page",
    "incident.acknowledged": "acknowledge",
    "incident.unacknowledged": "status",
    "incident.resolved": "resolve",
    "incident.reopened": "status",
    "incident.escalated": "escalate",
    "incident.reassigned": "assign",
    "incident.delegated": "assign",
    "incident.annotated": "note",
    "incident.priority_updated": "change",
    "incident.responder.added": "notify",
    "incident.responder.replied": "message",
    "incident.status_update_published": "status",
    "incident.conference_bridge.updated": "note",
}


@dataclass
class Delivery:
    """What one webhook request carries: its events and the hints that tell which incident they belong to."""

    events: list[ImportedEvent] = field(default_factory=list)
    incident_ref: str | None = None  # an afteraction id the sender names (label `incident=INC-12`)
    external_key: str | None = None  # the sender's own id of the incident or alert group, e.g. `pagerduty:Q1X…`
    service: str | None = None


def parse_json(body: bytes, receiver: str, *, max_depth: int) -> Any:
    """The JSON of a webhook body, or InvalidInput (not JSON, or nested deeper than `max_depth`)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{receiver} webhook: the body is not UTF-8 JSON ({exc.reason})", field="body") from None
    return safejson.loads(text, max_depth=max_depth, source=f"{receiver} webhook body")


def parse(receiver: str, body: bytes, *, max_depth: int) -> Delivery:
    """The events and hints of a webhook body from one of the RECEIVERS; `max_depth` is the deepest JSON nesting
    allowed (AFTERACTION_JSON_MAX_DEPTH). Links that are not http(s) or mailto are dropped."""
    payload = parse_json(body, receiver, max_depth=max_depth)
    if not isinstance(payload, dict):
        raise InvalidInput(f"{receiver} webhook: expected a JSON object", field="body")
    try:
        if receiver in ("alertmanager", "grafana"):
            delivery = _alerts(payload, receiver)
        elif receiver == "opsgenie":
            delivery = _opsgenie(payload, body)
        else:
            delivery = _pagerduty(payload)
    except ENTRY_ERRORS as exc:
        raise InvalidInput(f"{receiver} webhook: {exc}", field="body") from None
    for event in delivery.events:
        event.link = safe_url(event.link) or None
    return delivery


def _labelled(payload: dict[str, Any], key: str) -> str | None:
    """A label or annotation value of the group, else of the first alert that has it."""
    for scope in ("commonLabels", "groupLabels", "commonAnnotations"):
        value = obj(payload.get(scope)).get(key)
        if value:
            return text_of(value)
    for alert in payload.get("alerts") or []:
        if isinstance(alert, dict):
            value = obj(alert.get("labels")).get(key) or obj(alert.get("annotations")).get(key)
            if value:
                return text_of(value)
    return None


def _alerts(payload: dict[str, Any], receiver: str) -> Delivery:
    group = text_of(payload.get("groupKey"))
    key = f"{receiver}:{hashlib.sha256(group.encode()).hexdigest()[:24]}" if group else None
    return Delivery(
        events=payload_events(payload, receiver, set()),
        incident_ref=_labelled(payload, "incident"),
        external_key=key,
        service=_labelled(payload, "service"),
    )


def _opsgenie(payload: dict[str, Any], body: bytes) -> Delivery:
    alert = obj(payload.get("alert"))
    details = obj(alert.get("details"))
    tags = [text_of(tag) for tag in alert.get("tags") or [] if isinstance(tag, str)]

    def tagged(name: str) -> str | None:
        for tag in tags:
            if tag.lower().startswith(name + ":") or tag.lower().startswith(name + "="):
                return tag[len(name) + 1 :].strip() or None
        return None

    alias = text_of(alert.get("alias") or alert.get("alertId"))
    # The importer reads files: a webhook body is one small JSON document, so a temporary file costs little.
    with tempfile.TemporaryDirectory(prefix="afteraction-opsgenie-") as folder:
        path = Path(folder) / "payload.json"
        path.write_bytes(body)
        events = list(read_events(path, "opsgenie"))
    return Delivery(
        events=events,
        incident_ref=text_of(details.get("incident")) or tagged("incident"),
        external_key=f"opsgenie:{alias}"[:200] if alias else None,
        service=text_of(details.get("service")) or tagged("service"),
    )


def _pagerduty(payload: dict[str, Any]) -> Delivery:
    event = obj(payload.get("event"))
    event_type = text_of(event.get("event_type"))
    if not event_type.startswith("incident."):
        return Delivery()  # pagey.ping, service.* and others carry nothing for a timeline
    data = obj(event.get("data"))
    incident = obj(data.get("incident")) if isinstance(data.get("incident"), dict) else data
    incident_id = text_of(incident.get("id"))
    event_id = text_of(event.get("id"))
    if not event_id:
        raise InvalidInput("pagerduty webhook: the event has no id", field="event.id")
    try:
        at = parse_rfc3339(text_of(event.get("occurred_at")))
    except TimestampError as exc:
        raise InvalidInput(f"pagerduty webhook: 'occurred_at': {exc}", field="event.occurred_at") from None
    number = incident.get("number")
    subject = f"Incident #{number}" if number is not None else "Incident"
    title = text_of(incident.get("title") or incident.get("summary"))
    agent = text_of(obj(event.get("agent")).get("summary")) or None
    kind = PAGERDUTY_KINDS.get(event_type, "status")
    verb = event_type.removeprefix("incident.").replace("_", " ").replace(".", " ")
    if event_type == "incident.triggered":
        text = f"{subject} triggered: {title}" if title else f"{subject} triggered"
    elif event_type == "incident.annotated" and data.get("content"):
        text = f"Note: {text_of(data['content'])}"
    elif event_type == "incident.status_update_published" and data.get("message"):
        text = f"Status update: {text_of(data['message'])}"
    else:
        text = f"{subject} {verb}" + (f" by {agent}" if agent else "")
    service = obj(incident.get("service")).get("summary")
    return Delivery(
        events=[
            ImportedEvent(
                at=at,
                source="pagerduty",
                kind=kind,
                text=text,
                source_id=event_id,
                actor=agent,
                link=text_of(incident.get("html_url")) or None,
            )
        ],
        external_key=f"pagerduty:{incident_id}" if incident_id else None,
        service=text_of(service) or None,
    )


def pagerduty_signature_ok(body: bytes, header: str | None, secrets: str | None) -> bool:
    """Whether `X-PagerDuty-Signature` (`v1=<hex>`, several comma-separated) matches an HMAC-SHA256 of the body."""
    if not header or not secrets:
        return False
    signatures = [part.strip().removeprefix("v1=") for part in header.split(",") if part.strip().startswith("v1=")]
    for secret in (s.strip() for s in secrets.split(",") if s.strip()):
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, signature) for signature in signatures):
            return True
    return False


def shared_secret_ok(given: str | None, secret: str | None) -> bool:
    """Whether a given shared secret matches the configured one (never true when none is configured)."""
    if not given or not secret:
        return False
    return hmac.compare_digest(given.encode(), secret.encode())
