"""Health checks for load balancers: liveness without the database, readiness with it."""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from afteraction.core.db import Database
from afteraction.core.errors import DatabaseUnavailable
from afteraction.web.deps import public

router = APIRouter(tags=["health"])
log = logging.getLogger("afteraction.web")

READY_WAIT = 2.0  # seconds /readyz waits for the database before it answers "not ready"


# The checks run in threads of their own, few: a check of a database that does not answer is given up on, not
# stopped, and its thread stays blocked until the database's own deadlines end it. Those threads must not be the
# ones every other request needs; while they are all busy further checks wait for one and time out as not ready.
@functools.cache
def _checkers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz")


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
    """`ready` when the database answers within READY_WAIT seconds and has been initialised; else 503 `not ready`.
    Nothing more: why is written to the server log, not told to whoever asks (the reason names the database)."""
    db: Database = request.app.state.db
    check = asyncio.get_running_loop().run_in_executor(_checkers(), db.check)
    try:
        await asyncio.wait_for(asyncio.shield(check), READY_WAIT)
    except DatabaseUnavailable as exc:
        log.warning("not ready: %s", exc.message)
        return JSONResponse({"status": "not ready"}, status_code=503)
    except TimeoutError:
        check.add_done_callback(_forget)  # it ends when the database's deadlines end it; nobody waits for it
        log.warning("not ready: the database did not answer within %g s", READY_WAIT)
        return JSONResponse({"status": "not ready"}, status_code=503)
    return Health(status="ready")


def _forget(check: asyncio.Future[None]) -> None:
    """Collect the outcome of a check given up on (so that its error is not reported as never retrieved)."""
    if not check.cancelled():
        check.exception()


async def keep_up(db: Database) -> None:
    """Run the read side's upkeep (search index catch-up, planner statistics) now and every UPKEEP_EVERY seconds
    for the life of the server, in a worker thread: so that a GET seldom finds any due. It never waits for a
    writer (see upkeep), and a failure is logged, not fatal."""
    from afteraction.core.db import utcnow
    from afteraction.insights.service import UPKEEP_EVERY, upkeep

    since: datetime | None = None  # the first pass looks at every row; later ones at rows changed since the last
    while True:
        # Overlapping passes: a write stamped before this pass began but committed after it read is seen next time.
        started = utcnow() - timedelta(seconds=UPKEEP_EVERY)
        try:
            if await asyncio.to_thread(upkeep, db, stale=True, changed_since=since):
                since = started
        except Exception:  # a database that is down or odd: try again later
            log.warning("the read side's upkeep failed; it is tried again in %g s", UPKEEP_EVERY, exc_info=True)
        await asyncio.sleep(UPKEEP_EVERY)
