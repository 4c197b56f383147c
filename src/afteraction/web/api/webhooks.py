"""Live webhooks: Alertmanager, Grafana, Opsgenie and PagerDuty (v3) add events to the incident they belong to."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from afteraction.core.actor import Actor
from afteraction.core.config import Settings
from afteraction.core.db import Database
from afteraction.core.errors import NotAuthenticated
from afteraction.web.deps import AppSettings, Db, secret
from afteraction.webhooks import payloads
from afteraction.webhooks.service import apply_delivery

router = APIRouter(tags=["webhooks"], dependencies=[secret])

IncidentHint = Annotated[
    str | None, Query(alias="incident", max_length=40, description="The incident to add to, e.g. INC-12.")
]
TokenQuery = Annotated[
    str | None, Query(alias="token", max_length=500, description="The shared secret, for senders without headers.")
]


class WebhookResult(BaseModel):
    """What a delivery did: the incident it went to (null when none matched), events read and added."""

    receiver: str
    incident_id: str | None
    matched: bool
    read: int
    added: int
    duplicate: bool


def _given_secret(request: Request, token: str | None) -> str | None:
    """The shared secret a sender gave: a header, bearer or basic-auth password, or `?token=`."""
    header = request.headers.get("x-afteraction-token")
    if header:
        return header
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return token


def _apply(db: Database, receiver: str, body: bytes, incident: str | None, max_depth: int) -> WebhookResult:
    delivery = payloads.parse(receiver, body, max_depth=max_depth)
    if incident:
        delivery.incident_ref = incident
    result = apply_delivery(db, receiver=receiver, body=body, delivery=delivery, actor=Actor.system("webhook"))
    return WebhookResult(
        receiver=receiver,
        incident_id=result.incident_id,
        matched=result.incident_id is not None or result.duplicate,
        read=result.read,
        added=result.added,
        duplicate=result.duplicate,
    )


async def _deliver(
    receiver: str, body: bytes, response: Response, db: Database, incident: str | None, settings: Settings
) -> WebhookResult:
    """Apply an authenticated delivery; 202 when no incident matched it."""
    result = await run_in_threadpool(_apply, db, receiver, body, incident, settings.json_max_depth)
    if not result.matched:
        response.status_code = status.HTTP_202_ACCEPTED
    return result


async def _shared(
    receiver: str, request: Request, response: Response, db: Database, settings: Settings, token: str | None,
    incident: str | None,
) -> WebhookResult:  # fmt: skip
    if settings.webhook_secret is None:
        raise NotAuthenticated(f"the {receiver} webhook is off: set AFTERACTION_WEBHOOK_SECRET on the server")
    if not payloads.shared_secret_ok(_given_secret(request, token), settings.webhook_secret.get_secret_value()):
        raise NotAuthenticated(f"the {receiver} webhook needs the shared secret (header, basic auth or ?token=)")
    return await _deliver(receiver, await request.body(), response, db, incident, settings)


_RESPONSES: dict[int | str, dict[str, object]] = {202: {"description": "Accepted, but no incident matched."}}


@router.post("/webhooks/alertmanager", response_model=WebhookResult, responses=_RESPONSES)
async def alertmanager(
    request: Request, response: Response, db: Db, settings: AppSettings, token: TokenQuery = None,
    incident: IncidentHint = None,
) -> WebhookResult:  # fmt: skip
    """A Prometheus Alertmanager webhook (version 4): firing and resolved alerts."""
    return await _shared("alertmanager", request, response, db, settings, token, incident)


@router.post("/webhooks/grafana", response_model=WebhookResult, responses=_RESPONSES)
async def grafana(
    request: Request, response: Response, db: Db, settings: AppSettings, token: TokenQuery = None,
    incident: IncidentHint = None,
) -> WebhookResult:  # fmt: skip
    """A Grafana alerting webhook contact point: firing and resolved alerts with values and panel links."""
    return await _shared("grafana", request, response, db, settings, token, incident)


@router.post("/webhooks/opsgenie", response_model=WebhookResult, responses=_RESPONSES)
async def opsgenie(
    request: Request, response: Response, db: Db, settings: AppSettings, token: TokenQuery = None,
    incident: IncidentHint = None,
) -> WebhookResult:  # fmt: skip
    """An Opsgenie outgoing webhook: alert created, acknowledged, noted, closed, …"""
    return await _shared("opsgenie", request, response, db, settings, token, incident)


@router.post("/webhooks/pagerduty", response_model=WebhookResult, responses=_RESPONSES)
async def pagerduty(
    request: Request,
    response: Response,
    db: Db,
    settings: AppSettings,
    signature: Annotated[str | None, Header(alias="X-PagerDuty-Signature", max_length=2000)] = None,
    incident: IncidentHint = None,
) -> WebhookResult:
    """A PagerDuty v3 webhook subscription, checked by its `X-PagerDuty-Signature`."""
    secrets = settings.pagerduty_webhook_secret.get_secret_value() if settings.pagerduty_webhook_secret else None
    if secrets is None:
        raise NotAuthenticated("the pagerduty webhook is off: set AFTERACTION_PAGERDUTY_WEBHOOK_SECRET on the server")
    body = await request.body()
    if not payloads.pagerduty_signature_ok(body, signature, secrets):
        raise NotAuthenticated("the X-PagerDuty-Signature does not match the body")
    return await _deliver("pagerduty", body, response, db, incident, settings)
