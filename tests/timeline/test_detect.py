"""`--format auto` recognises every source from its content, and says which formats exist when it cannot."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afteraction.core.errors import InvalidInput
from afteraction.timeline.importers import FORMATS, ImportOptions, detect_format, read_events

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "formats"


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("slack/export", "slack"),
        ("pagerduty/log_entries.json", "pagerduty"),
        ("pagerduty/incident.json", "pagerduty"),
        ("opsgenie/webhooks.jsonl", "opsgenie"),
        ("opsgenie/alert_logs.json", "opsgenie"),
        ("opsgenie/alerts.json", "opsgenie"),
        ("opsgenie/incidents.json", "opsgenie"),
        ("alertmanager/firing.json", "alertmanager"),
        ("alertmanager/notifications.jsonl", "alertmanager"),
        ("alertmanager/payloads.json", "alertmanager"),
        ("grafana/firing.json", "grafana"),
        ("grafana/resolved.json", "grafana"),
        ("git/default.txt", "git"),
        ("git/fuller.txt", "git"),
        ("git/isostrict.txt", "git"),
        ("github/deployment_status.json", "github"),
        ("github/deployments.json", "github"),
        ("github/push.json", "github"),
        ("jira/issue.json", "jira"),
        ("jira/changelog.json", "jira"),
        ("jira/comments_v2.json", "jira"),
        ("tabular/deploy_log.csv", "csv"),
        ("tabular/app.jsonl", "jsonl"),
    ],
)
def test_every_fixture_is_recognised(relative: str, expected: str) -> None:
    assert detect_format(FIXTURES / relative) == expected


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("slack/houstondatavis-export", "slack"),
        ("slack/slack-export-viewer-testarchive", "slack"),
        ("alertmanager/zulip_alert_firing_2alerts.json", "alertmanager"),
        ("alertmanager/zulip_single_alert_resolved.json", "alertmanager"),
        ("zulip_alert_values_v11.json", "grafana"),
        ("opsgenie/webhook_zulip_fixtures/create.json", "opsgenie"),
        ("opsgenie/webhook_zulip_fixtures/close.json", "opsgenie"),
        ("opsgenie/rest/GET_v2_alerts_id_logs.json", "opsgenie"),
        ("opsgenie/rest/GET_v1_incidents.json", "opsgenie"),
        ("github-webhooks/deployment_payload.json", "github"),
        ("github-webhooks/push_payload.json", "github"),
        ("jira/jira-cli_testdata/issue.json", "jira"),
        ("git-log/dfds_git_log_default.txt", "git"),
        ("git-log/dfds_git_log_fuller_isostrict.txt", "git"),
        ("git-log/dfds_git_log_numstat.txt", "git"),
        ("git-log/dfds_git_log_all_tsv.txt", "git"),
        ("git-log/dfds_git_log_unitsep.txt", "git"),
    ],
)
def test_corpus_samples_are_recognised(relative: str, expected: str) -> None:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"the reference corpus is not here ({path})")
    assert detect_format(path) == expected


def test_names_do_not_matter_only_content(tmp_path: Path) -> None:
    disguised = tmp_path / "slack-export.csv"
    shutil.copy(FIXTURES / "alertmanager" / "firing.json", disguised)
    assert detect_format(disguised) == "alertmanager"
    renamed = tmp_path / "backup.dat"
    with zipfile.ZipFile(renamed, "w") as archive:
        for path in (FIXTURES / "slack" / "export").rglob("*.json"):
            archive.write(path, path.relative_to(FIXTURES / "slack" / "export").as_posix())
    assert detect_format(renamed) == "slack"


def test_auto_reads_like_the_named_format() -> None:
    path = FIXTURES / "pagerduty" / "log_entries.json"
    assert list(read_events(path, "auto", ImportOptions())) == list(read_events(path, "pagerduty", ImportOptions()))


def accepted() -> str:
    return ", ".join(FORMATS)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"Dear team, the checkout broke on Tuesday.\n", "text that is neither JSON, git log nor CSV"),
        (b'{"hello": "world"}', "JSON of no known source"),
        (b"\xff\xfe\x00b\x00i\x00n", "not UTF-8 text"),
        (b"name,email\nAlice,alice@example.invalid\n", "a table without a time column"),
    ],
)
def test_unrecognised_files_list_the_accepted_formats(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "mystery"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as caught:
        detect_format(path)
    assert reason in str(caught.value)
    assert accepted() in str(caught.value)
    assert "\n" not in str(caught.value)


def test_zip_that_is_not_a_slack_export(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("report.pdf", "%PDF-1.7")
    with pytest.raises(InvalidInput, match=f"a zip that is not a Slack export.*{accepted()}"):
        detect_format(path)


def test_folder_that_is_not_a_slack_export(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(InvalidInput, match="a folder that is not a Slack export"):
        detect_format(tmp_path)


def test_single_slack_day_file_asks_for_the_whole_export(tmp_path: Path) -> None:
    path = tmp_path / "2024-03-14.json"
    shutil.copy(FIXTURES / "slack" / "export" / "general" / "2024-03-14.json", path)
    with pytest.raises(InvalidInput, match=r"a single Slack day file; import the whole export folder or its \.zip"):
        detect_format(path)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("\n\n")
    with pytest.raises(InvalidInput, match="the file is empty"):
        detect_format(empty)
    with pytest.raises(InvalidInput, match="no such file or folder"):
        detect_format(tmp_path / "missing.json")


def test_truncated_json_is_reported_at_detection(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text((FIXTURES / "pagerduty" / "incident.json").read_text()[:300])
    with pytest.raises(InvalidInput, match=r"cut\.json: line \d+: not valid JSON"):
        detect_format(path)


def test_unknown_format_name_lists_the_formats() -> None:
    with pytest.raises(InvalidInput, match=f"unknown format 'splunk'; accepted formats: auto, {accepted()}"):
        read_events(FIXTURES / "git" / "default.txt", "splunk", ImportOptions())


JSON_FIXTURES = (
    ("pagerduty", "pagerduty/log_entries.json"),
    ("pagerduty", "pagerduty/incident.json"),
    ("opsgenie", "opsgenie/alert_logs.json"),
    ("opsgenie", "opsgenie/alerts.json"),
    ("alertmanager", "alertmanager/firing.json"),
    ("grafana", "grafana/resolved.json"),
    ("github", "github/deployment_status.json"),
    ("github", "github/push.json"),
    ("jira", "jira/issue.json"),
    ("jira", "jira/comments_v2.json"),
)


def _places(doc: Any, at: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [at]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _places(value, (*at, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _places(value, (*at, index))
    return found


@settings(max_examples=300, deadline=None)
@given(
    case=st.sampled_from(JSON_FIXTURES),
    pick=st.integers(min_value=0),
    value=st.sampled_from([None, 7, "x", [], {}, True, "2024-13-99T99:99:99Z", -1.5]),
)
def test_a_field_of_the_wrong_shape_gives_a_one_line_error_never_a_traceback(
    case: tuple[str, str], pick: int, value: object
) -> None:
    fmt, relative = case
    document = json.loads((FIXTURES / relative).read_text())
    places = _places(document)
    place = places[pick % len(places)]
    if place:
        holder = document
        for step in place[:-1]:
            holder = holder[step]
        holder[place[-1]] = value
    else:
        document = value
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "input.json"
        path.write_text(json.dumps(document))
        try:
            list(read_events(path, fmt, ImportOptions()))
        except InvalidInput as error:
            assert "\n" not in str(error)
            assert str(path) in str(error)
