"""What a user sees from `afteraction insights`, `similar`, `themes` and `categories`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import corpus_path
from tests.insights.conftest import build_history


@pytest.fixture
def filled(cli, db):
    build_history(db)
    return cli


def test_insights_json_and_table(filled):
    data = json.loads(filled("insights", "--json").stdout)
    assert data["incidents"]["total"] == 3
    assert data["durations"]["time_to_detect"]["overall"]["median"] == 1200.0
    assert data["recurrences"][0]["resembles"] == "INC-1"
    assert data["generated_at"].endswith("Z")
    text = filled("insights", "--service", "checkout").stdout
    assert "2 incidents" in text and "Recurring factor categories" in text and "resembles INC-1" in text


def test_insights_html_is_one_self_contained_file(filled, tmp_path):
    out = tmp_path / "report" / "insights.html"
    result = filled("insights", "--html", str(out), "--since", "2026-01-01", "--until", "2026-12-31")
    assert result.exit_code == 0, result.stderr
    html = out.read_text()
    assert html.startswith("<!doctype html>") and html.count("<svg") >= 4
    assert "<script" not in html and 'src="' not in html and 'href="http' not in html  # nothing loaded
    assert "Over 3 incidents" in html  # the headline says over how many
    assert f"HTML report: {out.resolve()}" in result.stdout


def test_insights_pdf_is_printed_like_a_post_mortem(filled, tmp_path):
    import shutil

    if not shutil.which("chromium"):
        pytest.skip("no Chromium (apt-get install chromium)")
    out = tmp_path / "insights.pdf"
    result = filled("insights", "--pdf", str(out), "--quarter", "2026-Q1")
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF") and f"PDF report: {out.resolve()}" in result.stdout


def test_insights_filters_are_checked_in_one_line(filled):
    both = filled("insights", "--quarter", "2026-Q1", "--since", "2026-01-01")
    assert both.exit_code == 2
    assert both.stderr.strip() == "error: give a quarter or a range of dates (since, until), not both"
    kind = filled("insights", "--kind", "outage")
    assert kind.stderr.strip() == "error: unknown kind 'outage': one of incident, near-miss, failed-deploy, milestone"
    assert filled("insights", "--quarter", "Q5").stderr.strip().startswith("error: not a quarter: 'Q5'")


def test_insights_rejects_a_bad_date(filled):
    result = filled("insights", "--since", "last week")
    assert result.exit_code == 2 and "--since" in result.stderr


def test_similar_by_id_and_by_text(filled):
    hits = json.loads(filled("similar", "INC-2", "--json", "--top", "1").stdout)
    assert [h["id"] for h in hits] == ["INC-1"]
    table = filled("similar", "--text", "connection pool config change").stdout
    assert "Similar post-mortems" in table and "INC-1" in table
    assert "No similar post-mortems found." in filled("similar", "--text", "qwertyuiop").stdout
    assert filled("similar").exit_code == 2
    assert "Indexed 3 post-mortems." in filled("similar", "--reindex").stdout


def test_similar_semantic_without_the_extra_says_what_to_install(filled):
    from afteraction.insights import semantic

    if semantic.available():
        pytest.skip("the semantic extra is installed")
    result = filled("similar", "--text", "pool", "--semantic")
    assert result.exit_code == 2 and "afteraction[semantic]" in result.stderr


def test_themes(filled):
    themes = json.loads(filled("themes", "--json").stdout)
    assert any(t["incidents"] == ["INC-1", "INC-2"] for t in themes)
    assert "themes" in filled("themes").stdout


def test_categories_commands(filled):
    assert "config-change" in filled("categories", "list").stdout
    assert "Category dns (DNS): 2 keywords." in filled("categories", "set", "dns", "--name", "DNS", "--keyword",
                                                        "dns", "--keyword", "resolver").stdout  # fmt: skip
    listed = json.loads(filled("categories", "list", "--json").stdout)
    assert listed[-1]["slug"] == "dns"
    assert "Removed category dns." in filled("categories", "remove", "dns").stdout
    assert filled("categories", "remove", "dns").exit_code == 3
    assert "built-in" in filled("categories", "reset").stdout
    found = json.loads(filled("categories", "suggest", "--text", "the certificate expired", "--json").stdout)
    assert found[0]["slug"] == "time" and "certificate" in found[0]["evidence"]
    assert "Suggested categories" in filled("categories", "suggest", "INC-1").stdout


def test_similar_finds_corpus_postmortems_by_paraphrase(cli):
    folder = corpus_path("postmortems", "dfds")
    files = sorted(str(p) for p in Path(folder).glob("PM20*"))
    assert cli("import", *files).exit_code in (0, 1)  # 1: imported, some with warnings (issue #17)
    hits = json.loads(cli("similar", "--text", "DNS pods kept crashing after we upgraded the cluster", "--json").stdout)
    assert hits[0]["title"] == "CoreDNS upgrade issue"


def test_semantic_blend_when_the_extra_is_installed(filled):
    from afteraction.insights import semantic

    if not semantic.available():
        pytest.skip("the semantic extra is not installed")
    vectors = semantic.embed(["certificate expired", "the TLS cert ran out", "lunch"])
    assert all(abs(sum(x * x for x in v) - 1.0) < 1e-4 for v in vectors)
    close = sum(a * b for a, b in zip(vectors[0], vectors[1], strict=True))
    far = sum(a * b for a, b in zip(vectors[0], vectors[2], strict=True))
    assert close > far
    hits = json.loads(filled("similar", "--text", "database connections ran out", "--semantic", "--json").stdout)
    assert hits and hits[0]["id"] in {"INC-1", "INC-2"}
