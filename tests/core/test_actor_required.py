"""Every service that reads or writes incident data takes a required actor: none takes an optional viewer."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import FunctionType

import pytest

# The areas and use cases whose services touch incident data.
PACKAGES = ("incidents", "timeline", "actions", "reviews", "insights", "webhooks", "usecases")
# Functions that take the database but read or write no incident a user could be refused, and why.
NO_ACTOR = {
    "afteraction.incidents.service.current_version": "the version of a row the caller already loaded with its actor",
    "afteraction.actions.service.current_version": "the version of a row the caller already loaded with its actor",
    "afteraction.insights.taxonomy.list_categories": "the category taxonomy, not incident data",
    "afteraction.insights.taxonomy.set_category": "the category taxonomy, not incident data",
    "afteraction.insights.taxonomy.remove_category": "the category taxonomy, not incident data",
    "afteraction.insights.taxonomy.reset_taxonomy": "the category taxonomy, not incident data",
    "afteraction.insights.service.upkeep": "search index and statistics upkeep: returns nothing of any incident",
    "afteraction.usecases.notify.write_due_soon": "the scheduled job: tells owners of their own items; returns a count",
    "afteraction.usecases.notify.notify_once": "the scheduled job: sends the outbox to its people; returns counts",
    "afteraction.usecases.notify.start_notify_loop": "starts the scheduled job of a server process",
}


def _services() -> Iterator[tuple[str, FunctionType]]:
    for package in PACKAGES:
        module = importlib.import_module(f"afteraction.{package}")
        names = [module.__name__]
        names += [m.name for m in pkgutil.walk_packages(module.__path__, f"{module.__name__}.")]
        for name in names:
            loaded = importlib.import_module(name)
            for attr, value in vars(loaded).items():
                if isinstance(value, FunctionType) and value.__module__ == name and not attr.startswith("_"):
                    yield f"{name}.{attr}", value


SERVICES = dict(_services())


def test_the_services_were_found():
    assert "afteraction.usecases.incidents.get_incident" in SERVICES
    assert len(SERVICES) > 100


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_service_takes_an_optional_viewer_or_actor(name: str):
    parameters = inspect.signature(SERVICES[name]).parameters
    assert "viewer" not in parameters, f"{name} takes a viewer: take a required actor instead"
    actor = parameters.get("actor")
    if actor is not None and actor.annotation in ("Actor", "Actor | None"):
        assert actor.annotation == "Actor", f"{name}: the actor may not be None"
        assert actor.default is inspect.Parameter.empty, f"{name}: the actor has a default"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_taking_the_database_takes_the_actor(name: str):
    parameters = inspect.signature(SERVICES[name]).parameters
    if "db" not in parameters or name in NO_ACTOR:
        return
    assert "actor" in parameters, f"{name} reads or writes with the database but takes no actor"
