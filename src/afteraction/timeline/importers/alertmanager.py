"""Prometheus Alertmanager webhook payloads (version 4): an alert firing, and its resolution, once per alert."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers._base import (
    ENTRY_ERRORS,
    EntryError,
    ImportOptions,
    iter_records,
    located,
)
from afteraction.timeline.timeparse import TimestampError, parse_rfc3339

FORMAT = "alertmanager"
_GO_ZERO = "0001-01-01T00:00:00Z"
_TARGET_LABELS = ("instance", "host", "pod", "service", "job")


def matches(doc: Any) -> bool:
    """Whether a JSON document is an Alertmanager webhook payload."""
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("alerts"), list)
        and "orgId" not in doc
        and ("groupKey" in doc or "receiver" in doc or str(doc.get("version")) == "4")
    )


def read(path: Path, options: ImportOptions) -> Iterator[ImportedEvent]:
    """Alert and resolve events from one payload, a JSON array of payloads, or JSON Lines of payloads."""
    return read_payloads(path, FORMAT, options.limits.json_max_depth)


def read_payloads(path: Path, source: str, max_depth: int) -> Iterator[ImportedEvent]:
    """Events of every payload in the file (JSON nested at most `max_depth` deep), each alert's firing and resolution
    emitted once."""
    label = str(path)
    seen: set[str] = set()
    for where, payload in iter_records(path, max_depth):
        try:
            events = payload_events(payload, source, seen)
        except ENTRY_ERRORS as exc:
            raise located(label, where, exc) from None
        yield from events


def payload_events(payload: Any, source: str, seen: set[str]) -> list[ImportedEvent]:
    """The alert and resolve events of one webhook payload not already in `seen`."""
    if not isinstance(payload, dict):
        raise EntryError(f"expected a webhook payload object, found {type(payload).__name__}")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        if "evalMatches" in payload or "ruleId" in payload:
            raise EntryError("a legacy Grafana notification carries no time; send unified-alerting webhooks")
        raise EntryError("missing 'alerts'")
    grafana = source == "grafana"
    events: list[ImportedEvent] = []
    for index, alert in enumerate(alerts, start=1):
        try:
            _alert_events(alert, source, grafana, seen, events)
        except EntryError as exc:
            raise EntryError(f"alert {index}: {exc}") from None
    return events


def _alert_events(alert: Any, source: str, grafana: bool, seen: set[str], events: list[ImportedEvent]) -> None:
    # Runs once per alert of a 200,000-alert import: plain lookups and positional ImportedEvent arguments.
    if type(alert) is not dict:
        raise EntryError(f"expected an alert object, found {type(alert).__name__}")
    starts = alert.get("startsAt")
    if type(starts) is not str or not starts:
        raise EntryError("missing 'startsAt'")
    labels = alert.get("labels")
    if type(labels) is not dict:
        labels = {}
    fingerprint = alert.get("fingerprint")
    if type(fingerprint) is not str or not fingerprint:
        fingerprint = _fingerprint(labels)
    key = f"{fingerprint}:{starts}"
    firing_id = key + ":firing"
    ends = alert.get("endsAt") if alert.get("status") == "resolved" else None
    # A resolution needs a real end time; Go's zero time means "still firing".
    resolved_id = key + ":resolved" if type(ends) is str and ends and ends != _GO_ZERO else None
    new_firing = firing_id not in seen
    new_resolved = resolved_id is not None and resolved_id not in seen
    if not new_firing and not new_resolved:
        return
    text = _describe(alert, labels, grafana)
    link = _link(alert, grafana)
    # ImportedEvent(at, source, kind, text, source_id, actor, link, parent_id)
    if new_firing:
        seen.add(firing_id)
        events.append(
            ImportedEvent(_time(starts, "startsAt"), source, "alert", "Firing: " + text, firing_id, None, link, None)
        )
    if resolved_id is not None and new_resolved:
        seen.add(resolved_id)
        events.append(
            ImportedEvent(
                _time(str(ends), "endsAt"), source, "resolve", "Resolved: " + text, resolved_id, None, link, firing_id
            )
        )


def _time(text: str, field: str) -> datetime:
    try:
        return parse_rfc3339(text)
    except TimestampError as exc:
        raise EntryError(f"{field!r}: {exc}") from None


def _describe(alert: dict[str, Any], labels: dict[str, Any], grafana: bool) -> str:
    name = str(labels.get("alertname") or "alert")
    severity = labels.get("severity")
    if severity:
        name += f" [{severity}]"
    for label in _TARGET_LABELS:
        target = labels.get(label)
        if target:
            name += f" on {target}"
            break
    annotations = alert.get("annotations")
    summary = ""
    if isinstance(annotations, dict):
        summary = str(annotations.get("summary") or annotations.get("description") or annotations.get("message") or "")
    if grafana:
        values = alert.get("values")
        if isinstance(values, dict) and values and alert.get("status") != "resolved":
            summary += (" " if summary else "") + "(" + ", ".join(f"{k}={v}" for k, v in values.items()) + ")"
    return f"{name}: {summary}" if summary else name


def _link(alert: dict[str, Any], grafana: bool) -> str | None:
    keys = ("panelURL", "dashboardURL", "generatorURL") if grafana else ("generatorURL",)
    for key in keys:
        value = alert.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _fingerprint(labels: dict[str, Any]) -> str:
    # Old senders omit the fingerprint; a hash of the sorted labels identifies the alert just as well.
    canonical = "\x1f".join(f"{key}={labels[key]}" for key in sorted(labels))
    return hashlib.blake2b(canonical.encode(), digest_size=8).hexdigest()
