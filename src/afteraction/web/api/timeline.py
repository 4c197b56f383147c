"""Timeline events: list, add, edit, delete, mark as a key moment, and import a source file by upload."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from afteraction.core.errors import AfteractionError, InvalidInput, TooLarge
from afteraction.domain.incidents import TimelineEntry
from afteraction.timeline import service
from afteraction.timeline.importers import FORMATS, ImportLimits, ImportOptions
from afteraction.web.api.common import Label, RowId, Text, UtcTime
from afteraction.web.deps import AppSettings, Db, Editor, IncidentId, Viewer

router = APIRouter(tags=["timeline"])

Moment = Literal["started", "detected", "acknowledged", "mitigated", "resolved"]
Link = Annotated[str, Field(max_length=2000)]
EventText = Annotated[Text, Field(min_length=1, max_length=100_000)]
EventKind = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9-]*$")]


class EventOut(TimelineEntry):
    """A timeline event with its id (for editing, deleting and marking it)."""

    id: int | None = None


class EventIn(BaseModel):
    """An event added by hand."""

    model_config = ConfigDict(extra="forbid")

    at: UtcTime
    text: EventText
    actor: Label | None = None
    kind: EventKind = "note"
    link: Link | None = None


class EventPatch(BaseModel):
    """Corrections to an event; actor and link may be cleared with null."""

    model_config = ConfigDict(extra="forbid")

    at: UtcTime | None = None
    text: EventText | None = None
    actor: Label | None = None
    kind: EventKind | None = None
    link: Link | None = None


class KeyMomentIn(BaseModel):
    """The key moment an event marks, or null to clear the mark."""

    model_config = ConfigDict(extra="forbid")

    moment: Moment | None


class ImportOut(BaseModel):
    """What an upload import did: its import record's id, events read, added, and skipped as already present."""

    import_id: int
    incident_id: str
    format: str
    read: int
    added: int
    duplicates: int


_UPLOAD_CHUNK = 1024 * 1024
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def _upload_name(filename: str | None) -> str:
    """The name an upload goes by in messages: its own file name (no folders, no control characters), or `upload`."""
    name = _UNPRINTABLE.sub("", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:120] or "upload"


def _save_upload(file: UploadFile, path: Path, limit: int) -> None:
    """The upload written to `path` in chunks, refused (TooLarge) as soon as it passes `limit` bytes."""
    written = 0
    with path.open("wb") as out:
        while chunk := file.file.read(_UPLOAD_CHUNK):
            written += len(chunk)
            if written > limit:
                raise TooLarge(
                    f"the upload is larger than {limit:,} bytes (the limit is set by AFTERACTION_MAX_UPLOAD_BYTES)"
                )
            out.write(chunk)


def _named(exc: AfteractionError, path: Path, name: str) -> AfteractionError:
    """The error with the upload's temporary path replaced by the name it was sent under (no server path leaks)."""
    exc.message = exc.message.replace(str(path), name)
    exc.args = (exc.message,)
    if isinstance(exc, InvalidInput) and (exc.field is None or str(path) in exc.field):
        exc.field = "file"
    return exc


def _out(entry: TimelineEntry) -> EventOut:
    return EventOut(**entry.model_dump(), id=entry.id)


@router.get("/incidents/{incident_id}/timeline", response_model=list[EventOut])
def list_events(incident_id: IncidentId, user: Viewer, db: Db) -> list[EventOut]:
    """The timeline in time order (UTC)."""
    return [_out(entry) for entry in service.list_events(db, incident_id=incident_id, actor=user)]


@router.post("/incidents/{incident_id}/timeline", response_model=EventOut, status_code=status.HTTP_201_CREATED)
def add_event(incident_id: IncidentId, body: EventIn, user: Editor, db: Db) -> EventOut:
    """Add one event by hand."""
    entry = service.add_event(
        db,
        incident_id=incident_id,
        at=body.at,
        text=body.text,
        person=body.actor,
        kind=body.kind,
        link=body.link,
        actor=user,
    )
    return _out(entry)


@router.patch("/incidents/{incident_id}/timeline/{event_id}", response_model=EventOut)
def edit_event(incident_id: IncidentId, event_id: RowId, body: EventPatch, user: Editor, db: Db) -> EventOut:
    """Correct an event's time, text, actor, kind or link."""
    given = body.model_fields_set
    entry = service.update_event(
        db,
        incident_id=incident_id,
        event_id=event_id,
        at=body.at,
        text=body.text,
        kind=body.kind,
        person=body.actor if "actor" in given else service.UNCHANGED,
        link=body.link if "link" in given else service.UNCHANGED,
        actor=user,
    )
    return _out(entry)


@router.delete("/incidents/{incident_id}/timeline/{event_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_event(incident_id: IncidentId, event_id: RowId, user: Editor, db: Db) -> Response:
    """Remove an event from the timeline."""
    service.delete_event(db, incident_id=incident_id, event_id=event_id, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/incidents/{incident_id}/timeline/{event_id}/key-moment", response_model=EventOut)
def mark_event(incident_id: IncidentId, event_id: RowId, body: KeyMomentIn, user: Editor, db: Db) -> EventOut:
    """Mark the event as a key moment (one event per moment), or clear its mark."""
    entry = service.mark_event(db, event_id=event_id, moment=body.moment, incident_id=incident_id, actor=user)
    return _out(entry)


@router.post("/incidents/{incident_id}/timeline/import", response_model=ImportOut)
def import_file(
    incident_id: IncidentId,
    file: Annotated[UploadFile, File(description="An export of Slack, PagerDuty, Opsgenie, Alertmanager, …")],
    user: Editor,
    db: Db,
    settings: AppSettings,
    format: Annotated[str, Form(description=f"auto or one of {', '.join(FORMATS)}", max_length=20)] = "auto",
    channel: Annotated[list[str] | None, Form(description="Slack channels to keep (repeatable).")] = None,
) -> ImportOut:
    """Import a source file's events; importing the same file again adds nothing.

    Zips are read within the AFTERACTION_UPLOAD_MAX_* limits (413 past one) and JSON within
    AFTERACTION_JSON_MAX_DEPTH (422); a damaged or malformed file is a 422 naming the file (and the member or line).
    """
    name = _upload_name(file.filename)
    with tempfile.TemporaryDirectory(prefix="afteraction-upload-") as folder:
        # The importers read files (a Slack export is a zip): the upload goes to a file of its own, within the limit.
        path = Path(folder) / "upload"
        try:
            _save_upload(file, path, settings.max_upload_bytes)
            result = service.import_timeline(
                db,
                incident_id=incident_id,
                path=path,
                fmt=format,
                options=ImportOptions(channels=channel or None, limits=ImportLimits.from_settings(settings)),
                file_name=name,
                actor=user,
            )
        except AfteractionError as exc:
            raise _named(exc, path, name) from None
    return ImportOut(
        import_id=result.import_id,
        incident_id=result.incident_id,
        format=result.format,
        read=result.read,
        added=result.added,
        duplicates=result.duplicates,
    )
