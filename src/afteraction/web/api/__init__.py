"""The REST API under /api/v1: one router per resource, every one answering errors as problem+json."""

from __future__ import annotations

from fastapi import APIRouter

from afteraction.web.api import (
    accounts,
    actions,
    exports,
    incidents,
    insights,
    lint,
    postmortems,
    reviews,
    timeline,
    webhooks,
)
from afteraction.web.errors import problem_responses

__all__ = ["api_router"]

api_router = APIRouter(responses=problem_responses(401, 403, 404, 409, 413, 422))
for module in (incidents, timeline, postmortems, reviews, actions, lint, exports, accounts, webhooks, insights):
    api_router.include_router(module.router)
