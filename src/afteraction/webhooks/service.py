"""Apply a webhook delivery: find the incident it belongs to, add its events once, remember the delivery."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput
from afteraction.core.visibility import visible_clause
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.incidents.service import parse_incident_id
from afteraction.timeline.service import insert_events
from afteraction.webhooks.models import WebhookDelivery
from afteraction.webhooks.payloads import Delivery

OPEN_STATUSES: tuple[str, ...] = ("open", "mitigated")
EXTERNAL = "external"  # label kind of the sender ids an incident has received events for


@dataclass
class DeliveryResult:
    """What a delivery did: the incident it went to (None when none matched), events read and added."""

    receiver: str
    incident_id: str | None
    read: int = 0
    added: int = 0
    duplicate: bool = False


def _match(session: Session, delivery: Delivery, actor: Actor) -> Incident | None:
    """The incident a delivery names, else the one that already received its sender id, else an open one on its
    service (of the incidents the actor may see)."""
    visible = visible_clause(actor, Incident.id, Incident.private)
    if delivery.incident_ref:
        try:
            number = parse_incident_id(delivery.incident_ref)
        except InvalidInput:
            number = None
        if number is not None:
            found = session.scalar(select(Incident).where(Incident.number == number, visible))
            if found is not None:
                return found
    if delivery.external_key:
        found = session.scalar(
            select(Incident)
            .join(IncidentLabel, IncidentLabel.incident_id == Incident.id)
            .where(IncidentLabel.kind == EXTERNAL, IncidentLabel.value == delivery.external_key, visible)
            .order_by(Incident.number.desc())
            .limit(1)
        )
        if found is not None:
            return found
    if delivery.service:
        return session.scalar(
            select(Incident)
            .join(IncidentLabel, IncidentLabel.incident_id == Incident.id)
            .where(
                IncidentLabel.kind == "service",
                IncidentLabel.value == delivery.service,
                Incident.status.in_(OPEN_STATUSES),
                visible,
            )
            .order_by(Incident.number.desc())
            .limit(1)
        )
    return None


def _remember_key(session: Session, incident: Incident, key: str) -> None:
    """Record the sender's id on the incident, so its later events (a resolution after close) find it."""
    exists = session.scalar(
        select(IncidentLabel.id).where(
            IncidentLabel.incident_id == incident.id, IncidentLabel.kind == EXTERNAL, IncidentLabel.value == key
        )
    )
    if exists is None:
        with session.begin_nested():
            session.add(IncidentLabel(incident_id=incident.id, kind=EXTERNAL, value=key[:200], position=0))


def apply_delivery(db: Database, *, receiver: str, body: bytes, delivery: Delivery, actor: Actor) -> DeliveryResult:
    """Add a delivery's events to its incident in one transaction; the same body delivered again adds nothing.

    The webhook routes act as the system actor (a delivery may belong to any incident); any other actor's deliveries
    go only to incidents it may see.
    """
    digest = hashlib.sha256(body).hexdigest()
    try:
        with db.transaction() as session:
            seen = session.execute(
                select(WebhookDelivery.id, Incident.number)
                .outerjoin(
                    Incident,
                    and_(
                        WebhookDelivery.incident_id == Incident.id, visible_clause(actor, Incident.id, Incident.private)
                    ),
                )
                .where(WebhookDelivery.receiver == receiver, WebhookDelivery.digest == digest)
            ).first()
            if seen is not None:
                return DeliveryResult(receiver, f"INC-{seen[1]}" if seen[1] else None, duplicate=True)
            incident = _match(session, delivery, actor) if delivery.events else None
            if incident is None:
                # Not recorded: once an incident exists, a redelivery of the same alert should find it.
                return DeliveryResult(receiver, None, read=len(delivery.events))
            # Recorded first: a second process applying the same body waits on this row's unique key, then fails.
            record = WebhookDelivery(receiver=receiver, digest=digest, incident_id=incident.id, added=0)
            session.add(record)
            session.flush()
            read, added = insert_events(session, incident.id, delivery.events, None)
            record.added = added
            if delivery.external_key:
                _remember_key(session, incident, delivery.external_key)
            return DeliveryResult(receiver, incident.key, read=read, added=added)
    except IntegrityError:
        return DeliveryResult(receiver, None, duplicate=True)
