"""What a user sees from `afteraction categories suggestions`: how authors answered the categories suggested for
their factors in the post-mortem editor."""

from __future__ import annotations

import json

from afteraction.core.actor import Actor
from afteraction.domain.reviews import FactorData, PostmortemDocument
from afteraction.insights.suggestions import decide_suggestion
from afteraction.reviews.sections import get_factors

SYSTEM = Actor.system()  # tests act as the command line does: the system actor sees every incident


def test_categories_suggestions_counts_accepted_and_rejected_per_category(cli, db, store):
    assert "No suggestion answered yet." in cli("categories", "suggestions").stdout
    incident = store(
        PostmortemDocument(
            title="Checkout errors",
            severity="SEV2",
            factors=[FactorData(text="No alert fired when checkout errors rose"), FactorData(text="A config change")],
        )
    )
    for index, slug, accept in ((0, "monitoring-gap", True), (1, "config-change", False)):
        version = get_factors(db, incident_id=incident, actor=SYSTEM).version
        text = get_factors(db, incident_id=incident, actor=SYSTEM).items[index].text
        decide_suggestion(
            db, incident_id=incident, index=index, factor_text=text, category=slug, accept=accept,
            expected_version=version, actor=SYSTEM,
        )  # fmt: skip
    shown = cli("categories", "suggestions")
    assert shown.exit_code == 0 and "Category suggestions" in shown.stdout
    lines = [" ".join(line.replace("│", " ").split()) for line in shown.stdout.splitlines()]
    assert "config-change 0 1 0%" in lines and "monitoring-gap 1 0 100%" in lines and "all 1 1 50%" in lines
    data = json.loads(cli("categories", "suggestions", "--json").stdout)
    assert data["total"] == {"category": "all", "accepted": 1, "rejected": 1, "rate": 0.5}
    assert [(c["category"], c["accepted"], c["rejected"]) for c in data["categories"]] == [
        ("config-change", 0, 1), ("monitoring-gap", 1, 0),
    ]  # fmt: skip
