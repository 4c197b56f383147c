"""Health checks for load balancers: liveness without the database, readiness with it."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from afteraction.core.db import Database
from afteraction.core.errors import DatabaseUnavailable
from afteraction.web.deps import public

router = APIRouter(tags=["health"])
log = logging.getLogger("afteraction.web")


class Health(BaseModel):
    """The state of this app process (and of its database, for readiness)."""

    status: str


@router.get("/healthz", response_model=Health, dependencies=[public])
async def healthz() -> Health:
    """The process answers; no database round trip."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    dependencies=[public],
    responses={503: {"model": Health, "description": "Not ready: the database is unreachable or not initialised."}},
)
async def readyz(request: Request) -> Health | JSONResponse:
    """`ready` when the database answers and has been initialised; else 503 `not ready`. Nothing more: why is
    written to the server log, not told to whoever asks (the reason names the database)."""
    db: Database = request.app.state.db
    try:
        await run_in_threadpool(db.check)
    except DatabaseUnavailable as exc:
        log.warning("not ready: %s", exc.message)
        return JSONResponse({"status": "not ready"}, status_code=503)
    return Health(status="ready")
