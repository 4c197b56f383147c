"""`afteraction lint` knows people's names from the database as well as from the document."""

from __future__ import annotations

import json

DOC = "# Certificate expired\n\n## Summary\n\nThe cert expired after Vexo Brandt skipped the renewal.\n"


def _blame(result) -> list[str]:
    return [f["rule"] for f in json.loads(result.stdout) if f["rule"].startswith("blame/")]


def test_a_name_known_only_to_the_database_is_recognised(cli, tmp_path):
    path = tmp_path / "pm.md"
    path.write_text(DOC)
    assert _blame(cli("lint", str(path), "--format", "json")) == []
    cli("incident", "create", "--title", "Cert", "--severity", "SEV3")
    cli("actions", "add", "INC-1", "--title", "Alert 14 days before a certificate expires", "--owner", "Vexo Brandt")
    result = cli("lint", str(path), "--format", "json")
    assert _blame(result) == ["blame/person-as-cause"]
    assert result.exit_code == 1


def test_lint_without_a_database_still_works(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from afteraction.cli import app

    monkeypatch.delenv("AFTERACTION_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "nowhere"))
    path = tmp_path / "pm.md"
    path.write_text(DOC)
    result = CliRunner().invoke(app, ["lint", str(path), "--format", "json"])
    assert result.exit_code in (0, 1) and isinstance(json.loads(result.stdout), list)
    assert not (tmp_path / "nowhere").exists()
