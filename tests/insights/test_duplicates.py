"""Duplicate incidents: the same event recorded twice is suspected from its words, linked by an editor (the command
line, the API, the Themes page), and unlinked; a private incident stays out of sight."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from afteraction.accounts import service as accounts
from afteraction.analysis.duplicates import IncidentText, canonical, find_duplicates, normalise, shingles
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.core.errors import InvalidInput, NotFound, PermissionDenied
from afteraction.domain.reviews import PostmortemDocument
from afteraction.insights.duplicates import link_duplicate, list_duplicates, unlink_duplicate
from afteraction.usecases.documents import store_document
from tests.insights.conftest import SEVERITIES
from tests.web.pages.conftest import Site, make_site

SYSTEM = Actor.system()
WHEN = datetime(2017, 2, 28, 17, 37, tzinfo=UTC)
S3 = "Human error. The S3 team was debugging a minor issue; a command removed more servers than intended."


def test_the_same_words_are_suspected_and_a_recurrence_is_not():
    items = [
        IncidentText(1, "Amazon S3 US-EAST-1 outage of February 2017", S3, WHEN),
        IncidentText(2, "Amazon", S3 + " See also [the summary](https://aws.amazon.com/message/41926/).", WHEN),
        IncidentText(3, "Amazon S3 outage again", S3, WHEN + timedelta(days=40)),  # the same words, later: recurs
        IncidentText(4, "Checkout errors", "The connection pool was exhausted.", WHEN),
    ]
    [pair] = find_duplicates(items)
    assert (pair.incident, pair.other) == (2, 1) and pair.score >= 0.9
    assert normalise("Ünïcode, [link](http://x) & CO!") == "unicode link co"
    assert shingles("one two") == frozenset({"one two"}) and len(shingles("a b c d e")) == 3
    assert canonical([(3, 2), (2, 1), (5, 4)]) == {3: 1, 2: 1, 5: 4}
    assert canonical([(2, 1), (1, 2)]) == {2: 1}  # a loop is ignored


def _store(db: Database, number: int, title: str, summary: str, *, private: bool = False) -> None:
    doc = PostmortemDocument(id=f"INC-{number}", title=title, severity="SEV1", started_at=WHEN, summary=summary,
                             private=private)  # fmt: skip
    store_document(db, doc=doc, severities=SEVERITIES, actor=SYSTEM)


@pytest.fixture
def twins(db: Database) -> Database:
    _store(db, 1, "Amazon S3 US-EAST-1 outage of February 2017", S3)
    _store(db, 2, "Amazon", S3)
    _store(db, 3, "Checkout errors", "The connection pool was exhausted.")
    _store(db, 4, "Secret payroll leak", "Payroll data leaked.", private=True)
    return db


def test_link_list_and_unlink(twins: Database):
    [suspected] = list_duplicates(twins, actor=SYSTEM)
    assert (suspected.incident.id, suspected.of.id, suspected.linked) == ("INC-2", "INC-1", False)
    linked = link_duplicate(twins, incident_id="INC-3", of="inc-1", actor=Actor.system("kim"))
    assert linked.linked and linked.linked_by == "kim" and linked.of.id == "INC-1"
    assert link_duplicate(twins, incident_id="INC-3", of="INC-1", actor=SYSTEM).linked_by == "kim"  # again: no-op
    pairs = list_duplicates(twins, actor=SYSTEM)
    assert [(p.incident.id, p.linked) for p in pairs] == [("INC-3", True), ("INC-2", False)]
    with pytest.raises(InvalidInput, match="of: INC-3 is already a duplicate of INC-1; unlink it first"):
        link_duplicate(twins, incident_id="INC-1", of="INC-3", actor=SYSTEM)
    with pytest.raises(InvalidInput, match="INC-2 cannot be a duplicate of itself"):
        link_duplicate(twins, incident_id="INC-2", of="INC-2", actor=SYSTEM)
    assert unlink_duplicate(twins, incident_id="INC-3", actor=SYSTEM) == 1
    with pytest.raises(NotFound, match="INC-3 is not linked as a duplicate"):
        unlink_duplicate(twins, incident_id="INC-3", actor=SYSTEM)


def test_a_private_incident_the_actor_may_not_see_is_not_there(twins: Database):
    accounts.create_user(twins, name="vic", email="vic@example.org", role="editor", password="correct horse")
    vic = accounts.authenticate_password(twins, name="vic", password="correct horse")
    assert vic is not None
    with pytest.raises(NotFound, match="no incident INC-4"):
        link_duplicate(twins, incident_id="INC-3", of="INC-4", actor=vic)
    link_duplicate(twins, incident_id="INC-3", of="INC-4", actor=SYSTEM)
    assert [p.incident.id for p in list_duplicates(twins, actor=vic)] == ["INC-2"]  # the link to INC-4 is unseen
    with pytest.raises(NotFound):
        unlink_duplicate(twins, incident_id="INC-3", actor=vic)  # not theirs to remove
    viewer = Actor(user_id=vic.user_id, name="vic", role="viewer")
    with pytest.raises(PermissionDenied):
        link_duplicate(twins, incident_id="INC-2", of="INC-1", actor=viewer)


def test_the_duplicates_commands(twins: Database, cli):
    listed = cli("duplicates")
    assert listed.exit_code == 0 and "INC-2" in listed.stdout and "suspected" in listed.stdout
    assert "1.00" in listed.stdout
    done = cli("duplicates", "link", "INC-2", "INC-1")
    assert done.exit_code == 0 and "INC-2 is now a duplicate of INC-1." in done.stdout
    data = json.loads(cli("duplicates", "--json").stdout)
    assert data[0]["incident"]["id"] == "INC-2" and data[0]["linked"] is True and data[0]["score"] == 1.0
    self_link = cli("duplicates", "link", "INC-2", "INC-2")
    assert self_link.exit_code != 0 and "INC-2 cannot be a duplicate of itself" in self_link.stderr
    assert "Traceback" not in self_link.stderr
    assert cli("duplicates", "link", "INC-2", "INC-99").exit_code != 0
    gone = cli("duplicates", "unlink", "INC-2")
    assert gone.exit_code == 0 and "INC-2 is no longer marked as a duplicate." in gone.stdout
    again = cli("duplicates", "unlink", "INC-2", "INC-1")
    assert again.exit_code != 0 and "INC-2 is not linked as a duplicate of INC-1" in again.stderr


@pytest.fixture
def site(database_url: str) -> Site:
    found = make_site(database_url)
    _store(found.db, 1, "Amazon S3 US-EAST-1 outage of February 2017", S3)
    _store(found.db, 2, "Amazon", S3)
    _store(found.db, 3, "Secret payroll leak", "Payroll data leaked.", private=True)
    return found


def _api(site: Site, name: str) -> TestClient:
    token = accounts.create_token(site.db, user=name).token
    return TestClient(site.app, headers={"Authorization": f"Bearer {token}"}, base_url="http://testserver")


def test_the_duplicates_api(site: Site):
    viewer, editor = _api(site, "viewer"), _api(site, "editor")
    assert [p["incident"]["id"] for p in viewer.get("/api/v1/duplicates").json()] == ["INC-2"]
    assert viewer.post("/api/v1/incidents/INC-2/duplicate-of", json={"of": "INC-1"}).status_code == 403
    made = editor.post("/api/v1/incidents/INC-2/duplicate-of", json={"of": "INC-1"})
    assert made.status_code == 200 and made.json()["linked_by"] == "editor"
    hidden = editor.post("/api/v1/incidents/INC-1/duplicate-of", json={"of": "INC-3"})
    assert hidden.status_code == 404 and "no incident INC-3" in hidden.text
    selfish = editor.post("/api/v1/incidents/INC-1/duplicate-of", json={"of": "INC-1"})
    assert selfish.status_code == 422 and "cannot be a duplicate of itself" in selfish.text
    assert editor.post("/api/v1/incidents/INC-1/duplicate-of", json={"off": "INC-2"}).status_code == 422
    assert viewer.get("/api/v1/duplicates").json()[0]["linked"] is True
    assert editor.delete("/api/v1/incidents/INC-2/duplicate-of").status_code == 204
    assert editor.delete("/api/v1/incidents/INC-2/duplicate-of").status_code == 404
