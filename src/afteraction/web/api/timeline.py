"""Timeline events: list, add, edit, delete, mark as a key moment, and import a source file by upload."""

from __future__ import annotations

import re
import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from afteraction.core.errors import AfteractionError, InvalidInput, TooLarge
from afteraction.domain.incidents import TimelineEntry
from afteraction.timeline import highlights, imports, service
from afteraction.timeline.highlights import MAX_CHOSEN
from afteraction.timeline.importers import FORMATS, ImportLimits, ImportOptions
from afteraction.timeline.importers.slack import chosen_workspace
from afteraction.timeline.paging import DEFAULT_PAGE, MAX_PAGE, TimelineFilters, page_import_events
from afteraction.web.api.common import MAX_ID, Label, RowId, Text, UtcTime
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
    """What an upload import did: its import record's id, events read, added, skipped as already present, and
    skipped as outside the window kept (`since`..`until`, null: no bound), and the CSV/JSON Lines times that had no
    zone and were read as UTC because no `tz` was given."""

    import_id: int
    incident_id: str
    format: str
    read: int
    added: int
    duplicates: int
    skipped_outside: int
    since: datetime | None
    until: datetime | None
    read_as_utc: int


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


class EventPage(BaseModel):
    """A page of a timeline: its events in time order, and the cursor of the next page (null on the last)."""

    items: list[EventOut]
    next_cursor: str | None


def _event_filters(
    source: Annotated[str | None, Query(max_length=200, description="Only events of this source.")] = None,
    kind: Annotated[str | None, Query(max_length=200, description="Only events of this kind.")] = None,
    actor: Annotated[str | None, Query(max_length=200, description="Only events of this person (any case).")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Only events whose text contains this.")] = None,
    since: Annotated[UtcTime | None, Query(description="Only events at or after this time.")] = None,
    until: Annotated[UtcTime | None, Query(description="Only events at or before this time.")] = None,
    highlights: Annotated[bool, Query(description="Only the highlights (the events that tell the story).")] = False,
) -> TimelineFilters:
    """The filters of a page of timeline events, from the query."""
    return TimelineFilters(
        source=source, kind=kind, actor=actor, text=q, since=since, until=until, highlights=highlights
    )


EventFilters = Annotated[TimelineFilters, Depends(_event_filters)]
EventLimit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Events per page.")]
EventCursor = Annotated[str | None, Query(max_length=200, description="The next_cursor of the page before.")]


@router.get("/incidents/{incident_id}/timeline", response_model=EventPage)
def list_events(
    incident_id: IncidentId,
    user: Viewer,
    db: Db,
    filters: EventFilters,
    limit: EventLimit = DEFAULT_PAGE,
    cursor: EventCursor = None,
) -> EventPage:
    """The timeline in time order (UTC), a page at a time: follow `next_cursor` (null on the last page)."""
    items, next_cursor = service.page_events(
        db, incident_id=incident_id, actor=user, limit=limit, cursor=cursor or None, filters=filters
    )
    return EventPage(items=[_out(entry) for entry in items], next_cursor=next_cursor)


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


class HighlightsIn(BaseModel):
    """Events to make highlights (the events the post-mortem shows), or with `highlight: false` to unmake."""

    model_config = ConfigDict(extra="forbid")

    event_ids: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Field(min_length=1, max_length=MAX_CHOSEN)]
    highlight: bool = True


class HighlightsOut(BaseModel):
    """What a highlight choice did: how many of the events changed (the others already were as asked)."""

    event_ids: list[int]
    highlight: bool
    changed: int


@router.post("/incidents/{incident_id}/timeline/highlights", response_model=HighlightsOut)
def set_highlights(incident_id: IncidentId, body: HighlightsIn, user: Editor, db: Db) -> HighlightsOut:
    """Choose highlights by hand; the default rules never change a choice made here. 404 names the first event
    that is not this incident's."""
    changed = highlights.set_highlights(
        db, event_ids=list(body.event_ids), on=body.highlight, incident_id=incident_id, actor=user
    )
    return HighlightsOut(event_ids=sorted(set(body.event_ids)), highlight=body.highlight, changed=changed)


@router.post("/incidents/{incident_id}/timeline/import", response_model=ImportOut)
def import_file(
    incident_id: IncidentId,
    file: Annotated[UploadFile, File(description="An export of Slack, PagerDuty, Opsgenie, Alertmanager, …")],
    user: Editor,
    db: Db,
    settings: AppSettings,
    format: Annotated[str, Form(description=f"auto or one of {', '.join(FORMATS)}", max_length=20)] = "auto",
    channel: Annotated[list[str] | None, Form(description="Slack channels to keep (repeatable).")] = None,
    slack_workspace: Annotated[
        str | None,
        Form(
            description="Slack: the workspace messages link to (https://acme.slack.com); default the setting, else "
            "the export's own file links.",
            max_length=300,
        ),
    ] = None,
    since: Annotated[UtcTime | None, Form(description="Keep events from this time (default: the incident's).")] = None,
    until: Annotated[UtcTime | None, Form(description="Keep events up to this time (default: the incident's).")] = None,
    all_time: Annotated[bool, Form(description="Keep every event, however far from the incident.")] = False,
    tz: Annotated[
        str | None,
        Form(
            description="CSV/JSON Lines: the zone of times written without one (Europe/Oslo); default UTC.",
            max_length=64,
        ),
    ] = None,
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
                options=ImportOptions(
                    channels=channel or None,
                    slack_workspace=chosen_workspace(slack_workspace, settings, "slack_workspace"),
                    tz=tz or None,
                    limits=ImportLimits.from_settings(settings),
                ),
                file_name=name,
                since=since,
                until=until,
                all_time=all_time,
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
        skipped_outside=result.skipped_outside,
        since=result.since,
        until=result.until,
        read_as_utc=result.read_as_utc,
    )


# ---------------------------------------------------------------- imports: list, undo; bulk delete


class UndoneOut(BaseModel):
    """What undoing an import removed."""

    incident_id: str
    import_id: int
    removed: int


class BulkDeleteIn(BaseModel):
    """Which events to delete: those matching every filter given (at least one); `dry_run` only counts them."""

    model_config = ConfigDict(extra="forbid")

    source: Label | None = None
    kind: Label | None = None
    actor: Label | None = None
    since: UtcTime | None = None
    until: UtcTime | None = None
    dry_run: bool = False


class BulkDeleteOut(BaseModel):
    """How many events were deleted (with `dry_run`: would be)."""

    count: int
    dry_run: bool


@router.get("/incidents/{incident_id}/timeline/imports", response_model=list[imports.ImportSummary])
def list_imports(incident_id: IncidentId, user: Viewer, db: Db) -> list[imports.ImportSummary]:
    """The incident's imports, newest first: who ran each and when, the window it kept, its counts and how it ended
    (`running`, `done`, `failed` with its error, or `undone`)."""
    return imports.list_imports(db, incident_id=incident_id, actor=user)


@router.get("/incidents/{incident_id}/timeline/imports/{import_id}/events", response_model=EventPage)
def list_import_events(
    incident_id: IncidentId,
    import_id: RowId,
    user: Viewer,
    db: Db,
    filters: EventFilters,
    limit: EventLimit = DEFAULT_PAGE,
    cursor: EventCursor = None,
) -> EventPage:
    """The events one import added, in time order, a page at a time like the timeline (the same cursors and
    filters); 404 for an import of another incident."""
    items, next_cursor = page_import_events(
        db,
        incident_id=incident_id,
        import_id=import_id,
        actor=user,
        limit=limit,
        cursor=cursor or None,
        filters=filters,
    )
    return EventPage(items=[_out(entry) for entry in items], next_cursor=next_cursor)


@router.delete("/incidents/{incident_id}/timeline/imports/{import_id}", response_model=UndoneOut)
def undo_import(incident_id: IncidentId, import_id: RowId, user: Editor, db: Db) -> UndoneOut:
    """Undo an import: remove exactly its events (and the key moments derived from them) in one transaction;
    409 when it is already undone."""
    undone = imports.undo_import(db, incident_id=incident_id, import_id=import_id, actor=user)
    return UndoneOut(**asdict(undone))


@router.post("/incidents/{incident_id}/timeline/delete", response_model=BulkDeleteOut)
def delete_events(incident_id: IncidentId, body: BulkDeleteIn, user: Editor, db: Db) -> BulkDeleteOut:
    """Delete the events matching a filter (422 without one), refreshing the key moments; `dry_run` counts them."""
    where = imports.EventFilter(
        source=body.source, kind=body.kind, person=body.actor, since=body.since, until=body.until
    )
    count = imports.delete_events(db, incident_id=incident_id, where=where, dry_run=body.dry_run, actor=user)
    return BulkDeleteOut(count=count, dry_run=body.dry_run)
