"""The pure pieces behind the pages: the whys tree edits, form values, formats and the sanitizer."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.documents.markdown import markdown_html, safe_url, sanitize_html
from afteraction.domain.durations import format_duration
from afteraction.domain.reviews import WhyNodeData
from afteraction.domain.whytree import add_why, edit_why, mark_root_cause, remove_why, why_paths
from afteraction.web.pages.forms import day, utc_time, words


def tree() -> list[WhyNodeData]:
    return [WhyNodeData(text="A", children=[WhyNodeData(text="A1")]), WhyNodeData(text="B")]


def test_whys_are_added_under_any_node_or_as_a_new_branch_without_changing_the_original():
    original = tree()
    grown = add_why(original, parent="1.1", text="  A1a  ")
    grown = add_why(grown, parent=None, text="C")
    assert [(path, depth, node.text) for path, depth, node in why_paths(grown)] == [
        ("1", 0, "A"),
        ("1.1", 1, "A1"),
        ("1.1.1", 2, "A1a"),
        ("2", 0, "B"),
        ("3", 0, "C"),
    ]
    assert len(why_paths(original)) == 3


def test_whys_are_edited_marked_and_removed_by_path():
    marked = mark_root_cause(tree(), path="W1.1", root_cause=True)
    assert marked[0].children[0].root_cause
    assert edit_why(marked, path="2", text="B'")[1].text == "B'"
    assert [n.text for n in remove_why(marked, path="1")] == ["B"]
    for bad in ("0", "1.5", "x", "", "2.1"):
        with pytest.raises(InvalidInput):
            remove_why(tree(), path=bad)
    with pytest.raises(InvalidInput, match="needs text"):
        add_why(tree(), parent="1", text="   ")


def test_form_times_are_utc_unless_they_name_their_zone():
    assert utc_time("2026-03-14T10:08", "at") == datetime(2026, 3, 14, 10, 8, tzinfo=UTC)
    assert utc_time("2026-03-14 11:08:10+01:00", "at") == datetime(2026, 3, 14, 10, 8, 10, tzinfo=UTC)
    assert utc_time("2026-03-14 10:08:10 UTC", "at") == datetime(2026, 3, 14, 10, 8, 10, tzinfo=UTC)
    assert utc_time("  ", "at") is None
    with pytest.raises(InvalidInput, match="at: 'soon' is not a time"):
        utc_time("soon", "at")
    assert day("2026-03-14", "due") == date(2026, 3, 14) and day("", "due") is None
    with pytest.raises(InvalidInput):
        day("14/03/2026", "due")
    assert words(" a, ,b ,") == ["a", "b"]


def test_durations_read_as_people_say_them():
    assert [format_duration(s) for s in (None, 0, 42, 388, 3600, 3720, 90000)] == [
        "—",
        "0 s",
        "42 s",
        "6 min 28 s",
        "1 h",
        "1 h 2 min",
        "1 d 1 h",
    ]


def test_only_web_and_mail_links_survive():
    assert safe_url("https://example.org/x") == "https://example.org/x"
    assert safe_url("mailto:sre@example.org") == "mailto:sre@example.org"
    for bad in ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,x", "vbscript:x", "/relative", None):
        assert safe_url(bad) == ""


@pytest.mark.parametrize(
    "dirty",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="https://ok.example" onclick="alert(1)">x</a>',
        "<svg><script>alert(1)</script></svg>",
        '<iframe src="https://evil.example"></iframe>',
        '<p style="background:url(javascript:alert(1))">x</p>',
    ],
)
def test_the_sanitizer_keeps_no_script_handler_or_javascript_url(dirty: str):
    clean = sanitize_html(dirty).lower()
    assert "<script" not in clean and "onerror" not in clean and "onclick" not in clean
    assert "javascript:" not in clean and "<iframe" not in clean and "style=" not in clean


def test_markdown_keeps_structure_and_shows_raw_html_as_text():
    html = str(markdown_html("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ <b>bold</b>"))
    assert "<h1>Title</h1>" in html and "<td>1</td>" in html and "<s>old</s>" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert str(markdown_html("   ")) == ""
