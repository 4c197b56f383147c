"""Every lint rule is documented in docs/lint.md, and the pre-commit hook runs the lint command on Markdown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from afteraction.analysis.lint import RULES

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_has_a_heading_and_a_row_in_docs(rule: str):
    text = (REPO / "docs" / "lint.md").read_text(encoding="utf-8")
    assert f"### `{rule}`" in text, f"docs/lint.md has no heading for {rule}"
    row = re.search(rf"^\| `{re.escape(rule)}` \| (\w+) \|", text, re.MULTILINE)
    assert row is not None, f"docs/lint.md has no table row for {rule}"
    assert row.group(1) == RULES[rule].severity


def test_pre_commit_hook_lints_markdown_files():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "afteraction-lint")
    assert hook["entry"] == "afteraction lint" and hook["language"] == "python"
    assert re.search(hook["files"], "postmortems/2026-03.md") and not re.search(hook["files"], "README.rst")
