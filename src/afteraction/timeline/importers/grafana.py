"""Grafana unified-alerting webhook payloads: Alertmanager's shape plus values, dashboard and panel links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers._base import ImportOptions
from afteraction.timeline.importers.alertmanager import read_payloads

FORMAT = "grafana"


def matches(doc: Any) -> bool:
    """Whether a JSON document is a Grafana alerting webhook payload (unified or legacy)."""
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("alerts"), list):
        return "orgId" in doc or ("state" in doc and "title" in doc)
    return "ruleId" in doc and "evalMatches" in doc


def read(path: Path, options: ImportOptions) -> Iterator[ImportedEvent]:
    """Alert and resolve events, with the panel link and the values that fired, once per alert."""
    return read_payloads(path, FORMAT, options.limits.json_max_depth)
