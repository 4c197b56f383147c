"""The pure pieces: percentiles, months, policy days, backlog, recurrence text, query terms, blending, themes,
category suggestions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from afteraction.analysis.categories import (
    DEFAULT_TAXONOMY,
    Lexicon,
    features,
    fit_suggester,
    normalise_category,
    suggest_categories,
)
from afteraction.analysis.insights import (
    allowed_days,
    months_between,
    overdue_backlog,
    percentile,
    recurrence_message,
    share,
)
from afteraction.analysis.similarity import Scored, blend, choose_query_terms, cosine, expand_query, tokenize
from afteraction.domain.policy import Policy


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], 0.5, None), ([5.0], 0.9, 5.0), ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5), ([600.0, 1800.0], 0.9, 1680.0)],
)
def test_percentile_interpolates_like_percentile_cont(values, q, expected):
    assert percentile(values, q) == expected


def test_share_and_months():
    assert share(1, 3) == 0.3333 and share(1, 0) is None
    assert months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_allowed_days_follow_the_policy_by_weekday():
    policy = Policy()
    sev1 = allowed_days(policy, kind="incident", severity="SEV1")
    sev2 = allowed_days(policy, kind="incident", severity="SEV2")
    assert sev1 == (3,) * 7
    # Five business days: a week from a weekday, to Friday from Saturday (6 days) and Sunday (5 days).
    assert sev2 == (5, 7, 7, 7, 7, 7, 6)


def test_overdue_backlog_counts_what_entered_minus_what_left():
    series = overdue_backlog(
        {"2026-01": 2, "2026-02": 1}, {"2026-01": 1, "2026-03": 2}, ["2026-01", "2026-02", "2026-03"]
    )
    assert series == [("2026-01", 1), ("2026-02", 2), ("2026-03", 0)]


def test_recurrence_message_names_the_evidence():
    closed = datetime(2026, 2, 3, 9, tzinfo=UTC)
    text = recurrence_message("INC-12", ["config-change"], [("AI-31", "prevent", "done", closed)])
    assert text == "resembles INC-12 (shared factors: config-change); its prevent item AI-31 was closed on 2026-02-03"
    assert recurrence_message("INC-12", [], [("AI-33", "prevent", "open", None)]).endswith(
        "its prevent item AI-33 is still open"
    )


def test_query_terms_prefer_rare_words_within_the_budget():
    tf = {"databas": 3, "the": 5, "pgbouncer": 1, "error": 2}
    df = {"databas": 900, "the": 10_000, "pgbouncer": 3, "error": 5000}
    assert choose_query_terms(tf, df, 10_000, postings_budget=1000) == ["pgbouncer", "databas"]
    assert choose_query_terms({"zzz": 1}, {}, 10) == []


@pytest.mark.parametrize(
    ("query", "added"),
    [
        ("internal name resolution failed", {"dns", "coredns"}),
        ("a broken machine image for the nodes", {"ami"}),
        ("nobody could sign in through single sign-on", {"sso", "login"}),
        ("the servers overheated", {"cooling"}),
    ],
)
def test_expand_query_adds_sre_synonyms(query, added):
    words = set(tokenize(expand_query(query)))
    assert added <= words and set(tokenize(query)) <= words


def test_expand_query_leaves_a_query_without_known_terms_alone():
    assert expand_query("the spreadsheet macro ran twice") == "the spreadsheet macro ran twice"


def test_blend_mixes_scaled_scores():
    mixed = blend([Scored(1, 10.0), Scored(2, 5.0)], [Scored(2, 0.9), Scored(3, 0.45)], weight=0.5)
    assert [s.incident_id for s in mixed] == [2, 1, 3]
    assert cosine([1.0, 0.0], [1.0, 0.0]) == 1.0 and cosine([0.0], [0.0]) == 0.0
    assert tokenize("Config-change: TLS_cert") == ["config", "change", "tls", "cert"]


def test_suggester_names_categories_and_their_evidence():
    found = suggest_categories("The TLS certificate expired at midnight and clients failed their handshakes.")
    assert found[0].slug == "time" and "certificate" in found[0].evidence
    assert suggest_categories("Lunch was nice.") == []
    assert normalise_category("Cloud", DEFAULT_TAXONOMY) == "dependency"
    assert normalise_category("something else", DEFAULT_TAXONOMY) is None


def test_learned_model_fits_and_tunes_thresholds():
    lexicon = Lexicon.of(DEFAULT_TAXONOMY)
    texts = [("power loss in the data center took disks down", {"hardware"})] * 8 + [
        ("an attacker used leaked credentials", {"security"})
    ] * 8
    samples = [features(t, lexicon.hits(t)) for t, _ in texts]
    model = fit_suggester(samples, [labels for _, labels in texts], ["hardware", "security"])
    vec = model.vector(features("leaked credentials again", lexicon.hits("leaked credentials again")))
    assert model.probability(vec, "security") > model.probability(vec, "hardware")
    assert set(model.thresholds) == {"hardware", "security"}


def test_learned_model_scores_are_probabilities_and_thresholds_separate_the_classes():
    lexicon = Lexicon.of(DEFAULT_TAXONOMY)
    texts = [(f"storage node {i} lost power and its disks failed", {"hardware"}) for i in range(9)] + [
        (f"attacker {i} phished an engineer and leaked credentials", {"security"}) for i in range(9)
    ]
    samples = [features(t, lexicon.hits(t)) for t, _ in texts]
    model = fit_suggester(samples, [labels for _, labels in texts], ["hardware", "security"])
    for sample, (_, labels) in zip(samples, texts, strict=True):
        vec = model.vector(sample)
        for label in ("hardware", "security"):
            p = model.probability(vec, label)
            assert 0.0 <= p <= 1.0
            assert (p >= model.thresholds[label]) == (label in labels)
    found = suggest_categories("An attacker leaked the credentials of the power team.", model=model)
    assert [s.slug for s in found] == ["security"] and "leaked" in found[0].evidence


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("A race condition between two writers; requests timed out.", "time"),
        ("A retry storm overloaded the remaining nodes and the queues backed up.", "cascading-failure"),
        ("A fibre cut and a failed line card on the backbone routers.", "hardware"),
    ],
)
def test_lexicon_knows_what_the_categories_cover(text, slug):
    assert suggest_categories(text)[0].slug == slug


def test_everyday_incident_words_are_not_taken_for_hardware_or_security():
    text = "The alert fired at 10:02; the author of the runbook in San Francisco was paged and a retry storm followed."
    hits = Lexicon.of(DEFAULT_TAXONOMY).hits(text)
    assert hits["hardware"] == {} and hits["security"] == {}
