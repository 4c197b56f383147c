"""The labelled check of themes on the corpus: for the themes written down by hand in tests/data/theme_labels.json
(before the clustering was tuned), how many of each theme's incidents the themes recover in one theme. The counts
of docs/insights.md are floors: a change that recovers fewer fails. Skipped without the corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from afteraction.core.actor import Actor
from afteraction.core.db import Database
from afteraction.insights.schemas import Theme
from afteraction.usecases.documents import import_files

SYSTEM = Actor.system()
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "postmortems"
LABELS = Path(__file__).resolve().parents[1] / "data" / "theme_labels.json"
SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4"]
# Recovered incidents per labelled theme (in the order of theme_labels.json), as measured for docs/insights.md.
FLOORS = [2, 3, 2, 1, 2, 2, 4, 5, 3, 3, 3]

pytestmark = pytest.mark.skipif(not CORPUS.exists(), reason="the corpus (../shared/corpus) is not here")


def recovered(themes: list[Theme], incidents: set[str]) -> int:
    """The most of these incidents one theme holds (a duplicate shown as another counts as held)."""
    return max((len(incidents & {*t.incidents, *t.duplicates}) for t in themes), default=0)


def test_themes_recover_the_hand_labelled_themes_of_the_corpus(db: Database):
    from afteraction.insights.themes import compute_themes

    files = sorted(CORPUS.glob("dfds/PM20*")) + sorted(CORPUS.glob("icco/data/*.md"))
    report = import_files(db, paths=files, severities=SEVERITIES, actor=SYSTEM)
    assert not report.failures
    incident_of = {str(Path(r.path).relative_to(CORPUS)): r.incident_id for r in report.results}
    themes = compute_themes(db, actor=SYSTEM)
    labels = json.loads(LABELS.read_text())["themes"]
    counts = [recovered(themes, {incident_of[f] for f in label["files"]}) for label in labels]
    assert counts >= FLOORS and all(c >= f for c, f in zip(counts, FLOORS, strict=True)), counts
    assert max(len(t.incidents) for t in themes) >= 8  # themes reach useful sizes (the old largest held 4)
    titles = [t.title for t in themes]
    assert "DDoS attack" in titles and "Kafka metrics" in titles and len(set(titles)) == len(titles)
