"""What a user sees when loading the demo, exporting post-mortems and importing Markdown files (own and foreign)."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import corpus_path

FOREIGN = """# Search cluster ran out of disk

## Summary

Search was read-only for 40 minutes because the cluster ran out of disk.

## Timeline

All times in CET.

| Time | Event |
| :--- | --- |
| 2024-01-15 10:00 | Disk usage alert fired |
| 2024-01-15 10:?? | Someone looked at it |
| 2024-01-15 10:40 | Old indices deleted, writes resumed |

## Root Causes

- Index retention was not configured for the new log indices

## Lessons Learned

- Disk alerts need a runbook

## Follow-ups

- Configure index lifecycle policies for log indices
- Add a disk forecast alert

## Stats

- Category: Storage
- Time to detection: 5 minutes
- Time to recovery: 40 minutes
"""


def test_demo_loads_a_complete_postmortem_and_prints_it(cli, tmp_path):
    out = tmp_path / "demo.md"
    result = cli("demo", "--markdown", str(out))
    assert result.exit_code == 0, result.stderr
    assert "Loaded the demo post-mortem as INC-1" in result.stdout
    assert "Checkout API returned 502s" in result.stdout and "Five Whys" in result.stdout
    assert f"Markdown file: {out.resolve()}" in result.stdout
    text = out.read_text()
    assert "```mermaid" in text and "**Root cause:**" in text
    again = cli("demo", "--quiet")
    assert "Refreshed the demo post-mortem as INC-1" in again.stdout
    assert len(json.loads(cli("incident", "list", "--json").stdout)) == 1
    actions = json.loads(cli("actions", "list", "--json").stdout)
    assert len(actions) == 4 and all(a["owner"] and a["due"] for a in actions)


def test_export_then_import_then_export_is_identical(cli, tmp_path):
    cli("demo", "--quiet")
    first = cli("export", "INC-1", "--format", "md").stdout
    path = tmp_path / "INC-1.md"
    path.write_text(first)
    imported = cli("import", str(path))
    assert "Imported 1 post-mortems (0 new, 1 updated), 0 warnings." in imported.stdout
    assert cli("export", "INC-1", "--format", "md").stdout == first
    assert len(json.loads(cli("incident", "list", "--json").stdout)) == 1


def test_export_into_an_empty_database_recreates_the_same_incident(cli, tmp_path, database_url):
    cli("demo", "--quiet")
    first = cli("export", "INC-1", "-f", "json").stdout
    md = tmp_path / "pm.md"
    cli("export", "INC-1", "-o", str(md))
    cli("incident", "create", "--title", "unrelated", "--severity", "SEV4")  # INC-2
    cli("import", str(md))
    assert cli("export", "INC-1", "-f", "json").stdout == first


def test_a_json_export_imports_back_into_an_empty_database(cli, tmp_path, monkeypatch):
    cli("demo", "--quiet")
    first_json = cli("export", "INC-1", "-f", "json").stdout
    first_md = cli("export", "INC-1", "-f", "md").stdout
    path = tmp_path / "INC-1.json"
    path.write_text(first_json)
    monkeypatch.setenv("AFTERACTION_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    assert cli("init").exit_code == 0
    imported = cli("import", str(path))
    assert imported.exit_code == 0, imported.stderr
    assert "Imported 1 post-mortems (1 new, 0 updated), 0 warnings." in imported.stdout
    assert cli("export", "INC-1", "-f", "json").stdout == first_json
    assert cli("export", "INC-1", "-f", "md").stdout == first_md


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.md", "  \n\n", "empty.md: empty file: no post-mortem in it"),
        ("broken.json", '{"title": "x",\n  "kind": }', "broken.json:2: not valid JSON: Expecting value"),
        ("list.json", "[1, 2]", "list.json: expected a JSON object"),
        ("typed.json", '{"title": "x", "timeline": [{"at": "soon", "text": "y"}]}', "typed.json: field timeline.0.at:"),
    ],
)
def test_an_empty_file_or_bad_json_is_one_line_and_writes_nothing(cli, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    result = cli("import", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr and "Traceback" not in result.stderr
    assert json.loads(cli("incident", "list", "--json").stdout) == []


def test_export_formats(cli, tmp_path):
    cli("demo", "--quiet")
    html = cli("export", "INC-1", "--format", "html").stdout
    assert html.lstrip().lower().startswith("<!doctype html") and "Checkout API returned 502s" in html
    data = json.loads(cli("export", "INC-1", "--format", "json").stdout)
    assert data["id"] == "INC-1" and data["severity"] == "SEV2"
    assert data["timeline"][0]["at"].endswith("Z")
    written = cli("export", "INC-1", "--format", "md", "-o", str(tmp_path / "x" / "pm.md"))
    assert written.exit_code == 0 and (tmp_path / "x" / "pm.md").read_text().startswith("---\n")
    bad = cli("export", "INC-1", "--format", "docx")
    assert bad.exit_code == 2 and "invalid format 'docx'" in bad.stderr


def test_export_with_a_team_template(cli, tmp_path):
    cli("demo", "--quiet")
    (tmp_path / "postmortem.md.j2").write_text("# {{ doc.title }} ({{ doc.severity }})\n")
    out = cli("export", "INC-1", "--template", str(tmp_path)).stdout
    assert out.startswith("# Checkout API returned 502s after a connection-pool config change (SEV2)")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("# {{ doc.title }}\n{{ doc.title \n", "postmortem.md.j2:2: unexpected end of template"),
        ("# {{ doc.title }}\n\n{{ doc.no_such_field }}\n", "postmortem.md.j2:3: "),
    ],
)
def test_a_broken_team_template_is_one_line_naming_file_and_line(cli, tmp_path, template, message):
    cli("demo", "--quiet")
    (tmp_path / "postmortem.md.j2").write_text(template)
    result = cli("export", "INC-1", "--template", str(tmp_path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: template ") and message in result.stderr
    assert "Traceback" not in result.stderr
    missing = cli("export", "INC-1", "--template", str(tmp_path / "nope"))
    assert missing.exit_code == 2 and f"template folder {tmp_path / 'nope'}: no such folder" in missing.stderr


@pytest.mark.parametrize(
    ("attack", "message"),
    [
        ("lipsum.__globals__['os'].popen('touch MARKER').read()", "'lipsum' is undefined"),
        (
            "doc.model_copy.__globals__['__builtins__']['__import__']('os').system('touch MARKER')",
            "not allowed in a template: access to attribute '__globals__' of 'method' object is unsafe",
        ),
    ],
)
def test_a_team_template_cannot_run_commands(cli, tmp_path, attack, message):
    cli("incident", "create", "--title", "Checkout down", "--severity", "SEV2")
    marker = tmp_path / "ran"
    template = "# {{ doc.title }}\n{{ " + attack.replace("MARKER", str(marker)) + " }}\n"
    (tmp_path / "postmortem.md.j2").write_text(template)
    result = cli("export", "INC-1", "--template", str(tmp_path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip().rstrip(".") == f"error: template postmortem.md.j2:2: {message}"
    assert not marker.exists()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_export_pdf_prints_a_real_pdf(cli, tmp_path):
    cli("demo", "--quiet")
    out = tmp_path / "pm.pdf"
    result = cli("export", "INC-1", "--format", "pdf", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")


def test_foreign_document_imports_leniently_with_warnings(cli, tmp_path):
    path = tmp_path / "search-outage"  # no .md ending: a file named on the command line is read anyway
    path.write_text(FOREIGN)
    result = cli("import", str(path))
    assert result.exit_code == 1, result.stderr  # issue #17: imported, with warnings
    assert "Imported 1 post-mortems (1 new, 0 updated), 1 warnings." in result.stdout
    assert f"{path}:14:" in result.stdout and "10:??" in result.stdout
    events = json.loads(cli("timeline", "show", "INC-1", "--json").stdout)
    assert [e["at"] for e in events] == ["2024-01-15T09:00:00Z", None, "2024-01-15T09:40:00Z"]
    assert events[1]["time_text"] == "2024-01-15 10:??"
    actions = json.loads(cli("actions", "list", "--json").stdout)
    assert [a["title"] for a in actions] == [
        "Configure index lifecycle policies for log indices",
        "Add a disk forecast alert",
    ]
    again = cli("import", str(path))
    assert "(0 new, 1 updated)" in again.stdout
    assert len(json.loads(cli("incident", "list", "--json").stdout)) == 1


def test_a_failed_file_is_reported_and_the_others_land(cli, tmp_path):
    # Issue #17: each file imports on its own.
    good = tmp_path / "good.md"
    good.write_text(FOREIGN)
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: [unclosed\n---\n# x\n")
    result = cli("import", str(good), str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "bad.md" in result.stderr
    assert "Traceback" not in result.stderr
    assert [i["title"] for i in json.loads(cli("incident", "list", "--json").stdout)] == [
        "Search cluster ran out of disk"
    ]


def test_bad_severity_in_a_document_names_file_and_field(cli, tmp_path):
    path = tmp_path / "pm.md"
    path.write_text("---\ntitle: Disk full\nseverity: SEV7\n---\n# Disk full\n")
    result = cli("import", str(path))
    assert result.exit_code == 1  # issue #17: kept as written, with a warning naming the line
    assert "pm.md:3: severity 'SEV7' is not one of SEV1, SEV2, SEV3, SEV4" in result.stdout


def test_missing_and_non_utf8_files_are_one_line(cli, tmp_path):
    missing = cli("import", str(tmp_path / "nope.md"))
    assert missing.exit_code == 2 and "nope.md: no such file" in missing.stderr
    latin = tmp_path / "latin.md"
    latin.write_bytes("# Caf\xe9 outage\n".encode("latin-1"))
    result = cli("import", str(latin))
    assert result.exit_code == 2 and "latin.md" in result.stderr and "UTF-8" in result.stderr


def test_import_json_output(cli, tmp_path):
    path = tmp_path / "x.md"
    path.write_text(FOREIGN)
    data = json.loads(cli("import", str(path), "--json").stdout)
    assert data[0]["id"] == "INC-1" and data[0]["created"] is True
    assert data[0]["warnings"][0]["line"] == 14


def test_the_whole_corpus_imports_as_281_incidents(cli):
    dfds = sorted(corpus_path("postmortems", "dfds").glob("PM20*"))
    icco = sorted(corpus_path("postmortems", "icco", "data").glob("*.md"))
    assert (len(dfds), len(icco)) == (39, 242)
    result = cli("import", *map(str, dfds + icco))
    assert result.exit_code in (0, 1), result.stderr  # 1: some only with warnings (issue #17)
    assert "Imported 281 post-mortems (281 new, 0 updated)" in result.stdout
    incidents = json.loads(cli("incident", "list", "--json").stdout)
    assert len(incidents) == 281
    adfs = next(i for i in incidents if i["title"] == "ADFS Outage")
    assert adfs["categories"] == ["Authentication/Authorisation"]
    events = json.loads(cli("timeline", "show", adfs["id"], "--json").stdout)
    assert events[0]["at"] == "2021-03-31T12:06:00Z"
    again = cli("import", *map(str, dfds[:3]))
    assert "(0 new, 3 updated)" in again.stdout


def test_import_of_a_cet_document_converts_to_utc(cli):
    path = corpus_path("postmortems", "dfds", "PM2019-009 - Kubernetes network infrastructure IP starvation.md")
    cli("import", str(path))
    events = json.loads(cli("timeline", "show", "INC-1", "--json").stdout)
    assert events[0]["at"] == "2019-11-29T11:00:00Z"  # 12:00 CET in winter


def test_an_output_file_that_cannot_be_written_is_one_line(cli, tmp_path):
    cli("demo", "--quiet")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = cli("export", "INC-1", "-o", str(blocker / "pm.md"))
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {blocker / 'pm.md'}: cannot write: ")
    assert "Traceback" not in result.stderr


def test_a_document_with_nul_characters_imports_without_them(cli, tmp_path):
    """PostgreSQL cannot store NUL: the reader removes them, on every database alike (row 8 of issue 14)."""
    path = tmp_path / "nul.md"
    path.write_bytes(
        b'---\ntitle: "Checkout down"\nseverity: SEV2\n---\n# Summary\nA NUL \x00 in the middle.\n\n'
        b"## Timeline\n\n| Time (UTC) | Event |\n|---|---|\n| 2024-03-14 10:00:00 | Alert \x00 fired |\n"
    )
    result = cli("import", str(path))
    assert result.exit_code == 0, result.stderr
    shown = cli("export", "INC-1", "--format", "json")
    assert "\\u0000" not in shown.stdout and "A NUL  in the middle." in shown.stdout


def test_a_name_longer_than_the_database_holds_is_one_line_naming_the_file(cli, tmp_path):
    path = tmp_path / "long.md"
    path.write_text(f"---\ntitle: Long author\nseverity: SEV2\nauthors: [{'A' * 250}]\n---\n# Summary\nx\n")
    result = cli("import", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: a person's name is at most 200 characters")
    assert len(result.stderr.strip().splitlines()) == 1
    assert cli("incident", "list", "--json").stdout.strip() in ("[]", "")
