"""Health checks for load balancers: liveness without the database, readiness with it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from afteraction.core.db import Database
from afteraction.web.deps import public

router = APIRouter(tags=["health"])


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
    responses={503: {"description": "The database cannot be reached or is not initialised."}},
)
async def readyz(request: Request) -> Health:
    """The database answers and has been initialised; 503 otherwise."""
    db: Database = request.app.state.db
    await run_in_threadpool(db.check)
    return Health(status="ready")
