"""Themes: incidents grouped by the noun phrase their factors and root causes share, named by that phrase, each event
once (duplicates shown as the incident they repeat), with services, categories and action items; in the command
line, the API and the Themes page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from afteraction.analysis.phrases import noun_phrases, stem
from afteraction.analysis.themes import FactorText, cluster_factors, leading_category
from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.domain.reviews import FactorData, PostmortemDocument, WhyNodeData
from afteraction.insights.duplicates import link_duplicate
from afteraction.insights.themes import compute_themes
from afteraction.usecases.documents import store_document
from tests.insights.conftest import NOW, SEVERITIES
from tests.web.pages.conftest import Site, forms_of, make_site, text_of

SYSTEM = Actor.system()


def test_noun_phrases_are_runs_of_content_words_without_verbs_or_stopwords():
    found = [p.surface for p in noun_phrases("The TLS certificate expired and the load balancer failed over.")]
    assert "TLS certificate" in found and "load balancer" in found
    assert not any(word in p.split() for p in found for word in ("expired", "failed", "the", "and"))
    # Qualifiers drop from the start, addresses and months are not phrases, and spellings share a key.
    assert [p.surface for p in noun_phrases("A bad config push in June, see https://example.org/x")] == [
        "config",
        "push",
        "config push",
    ]
    assert stem("certificates") == stem("certificate") and stem("glass") == "glass"


def test_incidents_sharing_a_phrase_form_a_theme_named_by_it():
    factors = [
        FactorText(1, 10, "Connection pool limit lowered by a config change", "config-change"),
        FactorText(2, 11, "A config change to the connection pool size", "config-change"),
        FactorText(3, 12, "The connection pool was exhausted by a retry storm", "capacity"),
        FactorText(4, 13, "Nobody owned certificate renewal", None),
    ]
    themes = cluster_factors(factors)
    assert len(themes) == 1
    assert themes[0].phrase == "connection pool" and themes[0].incidents == [10, 11, 12]
    assert themes[0].category == "config-change"  # two of its three factors
    spread = cluster_factors([FactorText(1, 1, "disk full on the db host", "capacity"),
                              FactorText(2, 2, "disk full after a log storm", "monitoring-gap")])  # fmt: skip
    assert [t.phrase for t in spread] == ["disk full"] and spread[0].category is None
    assert leading_category({"a": 2, "b": 2}, 4) is None and leading_category({"a": 3}, 4) == "a"


def test_a_theme_is_not_named_after_the_company_and_generic_words_name_none():
    factors = [FactorText(1, 1, "Acme lost power at noon"), FactorText(2, 2, "Acme had a power cut")]
    assert [t.phrase for t in cluster_factors(factors)] == ["Acme"]
    assert [t.phrase for t in cluster_factors(factors, ignore={1: {"acme"}, 2: {"acme"}})] == ["power"]
    generic = [FactorText(1, 1, "An outage for customers"), FactorText(2, 2, "Customers had an outage")]
    assert cluster_factors(generic) == []


def test_themes_of_the_history_with_incidents_services_and_actions(history):
    themes = compute_themes(history, today=NOW.date(), actor=SYSTEM)
    pool = next(t for t in themes if "INC-1" in t.incidents)
    assert pool.title == "Connection pool" and pool.incidents == ["INC-1", "INC-2"]
    assert pool.category == "config-change" and pool.category_name
    assert [(s.key, s.count) for s in pool.services] == [("checkout", 2)]
    assert pool.actions_done == 1 and pool.actions_open == 1  # the pool-saturation alert addresses another factor
    assert [m.title for m in pool.members] == ["Checkout errors after connection pool change", "Payments timeouts"]


def _doc(number: int, title: str, summary: str, when: datetime, **fields: Any) -> PostmortemDocument:
    return PostmortemDocument(id=f"INC-{number}", title=title, severity="SEV2", started_at=when, summary=summary,
                              services=["api"], **fields)  # fmt: skip


def test_root_causes_speak_for_an_incident_and_a_duplicate_counts_once(db: Database):
    when = datetime(2026, 3, 1, 9, tzinfo=UTC)
    copy = "Transaction ID wraparound in Postgres put the database in read-only mode for most of a day."
    for number, title in ((1, "Sentry outage"), (2, "Sentry outage (imported again)")):
        store_document(db, doc=_doc(number, title, copy, when), severities=SEVERITIES, actor=SYSTEM)
    why = [WhyNodeData(text="Autovacuum fell behind: transaction ID wraparound", root_cause=True)]
    store_document(db, doc=_doc(3, "Mandrill outage", "Writes stopped.", when + timedelta(days=90), whys=why),
                   severities=SEVERITIES, actor=SYSTEM)  # fmt: skip
    store_document(db, doc=_doc(4, "Deploy broke login", "A bad deploy.", when,
                                factors=[FactorData(text="No canary for the login service")]),
                   severities=SEVERITIES, actor=SYSTEM)  # fmt: skip
    [theme] = compute_themes(db, actor=SYSTEM)
    assert theme.title == "Transaction ID wraparound"
    assert theme.incidents == ["INC-1", "INC-3"] and theme.duplicates == ["INC-2"]
    assert theme.members[0].duplicates == ["INC-2"] and [s.count for s in theme.services] == [2]


def test_a_linked_duplicate_is_shown_as_the_incident_it_repeats(db: Database):
    when = datetime(2026, 3, 1, 9, tzinfo=UTC)
    for number, summary in ((1, "The TLS certificate of the API gateway expired."),
                            (2, "Clients failed their handshakes: the gateway's TLS certificate had expired."),
                            (3, "An expired TLS certificate on the mail relay.")):  # fmt: skip
        store_document(db, doc=_doc(number, f"Incident {number}", summary, when), severities=SEVERITIES, actor=SYSTEM)
    before = compute_themes(db, actor=SYSTEM)
    assert [t.incidents for t in before] == [["INC-1", "INC-2", "INC-3"]] and before[0].title == "TLS certificate"
    link_duplicate(db, incident_id="INC-2", of="INC-1", actor=SYSTEM)
    after = compute_themes(db, actor=SYSTEM)
    assert after[0].incidents == ["INC-1", "INC-3"] and after[0].duplicates == ["INC-2"]


def test_themes_command_prints_phrases_and_json(history, cli):
    printed = cli("themes")
    assert printed.exit_code == 0, printed.stderr
    assert "Connection pool" in printed.stdout and "1 done, 1 open" in printed.stdout
    data = json.loads(cli("themes", "--json", "--team", "payments").stdout)
    assert data[0]["title"] == "Connection pool" and data[0]["incidents"] == ["INC-1", "INC-2"]
    assert json.loads(cli("themes", "--json", "--since", "2026-02-01").stdout) == []  # one incident is no theme
    bad = cli("themes", "--since", "March")
    assert bad.exit_code != 0 and "--since" in bad.stderr and "Traceback" not in bad.stderr


@pytest.fixture
def site(database_url: str) -> Site:
    return make_site(database_url)


def _site_history(site: Site) -> None:
    when = datetime(2026, 3, 1, 9, tzinfo=UTC)
    texts = (
        (1, "Checkout errors", "The connection pool was exhausted.", False),
        (2, "Payments timeouts", "A config change shrank the connection pool.", False),
        (3, "Payroll stalls", "The connection pool of the payroll database ran dry.", True),
        (4, "Payments timeouts", "A config change shrank the connection pool.", False),
    )
    for number, title, summary, private in texts:
        doc = _doc(number, title, summary, when + timedelta(days=number), private=private,
                   teams=["payroll" if private else "payments"])  # fmt: skip
        store_document(site.db, doc=doc, severities=SEVERITIES, actor=SYSTEM)


def test_the_themes_page_shows_themes_and_lets_an_editor_mark_a_duplicate(site: Site):
    _site_history(site)
    viewer = site.browser("viewer")
    page = viewer.get("/themes")
    assert page.status_code == 200, page.text[:300]
    text = text_of(page)
    assert "Connection pool" in text and "2 incidents" in text and "1 duplicate shown as one" in text
    assert "Payroll" not in text  # INC-3 is private and the viewer no member
    assert 'href="/incidents/INC-1"' in page.text and "Suspected" in text
    assert "/themes/duplicates" not in forms_of(page)  # a viewer marks nothing
    editor = site.browser("editor")
    assert "/themes/duplicates" in forms_of(editor.get("/themes"))
    done = editor.post("/themes/duplicates", {"incident": "INC-4", "of": "INC-2"})
    assert "INC-4 is now shown as INC-2." in text_of(done)
    assert "INC-4 is a duplicate of INC-2" in text_of(done)
    refused = editor.post("/themes/duplicates", {"incident": "INC-1", "of": "INC-3"})
    assert "no incident INC-3" in text_of(refused)
    filtered = text_of(viewer.get("/themes?team=payments&since=2026-03-03"))
    assert "No themes yet" in filtered  # INC-2 and INC-4 are one event: one incident is no theme
    bad = viewer.get("/themes?since=yesterday")
    assert bad.status_code == 400 and "since: 'yesterday' is not a date (YYYY-MM-DD)" in text_of(bad)


def test_the_api_gives_the_commands_themes(site: Site):
    _site_history(site)
    viewer = site.browser("viewer")
    themes = viewer.get("/api/v1/themes?team=payments").json()
    assert themes[0]["title"] == "Connection pool" and themes[0]["duplicates"] == ["INC-4"]
    assert viewer.get("/api/v1/themes?since=soon").status_code == 422
