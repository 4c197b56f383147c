"""The REST API under /api/v1: one router per resource, every one answering errors as problem+json."""

from __future__ import annotations

from fastapi import APIRouter

from afteraction.web.api import (
    accounts,
    actions,
    comments,
    exports,
    incidents,
    insights,
    lint,
    people,
    postmortems,
    reviews,
    timeline,
    webhooks,
)
from afteraction.web.errors import problem_responses

__all__ = ["API_RESPONSES", "api_routers"]

# Every API route may answer these problems (besides its own).
API_RESPONSES = problem_responses(401, 403, 404, 409, 413, 422, 503)
# Included one by one on the app, not through one /api/v1 router: each nesting level costs every request time in
# FastAPI's route matching.
api_routers: list[APIRouter] = [
    module.router
    for module in (
        incidents,
        timeline,
        postmortems,
        reviews,
        comments,
        actions,
        lint,
        exports,
        accounts,
        webhooks,
        insights,
        people,
    )
]
