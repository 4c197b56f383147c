"""The event an importer yields: a light record, cheap enough to stream millions of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class ImportedEvent:
    """One event read from a source file, with its time in UTC and a stable id for de-duplication.

    `channel` is where a chat message was said (a Slack channel's name); `flagged` says its source singled it out
    (pinned, or reacted to), which makes it a highlight (domain.highlights).
    """

    at: datetime
    source: str
    kind: str
    text: str
    source_id: str
    actor: str | None = None
    link: str | None = None
    parent_id: str | None = None  # a thread reply's parent message source_id
    channel: str | None = None
    flagged: bool = False
