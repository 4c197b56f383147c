"""What the insights, similar, recurrence, themes and taxonomy services return for a small history."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from afteraction.core.actor import Actor
from afteraction.core.errors import InvalidInput, NotFound
from afteraction.domain.incidents import IncidentChanges
from afteraction.domain.policy import Policy
from afteraction.domain.reviews import FactorData, PostmortemDocument
from afteraction.incidents.models import Incident
from afteraction.insights.models import SearchDocument
from afteraction.insights.schemas import InsightsFilter
from afteraction.insights.search import rebuild_search_index, refresh_search_index, search_index_for
from afteraction.insights.service import compute_insights
from afteraction.insights.similar import find_recurrences, reindex, similar_incidents
from afteraction.insights.taxonomy import list_categories, remove_category, reset_taxonomy, set_category, suggest_for
from afteraction.insights.themes import compute_themes
from afteraction.usecases.documents import store_document
from tests.insights.conftest import NOW, SEVERITIES

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident


FILTER_FIELDS = ("quarter", "since", "until", "team", "service", "severity", "kind", "category")


def report(db, **kw):
    within = InsightsFilter(**{key: kw.pop(key) for key in list(kw) if key in FILTER_FIELDS})
    return compute_insights(
        db, policy=Policy(), severities=SEVERITIES, now=NOW, within=within, **{"actor": SYSTEM, **kw}
    )


def counts(items):
    return {c.key: c.count for c in items}


def test_incident_counts_by_month_severity_kind_service_team(history):
    inc = report(history).incidents
    assert inc.total == 3
    assert counts(inc.by_month) == {"2026-01": 1, "2026-02": 2}
    assert counts(inc.by_severity) == {"SEV1": 1, "SEV2": 1, "SEV3": 1}
    assert counts(inc.by_kind) == {"incident": 3}
    assert counts(inc.by_service) == {"checkout": 2, "search": 1}
    assert counts(inc.by_team) == {"payments": 2, "discovery": 1}


def test_durations_are_median_and_p90_per_month_and_severity(history):
    durations = report(history).durations
    detect = durations["time_to_detect"]
    assert (detect.overall.n, detect.overall.median, detect.overall.p90) == (2, 1200.0, 1680.0)
    assert {s.key: s.median for s in detect.by_severity} == {"SEV1": 600.0, "SEV2": 1800.0}
    assert {s.key: s.n for s in detect.by_month} == {"2026-01": 1, "2026-02": 1}
    assert durations["time_to_resolve"].overall.median == 10800.0
    assert durations["time_to_acknowledge"].overall.median == 300.0
    assert durations["time_to_mitigate"].overall.n == 1


def test_postmortem_completion_and_lateness_by_policy(history):
    pm = report(history).postmortems
    assert (pm.needed, pm.done, pm.done_share) == (2, 1, 0.5)
    # INC-1 published two days after resolution (due in 3); INC-2 is a draft past its five business days.
    assert (pm.with_due_date, pm.late, pm.late_share) == (2, 1, 0.5)
    assert pm.days_to_publish.n == 1 and pm.days_to_publish.median == pytest.approx(1.92, abs=0.01)


def test_action_items_completion_backlog_and_owners(history):
    ai = report(history).actions
    assert (ai.total, ai.done, ai.open, ai.overdue, ai.completion_rate) == (3, 1, 2, 1, 0.3333)
    assert ai.days_to_close.median == 14.0
    assert counts(ai.overdue_by_month) == {"2026-01": 1, "2026-02": 1, "2026-03": 1}
    owners = {o.key: (o.total, o.done, o.overdue) for o in ai.by_owner}
    assert owners == {"Bob": (2, 0, 1), "Alice": (1, 1, 0)}
    assert [(t.key, t.total) for t in ai.by_team] == [("payments", 3)]


def test_recurring_categories_with_their_services(history):
    cats = {c.category: c for c in report(history).categories}
    assert cats["config-change"].incidents == 2 and counts(cats["config-change"].services) == {"checkout": 2}
    assert cats["dependency"].incidents == 1 and counts(cats["dependency"].services) == {"search": 1}
    assert cats["monitoring-gap"].incidents == 1


def test_an_incident_whose_stored_categories_mean_one_slug_counts_once(history):
    set_category(history, slug="hardware", aliases=["storage", "physical"])
    for number, categories in (("INC-4", ["storage", "physical"]), ("INC-5", ["storage"])):
        store_document(
            history,
            severities=SEVERITIES,
            actor=SYSTEM,
            doc=PostmortemDocument(id=number, title="Disk array failed", categories=categories, services=["search"]),
        )
    cats = {c.category: c for c in report(history).categories}
    assert cats["hardware"].incidents == 2 and counts(cats["hardware"].services) == {"search": 2}
    assert cats["config-change"].incidents == 2 and counts(cats["config-change"].services) == {"checkout": 2}


def test_recurrence_says_the_earlier_fix_may_not_have_worked(history):
    recurrences = report(history).recurrences
    assert [(r.incident_id, r.resembles) for r in recurrences] == [("INC-2", "INC-1")]
    assert recurrences[0].message.startswith("resembles INC-1 (shared factors: config-change, service checkout); ")
    assert "its prevent item AI-" in recurrences[0].message and "was closed on 2026-01-20" in recurrences[0].message


def test_scope_filters(history):
    assert report(history, service="search").incidents.total == 1
    assert report(history, team="payments").actions.total == 3
    from datetime import date

    scoped = report(history, since=date(2026, 2, 1), until=date(2026, 2, 5))
    assert scoped.incidents.total == 1 and scoped.postmortems.needed == 1
    assert report(history, severity="sev1").within.severity == "SEV1"  # spelled as configured
    assert report(history, kind="near-miss").incidents.total == 0
    assert report(history, quarter="2026Q1").within.quarter == "2026-Q1"


def test_empty_database_gives_empty_figures(db):
    empty = report(db)
    assert empty.incidents.total == 0 and empty.durations["time_to_detect"].overall.median is None
    assert empty.actions.completion_rate is None and empty.recurrences == []


def test_similar_ranks_the_matching_postmortem_first(history):
    hits = similar_incidents(history, text="connection pool exhausted after a config change", top=2, actor=SYSTEM)
    assert {h.id for h in hits} == {"INC-1", "INC-2"}
    assert similar_incidents(history, incident_id="INC-2", top=1, actor=SYSTEM)[0].id == "INC-1"
    with pytest.raises(InvalidInput):
        similar_incidents(history, actor=SYSTEM)
    with pytest.raises(NotFound):
        similar_incidents(history, incident_id="INC-99", actor=SYSTEM)


def test_search_index_follows_saved_postmortems(history):
    store_document(
        history,
        severities=SEVERITIES,
        actor=SYSTEM,
        doc=PostmortemDocument(id="INC-3", title="Search index lag", factors=[FactorData(text="zookeeper quorum")]),
    )
    with history.transaction() as session:
        index = search_index_for(session)
        assert len(index.search(session, "zookeeper", limit=3)) == 1  # saving a post-mortem indexes it
        refresh_search_index(session, [session.scalar(select(Incident.id).where(Incident.number == 3))])
        hits = index.search(session, "zookeeper quorum", limit=3)
        assert len(hits) == 1
        session.execute(delete(Incident).where(Incident.number == 3))
        assert index.search(session, "zookeeper", limit=3) == []
    assert reindex(history, actor=SYSTEM) == 2
    with history.transaction() as session:
        rebuild_search_index(session)
        assert session.scalar(select(func.count()).select_from(SearchDocument)) == 2


def test_a_private_incident_is_similar_only_for_those_who_may_see_it(history):
    from afteraction.usecases.incidents import update_incident

    update_incident(
        history, actor=SYSTEM, incident_id="INC-1", changes=IncidentChanges(private=True), allowed_severities=SEVERITIES
    )
    outsider = Actor(user_id=999, name="outsider", role="viewer")
    query = "connection pool config change"
    assert "INC-1" not in {h.id for h in similar_incidents(history, text=query, actor=outsider)}
    assert "INC-1" in {h.id for h in similar_incidents(history, text=query, actor=SYSTEM)}


def test_recurrences_for_the_editor(history):
    found = find_recurrences(history, incident_id="INC-2", actor=SYSTEM)
    assert [r.resembles for r in found] == ["INC-1"]
    assert "config-change" in found[0].shared_categories and found[0].shared_services == ["checkout"]
    assert find_recurrences(history, incident_id="INC-1", actor=SYSTEM) == []


def test_themes_cluster_factors_with_incidents_services_and_actions(history):
    themes = compute_themes(history, today=NOW.date(), actor=SYSTEM)
    pool = next(t for t in themes if t.category == "config-change")
    assert pool.incidents == ["INC-1", "INC-2"] and counts(pool.services) == {"checkout": 2}
    assert pool.actions_done == 1 and pool.actions_open == 1


def test_taxonomy_is_editable(db):
    assert [c.slug for c in list_categories(db)][:2] == ["config-change", "deploy"]
    view = set_category(db, slug="dns", name="DNS", add_keywords=["resolver", "dns"])
    assert view.keywords == ["resolver", "dns"]
    assert set_category(db, slug="dns", keywords=["nxdomain"]).keywords == ["nxdomain"]
    assert [c.slug for c in list_categories(db)][-1] == "dns"
    remove_category(db, slug="dns")
    with pytest.raises(NotFound):
        remove_category(db, slug="dns")
    with pytest.raises(InvalidInput):
        set_category(db, slug="two words")
    reset_taxonomy(db)
    assert len(list_categories(db)) == 11


def test_suggestions_for_an_incident_and_a_text(history):
    assert suggest_for(history, text="The TLS certificate expired", actor=SYSTEM)[0].slug == "time"
    slugs = [s.slug for s in suggest_for(history, incident_id="INC-1", actor=SYSTEM)]
    assert "config-change" in slugs
    with pytest.raises(InvalidInput):
        suggest_for(history, actor=SYSTEM)


def test_an_alias_added_to_the_taxonomy_counts_stored_categories(history):
    store_document(
        history,
        severities=SEVERITIES,
        actor=SYSTEM,
        doc=PostmortemDocument(id="INC-4", title="Disk array failed", categories=["storage"], services=["search"]),
    )
    assert "hardware" not in {c.category for c in report(history).categories}
    set_category(history, slug="hardware", aliases=["storage", "physical"])
    cats = {c.category: c.incidents for c in report(history).categories}
    assert cats["hardware"] == 1


def test_a_filter_that_keeps_most_incidents_or_few_counts_the_same(db):
    from datetime import UTC, date, datetime, timedelta

    from tests.factories import make_document, store_dated

    start = datetime(2026, 4, 1, 9, tzinfo=UTC)
    for number in range(1, 7):
        store_dated(db, number, start + timedelta(days=number), "payments" if number < 6 else "search")
    undated = make_document(7).model_copy(update={"started_at": None, "resolved_at": None, "timeline": []})
    store_document(db, doc=undated, severities=SEVERITIES, actor=SYSTEM)
    assert report(db, team="payments").incidents.total == 5  # most of them: left out by the complement
    assert report(db, team="search").incidents.total == 1  # few: kept by their ids
    assert report(db, kind="incident").incidents.total == 7  # all: no condition at all
    ranged = report(db, since=date(2026, 1, 1), kind="incident")
    assert (ranged.incidents.total, ranged.incidents.date_unknown) == (6, 0)  # an unknown date is in no range
