"""Incident pages: the list with filters and search, a new incident, and one incident with its key moments,
metrics and timeline (add, edit, delete, mark, import a file)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from markupsafe import Markup

from afteraction.core.errors import Conflict, InvalidInput, TooLarge
from afteraction.documents.picture import timeline_svg
from afteraction.domain.incidents import INCIDENT_STATUSES, KEY_MOMENTS, KINDS, IncidentChanges, NewIncident
from afteraction.domain.reviews import POSTMORTEM_STATUSES
from afteraction.timeline import imports as timeline_imports
from afteraction.timeline import service as timeline
from afteraction.timeline.highlights import set_highlights
from afteraction.timeline.importers import FORMATS, ImportLimits, ImportOptions
from afteraction.timeline.importers.slack import chosen_workspace
from afteraction.timeline.paging import TimelineFilters
from afteraction.timeline.picture import picture_data
from afteraction.timeline.window import describe_window, skipped_note
from afteraction.usecases import browse
from afteraction.usecases import incidents as incident_usecases
from afteraction.web.api.common import RowId
from afteraction.web.deps import AppSettings, Editor, IncidentId, Viewer, Within
from afteraction.web.pages.forms import optional, utc_time, words
from afteraction.web.pages.rendering import input_time, redirect, render
from afteraction.web.pages.session import PageDb

router = APIRouter()

PAGE_SIZE = 50
TIMELINE_PAGE = 200  # events of a timeline page
Filter = Annotated[str | None, Query(max_length=200)]
Short = Annotated[str, Form(max_length=200)]
OptionalShort = Annotated[str | None, Form(max_length=200)]
EVENT_KINDS = timeline.EVENT_KINDS


@router.get("/incidents")
def incident_list(
    request: Request,
    user: Viewer,
    db: PageDb,
    settings: AppSettings,
    within: Within,
    q: Filter = None,
    severity: Filter = None,
    status: Filter = None,
    service_: Annotated[str | None, Query(alias="service", max_length=200)] = None,
    kind: Filter = None,
    pm: Filter = None,
    overdue: Annotated[bool, Query()] = False,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Incidents newest first, filtered and searched; also by the Insights page's filter (a range or quarter, a team,
    a category), so that each of its numbers opens the incidents behind it."""
    insights_only = within.model_copy(update={"severity": None, "kind": None, "service": None})  # the form has these
    filters = {"q": q, "severity": severity, "status": status, "service": service_, "kind": kind, "pm": pm,
               "overdue": overdue, **insights_only.params()}  # fmt: skip
    found = browse.browse_incidents(
        db, kind=kind, severity=severity, status=status, service=service_, postmortem_status=pm, overdue=overdue,
        text=q, within=insights_only, severities=settings.severities, limit=PAGE_SIZE + 1, offset=offset, actor=user,
    )  # fmt: skip
    return render(
        request,
        "incidents.html",
        incidents=found[:PAGE_SIZE],
        more=len(found) > PAGE_SIZE,
        offset=offset,
        page_size=PAGE_SIZE,
        filters=filters,
        filtered=any(value for value in filters.values()),
        narrowed=insights_only.params(),
        services=browse.known_labels(db, kind="service", actor=user),
        severities=settings.severities,
        statuses=INCIDENT_STATUSES,
        kinds=KINDS,
        pm_statuses=POSTMORTEM_STATUSES,
    )


@router.get("/incidents/new")
def new_incident_page(request: Request, user: Editor, settings: AppSettings) -> Response:
    """The form of a new incident."""
    return render(request, "incident_new.html", severities=settings.severities, kinds=KINDS)


@router.post("/incidents")
def create_incident(
    request: Request,
    user: Editor,
    db: PageDb,
    settings: AppSettings,
    title: Short,
    severity: OptionalShort = None,
    kind: Short = "incident",
    started_at: OptionalShort = None,
    services: OptionalShort = None,
    teams: OptionalShort = None,
    private: Annotated[bool, Form()] = False,
) -> Response:
    """Record a new incident with an empty draft post-mortem; its creator becomes a member and its author."""
    try:
        new = NewIncident(
            title=title, severity=optional(severity), kind=kind, started_at=utc_time(started_at, "started_at"),
            services=words(services), teams=words(teams), private=private,
        )  # fmt: skip
        incident = incident_usecases.create_incident(db, actor=user, new=new, allowed_severities=settings.severities)
    except InvalidInput as exc:
        return redirect(request, "/incidents/new", error=exc.message)
    return redirect(request, f"/incidents/{incident.id}", ok=f"Created {incident.id}.")


def timeline_picture(db: PageDb, incident_id: str, user: Viewer) -> Markup | None:
    """The picture of an incident's timeline as SVG (None: nothing to draw), each highlight linking to the page of
    the timeline at its time."""
    data = picture_data(db, incident_id=incident_id, actor=user)
    if data.empty:
        return None
    svg = timeline_svg(data, link=lambda event: f"/incidents/{incident_id}?at={input_time(event.at)}#event-{event.id}")
    return Markup(svg)  # built by documents.picture, every text in it escaped


@router.get("/incidents/{incident_id}")
def incident_page(
    request: Request,
    incident_id: IncidentId,
    user: Viewer,
    db: PageDb,
    settings: AppSettings,
    cursor: Filter = None,
    at: Filter = None,
    source: Filter = None,
    kind: Filter = None,
    actor: Filter = None,
    q: Filter = None,
    since: Filter = None,
    until: Filter = None,
    highlights: Filter = None,
) -> Response:
    """An incident: key moments and metrics, a page of its timeline (filtered; from a cursor or a time), links to its
    post-mortem."""
    shown = {
        "source": source, "kind": kind, "actor": actor, "q": q, "since": since, "until": until,
        "highlights": "1" if highlights else None,
    }  # fmt: skip
    try:
        filters = TimelineFilters(
            source=source, kind=kind, actor=actor, text=q, since=utc_time(since, "since"),
            until=utc_time(until, "until"), highlights=bool(highlights),
        )  # fmt: skip
        overview = browse.incident_overview(
            db, incident_id=incident_id, actor=user, limit=TIMELINE_PAGE, cursor=optional(cursor),
            start_at=utc_time(at, "at"), filters=filters,
        )  # fmt: skip
    except InvalidInput as exc:  # a filter, time or cursor of the address: the first page, saying what was wrong
        return redirect(request, f"/incidents/{incident_id}#timeline", error=exc.message)
    return render(
        request,
        "incident.html",
        incident=overview.incident,
        metrics=overview.metrics,
        timeline=overview.timeline,
        next_cursor=overview.next_cursor,
        previous_cursor=overview.previous_cursor,
        timeline_filters=shown,
        timeline_filtered=any(shown.values()),
        timeline_moved=bool(cursor or at),
        timeline_page_size=TIMELINE_PAGE,
        timeline_picture=timeline_picture(db, overview.incident.id, user),
        jump_at=at,
        window=overview.window,
        moments=KEY_MOMENTS,
        sources=overview.sources,
        severities=settings.severities,
        statuses=INCIDENT_STATUSES,
        kinds=KINDS,
        formats=FORMATS,
        event_kinds=EVENT_KINDS,
        imports=timeline_imports.list_imports(db, incident_id=incident_id, actor=user),
        window_of=describe_window,
    )


@router.post("/incidents/{incident_id}")
def update_incident(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    settings: AppSettings,
    version: Annotated[int, Form(ge=1)],
    title: Short,
    severity: OptionalShort = None,
    kind: Short = "incident",
    status: Short = "open",
    services: OptionalShort = None,
    teams: OptionalShort = None,
    private: Annotated[bool, Form()] = False,
    started_at: OptionalShort = None,
    detected_at: OptionalShort = None,
    acknowledged_at: OptionalShort = None,
    mitigated_at: OptionalShort = None,
    resolved_at: OptionalShort = None,
) -> Response:
    """Change an incident and its hand-set key moments; a stale form changes nothing and says so."""
    back = f"/incidents/{incident_id}"
    typed = {"started_at": started_at, "detected_at": detected_at, "acknowledged_at": acknowledged_at,
             "mitigated_at": mitigated_at, "resolved_at": resolved_at}  # fmt: skip
    try:
        moments = {name: utc_time(value, name) for name, value in typed.items()}
        changes = IncidentChanges(
            title=title, severity=optional(severity), kind=kind, status=status, private=private,
            services=words(services), teams=words(teams), moments=moments, expected_version=version,
        )  # fmt: skip
        incident_usecases.update_incident(
            db, actor=user, incident_id=incident_id, changes=changes, allowed_severities=settings.severities
        )
    except Conflict as exc:
        now = f" (now version {exc.current_version}; your form was of version {version})" if exc.current_version else ""
        return redirect(
            request, back, error=f"Someone changed this incident meanwhile{now}: your changes were not saved. "
            "The page now shows their version; make your changes again.",
        )  # fmt: skip
    except InvalidInput as exc:
        return redirect(request, back, error=exc.message)
    return redirect(request, back, ok="Saved the incident.")


@router.post("/incidents/{incident_id}/timeline")
def add_event(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    at: Short,
    text: Annotated[str, Form(max_length=100_000)],
    actor: OptionalShort = None,
    kind: Short = "note",
    link: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Add an event by hand."""
    back = f"/incidents/{incident_id}#timeline"
    try:
        moment = utc_time(at, "at")
        if moment is None:
            raise InvalidInput("the event needs a time", field="at")
        timeline.add_event(
            db, incident_id=incident_id, at=moment, text=text, person=optional(actor), kind=kind or "note",
            link=optional(link), actor=user,
        )  # fmt: skip
    except InvalidInput as exc:
        return redirect(request, back, error=exc.message)
    return redirect(request, back, ok="Added the event.")


@router.post("/incidents/{incident_id}/timeline/import")
def import_file(
    request: Request,
    incident_id: IncidentId,
    user: Editor,
    db: PageDb,
    settings: AppSettings,
    file: Annotated[UploadFile, File()],
    format: Annotated[str, Form(max_length=20)] = "auto",
    channel: OptionalShort = None,
    slack_workspace: OptionalShort = None,
    since: OptionalShort = None,
    until: OptionalShort = None,
    all_time: Annotated[bool, Form()] = False,
    tz: OptionalShort = None,
) -> Response:
    """Import an uploaded export (Slack, PagerDuty, Alertmanager, …) with its format detected, keeping the window
    given (by default the incident's own)."""
    back = f"/incidents/{incident_id}#timeline"
    with tempfile.TemporaryDirectory(prefix="afteraction-upload-") as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as out:
            shutil.copyfileobj(file.file, out, 1024 * 1024)
        try:
            if path.stat().st_size == 0:
                raise InvalidInput("choose a file to import: the upload was empty", field="file")
            if path.stat().st_size > settings.max_upload_bytes:
                raise TooLarge(f"the file is larger than the limit of {settings.max_upload_bytes} bytes")
            result = timeline.import_timeline(
                db, incident_id=incident_id, path=path, fmt=format or "auto",
                options=ImportOptions(
                    channels=words(channel) or None,
                    slack_workspace=chosen_workspace(slack_workspace, settings, "Slack workspace"),
                    tz=(tz or "").strip() or None,
                    limits=ImportLimits.from_settings(settings),
                ),
                file_name=file.filename, since=utc_time(since, "since"), until=utc_time(until, "until"),
                all_time=all_time, actor=user,
            )  # fmt: skip
        except (InvalidInput, TooLarge) as exc:
            name = file.filename or "the file"
            return redirect(request, back, error=exc.message.replace(str(path), name))
    detected = " (format detected)" if (format or "auto") == "auto" else ""
    return redirect(
        request, back, ok=f"Imported {file.filename or 'the file'} as {result.format}{detected}: "
        f"{result.added} new events, {result.duplicates} already in the timeline"
        + (f", {skipped_note(result.skipped_outside, result.since, result.until, default=result.default_window)}"
           if result.skipped_outside else "") + "." + result.zone_note("the Time zone field"),
    )  # fmt: skip


def at_event(incident_id: str, event_id: int, at: datetime | None) -> str:
    """The incident page's timeline at an event: the page starting at its second (the first page for an event
    without a time), scrolled to it."""
    when = f"?{urlencode({'at': at.strftime('%Y-%m-%dT%H:%M:%S')})}" if at is not None else ""
    return f"/incidents/{incident_id}{when}#event-{event_id}"


@router.get("/incidents/{incident_id}/timeline/{event_id}")
def event_page(request: Request, incident_id: IncidentId, event_id: RowId, user: Viewer, db: PageDb) -> Response:
    """One event: what it says, and for editors its star, key moment, corrections and deletion."""
    entry = timeline.get_event(db, incident_id=incident_id, event_id=event_id, actor=user)
    incident = incident_usecases.get_incident(db, incident_id=incident_id, actor=user)
    return render(
        request, "timeline_event.html", incident=incident, e=entry, moments=KEY_MOMENTS, event_kinds=EVENT_KINDS,
        back=at_event(incident.id, event_id, entry.at),
    )  # fmt: skip


@router.post("/incidents/{incident_id}/timeline/{event_id}")
def edit_event(
    request: Request,
    incident_id: IncidentId,
    event_id: RowId,
    user: Editor,
    db: PageDb,
    at: Short,
    text: Annotated[str, Form(max_length=100_000)],
    actor: OptionalShort = None,
    kind: Short = "note",
    link: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Correct an event's time, text, actor, kind or link; back to the timeline at its time."""
    try:
        entry = timeline.update_event(
            db, incident_id=incident_id, event_id=event_id, at=utc_time(at, "at"), text=text,
            person=optional(actor), kind=kind or "note", link=optional(link), actor=user,
        )  # fmt: skip
    except InvalidInput as exc:
        return redirect(request, f"/incidents/{incident_id}/timeline/{event_id}", error=exc.message)
    return redirect(request, at_event(incident_id, event_id, entry.at), ok="Saved the event.")


@router.post("/incidents/{incident_id}/timeline/{event_id}/delete")
def delete_event(request: Request, incident_id: IncidentId, event_id: RowId, user: Editor, db: PageDb) -> Response:
    """Remove an event from the timeline."""
    timeline.delete_event(db, incident_id=incident_id, event_id=event_id, actor=user)
    return redirect(request, f"/incidents/{incident_id}#timeline", ok="Deleted the event.")


@router.post("/incidents/{incident_id}/timeline/{event_id}/moment")
def mark_event(
    request: Request, incident_id: IncidentId, event_id: RowId, user: Editor, db: PageDb, moment: Short = ""
) -> Response:
    """Mark an event as a key moment, or clear its mark; back to the timeline at its time."""
    try:
        entry = timeline.mark_event(db, event_id=event_id, moment=moment or None, incident_id=incident_id, actor=user)
    except InvalidInput as exc:
        return redirect(request, f"/incidents/{incident_id}/timeline/{event_id}", error=exc.message)
    back = at_event(incident_id, event_id, entry.at)
    return redirect(request, back, ok=f"Marked the event as {moment}." if moment else "Cleared the key moment.")


@router.post("/incidents/{incident_id}/timeline/{event_id}/highlight")
def highlight_event(
    request: Request,
    incident_id: IncidentId,
    event_id: RowId,
    user: Editor,
    db: PageDb,
    on: Short = "",
    at: Short = "",
) -> Response:
    """Star an event as a highlight (`on`), or unstar it; back to the page of the timeline at its time (`at`)."""
    set_highlights(db, event_ids=[event_id], on=bool(on), incident_id=incident_id, actor=user)
    when: datetime | None = None
    with contextlib.suppress(InvalidInput):
        when = utc_time(at, "at")
    ok = "Starred the event: the post-mortem shows it." if on else "Unstarred the event."
    return redirect(request, at_event(incident_id, event_id, when), ok=ok)


@router.post("/incidents/{incident_id}/timeline/imports/{import_id}/undo")
def undo_import(request: Request, incident_id: IncidentId, import_id: RowId, user: Editor, db: PageDb) -> Response:
    """Undo an import: remove exactly its events (and the key moments derived from them)."""
    back = f"/incidents/{incident_id}#imports"
    try:
        undone = timeline_imports.undo_import(db, incident_id=incident_id, import_id=import_id, actor=user)
    except Conflict as exc:
        return redirect(request, back, error=exc.message)
    return redirect(request, back, ok=f"Undid import {import_id}: removed {undone.removed} events.")


def _bulk_filter(
    source: str | None, kind: str | None, actor: str | None, since: str | None, until: str | None
) -> timeline_imports.EventFilter:
    """A bulk delete's filter from a form's fields (empty ones left out)."""
    return timeline_imports.EventFilter(
        source=optional(source), kind=optional(kind), person=optional(actor),
        since=utc_time(since, "since"), until=utc_time(until, "until"),
    )  # fmt: skip


@router.get("/incidents/{incident_id}/events/delete")
def bulk_delete_page(
    request: Request, incident_id: IncidentId, user: Editor, db: PageDb, source: Filter = None, kind: Filter = None,
    actor: Filter = None, since: Filter = None, until: Filter = None,
) -> Response:  # fmt: skip
    """How many events a bulk delete would remove, and the button that removes them."""
    fields = {"source": source, "kind": kind, "actor": actor, "since": since, "until": until}
    try:
        count = timeline_imports.delete_events(
            db, incident_id=incident_id, where=_bulk_filter(**fields), dry_run=True, actor=user
        )
    except InvalidInput as exc:
        return redirect(request, f"/incidents/{incident_id}#timeline", error=exc.message)
    described = ", ".join(f"{name} {value.strip()}" for name, value in fields.items() if value and value.strip())
    return render(
        request, "timeline_delete.html", incident_id=incident_id, count=count, filters=fields, described=described
    )


@router.post("/incidents/{incident_id}/events/delete")
def bulk_delete(
    request: Request, incident_id: IncidentId, user: Editor, db: PageDb, source: OptionalShort = None,
    kind: OptionalShort = None, actor: OptionalShort = None, since: OptionalShort = None, until: OptionalShort = None,
) -> Response:  # fmt: skip
    """Delete the events matching every field given, refreshing the key moments."""
    back = f"/incidents/{incident_id}#timeline"
    try:
        where = _bulk_filter(source, kind, actor, since, until)
        deleted = timeline_imports.delete_events(db, incident_id=incident_id, where=where, actor=user)
    except InvalidInput as exc:
        return redirect(request, back, error=exc.message)
    return redirect(request, back, ok=f"Deleted {deleted} events.")
