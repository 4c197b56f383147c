"""Incidents: list with filters and pages, create, read, update, delete; members; metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from afteraction.domain.incidents import IncidentChanges, IncidentSummary, NewIncident
from afteraction.domain.metrics import IncidentMetrics
from afteraction.incidents import members, service
from afteraction.incidents.members import MemberView
from afteraction.timeline.service import incident_metrics
from afteraction.usecases import incidents as incident_usecases
from afteraction.web.api.common import Label, Name, Page, QueryText, UserName, UtcTime, Version
from afteraction.web.deps import (
    Admin,
    AppSettings,
    Db,
    Editor,
    IfMatch,
    IncidentId,
    Viewer,
    checks_role,
    database_call,
    etag,
    incident_for,
    pick_version,
    signed_in_user,
)
from afteraction.web.fastread import ReaderPool, read_incident

router = APIRouter(tags=["incidents"])


class IncidentCreate(BaseModel):
    """A new incident; severity is required unless the kind is `milestone`."""

    model_config = ConfigDict(extra="forbid")

    title: Name
    severity: Annotated[str | None, Field(max_length=20)] = None
    kind: Annotated[str, Field(max_length=20)] = "incident"
    started_at: UtcTime | None = None
    services: Annotated[list[Label], Field(max_length=50)] = []
    teams: Annotated[list[Label], Field(max_length=50)] = []
    tags: Annotated[list[Label], Field(max_length=50)] = []
    private: bool = False


class IncidentUpdate(BaseModel):
    """Fields to change; a key moment given as null is cleared, one left out stays."""

    model_config = ConfigDict(extra="forbid")

    title: Name | None = None
    severity: Annotated[str | None, Field(max_length=20)] = None
    kind: Annotated[str | None, Field(max_length=20)] = None
    status: Annotated[str | None, Field(max_length=20)] = None
    private: bool | None = None
    services: Annotated[list[Label] | None, Field(max_length=50)] = None
    teams: Annotated[list[Label] | None, Field(max_length=50)] = None
    tags: Annotated[list[Label] | None, Field(max_length=50)] = None
    started_at: UtcTime | None = None
    detected_at: UtcTime | None = None
    acknowledged_at: UtcTime | None = None
    mitigated_at: UtcTime | None = None
    resolved_at: UtcTime | None = None
    version: Version | None = None


class IncidentPage(Page):
    """A page of incidents, newest first: follow `next_cursor` (null on the last page). `offset` and `next_offset`
    are kept for clients that page by offset (deprecated: a deep offset costs a scan; `next_offset` is null when
    paging by cursor)."""

    items: list[IncidentSummary]
    next_cursor: str | None = None


@router.get("/incidents", response_model=IncidentPage)
def list_incidents(
    user: Viewer,
    db: Db,
    settings: AppSettings,
    kind: QueryText = None,
    severity: QueryText = None,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    service_: Annotated[str | None, Query(alias="service", max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=incident_usecases.MAX_PAGE, description="Incidents per page.")] = (
        incident_usecases.DEFAULT_PAGE
    ),
    cursor: Annotated[str | None, Query(max_length=200, description="The next_cursor of the page before.")] = None,
    offset: Annotated[
        int, Query(ge=0, le=1_000_000_000, deprecated=True, description="Deprecated: use cursor. Skip this many.")
    ] = 0,
) -> IncidentPage:
    """Incidents newest first, filtered by kind, severity, status and service; private ones only for members.
    A page at a time: follow `next_cursor` (null on the last page)."""
    items, next_cursor = incident_usecases.page_incidents(
        db,
        kind=kind,
        severity=severity,
        status=status_,
        service=service_,
        limit=limit,
        cursor=cursor or None,
        offset=offset,
        actor=user,
        allowed_severities=settings.severities,
    )
    next_offset = offset + limit if next_cursor is not None and not cursor else None
    return IncidentPage(items=items, limit=limit, offset=offset, next_offset=next_offset, next_cursor=next_cursor)


@router.post("/incidents", response_model=IncidentSummary, status_code=status.HTTP_201_CREATED)
def create_incident(
    body: IncidentCreate, user: Editor, db: Db, settings: AppSettings, response: Response
) -> IncidentSummary:
    """Record a new incident with an empty draft post-mortem; its creator becomes a member and its author."""
    new = NewIncident.model_validate(body.model_dump())
    incident = incident_usecases.create_incident(db, actor=user, new=new, allowed_severities=settings.severities)
    response.headers["Location"] = f"/api/v1/incidents/{incident.id}"
    response.headers["ETag"] = etag(incident.version)
    return incident


@router.get("/incidents/{incident_id}", response_model=IncidentSummary)
@checks_role("viewer")
async def get_incident(request: Request, incident_id: IncidentId) -> Response:
    """One incident, with its version as the ETag."""
    return await incident_response(request, incident_id)


def _incident(request: Request, incident_id: str) -> IncidentSummary:
    """The incident of GET /incidents/{id}: one statement on the app's reader pool (web/fastread.py), or, with the
    fast reads off, the library's read (incident_for); the same answer either way."""
    readers: ReaderPool | None = request.app.state.readers
    if readers is None:
        return incident_for(request, incident_id)
    return read_incident(readers, signed_in_user(request), incident_id)


async def incident_response(request: Request, incident_id: str) -> Response:
    """The answer of GET /incidents/{id}: the incident as JSON, its version as the ETag (web/fastpath.py serves it
    too, so it takes no dependencies)."""
    incident = await database_call(request, lambda: _incident(request, incident_id))
    # Serialised here, once: the service validated the model when it built it.
    return Response(incident.model_dump_json(), media_type="application/json", headers={"ETag": etag(incident.version)})


@router.patch("/incidents/{incident_id}", response_model=IncidentSummary)
def update_incident(
    incident_id: IncidentId,
    body: IncidentUpdate,
    user: Editor,
    db: Db,
    settings: AppSettings,
    if_match: IfMatch,
    response: Response,
) -> IncidentSummary:
    """Change an incident or set its key moments by hand; 409 when it changed since the version given."""
    moments: dict[str, datetime | None] = {
        name: getattr(body, name) for name in service.MOMENT_FIELDS if name in body.model_fields_set
    }
    changes = IncidentChanges(
        title=body.title,
        severity=body.severity,
        kind=body.kind,
        status=body.status,
        private=body.private,
        services=body.services,
        teams=body.teams,
        tags=body.tags,
        moments=moments or None,
        expected_version=pick_version(if_match, body.version),
    )
    incident = incident_usecases.update_incident(
        db, actor=user, incident_id=incident_id, changes=changes, allowed_severities=settings.severities
    )
    response.headers["ETag"] = etag(incident.version)
    return incident


@router.delete("/incidents/{incident_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_incident(incident_id: IncidentId, user: Admin, db: Db, if_match: IfMatch) -> Response:
    """Delete an incident with its post-mortem, timeline and action items (admins only)."""
    service.delete_incident(db, incident_id=incident_id, expected_version=if_match, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/incidents/{incident_id}/metrics", response_model=IncidentMetrics)
def get_metrics(incident_id: IncidentId, user: Viewer, db: Db) -> IncidentMetrics:
    """Key moments (hand-set, marked or derived from the timeline) and the times to detect, acknowledge, mitigate
    and resolve."""
    return incident_metrics(db, incident_id=incident_id, actor=user)


@router.get("/incidents/{incident_id}/members", response_model=list[MemberView], response_model_exclude_none=True)
def list_members(incident_id: IncidentId, user: Viewer, db: Db) -> list[MemberView]:
    """Who belongs to the incident (and so sees it while it is private): names and roles; e-mail addresses are
    shown to admins only."""
    return members.list_members(db, incident_id=incident_id, actor=user)


@router.put("/incidents/{incident_id}/members/{name}", response_model=MemberView, response_model_exclude_none=True)
def add_member(incident_id: IncidentId, name: UserName, user: Editor, db: Db) -> MemberView:
    """Make a user a member of the incident; doing it twice changes nothing. Only admins and editors who are
    members of the incident may: anyone else gets 403, whether the user exists or not."""
    return members.add_member(db, incident_id=incident_id, user=name, actor=user)


@router.delete("/incidents/{incident_id}/members/{name}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(incident_id: IncidentId, name: UserName, user: Editor, db: Db) -> Response:
    """Take a user off the incident's members (admins and editors who are members of the incident)."""
    members.remove_member(db, incident_id=incident_id, user=name, actor=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
