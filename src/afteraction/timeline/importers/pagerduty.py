"""PagerDuty REST v2: incident log entries, and incidents (trigger, acknowledgements, resolution)."""

from __future__ import annotations

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
from afteraction.timeline.timeparse import parse_rfc3339

FORMAT = "pagerduty"
# Log entry `type` -> timeline kind; unknown types become `status`.
ENTRY_KINDS = {
    "trigger_log_entry": "page",
    "notify_log_entry": "notify",
    "acknowledge_log_entry": "acknowledge",
    "unacknowledge_log_entry": "status",
    "annotate_log_entry": "note",
    "escalate_log_entry": "escalate",
    "exhaust_escalation_path_log_entry": "escalate",
    "repeat_escalation_path_log_entry": "escalate",
    "assign_log_entry": "assign",
    "delegate_log_entry": "assign",
    "reassign_log_entry": "assign",
    "resolve_log_entry": "resolve",
    "snooze_log_entry": "status",
    "urgency_change_log_entry": "change",
    "priority_change_log_entry": "change",
    "status_update_log_entry": "status",
    "link_log_entry": "note",
}


def matches(doc: Any) -> bool:
    """Whether a JSON document is a PagerDuty log-entry list or incident."""
    if isinstance(doc, dict):
        if isinstance(doc.get("log_entries"), list):
            return True
        incident = doc.get("incident")
        incidents = doc.get("incidents")
        if isinstance(incidents, list) and incidents:
            incident = incidents[0]
        return isinstance(incident, dict) and ("incident_number" in incident or incident.get("type") == "incident")
    return _is_log_entry(doc)


def _is_log_entry(doc: Any) -> bool:
    return isinstance(doc, dict) and str(doc.get("type", "")).endswith("_log_entry") and "created_at" in doc


def read(path: Path, options: ImportOptions) -> Iterator[ImportedEvent]:
    """Page, notify, acknowledge, note, escalate, assign and resolve events at PagerDuty's `created_at` times."""
    label = str(path)
    for where, doc in iter_records(path, options.limits.json_max_depth):
        prefix = f"{where}: " if where else ""
        if isinstance(doc, dict) and isinstance(doc.get("log_entries"), list):
            for index, entry in enumerate(doc["log_entries"], start=1):
                try:
                    event = _log_entry(entry)
                except ENTRY_ERRORS as exc:
                    raise located(label, f"{prefix}log entry {index}", exc) from None
                yield event
            continue
        if not _is_log_entry(doc) and isinstance(doc, dict) and ("incident" in doc or "incidents" in doc):
            incidents = doc["incidents"] if "incidents" in doc else [doc["incident"]]
            if not isinstance(incidents, list):
                raise located(label, where, EntryError("'incidents' is not a list"))
            for index, incident in enumerate(incidents, start=1):
                try:
                    events = _incident(incident)
                except ENTRY_ERRORS as exc:
                    raise located(label, f"{prefix}incident {index}", exc) from None
                yield from events
            continue
        try:
            event = _log_entry(doc)
        except ENTRY_ERRORS as exc:
            raise located(label, where, exc) from None
        yield event


def _log_entry(entry: Any) -> ImportedEvent:
    entry_type = text_of(need(entry, "type"))
    at = time_field(entry, "created_at", parse_rfc3339)
    kind = ENTRY_KINDS.get(entry_type, "status")
    summary = text_of(entry.get("summary"))
    channel = obj(entry.get("channel"))
    if entry_type == "annotate_log_entry":
        note = channel.get("content") or channel.get("summary") or channel.get("notes")
        if note:
            summary = f"Note: {note}"
    elif entry_type == "status_update_log_entry" and entry.get("message"):
        summary = text_of(entry["message"])
    if not summary:
        summary = entry_type.removesuffix("_log_entry").replace("_", " ")
    incident = obj(entry.get("incident"))
    if incident.get("summary") and kind in ("page", "resolve"):
        summary = f"{summary} — {incident['summary']}"
    agent = obj(entry.get("agent")).get("summary")
    link = entry.get("html_url") or incident.get("html_url")
    return ImportedEvent(
        at=at,
        source=FORMAT,
        kind=kind,
        text=summary,
        source_id=text_of(need(entry, "id")),
        actor=text_of(agent) or None,
        link=text_of(link) or None,
    )


def _incident(incident: Any) -> list[ImportedEvent]:
    incident_id = text_of(need(incident, "id"))
    created = time_field(incident, "created_at", parse_rfc3339)
    number = incident.get("incident_number")
    title = text_of(incident.get("title") or incident.get("summary") or incident.get("description"))
    subject = f"Incident #{number}" if number is not None else "Incident"
    link = text_of(incident.get("html_url")) or None
    service = obj(incident.get("service")).get("summary")
    events = [
        ImportedEvent(
            at=created,
            source=FORMAT,
            kind="page",
            text=f"{subject} triggered: {title}" if title else f"{subject} triggered",
            source_id=f"{incident_id}:triggered",
            actor=text_of(service) or None,
            link=link,
        )
    ]
    acknowledgements = incident.get("acknowledgements")
    if isinstance(acknowledgements, list):
        for ack in acknowledgements:
            at = time_field(ack, "at", parse_rfc3339)
            who = text_of(obj(ack.get("acknowledger")).get("summary")) or None
            events.append(
                ImportedEvent(
                    at=at,
                    source=FORMAT,
                    kind="acknowledge",
                    text=f"{subject} acknowledged" + (f" by {who}" if who else ""),
                    source_id=f"{incident_id}:acknowledged:{ack['at']}",
                    actor=who,
                    link=link,
                )
            )
    status = incident.get("status")
    changed_by = text_of(obj(incident.get("last_status_change_by")).get("summary")) or None
    if status == "resolved":
        key = "resolved_at" if incident.get("resolved_at") else "last_status_change_at"
        events.append(
            ImportedEvent(
                at=time_field(incident, key, parse_rfc3339),
                source=FORMAT,
                kind="resolve",
                text=f"{subject} resolved" + (f" by {changed_by}" if changed_by else ""),
                source_id=f"{incident_id}:resolved",
                actor=changed_by,
                link=link,
            )
        )
    elif status == "acknowledged" and len(events) == 1 and incident.get("last_status_change_at"):
        events.append(
            ImportedEvent(
                at=time_field(incident, "last_status_change_at", parse_rfc3339),
                source=FORMAT,
                kind="acknowledge",
                text=f"{subject} acknowledged" + (f" by {changed_by}" if changed_by else ""),
                source_id=f"{incident_id}:acknowledged:{incident['last_status_change_at']}",
                actor=changed_by,
                link=link,
            )
        )
    return events
