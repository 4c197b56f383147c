"""The busiest read, GET /api/v1/incidents/{id}, answered before FastAPI's routing.

Measured on this app, FastAPI's routing, parameter handling and exception wrapping cost more per request than the
token check and the indexed read behind it (bench/bench_api.py). This middleware answers that one request with the
route's own function, `incident_response`, and only when it succeeds: any other request, and any failure (no token,
no such incident, a database error), goes on to the app, whose route does the same work and answers the failure as
a problem. So the OpenAPI document, the authorization and the errors stay those of the FastAPI route.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from afteraction.web.api.incidents import incident_response

_INCIDENT = re.compile(r"/api/v1/incidents/([A-Za-z0-9-]{1,40})")


class FastPath:
    """ASGI middleware: serves a successful GET /api/v1/incidents/{id} itself, hands everything else to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            match = _INCIDENT.fullmatch(scope["path"])
            if match is not None:
                try:
                    response = await incident_response(Request(scope, receive), match.group(1))
                except Exception:  # nothing is sent yet: the route answers it, as a problem
                    pass
                else:
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
