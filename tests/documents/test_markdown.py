"""The one Markdown renderer of the pages and the exports: sanitized, and the same HTML for the same Markdown."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from afteraction.documents.markdown import markdown_html, markdown_inline, safe_url
from afteraction.documents.render import render_html
from afteraction.domain.incidents import TimelineEntry
from afteraction.domain.reviews import PostmortemDocument, SectionData

AT = datetime(2026, 3, 14, 10, 5, tzinfo=UTC)
BAD_HREF = re.compile(r"<a\b[^>]*href\s*=\s*[\"']?\s*(javascript|vbscript|data|file|ftp):", re.IGNORECASE)
SUMMARY = (
    "Checkout failed: [x](javascript:alert(1)), [y](JaVaScRiPt:alert(2)) and [the runbook](https://example.org/rb).\n\n"
    '<a href="javascript:alert(3)" onclick="alert(4)">raw</a> ![pixel](https://evil.example/p.png) ~~old~~'
)


def exported(**fields: object) -> str:
    return render_html(PostmortemDocument(title="Checkout down", **fields))  # type: ignore[arg-type]


def test_an_html_export_keeps_no_javascript_link_from_sections_or_the_timeline():
    html = exported(
        summary=SUMMARY,
        timeline=[
            TimelineEntry(at=AT, text="Alert [fired](javascript:alert(5))", link="javascript:alert(6)"),
            TimelineEntry(at=AT, text="Paged", link=" JAVASCRIPT:alert(7)", evidence="javascript:alert(8)"),
            TimelineEntry(at=AT, text="Rolled back", link="https://ci.example/run/9", evidence="data:text/html,x"),
        ],
        sections=[SectionData(heading="Notes", body="[z](vbscript:msgbox(9)) [f](ftp://files.example/x)")],
    )
    assert not BAD_HREF.search(html), "a javascript: link got into the export"
    assert not re.search(r"<[^>]+\son\w+\s*=", html), "an event handler attribute got through"
    assert "<img" not in html  # a self-contained page loads nothing
    assert '<a href="https://example.org/rb" rel="noopener noreferrer nofollow">the runbook</a>' in html
    assert '<a href="https://ci.example/run/9" rel="noopener noreferrer nofollow">link</a>' in html
    assert "&lt;a href=" in html  # raw HTML shows as text
    assert "<s>old</s>" in html


def test_the_export_renders_the_same_html_as_the_pages_for_the_same_markdown():
    html = exported(summary=SUMMARY, lessons=[], sections=[SectionData(heading="Notes", body="- a\n- **b**")])
    assert str(markdown_html(SUMMARY)) in html
    assert str(markdown_html("- a\n- **b**")) in html


def test_inline_markdown_is_sanitized_too():
    # markdown-it leaves a javascript: link as text; nh3 drops any other scheme that is not http(s) or mailto
    assert str(markdown_inline("a [x](javascript:alert(1))")) == "a [x](javascript:alert(1))"
    assert str(markdown_inline("[f](ftp://files.example/x)\n**b**")) == (
        '<a rel="noopener noreferrer nofollow">f</a><br>\n<strong>b</strong>'
    )
    assert str(markdown_inline("  ")) == ""


def test_a_link_target_from_data_is_kept_only_for_web_and_mail():
    assert safe_url(" https://example.org/x ") == "https://example.org/x"
    assert safe_url("mailto:sre@example.org") == "mailto:sre@example.org"
    for bad in ("javascript:alert(1)", "java\tscript:alert(1)", "data:text/html,x", "/relative", "http://[oops", None):
        assert safe_url(bad) == "", bad
