"""The one Markdown line scanner that the parser and the linter share."""

from __future__ import annotations

from datetime import date

from afteraction.analysis.lint import LintConfig, lint_document
from afteraction.documents.parse import parse_markdown
from afteraction.domain.markdown_lines import (
    closes_fence,
    fence_opening,
    front_matter_end,
    read_heading,
    scan,
    split_lines,
)

TEXT = """\ufeff---\r
title: T\r
---\r
# T <!-- a comment -->
## Summary ##
```text
## Not a heading
```
~~~~
```
## Still code
~~~~
```inline``` code is not a fence
## Impact
    # indented four: not a heading
#hashtag
"""


def test_the_scanner_reads_line_ends_front_matter_fences_and_headings():
    lines = split_lines(TEXT)
    assert lines[:3] == ["---", "title: T", "---"]
    assert front_matter_end(lines) == 2
    found = [(line.no, line.kind, line.heading.level if line.heading else 0) for line in scan(lines, 3)]
    assert [(no, kind) for no, kind, _ in found if kind != "text"] == [
        (4, "heading"),
        (5, "heading"),
        (6, "fence"),
        (7, "code"),
        (8, "code"),
        (9, "fence"),
        (10, "code"),
        (11, "code"),
        (12, "code"),
        (14, "heading"),
    ]
    heading = read_heading("# T <!-- a comment -->")
    assert heading is not None and (heading.level, heading.text, heading.start) == (1, "T", 2)
    assert read_heading("## Summary ##").text == "Summary"  # type: ignore[union-attr]


def test_fences_open_and_close_as_commonmark_says():
    assert fence_opening("```python") == ("```", "python")
    assert fence_opening("   ~~~ info `with` ticks") == ("~~~", "info `with` ticks")
    assert fence_opening("```inline``` code") is None  # a backtick fence's info has no backtick
    assert fence_opening("    ```") is None  # indented code, not a fence
    assert closes_fence("```", "````") and not closes_fence("````", "```")
    assert not closes_fence("```", "~~~") and not closes_fence("```", "``` x")
    assert front_matter_end(["---", "a: 1"]) is None and front_matter_end(["# T"]) is None


def test_the_parser_and_the_linter_agree_on_what_is_code():
    blame = "The careless engineer broke it."
    text = f"# T\n\n## Summary\n\n{blame}\n\n```\n## Impact\n{blame}\n```\n"
    doc = parse_markdown(text)
    assert "## Impact" in doc.summary and not doc.impact  # inside the fence: not a section
    findings = lint_document(doc, source=text, config=LintConfig(), today=date(2026, 3, 14))
    lines = {finding.line for finding in findings if finding.rule.startswith("blame/")}
    assert lines == {5}  # the sentence outside the fence, not its copy inside
