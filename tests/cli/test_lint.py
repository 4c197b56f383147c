"""`afteraction lint`: exit codes, formats, folders, configuration and the database hook, as users run it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from afteraction.cli import CliState
from afteraction.cli.lint import lint_command
from afteraction.core.actor import Actor
from afteraction.core.config import Settings
from afteraction.core.db import Database
from afteraction.usecases import documents as service
from afteraction.usecases.demo import demo_document

runner = CliRunner()

CLEAN = """\
---
title: Checkout 502s
kind: near-miss
authors: [Dave Miller]
---

# Checkout 502s

## Summary

The pool size default of 5 made checkout fail.

## Impact

None: the canary caught it.

## Timeline

| Time | Event |
| --- | --- |
| 2026-02-01T10:00:00Z | Dave deployed v2.14 to the canary |

## Action Items

| Action | Type | Owner | Due | Status | Addresses |
| --- | --- | --- | --- | --- | --- |
| Make the config schema reject an unset pool size | prevent | Dave Miller | 2099-01-01 | open | F1 |
"""
BLAMEFUL = CLEAN.replace("made checkout fail.", "made checkout fail. Dave forgot to set it.")
HINDSIGHT = CLEAN.replace("made checkout fail.", "made checkout fail. We should have caught it.")


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("lint")(lint_command)

    @app.callback()
    def root(ctx: typer.Context, database_url: str = "sqlite://") -> None:
        ctx.obj = CliState(settings=Settings(database_url=database_url))

    return app


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_clean_post_mortem_exits_0(tmp_path: Path):
    path = _write(tmp_path, "pm.md", CLEAN)
    result = runner.invoke(_app(), ["lint", str(path)])
    assert result.exit_code == 0, result.output
    assert "No findings." in result.output


def test_errors_exit_1_and_print_path_line_column(tmp_path: Path):
    path = _write(tmp_path, "pm.md", BLAMEFUL)
    result = runner.invoke(_app(), ["lint", str(path)])
    assert result.exit_code == 1
    assert f"{path}:11:48: blame/person-as-cause" in result.output


def test_warnings_alone_exit_0(tmp_path: Path):
    path = _write(tmp_path, "pm.md", HINDSIGHT)
    result = runner.invoke(_app(), ["lint", str(path)])
    assert result.exit_code == 0
    assert "blame/hindsight" in result.output and "[warning]" in result.output


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "text"])
def test_every_format_prints_the_finding(tmp_path: Path, fmt: str):
    path = _write(tmp_path, "pm.md", BLAMEFUL)
    result = runner.invoke(_app(), ["lint", "--format", fmt, str(path)])
    assert result.exit_code == 1
    if fmt == "json":
        assert [f["rule"] for f in json.loads(result.output)] == ["blame/person-as-cause"]
    elif fmt == "sarif":
        assert json.loads(result.output)["runs"][0]["results"][0]["ruleId"] == "blame/person-as-cause"
    elif fmt == "github":
        assert result.output.startswith(f"::error file={path},line=11,col=48,title=blame/person-as-cause::")


def test_a_folder_is_searched_for_markdown_files(tmp_path: Path):
    _write(tmp_path, "a/one.md", BLAMEFUL)
    _write(tmp_path, "a/b/two.md", BLAMEFUL)
    _write(tmp_path, "a/notes.txt", "Dave forgot.")
    result = runner.invoke(_app(), ["lint", "--format", "json", str(tmp_path / "a")])
    assert sorted(Path(f["path"]).name for f in json.loads(result.output)) == ["one.md", "two.md"]


def test_the_nearest_configuration_applies_and_config_overrides_it(tmp_path: Path):
    path = _write(tmp_path, "docs/pm.md", BLAMEFUL)
    _write(tmp_path, "pyproject.toml", '[tool.afteraction.lint]\nignore = ["blame/person-as-cause"]\n')
    assert runner.invoke(_app(), ["lint", str(path)]).exit_code == 0
    other = _write(tmp_path, "strict/.afteraction.toml", "[lint]\n")
    assert runner.invoke(_app(), ["lint", "--config", str(other), str(path)]).exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: give at least one PATH or --incident ID"),
        (["missing.md"], "error: missing.md: no such file or folder"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(_app(), ["lint", *args])
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_unreadable_and_malformed_files_exit_2_without_a_traceback(tmp_path: Path):
    binary = tmp_path / "bad.md"
    binary.write_bytes(b"# T\n\xff\xfe")
    result = runner.invoke(_app(), ["lint", str(binary)])
    assert result.exit_code == 2 and "not UTF-8 text (invalid byte at line 2)" in result.output
    broken = _write(tmp_path, "broken.md", "---\ntitle: [x\n---\n# T\n")
    result = runner.invoke(_app(), ["lint", str(broken)])
    assert result.exit_code == 2 and "malformed YAML front matter" in result.output
    assert "Traceback" not in result.output


def test_a_bad_configuration_exits_2(tmp_path: Path):
    path = _write(tmp_path, "pm.md", CLEAN)
    config = _write(tmp_path, "bad.toml", "[tool.afteraction.lint]\nselect = ['nope']\n")
    result = runner.invoke(_app(), ["lint", "--config", str(config), str(path)])
    assert result.exit_code == 2 and "names no rule" in result.output


def test_an_incident_in_the_database_is_linted(database_url: str):
    db = Database(database_url)
    doc = demo_document(datetime.now(UTC).date())
    doc.summary += " The on-call engineer forgot to check the pool size."
    severities = ("SEV1", "SEV2", "SEV3", "SEV4")
    incident_id = service.store_document(db, doc=doc, severities=severities, actor=Actor.system()).incident_id
    db.dispose()
    result = runner.invoke(
        _app(), ["--database-url", database_url, "lint", "--incident", incident_id, "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    found = json.loads(result.output)
    assert [(f["path"], f["rule"]) for f in found if f["rule"].startswith("blame/")] == [
        (incident_id, "blame/person-as-cause")
    ]


def test_an_unknown_format_is_a_usage_error(tmp_path: Path):
    path = _write(tmp_path, "pm.md", CLEAN)
    result = runner.invoke(_app(), ["lint", "--format", "xml", str(path)])
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.output


@pytest.mark.parametrize("incident_id", ["INC-999", "NOPE"])
def test_an_incident_that_is_not_there_exits_2_not_another_code(database_url: str, incident_id: str):
    result = runner.invoke(_app(), ["--database-url", database_url, "lint", "--incident", incident_id])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and len(result.output.strip().splitlines()) == 1


def test_an_ignore_on_a_heading_silences_the_section_and_keeps_it_a_section(tmp_path: Path):
    text = CLEAN.replace(
        "## Timeline\n", "## Timeline <!-- afteraction: ignore structure/timeline-order, blame -->\n"
    ).replace(
        "| 2026-02-01T10:00:00Z | Dave deployed v2.14 to the canary |",
        "| 2026-02-01T10:05:00Z | Dave forgot to warm the cache |\n| 2026-02-01T10:00:00Z | Dave deployed v2.14 |",
    )
    path = _write(tmp_path, "pm.md", text)
    result = runner.invoke(_app(), ["lint", str(path)])
    # the comment must not hide the section from the parser: no "no Timeline section", a timeline of 2 events
    assert result.exit_code == 0, result.output
    assert "No findings." in result.output
    assert "a timeline of at least 3 events" in result.output


def test_a_big_folder_is_linted_in_parallel_with_the_same_output_in_the_same_order(tmp_path: Path, monkeypatch):
    import afteraction.cli.lint as lint_cli

    count, texts = lint_cli.PARALLEL_FROM + 10, [CLEAN, BLAMEFUL, HINDSIGHT]
    for n in range(count):
        _write(tmp_path, f"pm-{n:03d}.md", texts[n % 3].replace("Checkout 502s", f"Checkout 502s, part {n}"))
    files = [str(p) for p in sorted(tmp_path.glob("pm-*.md"))]
    monkeypatch.setattr(lint_cli, "_workers", lambda: 2)  # fork even on a one-core machine
    parallel = runner.invoke(_app(), ["lint", "--format", "json", *files])
    monkeypatch.setattr(lint_cli, "PARALLEL_FROM", 10**9)
    serial = runner.invoke(_app(), ["lint", "--format", "json", *files])
    assert parallel.exit_code == serial.exit_code == 1
    assert parallel.output == serial.output
    rules = [(Path(f["path"]).name, f["rule"]) for f in json.loads(parallel.output)]
    assert rules[:2] == [("pm-001.md", "blame/person-as-cause"), ("pm-002.md", "blame/hindsight")]
    assert len(rules) == 2 * count // 3
    monkeypatch.setattr(lint_cli, "PARALLEL_FROM", 200)
    _write(tmp_path, "zz-bad.md", "---\ntitle: [unclosed\n---\n")
    broken = runner.invoke(_app(), ["lint", str(tmp_path)])  # a file a worker cannot read stops the run as usual
    assert broken.exit_code == 2 and "zz-bad.md:3: malformed YAML front matter" in broken.output


def test_a_mappings_boilerplate_is_not_linted_and_a_bad_mapping_is_one_line(tmp_path: Path):
    boiler = CLEAN.replace("## Impact", "## Notes from the template\n\nDave forgot to set it.\n\n## Impact")
    path = _write(tmp_path, "pm.md", boiler)
    assert "blame/person-as-cause" in runner.invoke(_app(), ["lint", str(path)]).output
    mapping = _write(tmp_path, "mapping.toml", '[ignore]\nheadings = ["notes from the TEMPLATE"]\n')
    result = runner.invoke(_app(), ["lint", str(path), "--mapping", str(mapping)])
    assert result.exit_code == 0 and "blame/" not in result.output, result.output
    bad = _write(tmp_path, "bad.toml", "[ignore\n")
    refused = runner.invoke(_app(), ["lint", str(path), "--mapping", str(bad)])
    assert refused.exit_code == 2 and f"{bad}:1: invalid TOML" in refused.output
