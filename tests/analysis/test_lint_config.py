"""Lint configuration in pyproject.toml or .afteraction.toml, and inline ignore comments."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from afteraction.analysis.lint import LintConfig, lint_document, load_lint_config, load_lint_config_file
from afteraction.core.errors import ConfigurationError
from afteraction.documents.parse import parse_markdown

TODAY = date(2026, 3, 1)


def _lint(text: str, config: LintConfig | None = None) -> list[tuple[int | None, str]]:
    doc = parse_markdown(text, path="pm.md")
    found = lint_document(doc, source=text, config=config or LintConfig(), today=TODAY)
    return [(f.line, f.rule) for f in found]


def test_pyproject_table_is_found_from_a_subfolder(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.afteraction.lint]\nselect = ["blame", "action/vague"]\nignore = ["blame/hindsight"]\n'
        '[tool.afteraction.lint.severity]\n"blame/judgment" = "warning"\n"action" = "info"\n'
        '[tool.afteraction.lint.required-sections]\ndefault = ["summary"]\nmilestone = ["summary", "lessons"]\n'
    )
    folder = tmp_path / "postmortems" / "2026"
    folder.mkdir(parents=True)
    config = load_lint_config(folder)
    assert config.source == tmp_path / "pyproject.toml"
    assert config.enabled("blame/person-as-cause") and config.enabled("action/vague")
    assert not config.enabled("blame/hindsight") and not config.enabled("structure/missing-section")
    assert config.severity_of("blame/judgment") == "warning"
    assert config.severity_of("action/vague") == "info"
    assert config.severity_of("blame/human-error") == "error"
    assert config.sections_for("incident") == ("summary",)
    assert config.sections_for("milestone") == ("summary", "learned")


def test_afteraction_toml_wins_over_a_pyproject_without_a_table(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / ".afteraction.toml").write_text('[lint]\nignore = ["structure"]\n')
    config = load_lint_config(tmp_path)
    assert not config.enabled("structure/timeline-order") and config.enabled("whys/too-shallow")


def test_no_configuration_means_every_rule_at_its_default(tmp_path: Path):
    config = load_lint_config(tmp_path)
    assert config == LintConfig() or config.source is not None  # a config above tmp_path is not ours to control
    assert LintConfig().sections_for("incident") == ("summary", "impact", "timeline", "actions")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[tool.afteraction.lint]\nselect = ["blame/nope"]\n', "names no rule: 'blame/nope'"),
        ('[tool.afteraction.lint]\nselct = ["blame"]\n', "unknown lint setting 'selct'"),
        ('[tool.afteraction.lint.severity]\n"blame" = "fatal"\n', "must be error, warning or info"),
        ('[tool.afteraction.lint.required-sections]\nincident = ["summery"]\n', "unknown section 'summery'"),
        ('[tool.afteraction.lint.required-sections]\nepic = ["summary"]\n', "unknown incident kind 'epic'"),
        ("[tool.afteraction.lint\n", "invalid TOML"),
    ],
)
def test_a_wrong_configuration_is_a_one_line_error(tmp_path: Path, toml: str, message: str):
    path = tmp_path / "pyproject.toml"
    path.write_text(toml)
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(")):
        load_lint_config_file(path)


DOC = """\
# Title

## Summary

Dave forgot to renew the certificate. <!-- afteraction: ignore blame/person-as-cause -->
We should have caught it.

<!-- afteraction: ignore blame -->
The team was sloppy.

## What Went Wrong
<!-- afteraction: ignore blame/hindsight, blame/judgment -->

- We should have caught it earlier.
- The rollout was careless.
- Dave forgot the second certificate.
"""


def test_inline_ignores_cover_a_line_the_next_line_or_a_section():
    found = [(line, rule) for line, rule in _lint(DOC) if rule.startswith("blame/")]
    assert found == [(6, "blame/hindsight"), (16, "blame/person-as-cause")]


def test_an_ignore_before_any_section_covers_the_whole_document():
    text = "# Title\n<!-- afteraction: ignore -->\n\n## Summary\n\nThe team was sloppy.\n"
    assert _lint(text) == []


def test_select_and_severity_apply_to_findings():
    config = LintConfig(select=("blame/judgment",), severity={"blame": "info"})
    text = "# T\n\n## Summary\n\nThe team was sloppy.\n"
    found = lint_document(parse_markdown(text, path="pm.md"), source=text, config=config, today=TODAY)
    assert [(f.rule, f.severity, f.line, f.column) for f in found] == [("blame/judgment", "info", 5, 14)]
