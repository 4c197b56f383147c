"""The command line reads the policy at most once per command, and a bad policy or lint file is one line naming
the file and the line: for `afteraction serve` too, before it binds a port."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from afteraction.cli import CliState
from afteraction.core.config import Settings
from afteraction.core.errors import ConfigurationError
from afteraction.domain import policy as policy_module
from tests.conftest import CliResult

BROKEN = "[policy\napprovals = 2\n"  # line 1 opens a table it never closes


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path | None]:
    """The files the policy is loaded from, one entry per load."""
    seen: list[Path | None] = []
    real = policy_module.load_policy

    def counting(path: Path | None = None, **kwargs: Any) -> policy_module.Policy:
        seen.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(policy_module, "load_policy", counting)
    return seen


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn must not be started: the refusal comes first."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("uvicorn.run was called")

    monkeypatch.setattr(uvicorn, "run", refuse)


def _one_line_error(result: CliResult, path: Path, line: int) -> None:
    assert result.exit_code == ConfigurationError.exit_code, (result.stdout, result.stderr)
    assert result.stderr.startswith(f"error: {path}:{line}: invalid TOML: "), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr + result.stdout


def test_the_cli_state_reads_the_policy_once(tmp_path: Path, loads: list[Path | None]):
    path = tmp_path / "team-policy.toml"
    path.write_text("[policy]\napprovals = 2\n")
    state = CliState(settings=Settings(database_url="sqlite://", policy_file=path))
    first = state.policy()
    path.write_text(BROKEN)
    assert state.policy() is first and first.approvals == 2
    assert loads == [path]


def test_a_command_reads_the_policy_once(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[Path | None]
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afteraction.toml").write_text('[policy.action-due]\nP2 = "3d"\n')
    assert cli("incident", "create", "--title", "Disk full", "--severity", "SEV2").exit_code == 0
    loads.clear()
    added = cli("actions", "add", "INC-1", "--title", "Alert on disk use", "--priority", "P2", "--json")
    assert added.exit_code == 0, added.stderr
    assert json.loads(added.stdout)["due"] is not None
    assert len(loads) == 1
    loads.clear()
    assert cli("policy", "check").exit_code in (0, 1)
    assert len(loads) == 1


def test_a_bad_policy_file_is_one_line_naming_the_file_and_line(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "team-policy.toml"
    path.write_text(BROKEN)
    monkeypatch.setenv("AFTERACTION_POLICY_FILE", str(path))
    _one_line_error(cli("policy", "show"), path, 1)
    monkeypatch.delenv("AFTERACTION_POLICY_FILE")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afteraction.toml").write_text('[policy]\nrequire = ["SEV1",\n')
    _one_line_error(cli("policy", "check"), tmp_path / "afteraction.toml", 2)


def test_serve_refuses_a_bad_policy_file_with_one_line(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_server: None
):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "team-policy.toml"
    path.write_text(BROKEN)
    monkeypatch.setenv("AFTERACTION_POLICY_FILE", str(path))
    _one_line_error(cli("serve", "--port", "8765"), path, 1)


def test_serve_refuses_a_bad_lint_file_found_where_it_starts(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_server: None
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".afteraction.toml").write_text('[lint]\nselect = ["blame"]\nignore = \n')
    _one_line_error(cli("serve"), tmp_path / ".afteraction.toml", 3)


def test_serve_refuses_a_missing_policy_file(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_server: None
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AFTERACTION_POLICY_FILE", str(tmp_path / "nope.toml"))
    result = cli("serve")
    assert result.exit_code == ConfigurationError.exit_code
    assert result.stderr == f"error: policy file {tmp_path / 'nope.toml'} does not exist (AFTERACTION_POLICY_FILE)\n"
