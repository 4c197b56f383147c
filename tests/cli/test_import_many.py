"""`afteraction import` of many files in other templates: the per-file report, `--report`, exit codes, `--mapping`,
`--tz` and re-import merges (issue #17)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import corpus_path

SRE_BOOK = """# Shakespeare Sonnet++ Postmortem (incident #465)

## Summary

Shakespeare Search down for 66 minutes.

## Trigger

Latent bug triggered by sudden increase in traffic.

## Action Items

| Action Item | Type | Owner | Bug |
|---|---|---|---|
| Update playbook | mitigate | jennifer | n/a **DONE** |
| Use flux capacitor | prevent | martym | Bug 5554825 **TODO** |
| Schedule a test | other | clarac | Bug 5554826 **TODO** |

## Responders

Jennifer, Martin.
"""

CLEAN = "# Clean\n\n## Summary\n\nAll fine.\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_sre_books_action_types_no_longer_stop_the_import(cli, tmp_path):
    path = write(tmp_path, "srebook.md", SRE_BOOK)
    result = cli("import", str(path))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"{path} → INC-1 (new): timeline 0 timed, 0 without a time · 0 moments · 2 sections · " in result.stdout
    assert "1 custom sections · 3 action items · 0 lessons" in result.stdout
    assert "  custom sections: Responders" in result.stdout
    assert "Imported 1 post-mortems (1 new, 0 updated), 0 warnings." in result.stdout
    items = json.loads(cli("actions", "list", "--json").stdout)
    assert sorted((i["title"], i["type"]) for i in items)[0] == ("Schedule a test", None)


def test_exit_codes_and_the_json_report(cli, tmp_path):
    clean = write(tmp_path, "clean.md", CLEAN)
    odd = write(tmp_path, "odd.md", "---\ntitle: Odd\nseverity: Purple\n---\n# Odd\n")
    broken = write(tmp_path, "broken.md", "---\ntitle: [unclosed\n---\n# x\n")
    assert cli("import", str(clean)).exit_code == 0
    warned = cli("import", str(clean), str(odd))
    assert warned.exit_code == 1 and warned.stderr == ""
    assert f"  warning: {odd}:3: severity 'Purple' is not one of SEV1, SEV2, SEV3, SEV4" in warned.stdout
    report = tmp_path / "report.json"
    failed = cli("import", "--report", str(report), str(broken), str(clean))
    assert failed.exit_code == 2
    assert failed.stderr.startswith(f"error: {broken}:") and len(failed.stderr.strip().splitlines()) == 1
    assert "Imported 1 post-mortems (0 new, 1 updated), 0 warnings, 1 could not be imported." in failed.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["exit_code"] == 2 and data["imported"] == 1
    assert data["failures"][0]["path"] == str(broken)
    assert data["files"][0]["path"] == str(clean) and data["files"][0]["counts"]["sections"] == 1
    listed = json.loads(cli("import", "--json", str(odd)).stdout)
    assert listed[0]["warnings"][0]["line"] == 3 and listed[0]["created"] is False


def test_a_bad_mapping_file_or_zone_is_one_line(cli, tmp_path):
    clean = write(tmp_path, "clean.md", CLEAN)
    mapping = write(tmp_path, "mapping.toml", '[sections]\n"Background" = \n')
    result = cli("import", "--mapping", str(mapping), str(clean))
    assert result.exit_code == 2 and result.stderr == f"error: {mapping}:2: invalid TOML: Invalid value (column 16)\n"
    zone = cli("import", "--tz", "Mars/Base", str(clean))
    assert zone.exit_code == 2 and "--tz: unknown zone 'Mars/Base'" in zone.stderr
    assert cli("incident", "list", "--json").stdout.strip() in ("[]", "")


def test_the_mapping_names_sections_columns_and_values(cli, tmp_path):
    path = write(
        tmp_path,
        "pm.md",
        "# Queue\n\n## Customer comms\n\nWe emailed.\n\n## Follow-ups\n\n"
        "| Task | Bug # | Sev |\n|---|---|---|\n| Add an alert | JIRA-7 | Shipped |\n",
    )
    mapping = write(
        tmp_path,
        "mapping.toml",
        '[sections]\n"Customer comms" = "custom:Customer communication"\n'
        '[columns]\n"Bug #" = "tracker"\n"Sev" = "status"\n[values.status]\n"Shipped" = "done"\n',
    )
    result = cli("import", "--mapping", str(mapping), "--tz", "Europe/Oslo", str(path))
    assert result.exit_code in (0, 1), result.stderr
    assert "Imported 1 post-mortems" in result.stdout


def test_reimport_keeps_what_was_edited_in_the_tool(cli, tmp_path):
    text = (
        "# Queue backlog\n\n## Summary\n\nThe queue backed up.\n\n## Action Items\n\n"
        "| Action | Owner | Due |\n|---|---|---|\n| Add a queue alert | ann | 2030-01-10 |\n"
    )
    path = write(tmp_path, "queue.md", text)
    assert cli("import", str(path)).exit_code == 0
    (item,) = json.loads(cli("actions", "list", "--json").stdout)
    assert cli("actions", "update", item["id"], "--owner", "carol").exit_code == 0
    assert cli("incident", "update", "INC-1", "--severity", "SEV2").exit_code == 0
    path.write_text(text.replace("backed up.", "backed up twice."), encoding="utf-8")
    again = cli("import", str(path))
    assert again.exit_code == 0, again.stderr
    assert "(0 new, 1 updated)" in again.stdout
    assert "  kept: severity: edited in the tool since the last import, kept" in again.stdout
    assert "  kept: action item 'Add a queue alert' owner: edited in the tool since the last import, kept" in (
        again.stdout
    )
    assert json.loads(cli("actions", "list", "--json").stdout)[0]["owner"] == "carol"
    assert json.loads(cli("incident", "show", "INC-1", "--json").stdout)["severity"] == "SEV2"
    forced = cli("import", "--overwrite", str(path))
    assert "kept:" not in forced.stdout
    assert json.loads(cli("actions", "list", "--json").stdout)[0]["owner"] == "ann"
    assert len(json.loads(cli("incident", "list", "--json").stdout)) == 1


def test_the_whole_realworld_corpus_imports_with_a_report(cli, tmp_path):
    docs = sorted(corpus_path("realworld", "docs").glob("*.md"))
    dfds = sorted(corpus_path("postmortems", "dfds").glob("PM20*"))
    icco = sorted(corpus_path("postmortems", "icco", "data").glob("*.md"))
    report = tmp_path / "report.json"
    result = cli("import", "--report", str(report), *map(str, docs + dfds + icco))
    assert result.exit_code in (0, 1), result.stderr
    assert result.stderr == ""
    total = len(docs) + len(dfds) + len(icco)
    assert f"Imported {total} post-mortems ({total} new, 0 updated)" in result.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["failures"] == [] and len(data["files"]) == total
    assert all(f["path"] in result.stdout for f in data["files"])
