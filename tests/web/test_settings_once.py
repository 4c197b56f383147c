"""The server reads its policy and lint configuration once, when the app is created: never its cwd per request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from afteraction.accounts import service as accounts
from afteraction.core.errors import ConfigurationError
from afteraction.web import app_from_env, create_app
from tests.web.conftest import Api, add_people, make_settings, new_incident
from tests.web.pages.conftest import make_site

BROKEN = "[policy\napprovals = 2\n"  # line 1 opens a table it never closes


@contextmanager
def _start(database_url: str, **overrides: Any) -> Iterator[Api]:
    """A server app created now, in the process's current folder."""
    settings = make_settings(database_url, **overrides)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        api = Api(client=client, settings=settings)
        add_people(api)
        yield api


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder the server starts in: a policy asking for two approvals, and lint without structure or blame rules."""
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "afteraction.toml").write_text("[policy]\napprovals = 2\n")
    (folder / ".afteraction.toml").write_text('[lint]\nignore = ["structure", "blame"]\n')
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """Another folder with a policy and lint configuration of its own."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "afteraction.toml").write_text("[policy]\napprovals = 5\n")
    (folder / ".afteraction.toml").write_text('[lint]\nselect = ["all"]\n')
    return folder


def _approvals_needed(api: Api) -> Any:
    response = api.call("viewer", "GET", "/api/v1/incidents/INC-1/review")
    assert response.status_code == 200, response.text
    return response.json()["approvals_needed"]


def test_the_policy_found_at_start_holds_after_its_file_and_the_cwd_change(
    database_url: str, team: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
):
    with _start(database_url) as api:
        new_incident(api)
        assert _approvals_needed(api) == 2
        (team / "afteraction.toml").write_text(BROKEN)  # read per request, this would be a 500
        monkeypatch.chdir(elsewhere)  # read from the cwd per request, this would be 5
        assert _approvals_needed(api) == 2
        (team / "afteraction.toml").unlink()
        assert _approvals_needed(api) == 2
        insights = api.call("viewer", "GET", "/api/v1/insights")
        assert insights.status_code == 200, insights.text


def test_an_explicit_relative_policy_file_is_resolved_where_the_server_starts(
    database_url: str, team: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
):
    (team / "team-policy.toml").write_text("[policy]\napprovals = 3\n")
    with _start(database_url, policy_file=Path("team-policy.toml")) as api:
        new_incident(api)
        monkeypatch.chdir(elsewhere)
        (team / "team-policy.toml").unlink()
        assert _approvals_needed(api) == 3
        added = api.call("editor", "POST", "/api/v1/incidents/INC-1/actions", json={"title": "Alert on disk use"})
        assert added.status_code == 201, added.text


def test_the_pages_use_the_policy_and_lint_configuration_loaded_at_start(
    database_url: str, team: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
):
    site = make_site(database_url)
    try:
        token = accounts.create_token(site.db, user="editor", name="tests").token
        created = TestClient(site.app).post(
            "/api/v1/incidents", json={"title": "Disk full", "severity": "SEV2"},
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        (team / "afteraction.toml").write_text(BROKEN)
        (team / ".afteraction.toml").write_text(BROKEN)
        monkeypatch.chdir(elsewhere)
        editor = site.browser("editor")
        editor.get("/incidents/INC-1/review")
        requested = editor.post("/incidents/INC-1/review/request", {"reviewer": "reviewer"})
        assert requested.status_code == 200 and "Review requested from reviewer" in requested.text
        page = site.browser("viewer").get("/incidents/INC-1/review")
        assert page.status_code == 200 and "0 of 2 needed" in page.text
        assert editor.get("/dashboard").status_code == 200
        assert editor.get("/incidents/INC-1/postmortem").status_code == 200
        live = editor.post("/incidents/INC-1/postmortem/sections/summary/live", {"text": "It was human error."})
        assert live.status_code == 200 and "No lint findings in this text." in live.text
    finally:
        site.db.dispose()


def test_lint_through_the_api_uses_the_configuration_loaded_at_start(
    database_url: str, team: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
):
    with _start(database_url) as api:
        new_incident(api)
        monkeypatch.chdir(elsewhere)  # selects every rule, the structure ones the start's configuration ignores too
        (team / ".afteraction.toml").write_text('[lint]\nselect = ["structure"]\n')
        lint = api.call("viewer", "GET", "/api/v1/incidents/INC-1/postmortem/lint")
        assert lint.status_code == 200, lint.text
        rules = {finding["rule"] for finding in lint.json()["findings"]}
        assert not any(rule.startswith("structure/") for rule in rules)


def test_without_a_lint_file_at_start_the_defaults_hold(
    database_url: str, tmp_path: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    with _start(database_url) as api:
        new_incident(api)
        monkeypatch.chdir(elsewhere)
        (elsewhere / ".afteraction.toml").write_text('[lint]\nignore = ["all"]\n')
        lint = api.call("viewer", "GET", "/api/v1/incidents/INC-1/postmortem/lint").json()
        assert "structure/missing-section" in {finding["rule"] for finding in lint["findings"]}


def test_a_malformed_policy_file_stops_the_app_naming_the_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "team-policy.toml"
    path.write_text(BROKEN)
    with pytest.raises(ConfigurationError, match=rf"^{re.escape(str(path))}:1: invalid TOML: Expected '\]'") as raised:
        create_app(make_settings("sqlite://", policy_file=path))
    assert "\n" not in str(raised.value)


def test_a_malformed_policy_or_lint_file_found_from_the_start_stops_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afteraction.toml").write_text('[policy]\napprovals = 2\nrequire = ["SEV1",\n')
    with pytest.raises(ConfigurationError, match=rf"^{re.escape(str(tmp_path / 'afteraction.toml'))}:3: invalid TOML"):
        create_app(make_settings("sqlite://"))
    (tmp_path / "afteraction.toml").unlink()
    (tmp_path / ".afteraction.toml").write_text('[lint]\nselect = ["blame"]\nignore = \n')
    with pytest.raises(ConfigurationError, match=rf"^{re.escape(str(tmp_path / '.afteraction.toml'))}:3: invalid TOML"):
        create_app(make_settings("sqlite://"))


def test_the_server_factory_refuses_a_bad_policy_file_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "team-policy.toml"
    path.write_text(BROKEN)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AFTERACTION_DATABASE_URL", "sqlite://")
    monkeypatch.setenv("AFTERACTION_POLICY_FILE", str(path))
    with pytest.raises(SystemExit) as stopped:
        app_from_env()
    assert stopped.value.code == ConfigurationError.exit_code
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}:1: invalid TOML: ") and err.count("\n") == 1
