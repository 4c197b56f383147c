"""The one visibility rule at the service layer: to a user who is not a member, a private incident does not exist.

One database holds a public incident (INC-1) and a private one (INC-2, "Payroll secret breach", service
payroll-secret-svc, team secret-team, an overdue item owned by Secret Owner, a post-mortem with factors and a
timeline). Every function of the areas and use cases that takes an actor is run here as a viewer who is not a member
of INC-2: its result, serialised whole, names none of INC-2's id, title, service, team or owner, and its counts are
those of INC-1 alone; a read or write of INC-2 itself is NotFound. The same calls as the member (and the system)
do see INC-2, so that each check can fail. A function taking an actor that no case covers fails the registry test.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import FunctionType
from typing import Any

import pytest
from argon2 import PasswordHasher
from pydantic import BaseModel
from sqlalchemy import func, select, update

from afteraction.accounts import service as accounts
from afteraction.actions import board
from afteraction.actions import service as actions
from afteraction.analysis.lint import LintConfig
from afteraction.core.actor import Actor
from afteraction.core.config import Settings
from afteraction.core.db import Database, utcnow
from afteraction.core.errors import AfteractionError, NotFound
from afteraction.documents.render import render_markdown
from afteraction.domain.actions import ActionChanges, ActionItemData
from afteraction.domain.incidents import IncidentChanges, NewIncident, TimelineEntry
from afteraction.domain.policy import Policy
from afteraction.domain.reviews import FactorData, LessonData, PostmortemDocument, SectionData, WhyNodeData
from afteraction.incidents import members
from afteraction.incidents import service as incidents
from afteraction.incidents.models import Incident
from afteraction.insights import dashboard as dashboards
from afteraction.insights import duplicates, filters, similar, sql, suggestions, taxonomy, themes
from afteraction.insights import service as insights
from afteraction.insights.schemas import InsightsFilter
from afteraction.meetings import service as meetings
from afteraction.reviews import comments, document, sections, workflow
from afteraction.reviews.models import Postmortem
from afteraction.timeline import highlights as timeline_highlights
from afteraction.timeline import imports as timeline_imports
from afteraction.timeline import paging
from afteraction.timeline import picture as timeline_picture
from afteraction.timeline import service as timeline
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.models import TimelineEvent
from afteraction.trackers import TrackerIssue, TrackerItem
from afteraction.usecases import actions as action_usecases
from afteraction.usecases import agenda, browse, demo, documents, editor, inbox, meeting, remind
from afteraction.usecases import incidents as incident_usecases
from afteraction.usecases import sync as sync_usecases
from afteraction.webhooks import service as webhooks
from afteraction.webhooks.payloads import Delivery

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
PRIVATE = "INC-2"
PUBLIC = "INC-1"
# What would tell a non-member that the private incident exists.
SECRETS = ("INC-2", "Payroll secret breach", "payroll-secret-svc", "secret-team", "Secret Owner")
# The packages whose functions taking an actor must all be covered here.
PACKAGES = ("incidents", "timeline", "actions", "reviews", "insights", "usecases", "webhooks", "meetings")


# ---------------------------------------------------------------- the world


@dataclass
class World:
    """The database, the two users, and what the cases need to name."""

    db: Database
    outsider: Actor  # a viewer, member of no incident
    member: Actor  # an editor, member of INC-2
    today: date
    now: datetime
    tmp: Path
    private_item: str  # INC-2's open, overdue action item (AI-n)
    private_event: int  # the row id of an event of INC-2's timeline

    def private_document(self) -> PostmortemDocument:
        """INC-2's document as the system reads it (to show that a refused write changed nothing)."""
        return document.load_document(self.db, incident_id=PRIVATE, actor=SYSTEM)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with the smallest costs: tests check behaviour, not hash strength."""
    monkeypatch.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _document(
    number: int, *, title: str, private: bool, service: str, team: str, owner: str, started: datetime, today: date
) -> PostmortemDocument:
    prefix = title.split()[0]
    return PostmortemDocument(
        id=f"INC-{number}",
        title=title,
        severity="SEV1",
        status="in-review",
        incident_status="resolved",
        private=private,
        services=[service, "checkout"] if private else [service],
        teams=[team],
        categories=["config-change"],
        authors=[f"{owner} Author" if private else "Carol"],
        reviewers=[f"{owner} Reviewer" if private else "Dave"],
        external_ref="PAYROLL-SECRET-REF" if private else None,
        started_at=started,
        detected_at=started + timedelta(minutes=5),
        acknowledged_at=started + timedelta(minutes=10),
        mitigated_at=started + timedelta(minutes=30),
        resolved_at=started + timedelta(minutes=60),
        summary=f"{prefix} connection pool exhausted after a config change to the pool size.",
        impact=f"{prefix} requests failed.",
        factors=[FactorData(text=f"{prefix} pool size lowered in a config change", category="config-change")],
        whys=[WhyNodeData(text=f"{prefix} pool was too small", root_cause=True)],
        lessons=[LessonData(kind="went-well", text=f"{prefix} rollback was quick")],
        timeline=[
            TimelineEntry(at=started + timedelta(minutes=5), kind="alert", text=f"{prefix} alert fired", actor="Pager"),
            TimelineEntry(at=started + timedelta(minutes=50), kind="resolve", text=f"{prefix} recovered"),
        ],
        actions=[
            ActionItemData(
                title=f"{prefix} pool config validation",
                type="prevent",
                owner=owner,
                due=today - timedelta(days=5),
                status="open",
                addresses="F1",
            ),
            ActionItemData(title=f"{prefix} runbook", type="learn", owner=owner, due=today, status="done"),
        ],
    )


def _user(db: Database, name: str, role: str) -> Actor:
    accounts.create_user(db, name=name, email=f"{name}@example.org", role=role, password="correct horse")
    actor = accounts.authenticate_password(db, name=name, password="correct horse")
    assert actor is not None
    return actor


@pytest.fixture
def world(db: Database, tmp_path: Path) -> World:
    """INC-1 public (started 20 days ago), INC-2 private (40 days ago, so INC-1 recurs it); a member and an outsider."""
    now = utcnow()
    today = now.date()
    for number, title, private, service, team, owner, days in (
        (1, "Checkout latency after deploy", False, "checkout", "payments", "Alice", 20),
        (2, "Payroll secret breach", True, "payroll-secret-svc", "secret-team", "Secret Owner", 40),
    ):
        doc = _document(
            number,
            title=title,
            private=private,
            service=service,
            team=team,
            owner=owner,
            started=now - timedelta(days=days),
            today=today,
        )
        documents.store_document(db, doc=doc, severities=SEVERITIES, actor=SYSTEM)
    member = _user(db, "member", "editor")
    outsider = _user(db, "outsider", "viewer")
    members.add_member(db, incident_id=PRIVATE, user="member", actor=SYSTEM)
    items = actions.list_actions(db, incident_id=PRIVATE, open_only=True, actor=SYSTEM)
    events = timeline.list_events(db, incident_id=PRIVATE, actor=SYSTEM)
    assert len(items) == 1 and events and events[0].id is not None
    return World(
        db=db,
        outsider=outsider,
        member=member,
        today=today,
        now=now,
        tmp=tmp_path,
        private_item=items[0].id,
        private_event=events[0].id,
    )


# ---------------------------------------------------------------- checks


def plain(value: Any) -> Any:
    """A value as JSON-able data, every field included (also those a model leaves out of its own JSON)."""
    if isinstance(value, BaseModel):
        return {name: plain(field) for name, field in vars(value).items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    return value


def dump(value: Any) -> str:
    """The whole result as JSON text."""
    return json.dumps(plain(value), default=str)


def hidden(value: Any) -> None:
    """The result names nothing of the private incident."""
    text = dump(value)
    found = [secret for secret in SECRETS if secret in text]
    assert not found, f"the private incident leaks ({', '.join(found)}): {text[:2000]}"


def shown(value: Any, *needles: str) -> None:
    """The result names the private incident (its id unless other needles are given)."""
    text = dump(value)
    for needle in needles or (PRIVATE,):
        assert needle in text, f"{needle!r} is missing from {text[:2000]}"


def not_found(call: Callable[[], Any]) -> None:
    """The call is NotFound, in one line."""
    with pytest.raises(NotFound) as raised:
        call()
    assert "\n" not in raised.value.message


def reaches(call: Callable[[], Any]) -> None:
    """The call gets to the incident: it succeeds, or fails for a reason other than NotFound."""
    try:
        call()
    except NotFound:
        raise
    except AfteractionError:
        pass


def refused_write(world: World, call: Callable[[Actor], Any]) -> None:
    """A write of the private incident: NotFound for the outsider and nothing changed; the member gets through."""
    before = dump(world.private_document())
    not_found(lambda: call(world.outsider))
    assert dump(world.private_document()) == before
    reaches(lambda: call(world.member))


# ---------------------------------------------------------------- the registry

Case = Callable[[World], None]
CASES: dict[str, Case] = {}
COVERED: dict[str, set[str]] = {}  # module.function -> the cases that run it


def covers(*functions: Callable[..., Any]) -> Callable[[Case], Case]:
    """Register a case as covering these functions."""

    def register(case: Case) -> Case:
        assert case.__name__ not in CASES, case.__name__
        CASES[case.__name__] = case
        for function in functions:
            COVERED.setdefault(f"{function.__module__}.{function.__name__}", set()).add(case.__name__)
        return case

    return register


def functions_taking_an_actor() -> Iterator[str]:
    """Every public function of the areas and use cases that takes an `actor`."""
    for package in PACKAGES:
        module = importlib.import_module(f"afteraction.{package}")
        names = [module.__name__, *(m.name for m in pkgutil.walk_packages(module.__path__, f"{module.__name__}."))]
        for name in names:
            loaded = importlib.import_module(name)
            for attr, value in vars(loaded).items():
                if (
                    isinstance(value, FunctionType)
                    and value.__module__ == name
                    and not attr.startswith("_")
                    and "actor" in inspect.signature(value).parameters
                ):
                    yield f"{name}.{attr}"


# ---------------------------------------------------------------- incidents


@covers(incidents.load_incident)
def case_load_incident(world: World) -> None:
    with world.db.transaction() as session:
        not_found(lambda: incidents.load_incident(session, PRIVATE, world.outsider))
        assert incidents.load_incident(session, PRIVATE, world.member).title == "Payroll secret breach"


@covers(incidents.incidents_query)
def case_incidents_query(world: World) -> None:
    with world.db.transaction() as session:
        for actor, expected in (
            (world.outsider, [PUBLIC]),
            (world.member, [PUBLIC, PRIVATE]),
            (SYSTEM, [PUBLIC, PRIVATE]),
        ):
            rows = session.scalars(incidents.incidents_query(actor=actor).order_by(Incident.number)).all()
            assert [row.key for row in rows] == expected
        query = incidents.incidents_query(service="payroll-secret-svc", actor=world.outsider)
        assert session.scalars(query).all() == []


@covers(sql.scope_conditions)
def case_scope_conditions(world: World) -> None:
    def count(actor: Actor, **scope: Any) -> int:
        conditions = sql.scope_conditions(actor=actor, since=None, until=None, team=None, service=None, **scope)
        with world.db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(Incident).where(*conditions)) or 0)

    assert count(world.outsider) == 1
    assert count(world.member) == count(SYSTEM) == 2


@covers(incidents.insert_incident)
def case_insert_incident(world: World) -> None:
    with world.db.transaction() as session:
        row = incidents.insert_incident(
            session, actor=world.outsider, new=NewIncident(title="Mine", severity="SEV3"), allowed_severities=SEVERITIES
        )
        hidden(incidents.summarise(row))


@covers(incidents.change_incident)
def case_change_incident(world: World) -> None:
    def change(actor: Actor) -> Any:
        with world.db.transaction() as session:
            return incidents.change_incident(
                session,
                actor=actor,
                incident_id=PRIVATE,
                changes=IncidentChanges(title="Renamed"),
                allowed_severities=SEVERITIES,
            )

    refused_write(world, change)


@covers(incidents.delete_incident)
def case_delete_incident(world: World) -> None:
    refused_write(world, lambda actor: incidents.delete_incident(world.db, incident_id=PRIVATE, actor=actor))


@covers(members.list_members)
def case_list_members(world: World) -> None:
    not_found(lambda: members.list_members(world.db, incident_id=PRIVATE, actor=world.outsider))
    assert "member" in [user.name for user in members.list_members(world.db, incident_id=PRIVATE, actor=world.member)]


@covers(members.add_member, members.remove_member)
def case_add_and_remove_member(world: World) -> None:
    not_found(lambda: members.add_member(world.db, incident_id=PRIVATE, user="outsider", actor=world.outsider))
    members.add_member(world.db, incident_id=PRIVATE, user="outsider", actor=world.member)
    # A member now, the outsider sees it; taken off again, no longer.
    assert PRIVATE in dump(incident_usecases.list_incidents(world.db, actor=world.outsider))
    members.remove_member(world.db, incident_id=PRIVATE, user="outsider", actor=world.member)
    hidden(incident_usecases.list_incidents(world.db, actor=world.outsider))
    refused_write(world, lambda actor: members.remove_member(world.db, incident_id=PRIVATE, user="member", actor=actor))


@covers(incident_usecases.create_incident)
def case_create_incident(world: World) -> None:
    created = incident_usecases.create_incident(
        world.db, actor=world.outsider, new=NewIncident(title="Mine", severity="SEV3"), allowed_severities=SEVERITIES
    )
    hidden(created)
    assert PRIVATE not in dump(incident_usecases.list_incidents(world.db, actor=world.outsider))


@covers(incident_usecases.get_incident)
def case_get_incident(world: World) -> None:
    not_found(lambda: incident_usecases.get_incident(world.db, incident_id=PRIVATE, actor=world.outsider))
    shown(incident_usecases.get_incident(world.db, incident_id=PRIVATE, actor=world.member), *SECRETS[:4])


@covers(incident_usecases.list_incidents)
def case_list_incidents(world: World) -> None:
    found = incident_usecases.list_incidents(world.db, actor=world.outsider)
    hidden(found)
    assert [i.id for i in found] == [PUBLIC]
    assert incident_usecases.list_incidents(world.db, service="payroll-secret-svc", actor=world.outsider) == []
    shown(incident_usecases.list_incidents(world.db, actor=world.member), *SECRETS[:4])


@covers(incident_usecases.page_incidents)
def case_page_incidents(world: World) -> None:
    found, cursor = incident_usecases.page_incidents(world.db, limit=1, actor=world.outsider)
    hidden(found)
    assert [i.id for i in found] == [PUBLIC] and cursor is None
    assert incident_usecases.page_incidents(world.db, service="payroll-secret-svc", actor=world.outsider) == ([], None)
    first, cursor = incident_usecases.page_incidents(world.db, limit=1, actor=world.member)
    shown(first, *SECRETS[:4])
    assert cursor is not None
    rest, _ = incident_usecases.page_incidents(world.db, cursor=cursor, actor=world.outsider)  # a member's cursor
    assert [i.id for i in rest] == [PUBLIC]


@covers(incident_usecases.update_incident)
def case_update_incident(world: World) -> None:
    refused_write(
        world,
        lambda actor: incident_usecases.update_incident(
            world.db,
            actor=actor,
            incident_id=PRIVATE,
            changes=IncidentChanges(status="closed"),
            allowed_severities=SEVERITIES,
        ),
    )


@covers(incident_usecases.directory)
def case_directory(world: World) -> None:
    names = [person.name for person in incident_usecases.directory(world.db, actor=world.outsider)]
    assert "Alice" in names and not [name for name in names if name.startswith("Secret")]
    assert "Secret Owner" in [p.name for p in incident_usecases.directory(world.db, actor=world.member)]


@covers(sql.hidden_incidents)
def case_hidden_incidents(world: World) -> None:
    with world.db.transaction() as session:
        assert sql.hidden_incidents(session, world.outsider) == [2]  # INC-2: the private one
        assert sql.hidden_incidents(session, world.member) == [] and sql.hidden_incidents(session, SYSTEM) == []


@covers(filters.filter_conditions)
def case_filter_conditions(world: World) -> None:
    def keys(actor: Actor, **scope: Any) -> list[str]:
        with world.db.transaction() as session:
            tax = taxonomy.load_taxonomy(session)
            checked = filters.check_filter(InsightsFilter(**scope), severities=SEVERITIES, taxonomy=tax)
            where = filters.filter_conditions(session, checked, actor=actor, taxonomy=tax)
            return [f"INC-{n}" for n in session.scalars(select(Incident.number).where(*where))]

    assert PRIVATE not in keys(world.outsider) and keys(world.outsider, team="secret-team") == []
    assert keys(world.outsider, category="config-change") == [PUBLIC]
    assert PRIVATE in keys(world.member, team="secret-team")


@covers(incident_usecases.person_names)
def case_person_names(world: World) -> None:
    names = incident_usecases.person_names(world.db, actor=world.outsider)
    assert "Alice" in names and "Carol" in names
    assert not [name for name in names if name.startswith("Secret")]
    assert {"Secret Owner", "Secret Owner Author", "Secret Owner Reviewer"} <= set(
        incident_usecases.person_names(world.db, actor=world.member)
    )


# ---------------------------------------------------------------- browsing


@covers(browse.browse_incidents)
def case_browse_incidents(world: World) -> None:
    outsider = world.outsider
    found = browse.browse_incidents(world.db, actor=outsider)
    hidden(found)
    assert [i.id for i in found] == [PUBLIC]
    for search in ("Payroll", PRIVATE, "2", "payroll-secret-svc"):
        assert browse.browse_incidents(world.db, text=search, actor=outsider) == []
    assert [i.id for i in browse.browse_incidents(world.db, overdue=True, actor=outsider)] == [PUBLIC]
    assert [i.id for i in browse.browse_incidents(world.db, postmortem_status="in-review", actor=outsider)] == [PUBLIC]
    assert browse.browse_incidents(world.db, service="payroll-secret-svc", actor=outsider) == []
    assert [i.id for i in browse.browse_incidents(world.db, text="Payroll", actor=world.member)] == [PRIVATE]


@covers(browse.known_labels)
def case_known_labels(world: World) -> None:
    assert browse.known_labels(world.db, kind="service", actor=world.outsider) == ["checkout"]
    assert "payroll-secret-svc" in browse.known_labels(world.db, kind="service", actor=world.member)


@covers(browse.incident_overview)
def case_incident_overview(world: World) -> None:
    not_found(lambda: browse.incident_overview(world.db, incident_id=PRIVATE, actor=world.outsider))
    hidden(browse.incident_overview(world.db, incident_id=PUBLIC, actor=world.outsider))
    shown(browse.incident_overview(world.db, incident_id=PRIVATE, actor=world.member), "Payroll alert fired")


# ---------------------------------------------------------------- timeline


@covers(timeline.list_events)
def case_list_events(world: World) -> None:
    not_found(lambda: timeline.list_events(world.db, incident_id=PRIVATE, actor=world.outsider))
    shown(timeline.list_events(world.db, incident_id=PRIVATE, actor=world.member), "Payroll alert fired")


@covers(paging.page_events, paging.timeline_page, paging.count_events, paging.event_sources)
def case_timeline_pages(world: World) -> None:
    for read in (paging.page_events, paging.timeline_page, paging.count_events, paging.event_sources):
        not_found(lambda read=read: read(world.db, incident_id=PRIVATE, actor=world.outsider))
        hidden(read(world.db, incident_id=PUBLIC, actor=world.outsider))
    shown(paging.page_events(world.db, incident_id=PRIVATE, actor=world.member), "Payroll alert fired")
    shown(paging.timeline_page(world.db, incident_id=PRIVATE, actor=world.member), "Payroll alert fired")
    assert paging.count_events(world.db, incident_id=PRIVATE, actor=world.member) == 2
    assert paging.event_sources(world.db, incident_id=PRIVATE, actor=world.member) == ["manual"]


@covers(timeline_picture.picture_data)
def case_timeline_picture(world: World) -> None:
    not_found(lambda: timeline_picture.picture_data(world.db, incident_id=PRIVATE, actor=world.outsider))
    hidden(timeline_picture.picture_data(world.db, incident_id=PUBLIC, actor=world.outsider))
    shown(timeline_picture.picture_data(world.db, incident_id=PRIVATE, actor=world.member), "Payroll alert fired")


@covers(paging.page_import_events)
def case_page_import_events(world: World) -> None:
    alert = {"status": "firing", "labels": {"alertname": "PayrollProbe"}, "annotations": {"summary": "Payroll probe"},
             "startsAt": "2026-03-14T10:04:40Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "p"}  # fmt: skip
    path = world.tmp / "alerts.json"
    path.write_text(json.dumps({"version": "4", "status": "firing", "alerts": [alert]}))
    done = timeline.import_timeline(world.db, incident_id=PRIVATE, path=path, all_time=True, actor=SYSTEM)
    read = paging.page_import_events
    not_found(lambda: read(world.db, incident_id=PRIVATE, import_id=done.import_id, actor=world.outsider))
    not_found(lambda: read(world.db, incident_id=PUBLIC, import_id=done.import_id, actor=world.outsider))
    shown(read(world.db, incident_id=PRIVATE, import_id=done.import_id, actor=world.member), "Payroll probe")


@covers(timeline_imports.list_imports, timeline_imports.undo_import, timeline_imports.delete_events)
def case_timeline_imports(world: World) -> None:
    not_found(lambda: timeline_imports.list_imports(world.db, incident_id=PRIVATE, actor=world.outsider))
    hidden(timeline_imports.list_imports(world.db, incident_id=PUBLIC, actor=world.outsider))
    assert timeline_imports.list_imports(world.db, incident_id=PRIVATE, actor=world.member) == []
    not_found(lambda: timeline_imports.undo_import(world.db, incident_id=PRIVATE, import_id=1, actor=world.outsider))
    manual = timeline_imports.EventFilter(source="manual")
    refused_write(
        world,
        lambda actor: timeline_imports.delete_events(
            world.db, incident_id=PRIVATE, where=manual, dry_run=True, actor=actor
        ),
    )
    assert timeline_imports.delete_events(world.db, incident_id=PRIVATE, where=manual, dry_run=True, actor=SYSTEM) == 2


@covers(timeline.get_event)
def case_get_event(world: World) -> None:
    with world.db.transaction() as session:
        private_row = incidents.load_incident(session, PRIVATE, SYSTEM).id
        event_id = session.scalar(select(func.min(TimelineEvent.id)).where(TimelineEvent.incident_id == private_row))
    assert event_id is not None
    not_found(lambda: timeline.get_event(world.db, incident_id=PRIVATE, event_id=event_id, actor=world.outsider))
    not_found(lambda: timeline.get_event(world.db, incident_id=PUBLIC, event_id=event_id, actor=world.outsider))
    assert timeline.get_event(world.db, incident_id=PRIVATE, event_id=event_id, actor=world.member).id == event_id


@covers(timeline_highlights.set_highlights)
def case_set_highlights(world: World) -> None:
    with world.db.transaction() as session:
        private_row = incidents.load_incident(session, PRIVATE, SYSTEM).id
        ids = list(session.scalars(select(TimelineEvent.id).where(TimelineEvent.incident_id == private_row)))
    set_them = timeline_highlights.set_highlights
    # Named by event id alone, a hidden incident's events are as unknown as events that do not exist.
    not_found(lambda: set_them(world.db, event_ids=ids, on=False, actor=world.outsider))
    refused_write(world, lambda actor: set_them(world.db, event_ids=ids, on=False, incident_id=PRIVATE, actor=actor))


@covers(timeline.incident_metrics)
def case_incident_metrics(world: World) -> None:
    not_found(lambda: timeline.incident_metrics(world.db, incident_id=PRIVATE, actor=world.outsider))
    assert timeline.incident_metrics(world.db, incident_id=PRIVATE, actor=world.member).id == PRIVATE


@covers(timeline.add_event)
def case_add_event(world: World) -> None:
    refused_write(
        world,
        lambda actor: timeline.add_event(world.db, incident_id=PRIVATE, at=world.now, text="Probe", actor=actor),
    )


@covers(timeline.import_timeline)
def case_import_timeline(world: World) -> None:
    path = world.tmp / "log.csv"
    path.write_text("at,text\n2026-01-05T10:00:00Z,Probe\n", encoding="utf-8")
    refused_write(
        world, lambda actor: timeline.import_timeline(world.db, incident_id=PRIVATE, path=path, fmt="csv", actor=actor)
    )


@covers(timeline.mark_event, timeline.update_event, timeline.delete_event)
def case_change_events(world: World) -> None:
    event = world.private_event
    # Named by its incident, or by its id alone: either way the event of a private incident does not exist.
    for incident_id in (PRIVATE, None):
        refused_write(
            world,
            lambda actor, incident_id=incident_id: timeline.mark_event(
                world.db, event_id=event, moment="detected", incident_id=incident_id, actor=actor
            ),
        )
    refused_write(
        world,
        lambda actor: timeline.update_event(world.db, incident_id=PRIVATE, event_id=event, text="x", actor=actor),
    )
    refused_write(
        world, lambda actor: timeline.delete_event(world.db, incident_id=PRIVATE, event_id=event, actor=actor)
    )


# ---------------------------------------------------------------- action items


@covers(actions.get_action)
def case_get_action(world: World) -> None:
    not_found(lambda: actions.get_action(world.db, action_id=world.private_item, actor=world.outsider))
    shown(actions.get_action(world.db, action_id=world.private_item, actor=world.member), *SECRETS[::4])


@covers(actions.list_actions)
def case_list_actions(world: World) -> None:
    outsider = world.outsider
    found = actions.list_actions(world.db, actor=outsider)
    hidden(found)
    assert {item.incident_id for item in found} == {PUBLIC} and len(found) == 2
    assert [i.owner for i in actions.list_actions(world.db, overdue=True, today=world.today, actor=outsider)] == [
        "Alice"
    ]
    assert actions.list_actions(world.db, owner="Secret Owner", actor=outsider) == []
    not_found(lambda: actions.list_actions(world.db, incident_id=PRIVATE, actor=outsider))
    shown(actions.list_actions(world.db, overdue=True, actor=world.member), PRIVATE, "Secret Owner")


@covers(actions.page_actions)
def case_page_actions(world: World) -> None:
    outsider = world.outsider
    first, cursor = actions.page_actions(world.db, limit=1, actor=outsider)
    rest, end = actions.page_actions(world.db, limit=1, cursor=cursor, actor=outsider)
    hidden([first, rest])
    assert {item.incident_id for item in first + rest} == {PUBLIC} and len(first + rest) == 2 and end is None
    assert actions.page_actions(world.db, owner="Secret Owner", actor=outsider) == ([], None)
    not_found(lambda: actions.page_actions(world.db, incident_id=PRIVATE, actor=outsider))
    shown(actions.page_actions(world.db, overdue=True, actor=world.member), PRIVATE, "Secret Owner")


@covers(actions.add_action)
def case_add_action(world: World) -> None:
    refused_write(world, lambda actor: actions.add_action(world.db, incident_id=PRIVATE, title="Probe", actor=actor))


@covers(actions.change_action)
def case_change_action(world: World) -> None:
    def change(actor: Actor) -> Any:
        with world.db.transaction() as session:
            return actions.change_action(
                session, actor=actor, action_id=world.private_item, changes=ActionChanges(title="Renamed")
            )

    refused_write(world, change)


@covers(action_usecases.update_action)
def case_update_action(world: World) -> None:
    refused_write(
        world,
        lambda actor: action_usecases.update_action(
            world.db, actor=actor, action_id=world.private_item, changes=ActionChanges(status="done")
        ),
    )


@covers(action_usecases.add_action)
def case_add_action_usecase(world: World) -> None:
    refused_write(
        world, lambda actor: action_usecases.add_action(world.db, actor=actor, incident_id=PRIVATE, title="x")
    )


@covers(board.action_board)
def case_action_board(world: World) -> None:
    outsider = world.outsider
    found = board.action_board(world.db, today=world.today, actor=outsider)
    hidden(found)
    assert [(item.incident_id, item.owner, item.overdue) for item in found] == [(PUBLIC, "Alice", True)]
    assert board.action_board(world.db, owner="Secret Owner", actor=outsider) == []
    assert board.action_board(world.db, incident_id=PRIVATE, actor=outsider) == []
    assert [i.owner for i in board.action_board(world.db, overdue=True, today=world.today, actor=outsider)] == ["Alice"]
    shown(board.action_board(world.db, today=world.today, actor=world.member), PRIVATE, "Secret Owner")


@covers(board.board_owners)
def case_board_owners(world: World) -> None:
    assert board.board_owners(world.db, actor=world.outsider) == ["Alice"]
    assert board.board_owners(world.db, actor=world.member) == ["Alice", "Secret Owner"]


@covers(board.board_counts)
def case_board_counts(world: World) -> None:
    assert board.board_counts(world.db, today=world.today, actor=world.outsider) == (1, 1)
    assert board.board_counts(world.db, today=world.today, actor=world.member) == (2, 2)
    assert board.board_counts(world.db, today=world.today, actor=SYSTEM) == (2, 2)


@covers(editor.link_action)
def case_link_action(world: World) -> None:
    refused_write(
        world, lambda actor: editor.link_action(world.db, action_id=world.private_item, addresses="W1", actor=actor)
    )


# ---------------------------------------------------------------- post-mortems and reviews


@covers(document.load_document)
def case_load_document(world: World) -> None:
    not_found(lambda: document.load_document(world.db, incident_id=PRIVATE, actor=world.outsider))
    hidden(document.load_document(world.db, incident_id=PUBLIC, actor=world.outsider))
    shown(document.load_document(world.db, incident_id=PRIVATE, actor=world.member), *SECRETS)


@covers(documents.export_document)
def case_export_document(world: World) -> None:
    for fmt in ("md", "html", "json"):
        not_found(
            lambda fmt=fmt: documents.export_document(world.db, incident_id=PRIVATE, fmt=fmt, actor=world.outsider)
        )
    hidden(documents.export_document(world.db, incident_id=PUBLIC, fmt="md", actor=world.outsider))
    shown(documents.export_document(world.db, incident_id=PRIVATE, fmt="md", actor=world.member), *SECRETS)


@covers(
    sections.get_postmortem, sections.get_text_section, sections.get_whys, sections.get_factors, sections.get_lessons,
    sections.postmortem_and_document,
)  # fmt: skip
def case_read_sections(world: World) -> None:
    reads: list[Callable[[Actor], Any]] = [
        lambda actor: sections.get_postmortem(world.db, incident_id=PRIVATE, actor=actor),
        lambda actor: sections.postmortem_and_document(world.db, incident_id=PRIVATE, actor=actor)[1],
        lambda actor: sections.get_text_section(world.db, incident_id=PRIVATE, name="summary", actor=actor),
        lambda actor: sections.get_whys(world.db, incident_id=PRIVATE, actor=actor),
        lambda actor: sections.get_factors(world.db, incident_id=PRIVATE, actor=actor),
        lambda actor: sections.get_lessons(world.db, incident_id=PRIVATE, actor=actor),
    ]
    for read in reads:
        not_found(lambda read=read: read(world.outsider))
        shown(read(world.member), "Payroll")


@covers(sections.get_extra_sections, sections.replace_extra_sections)
def case_extra_sections(world: World) -> None:
    not_found(lambda: sections.get_extra_sections(world.db, incident_id=PRIVATE, actor=world.outsider))
    assert sections.get_extra_sections(world.db, incident_id=PRIVATE, actor=world.member).version >= 1
    refused_write(
        world,
        lambda actor: sections.replace_extra_sections(
            world.db, incident_id=PRIVATE, items=[SectionData(heading="Attendees", body="x")], actor=actor
        ),
    )


@covers(actions.move_action, actions.remove_action, editor.delete_action)
def case_move_and_delete_action(world: World) -> None:
    refused_write(world, lambda actor: actions.move_action(world.db, action_id=world.private_item, step=1, actor=actor))

    def remove(actor: Actor) -> Any:
        with world.db.transaction() as session:
            return actions.remove_action(session, actor=actor, action_id=world.private_item)

    before = dump(world.private_document())
    not_found(lambda: remove(world.outsider))
    assert dump(world.private_document()) == before
    refused_write(
        world,
        lambda actor: editor.delete_action(world.db, action_id=world.private_item, reason="a duplicate", actor=actor),
    )


@covers(sections.update_text_section, sections.replace_whys, sections.replace_factors, sections.replace_lessons)
def case_write_sections(world: World) -> None:
    db = world.db
    writes: list[Callable[[Actor], Any]] = [
        lambda actor: sections.update_text_section(db, incident_id=PRIVATE, name="summary", text="x", actor=actor),
        lambda actor: sections.replace_whys(db, incident_id=PRIVATE, nodes=[WhyNodeData(text="x")], actor=actor),
        lambda actor: sections.replace_factors(db, incident_id=PRIVATE, items=[FactorData(text="x")], actor=actor),
        lambda actor: sections.replace_lessons(
            db, incident_id=PRIVATE, items=[LessonData(kind="lucky", text="x")], actor=actor
        ),
    ]
    for write in writes:
        refused_write(world, write)


@covers(editor.set_authors)
def case_set_authors(world: World) -> None:
    refused_write(world, lambda actor: editor.set_authors(world.db, incident_id=PRIVATE, names=["x"], actor=actor))


@covers(editor.editor_view)
def case_editor_view(world: World) -> None:
    config = LintConfig()

    def view(actor: Actor, incident_id: str = PRIVATE) -> Any:
        return editor.editor_view(world.db, incident_id=incident_id, config=config, today=world.today, actor=actor)

    not_found(lambda: view(world.outsider))
    hidden(view(world.outsider, PUBLIC))
    shown(view(world.member), *SECRETS)


@covers(editor.review_page)
def case_review_page(world: World) -> None:
    not_found(lambda: editor.review_page(world.db, incident_id=PRIVATE, policy=Policy(), actor=world.outsider))
    hidden(editor.review_page(world.db, incident_id=PUBLIC, policy=Policy(), actor=world.outsider))
    shown(editor.review_page(world.db, incident_id=PRIVATE, policy=Policy(), actor=world.member), PRIVATE)


@covers(workflow.review_state)
def case_review_state(world: World) -> None:
    not_found(lambda: workflow.review_state(world.db, incident_id=PRIVATE, policy=Policy(), actor=world.outsider))
    hidden(workflow.review_state(world.db, incident_id=PUBLIC, policy=Policy(), actor=world.outsider))
    shown(workflow.review_state(world.db, incident_id=PRIVATE, policy=Policy(), actor=world.member), PRIVATE)


@covers(
    workflow.request_review,
    workflow.restart_review,
    workflow.approve_review,
    workflow.reject_review,
    workflow.publish_review,
)
def case_review_workflow(world: World) -> None:
    db, policy = world.db, Policy()
    steps: list[Callable[[Actor], Any]] = [
        lambda actor: workflow.request_review(db, incident_id=PRIVATE, actor=actor, policy=policy, reviewers=["x"]),
        lambda actor: workflow.restart_review(db, incident_id=PRIVATE, actor=actor),
        lambda actor: workflow.approve_review(db, incident_id=PRIVATE, actor=actor, policy=policy),
        lambda actor: workflow.reject_review(db, incident_id=PRIVATE, actor=actor, policy=policy, comment="no"),
        lambda actor: workflow.publish_review(db, incident_id=PRIVATE, actor=actor, policy=policy),
    ]
    for step in steps:
        not_found(lambda step=step: step(world.outsider))
        reaches(lambda step=step: step(world.member))


def _closed_with_open_items(world: World) -> None:
    """Mark INC-2's post-mortem closed although it has an open item: settling reopens it (published)."""
    with world.db.transaction() as session:
        incident_id = session.scalar(select(Incident.id).where(Incident.number == 2))
        session.execute(update(Postmortem).where(Postmortem.incident_id == incident_id).values(status="closed"))


def _private_status(world: World) -> str:
    return world.private_document().status


@covers(workflow.close_finished)
def case_close_finished(world: World) -> None:
    _closed_with_open_items(world)
    hidden(workflow.close_finished(world.db, actor=world.outsider))
    assert _private_status(world) == "closed"
    assert workflow.close_finished(world.db, actor=world.member) == [f"{PRIVATE} published"]


@covers(workflow.settle_closures)
def case_settle_closures(world: World) -> None:
    _closed_with_open_items(world)
    with world.db.transaction() as session:
        hidden(workflow.settle_closures(session, actor=world.outsider))
    assert _private_status(world) == "closed"
    with world.db.transaction() as session:
        assert workflow.settle_closures(session, actor=world.member) == [f"{PRIVATE} published"]


@covers(workflow.policy_check)
def case_policy_check(world: World) -> None:
    report = workflow.policy_check(world.db, actor=world.outsider, policy=Policy(), today=world.today)
    hidden(report)
    assert {finding.incident_id for finding in report.findings} == {PUBLIC}
    assert (report.count("late-postmortem"), report.count("overdue-action")) == (1, 1)
    member = workflow.policy_check(world.db, actor=world.member, policy=Policy(), today=world.today)
    shown(member, PRIVATE, "Secret Owner")
    assert (member.count("late-postmortem"), member.count("overdue-action")) == (2, 2)


# ---------------------------------------------------------------- importing documents


def _overwrite(number: int = 2, **fields: Any) -> PostmortemDocument:
    return PostmortemDocument(id=f"INC-{number}", title="Overwritten by an outsider", severity="SEV3", **fields)


@covers(documents.store_document)
def case_store_document(world: World) -> None:
    before = dump(world.private_document())
    for doc in (_overwrite(), _overwrite(number=7, external_ref="PAYROLL-SECRET-REF")):
        with pytest.raises(NotFound) as raised:
            documents.store_document(world.db, doc=doc, severities=SEVERITIES, actor=world.outsider)
        assert raised.value.message in ("no incident INC-2", "no incident PAYROLL-SECRET-REF")
    assert dump(world.private_document()) == before
    # A document of its own is imported; the member may update the private incident.
    hidden(documents.store_document(world.db, doc=_overwrite(9), severities=SEVERITIES, actor=world.outsider))
    result = documents.store_document(world.db, doc=_overwrite(), severities=SEVERITIES, actor=world.member)
    assert (result.incident_id, result.created) == (PRIVATE, False)


@covers(demo.load_demo)
def case_load_demo(world: World) -> None:
    loaded = demo.load_demo(world.db, actor=world.outsider, today=date(2026, 3, 20), severities=SEVERITIES)
    hidden(loaded)
    assert loaded.incident_id != PRIVATE and "connection-pool config change" in loaded.markdown


@covers(documents.save_document)
def case_save_document(world: World) -> None:
    def save(actor: Actor) -> Any:
        with world.db.transaction() as session:
            return documents.save_document(session, _overwrite(), severities=SEVERITIES, actor=actor)

    refused_write(world, save)


@covers(documents.import_files)
def case_import_files(world: World) -> None:
    path = world.tmp / "INC-2.md"
    path.write_text(render_markdown(_overwrite()), encoding="utf-8")
    mine = world.tmp / "INC-9.md"
    mine.write_text(render_markdown(_overwrite(9)), encoding="utf-8")
    # Each file imports on its own: the one naming the private incident is refused as if it did not exist (one
    # line, nothing of the incident in it) and writes nothing; the outsider's own file lands.
    before = dump(world.private_document())
    report = documents.import_files(world.db, paths=[mine, path], severities=SEVERITIES, actor=world.outsider)
    assert [failure.path for failure in report.failures] == [str(path)]
    assert "no incident" in report.failures[0].message and "Payroll" not in report.failures[0].message
    assert dump(world.private_document()) == before
    assert [result.incident_id for result in report.results] == ["INC-9"]
    member = documents.import_files(world.db, paths=[path], severities=SEVERITIES, actor=world.member)
    assert member.failures == [] and [result.incident_id for result in member.results] == [PRIVATE]


# ---------------------------------------------------------------- insights


@covers(insights.compute_insights)
def case_compute_insights(world: World) -> None:
    def report(actor: Actor, **scope: Any) -> Any:
        within = InsightsFilter(**scope)
        return insights.compute_insights(world.db, policy=Policy(), severities=SEVERITIES, actor=actor, within=within)

    seen = report(world.outsider)
    hidden(seen)
    assert seen.incidents.total == 1
    assert [(c.key, c.count) for c in seen.incidents.by_service] == [("checkout", 1)]
    assert [(c.key, c.count) for c in seen.incidents.by_team] == [("payments", 1)]
    assert [c.count for c in seen.incidents.by_severity] == [1]
    assert seen.postmortems.needed == 1
    assert (seen.actions.total, seen.actions.open, seen.actions.overdue) == (2, 1, 1)
    assert [o.key for o in seen.actions.by_owner] == ["Alice"]
    assert [o.key for o in seen.actions.by_team] == ["payments"]
    assert [(c.category, c.incidents) for c in seen.categories] == [("config-change", 1)]
    assert seen.durations["time_to_resolve"].overall.n == 1
    assert seen.recurrences == []
    assert report(world.outsider, service="payroll-secret-svc").incidents.total == 0
    assert report(world.outsider, team="secret-team").incidents.total == 0
    for actor in (world.member, SYSTEM):
        full = report(actor)
        shown(full, *SECRETS)
        assert full.incidents.total == 2
        assert full.durations["time_to_resolve"].overall.n == 2
        # The later public incident recurs the private one: a recurrence for those who may see both.
        assert [(r.incident_id, r.resembles) for r in full.recurrences] == [(PUBLIC, PRIVATE)]


@covers(insights.count_date_unknown)
def case_count_date_unknown(world: World) -> None:
    with world.db.transaction() as session:
        session.execute(update(Incident).values(happened_at=None))  # both imported without a date, say
    assert insights.count_date_unknown(world.db, actor=world.outsider) == 1
    for actor in (world.member, SYSTEM):
        assert insights.count_date_unknown(world.db, actor=actor) == 2


@covers(dashboards.dashboard)
def case_dashboard(world: World) -> None:
    seen = dashboards.dashboard(world.db, policy=Policy(), severities=SEVERITIES, now=world.now, actor=world.outsider)
    hidden(seen)
    assert sum(count.count for count in seen.incidents_by_month) == 1
    assert (seen.open_items, seen.overdue_items) == (1, 1)
    assert [item.incident_id for item in seen.overdue] == [PUBLIC]
    assert seen.postmortems_missing + seen.postmortems_late == 1
    assert [f.incident_id for f in seen.postmortems] == [PUBLIC]
    assert sum(spread.n for spread in seen.time_to_resolve) == 1
    full = dashboards.dashboard(world.db, policy=Policy(), severities=SEVERITIES, now=world.now, actor=world.member)
    shown(full, PRIVATE, "Secret Owner")
    assert sum(count.count for count in full.incidents_by_month) == 2
    assert (full.open_items, full.overdue_items) == (2, 2)


@covers(themes.compute_themes)
def case_compute_themes(world: World) -> None:
    # A theme needs two incidents: the two share one, which to the outsider is one incident's, so no theme.
    seen = themes.compute_themes(world.db, today=world.today, actor=world.outsider)
    hidden(seen)
    assert seen == []
    assert themes.compute_themes(world.db, service="payroll-secret-svc", actor=world.outsider) == []
    full = themes.compute_themes(world.db, today=world.today, actor=world.member)
    shown(full, PRIVATE, "payroll-secret-svc")
    assert [sorted(theme.incidents) for theme in full] == [[PUBLIC, PRIVATE]]


@covers(
    duplicates.linked_pairs,
    duplicates.shown_as,
    duplicates.list_duplicates,
    duplicates.link_duplicate,
    duplicates.unlink_duplicate,
)
def case_duplicates(world: World) -> None:
    stranger = _user(world.db, "stranger", "editor")  # may write, but is no member of INC-2
    not_found(lambda: duplicates.link_duplicate(world.db, incident_id=PUBLIC, of=PRIVATE, actor=stranger))
    not_found(lambda: duplicates.link_duplicate(world.db, incident_id=PRIVATE, of=PUBLIC, actor=stranger))
    shown(duplicates.link_duplicate(world.db, incident_id=PUBLIC, of=PRIVATE, actor=world.member))
    for actor in (world.outsider, stranger):
        hidden(duplicates.list_duplicates(world.db, actor=actor))
    not_found(lambda: duplicates.unlink_duplicate(world.db, incident_id=PUBLIC, actor=stranger))  # not theirs
    shown(duplicates.list_duplicates(world.db, actor=world.member))
    with world.db.transaction() as session:
        ids = list(session.scalars(select(Incident.id).order_by(Incident.number)))
        assert duplicates.linked_pairs(session, actor=world.outsider) == []
        assert duplicates.shown_as(session, actor=world.outsider, ids=ids) == {}
        assert duplicates.linked_pairs(session, actor=world.member) == [(ids[0], ids[1])]
        assert duplicates.shown_as(session, actor=world.member, ids=ids) == {ids[0]: ids[1]}
    assert duplicates.unlink_duplicate(world.db, incident_id=PUBLIC, actor=world.member) == 1


@covers(similar.similar_incidents)
def case_similar_incidents(world: World) -> None:
    for text in ("Payroll secret breach", "pool config change"):
        hidden(similar.similar_incidents(world.db, text=text, top=10, actor=world.outsider))
    hidden(similar.similar_incidents(world.db, incident_id=PUBLIC, top=10, actor=world.outsider))
    not_found(lambda: similar.similar_incidents(world.db, incident_id=PRIVATE, actor=world.outsider))
    shown(similar.similar_incidents(world.db, text="Payroll secret breach", actor=world.member), *SECRETS[:2])
    shown(similar.similar_incidents(world.db, incident_id=PUBLIC, actor=world.member), PRIVATE)


@covers(similar.find_recurrences)
def case_find_recurrences(world: World) -> None:
    found = similar.find_recurrences(world.db, incident_id=PUBLIC, top=5, min_share=0.0, actor=world.outsider)
    hidden(found)
    assert found == []
    not_found(lambda: similar.find_recurrences(world.db, incident_id=PRIVATE, actor=world.outsider))
    member = similar.find_recurrences(world.db, incident_id=PUBLIC, top=5, min_share=0.0, actor=world.member)
    assert [r.resembles for r in member] == [PRIVATE]


@covers(similar.similar_panel)
def case_similar_panel(world: World) -> None:
    outsider = similar.similar_panel(world.db, incident_id=PUBLIC, actor=world.outsider)
    hidden(outsider)
    assert outsider.incidents == []
    not_found(lambda: similar.similar_panel(world.db, incident_id=PRIVATE, actor=world.outsider))
    member = similar.similar_panel(world.db, incident_id=PUBLIC, actor=world.member)
    assert [p.id for p in member.incidents] == [PRIVATE]
    shown(member, PRIVATE, "Payroll secret breach")


@covers(suggestions.factor_suggestions, suggestions.decide_suggestion, suggestions.suggestion_counts)
def case_category_suggestions(world: World) -> None:
    factors = [FactorData(text="Payroll pool size lowered in a config change")]
    not_found(lambda: suggestions.factor_suggestions(world.db, incident_id=PRIVATE, factors=factors,
                                                     actor=world.outsider))  # fmt: skip
    assert suggestions.factor_suggestions(world.db, incident_id=PRIVATE, factors=factors, actor=world.member)
    version = sections.get_factors(world.db, incident_id=PRIVATE, actor=SYSTEM).version

    def answer(actor: Actor) -> str:
        return suggestions.decide_suggestion(
            world.db, incident_id=PRIVATE, index=0, factor_text="Payroll pool size lowered in a config change",
            category="security", accept=False, expected_version=version, actor=actor,
        )  # fmt: skip

    refused_write(world, answer)  # the member's answer is recorded: a rejection of `security` for INC-2's factor
    outsider = suggestions.suggestion_counts(world.db, actor=world.outsider)
    hidden(outsider)
    assert outsider.categories == [] and outsider.total.rejected == 0
    member = suggestions.suggestion_counts(world.db, actor=world.member)
    assert [(c.category, c.accepted, c.rejected) for c in member.categories] == [("security", 0, 1)]


@covers(similar.rank)
def case_rank(world: World) -> None:
    with world.db.transaction() as session:
        similar.ensure_index(session)
        private_id = session.scalar(select(Incident.id).where(Incident.number == 2))
        outsider = similar.rank(session, "payroll pool config change", actor=world.outsider, top=10)
        member = similar.rank(session, "payroll pool config change", actor=world.member, top=10)
    assert private_id not in {hit.incident_id for hit in outsider} and len(outsider) == 1
    assert private_id in {hit.incident_id for hit in member}


@covers(similar.reindex)
def case_reindex(world: World) -> None:
    assert similar.reindex(world.db, actor=world.outsider) == 1
    assert similar.reindex(world.db, actor=world.member) == similar.reindex(world.db, actor=SYSTEM) == 2


@covers(taxonomy.suggest_for)
def case_suggest_for(world: World) -> None:
    not_found(lambda: taxonomy.suggest_for(world.db, incident_id=PRIVATE, actor=world.outsider))
    hidden(taxonomy.suggest_for(world.db, text="Payroll pool config change", learn=True, actor=world.outsider))
    assert taxonomy.suggest_for(world.db, incident_id=PRIVATE, actor=world.member)


@covers(taxonomy.train_model)
def case_train_model(world: World) -> None:
    learned: list[int] = []

    def fit(samples: list[Any], targets: list[Any], seen: list[str]) -> None:
        learned.append(len(samples))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(taxonomy, "MIN_TRAINING", 1)
        patch.setattr(taxonomy, "fit_suggester", fit)
        with world.db.transaction() as session:
            similar.ensure_index(session)
            categories = taxonomy.load_taxonomy(session)
            for actor in (world.outsider, world.member):
                taxonomy.train_model(session, categories, actor=actor)
    # The outsider's model learns from the public incident only.
    assert learned == [1, 2]


# ---------------------------------------------------------------- the review meeting, reminders, trackers, webhooks


@covers(agenda.build_agenda)
def case_build_agenda(world: World) -> None:
    seen = agenda.build_agenda(world.db, today=world.today, actor=world.outsider)
    hidden(seen)
    hidden(agenda.render_agenda(seen))
    assert list(seen.open_by_owner) == ["Alice"]
    assert [item.incident_id for item in seen.completed] == [PUBLIC]
    assert [review.incident_id for review in seen.awaiting_review] == [PUBLIC]
    empty = agenda.build_agenda(world.db, team="secret-team", today=world.today, actor=world.outsider)
    assert (empty.open_by_owner, empty.completed, empty.awaiting_review) == ({}, [], [])
    full = agenda.build_agenda(world.db, today=world.today, actor=world.member)
    shown(agenda.render_agenda(full), PRIVATE, "Payroll secret breach", "Secret Owner")
    assert [review.incident_id for review in full.awaiting_review] == [PUBLIC, PRIVATE]


@covers(inbox.inbox)
def case_inbox(world: World) -> None:
    seen = inbox.inbox(world.db, person="Secret Owner", today=world.today, actor=world.outsider)
    hidden(seen.model_copy(update={"person": None}))  # the name was asked for; nothing of the incident shows
    assert (seen.person, seen.actions, seen.reviews, seen.postmortems_due) == ("Secret Owner", [], [], [])
    full = inbox.inbox(world.db, person="Secret Owner", today=world.today, actor=world.member)
    assert [item.id for item in full.actions] == [world.private_item]
    assert full.actions[0].overdue


@covers(
    meetings.start_meeting, meetings.get_meeting, meetings.list_meetings, meetings.previous_meeting,
    meetings.add_note, meetings.action_row, meetings.end_meeting, meeting.meeting_board, meeting.mark_discussed,
    meeting.change_item, meeting.record_decision, meeting.send_minutes,
)  # fmt: skip
def case_meeting(world: World) -> None:
    first = meetings.start_meeting(world.db, title="Last week", held_on=world.today - timedelta(days=7),
                                   attendees=["member"], actor=world.member)  # fmt: skip
    meeting.record_decision(world.db, meeting_id=first.id, text="Payroll keys rotate monthly", incident_id=PRIVATE,
                            actor=world.member)  # fmt: skip
    held = meetings.start_meeting(world.db, title="Review", held_on=world.today, attendees=["member"],
                                  actor=world.outsider)  # fmt: skip
    for call in (
        lambda actor: meeting.mark_discussed(world.db, meeting_id=held.id, target=world.private_item, actor=actor),
        lambda actor: meeting.mark_discussed(world.db, meeting_id=held.id, target=PRIVATE, actor=actor),
        lambda actor: meeting.change_item(
            world.db, meeting_id=held.id, action_id=world.private_item, due=world.today, actor=actor
        ),
        lambda actor: meeting.record_decision(world.db, meeting_id=held.id, text="x", incident_id=PRIVATE, actor=actor),
    ):
        refused_write(world, call)
    for reader in (world.outsider,):
        hidden(meetings.get_meeting(world.db, meeting_id=held.id, actor=reader))
        hidden(meetings.list_meetings(world.db, actor=reader))
        hidden(meetings.previous_meeting(world.db, meeting_id=held.id, actor=reader))
        board = meeting.meeting_board(world.db, meeting_id=held.id, today=world.today, actor=reader)
        hidden(board.meeting)
        hidden(board.previous)
        hidden(board.agenda)
    shown(meetings.get_meeting(world.db, meeting_id=held.id, actor=world.member), PRIVATE)
    with world.db.transaction() as session:
        not_found(lambda: meetings.action_row(session, world.private_item, world.outsider))
        meetings.add_note(session, meeting_id=held.id, kind="decision", text="Plain", actor=world.outsider)
    meeting.send_minutes(world.db, meeting_id=held.id, actor=world.outsider)
    meetings.end_meeting(world.db, meeting_id=first.id, actor=world.member)


@covers(remind.collect_digests)
def case_collect_digests(world: World) -> None:
    def digests(actor: Actor) -> Any:
        return remind.collect_digests(world.db, policy=Policy(), period="2026-W01", today=world.today, actor=actor)

    seen = digests(world.outsider)
    hidden(seen)
    assert [(d.owner, len(d.items)) for d in seen] == [("Alice", 1)]
    assert [d.owner for d in digests(world.member)] == ["Alice", "Secret Owner"]


@covers(remind.send_reminders)
def case_send_reminders(world: World) -> None:
    def send(actor: Actor) -> Any:
        return remind.send_reminders(
            world.db, settings=Settings(), policy=Policy(), channels=["slack"], dry_run=True, actor=actor
        )

    seen = send(world.outsider)
    hidden(seen)
    assert [(r.owner, r.items) for r in seen.results] == [("Alice", 1)]
    shown(send(world.member), "Secret Owner")


class _DryTracker:
    """A tracker a dry run never calls."""

    name = "jira"

    def create(self, item: TrackerItem) -> TrackerIssue:
        raise AssertionError("a dry run creates nothing")

    def find(self, item: TrackerItem) -> TrackerIssue | None:
        raise AssertionError("a dry run looks for nothing")

    def fetch_status(self, key: str) -> Any:
        raise AssertionError("a dry run reads nothing")

    def update(self, key: str, item: TrackerItem) -> None:
        raise AssertionError("a dry run pushes nothing")

    def close(self) -> None:
        pass


@covers(sync_usecases.sync_actions)
def case_sync_actions(world: World) -> None:
    def sync(actor: Actor) -> Any:
        return sync_usecases.sync_actions(world.db, tracker=_DryTracker(), policy=Policy(), actor=actor, dry_run=True)

    seen = sync(world.outsider)
    hidden(seen)
    assert [change.incident_id for change in seen.changes] == [PUBLIC]
    shown(sync(world.member), PRIVATE)


@covers(webhooks.apply_delivery)
def case_apply_delivery(world: World) -> None:
    event = ImportedEvent(at=world.now, source="alertmanager", kind="alert", text="Probe fired", source_id="probe-1")
    before = dump(world.private_document())
    for n, hint in enumerate(({"incident_ref": PRIVATE}, {"service": "payroll-secret-svc"}, {"external_key": "k"})):
        delivery = Delivery(events=[event], **hint)
        result = webhooks.apply_delivery(
            world.db, receiver="alertmanager", body=f"probe {n}".encode(), delivery=delivery, actor=world.outsider
        )
        assert (result.incident_id, result.added) == (None, 0)
    assert dump(world.private_document()) == before
    # The webhook routes act as the system: a delivery naming the private incident goes to it.
    result = webhooks.apply_delivery(
        world.db,
        receiver="alertmanager",
        body=b"probe",
        delivery=Delivery(events=[event], incident_ref=PRIVATE),
        actor=Actor.system("webhook"),
    )
    assert (result.incident_id, result.added) == (PRIVATE, 1)
    # The same body again, from an actor who may not see where it went: a duplicate, but of no incident it names.
    again = webhooks.apply_delivery(
        world.db,
        receiver="alertmanager",
        body=b"probe",
        delivery=Delivery(events=[event], incident_ref=PRIVATE),
        actor=world.outsider,
    )
    assert (again.incident_id, again.duplicate) == (None, True)


@covers(
    comments.add_comment,
    comments.list_comments,
    comments.comment_threads,
    comments.resolve_comment,
    comments.reopen_comment,
)
def case_comments(world: World) -> None:
    def add(actor: Actor) -> Any:
        return comments.add_comment(world.db, incident_id=PRIVATE, actor=actor, on="W1", text="Why so small?")

    refused_write(world, add)
    for read in (comments.list_comments, comments.comment_threads):
        not_found(lambda read=read: read(world.db, incident_id=PRIVATE, actor=world.outsider))
    [made] = comments.list_comments(world.db, incident_id=PRIVATE, actor=world.member)
    shown(comments.comment_threads(world.db, incident_id=PRIVATE, actor=world.member), "Why so small?")
    for settle in (comments.resolve_comment, comments.reopen_comment):
        not_found(lambda settle=settle: settle(world.db, comment_id=made.id, actor=world.outsider))
        not_found(lambda settle=settle: settle(world.db, comment_id=made.id, actor=world.member, incident_id=PUBLIC))
    assert comments.resolve_comment(world.db, comment_id=made.id, actor=world.member).resolved
    assert not comments.reopen_comment(world.db, comment_id=made.id, actor=world.member).resolved
    mine = comments.add_comment(world.db, incident_id=PUBLIC, actor=world.outsider, text="Nice")
    hidden(mine)
    hidden(comments.list_comments(world.db, incident_id=PUBLIC, actor=world.outsider))


# ---------------------------------------------------------------- the tests


def test_every_function_taking_an_actor_is_covered() -> None:
    found = set(functions_taking_an_actor())
    assert "afteraction.usecases.incidents.get_incident" in found and len(found) > 50
    missing = sorted(found - set(COVERED))
    assert not missing, f"add a case to tests/core/test_visibility.py for: {', '.join(missing)}"
    gone = sorted(set(COVERED) - found)
    assert not gone, f"these no longer take an actor (or are gone): {', '.join(gone)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_private_incident_does_not_exist_for_a_non_member(world: World, name: str) -> None:
    CASES[name](world)
