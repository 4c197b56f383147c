"""Opsgenie: alert-action webhook payloads, and REST alert logs, alert lists and incident lists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers._base import (
    ENTRY_ERRORS,
    EntryError,
    ImportOptions,
    iter_records,
    located,
    need,
    obj,
    text_of,
    time_field,
)
from afteraction.timeline.timeparse import from_epoch_ms, from_epoch_ns, parse_rfc3339

FORMAT = "opsgenie"
# Webhook `action` -> timeline kind.
ACTION_KINDS = {
    "Create": "alert",
    "Acknowledge": "acknowledge",
    "UnAcknowledge": "status",
    "AddNote": "note",
    "Close": "resolve",
    "Delete": "status",
    "Escalate": "escalate",
    "EscalateNext": "escalate",
    "AssignOwnership": "assign",
    "TakeOwnership": "assign",
    "AddRecipient": "notify",
    "AddResponder": "notify",
    "AddTeam": "notify",
    "Snooze": "status",
    "SnoozeEnded": "status",
    "UpdatePriority": "change",
    "UpdateMessage": "change",
    "UpdateDescription": "change",
    "AddTags": "change",
    "RemoveTags": "change",
    "AddDetails": "change",
    "RemoveDetails": "change",
    "CustomAction": "note",
}
# REST alert-log lines -> kind, by the words Opsgenie writes ("Alert acknowledged via web").
_LOG_KINDS = (
    (re.compile(r"\bun-?acknowledged\b", re.I), "status"),
    (re.compile(r"\backnowledged\b", re.I), "acknowledge"),
    (re.compile(r"\bclosed\b", re.I), "resolve"),
    (re.compile(r"\bcreated\b", re.I), "alert"),
    (re.compile(r"\bescalat", re.I), "escalate"),
    (re.compile(r"\bassign|\bownership\b", re.I), "assign"),
    (re.compile(r"\bnotif|\bsent to\b|\bviewed on\b|\bresponder", re.I), "notify"),
    (re.compile(r"\bnote\b", re.I), "note"),
)


def matches(doc: Any) -> bool:
    """Whether a JSON document is an Opsgenie webhook payload or REST response."""
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("alert"), dict) and "action" in doc:
        return "alertId" in doc["alert"] or "integrationId" in doc or "integrationName" in doc
    data = doc.get("data")
    first = data[0] if isinstance(data, list) and data else data
    if not isinstance(first, dict):
        return False
    return ("offset" in first and "log" in first) or ("tinyId" in first and "createdAt" in first)


def read(path: Path, options: ImportOptions) -> Iterator[ImportedEvent]:
    """Alert, acknowledge, note, resolve (and other action) events with Opsgenie's own times."""
    label = str(path)
    for where, doc in iter_records(path, options.limits.json_max_depth):
        if isinstance(doc, dict) and "data" in doc and "alert" not in doc:
            data = doc["data"]
            items = data if isinstance(data, list) else [data]
            for index, item in enumerate(items, start=1):
                try:
                    event = _rest_item(item)
                except ENTRY_ERRORS as exc:
                    raise located(label, f"{where + ': ' if where else ''}data entry {index}", exc) from None
                yield event
            continue
        try:
            event = _webhook(doc)
        except ENTRY_ERRORS as exc:
            raise located(label, where, exc) from None
        yield event


def _webhook(payload: Any) -> ImportedEvent:
    action = text_of(need(payload, "action"))
    alert = need(payload, "alert")
    if not isinstance(alert, dict):
        raise EntryError("'alert' is not an object")
    alert_id = text_of(need(alert, "alertId"))
    kind = ACTION_KINDS.get(action, "status")
    if action == "Create":
        # createdAt is epoch milliseconds; updatedAt is nanoseconds and moves with every later action.
        at = time_field(alert, "createdAt", from_epoch_ms)
        source_id = f"{alert_id}:created"
    else:
        at = time_field(alert, "updatedAt", from_epoch_ns)
        source_id = f"{alert_id}:{action}:{alert['updatedAt']}"
    tiny = alert.get("tinyId")
    subject = f"Alert #{tiny}" if tiny else "Alert"
    message = text_of(alert.get("message"))
    if action == "AddNote" and alert.get("note"):
        text = f"{subject} note: {text_of(alert['note'])}"
    else:
        text = f"{subject} {_verb(action)}: {message}" if message else f"{subject} {_verb(action)}"
    actor = text_of(alert.get("username") or obj(payload.get("source")).get("name")) or None
    return ImportedEvent(at=at, source=FORMAT, kind=kind, text=text, source_id=source_id, actor=actor)


def _verb(action: str) -> str:
    words = {"Create": "created", "Acknowledge": "acknowledged", "Close": "closed", "Delete": "deleted"}
    if action in words:
        return words[action]
    return re.sub(r"(?<!^)(?=[A-Z])", " ", action).lower()


def _rest_item(item: Any) -> ImportedEvent:
    if not isinstance(item, dict):
        raise EntryError(f"expected an object, found {type(item).__name__}")
    if "log" in item and "offset" in item:
        return _log_line(item)
    at = time_field(item, "createdAt", parse_rfc3339)
    item_id = text_of(need(item, "id"))
    incident = "impactedServices" in item or ("alias" not in item and "acknowledged" not in item)
    noun = "Incident" if incident else "Alert"
    tiny = item.get("tinyId")
    subject = f"{noun} #{tiny}" if tiny else noun
    text = f"{subject} created: {text_of(item.get('message'))}".rstrip(": ")
    actor = text_of(obj(item.get("integration")).get("name") or item.get("source")) or None
    prefix = "incident" if incident else ""
    source_id = f"{prefix}{':' if prefix else ''}{item_id}:created"
    return ImportedEvent(at=at, source=FORMAT, kind="alert", text=text, source_id=source_id, actor=actor)


def _log_line(item: dict[str, Any]) -> ImportedEvent:
    at = time_field(item, "createdAt", parse_rfc3339)
    log = text_of(item.get("log"))
    kind = "note" if item.get("type") == "note" else "status"
    if kind != "note":
        for pattern, candidate in _LOG_KINDS:
            if pattern.search(log):
                kind = candidate
                break
    owner = item.get("owner")
    return ImportedEvent(
        at=at,
        source=FORMAT,
        kind=kind,
        text=log,
        source_id=f"log:{need(item, 'offset')}",
        actor=owner if isinstance(owner, str) and owner else None,
    )
