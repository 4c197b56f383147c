"""The event an importer yields: a light record, cheap enough to stream millions of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class ImportedEvent:
    """One event read from a source file, with its time in UTC and a stable id for de-duplication."""

    at: datetime
    source: str
    kind: str
    text: str
    source_id: str
    actor: str | None = None
    link: str | None = None
    parent_id: str | None = None  # a thread reply's parent message source_id
