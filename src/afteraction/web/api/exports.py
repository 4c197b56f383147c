"""Exports of a post-mortem as Markdown, HTML or JSON, the same documents `afteraction export` writes.

Every export is a download (`Content-Disposition: attachment`), never sniffed (`nosniff`) nor cached (`no-store`),
and under a Content-Security-Policy that runs no script and loads nothing (an HTML export carries the same policy
in a <meta>, so the saved file stays safe when opened later).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from afteraction.documents.render import EXPORT_CSP
from afteraction.incidents.service import parse_incident_id
from afteraction.usecases.documents import export_document
from afteraction.web.deps import AppSettings, Db, IncidentId, Viewer

router = APIRouter(tags=["exports"])

MEDIA_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "json": "application/json"}


@router.get(
    "/incidents/{incident_id}/export",
    response_class=Response,
    responses={
        200: {
            "description": "The post-mortem in the format asked for.",
            "content": {"text/markdown": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}},
                        "application/json": {"schema": {"type": "object"}}},
        }
    },
)  # fmt: skip
def export(
    incident_id: IncidentId,
    user: Viewer,
    db: Db,
    settings: AppSettings,
    format: Annotated[Literal["md", "html", "json"], Query(description="md, html or json.")] = "md",
) -> Response:
    """The post-mortem as a Markdown file, an HTML page or JSON, served as a download that runs nothing."""
    text = export_document(db, incident_id=incident_id, fmt=format, template_dir=settings.template_dir, actor=user)
    filename = f"INC-{parse_incident_id(incident_id)}.{format}"  # the canonical id: the path is not put in a header
    return Response(
        text,
        media_type=MEDIA_TYPES[format],
        headers=export_headers(filename),
    )


def export_headers(filename: str) -> dict[str, str]:
    """The headers of an exported file: a download, not sniffed, not cached, and allowed to run and load nothing."""
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Security-Policy": EXPORT_CSP,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
