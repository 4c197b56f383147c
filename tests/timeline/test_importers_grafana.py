"""Grafana alerting webhooks become alert and resolve events linking to the panel that fired."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import ImportOptions, read_events

FIXTURES = Path(__file__).parent / "fixtures" / "grafana"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "formats"


def grafana(path: Path) -> list[ImportedEvent]:
    return list(read_events(path, "grafana", ImportOptions()))


def test_firing_alert_names_its_values_and_links_the_panel() -> None:
    (event,) = grafana(FIXTURES / "firing.json")
    assert (event.kind, event.source) == ("alert", "grafana")
    assert event.at == datetime(2024, 3, 14, 10, 0, 40, tzinfo=UTC)
    assert event.text == "Firing: Checkout latency on checkout: p99 latency above 2s (A=3.4, B=1)"
    assert event.link == "https://grafana.example/d/checkout?orgId=1&viewPanel=4"


def test_resolution_shares_the_alert_id_with_the_firing(tmp_path: Path) -> None:
    (firing,) = grafana(FIXTURES / "firing.json")
    alert, resolved = grafana(FIXTURES / "resolved.json")
    assert alert.source_id == firing.source_id == "c0ffee0123456789:2024-03-14T10:00:40Z:firing"
    assert (resolved.kind, resolved.at) == ("resolve", datetime(2024, 3, 14, 10, 18, 40, tzinfo=UTC))
    assert resolved.text == "Resolved: Checkout latency on checkout: p99 latency above 2s"


def test_corpus_grafana_11_payload() -> None:
    path = CORPUS / "zulip_alert_values_v11.json"
    if not path.exists():
        pytest.skip(f"the reference corpus is not here ({path})")
    (event,) = grafana(path)
    assert event.at == datetime(2024, 3, 1, 2, 9, tzinfo=UTC)
    assert event.text == "Firing: Memory (copy): High memory usage (A=2473545728, B=0, C=1, minute=9)"
    assert event.link == "https://play.grafana.org/d/ece9fb32-7f71-4be9-bd94-2f23608ae5b9?orgId=1&viewPanel=2"


def test_legacy_notification_has_no_time_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "legacy.json"
    path.write_text(
        '{"ruleId": 1, "ruleName": "CPU", "state": "alerting", "evalMatches": [], "title": "[Alerting] CPU"}'
    )
    with pytest.raises(InvalidInput, match="legacy Grafana notification carries no time"):
        grafana(path)
