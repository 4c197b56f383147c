"""Rendering post-mortems: the Markdown format, a self-contained HTML page, JSON and the Mermaid tree."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from afteraction.core.errors import InvalidInput
from afteraction.documents.parse import parse_file, parse_markdown
from afteraction.documents.render import (
    mermaid_whys,
    normalise,
    render_html,
    render_json,
    render_markdown,
    with_export_csp,
)
from afteraction.domain.actions import ActionItemData
from afteraction.domain.incidents import TimelineEntry
from afteraction.domain.reviews import FactorData, LessonData, PostmortemDocument, SectionData, WhyNodeData

FIXTURES = Path(__file__).parent / "fixtures"
T0 = datetime(2026, 3, 14, 10, 2, tzinfo=UTC)


@pytest.fixture
def doc() -> PostmortemDocument:
    return PostmortemDocument(
        id="INC-7",
        title="  Search was down  ",
        severity="SEV1",
        services=["search"],
        started_at=T0,
        detected_at=T0 + timedelta(minutes=6),
        resolved_at=T0 + timedelta(hours=1, minutes=30),
        summary="Search returned **errors** <script>alert(1)</script>",
        timeline_note="All times in UTC.",
        timeline=[
            TimelineEntry(at=T0, text="Deploy `v2` | canary skipped", kind="deploy", source="git", actor="Ana"),
            TimelineEntry(at=T0 + timedelta(minutes=6), text="Alert fired", key_moment="detected", source_id="a:1"),
        ],
        problem_statement='Search said "500"',
        whys=[
            WhyNodeData(
                text="Index shards were <unassigned>",
                children=[WhyNodeData(text='Disk "full" # 95%', root_cause=True)],
            )
        ],
        factors=[FactorData(text="No disk alert", category="monitoring")],
        lessons=[
            LessonData(kind="learned", text="Watch disks"),
            LessonData(kind="went-well", text="Fast rollback"),
        ],
        actions=[ActionItemData(title="Add disk alert", type="detect", owner="Ana", due=date(2026, 3, 20))],
        sections=[SectionData(heading="Attendees", body="Ana, Ben")],
    )


def test_markdown_starts_with_tidy_front_matter_and_the_title(doc):
    text = render_markdown(doc)
    head = text.split("---\n")[1]
    assert head.splitlines() == [
        "id: INC-7",
        "title: Search was down",
        "kind: incident",
        "severity: SEV1",
        "status: draft",
        "services: [search]",
        "started_at: 2026-03-14T10:02:00Z",
        "detected_at: 2026-03-14T10:08:00Z",
        "resolved_at: 2026-03-14T11:32:00Z",
    ]
    assert "\n# Search was down\n" in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_markdown_sections_come_in_the_documented_order_and_empty_ones_are_left_out(doc):
    headings = [line for line in render_markdown(doc).splitlines() if line.startswith("## ")]
    assert headings == [
        "## Summary",
        "## Timeline",
        "## Five Whys",
        "## Contributing Factors",
        "## What Went Well",
        "## Lessons Learned",
        "## Action Items",
        "## Attendees",
    ]


def test_markdown_timeline_shows_only_the_columns_in_use_and_marks_key_moments(doc):
    text = render_markdown(doc)
    assert "| Time | Event | Source | Actor | Kind | ID |" in text
    assert "| 2026-03-14T10:02:00Z | Deploy `v2` \\| canary skipped | git | Ana | deploy |  |" in text
    assert "| 2026-03-14T10:08:00Z **detected** | Alert fired |  |  |  | a:1 |" in text
    plain = doc.model_copy(update={"timeline": [TimelineEntry(at=T0, text="one")]})
    assert "| Time | Event |\n| --- | --- |\n| 2026-03-14T10:02:00Z | one |" in render_markdown(plain)


def test_markdown_whys_factors_and_actions(doc):
    text = render_markdown(doc)
    assert '\n- Index shards were <unassigned>\n  - **Root cause:** Disk "full" # 95%\n' in text
    assert "```mermaid\nflowchart TD\n" in text
    assert "- **[monitoring]** No disk alert" in text
    assert "| Add disk alert | detect | Ana | 2026-03-20 |  | open |  |  |" in text


def test_markdown_table_cells_escape_pipes_and_newlines():
    entry = TimelineEntry(at=T0, text="a | b\nc <br> d \\| e")
    text = render_markdown(PostmortemDocument(title="T", timeline=[entry]))
    assert "| a \\| b<br>c \\<br> d \\\\\\| e |" in text
    assert parse_markdown(text).timeline[0].text == "a | b\nc <br> d \\| e"


def test_markdown_template_can_be_overridden_per_team(tmp_path, doc):
    (tmp_path / "postmortem.md.j2").write_text("# {{ doc.title }} ({{ doc.severity }})\n", encoding="utf-8")
    assert render_markdown(doc, template_dir=tmp_path) == "# Search was down (SEV1)\n"
    assert "<!DOCTYPE html>" in render_html(doc, template_dir=tmp_path)
    assert render_markdown(doc).startswith("---\n")


def test_markdown_of_the_fixture_is_stable():
    doc = parse_file(FIXTURES / "ours.md")
    assert render_markdown(doc) == (FIXTURES / "ours.rendered.md").read_text(encoding="utf-8")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_is_one_self_contained_page(doc):
    html = render_html(doc)
    collector = _Collector()
    collector.feed(html)
    tags = [tag for tag, _ in collector.tags]
    assert html.startswith("<!DOCTYPE html>")
    assert "style" in tags and "script" not in tags
    assert not [attrs for tag, attrs in collector.tags if tag in ("link", "img", "iframe")]
    assert "<title>Search was down · INC-7</title>" in html


def test_html_renders_markdown_and_escapes_raw_html(doc):
    html = render_html(doc)
    assert "<strong>errors</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<code>v2</code> | canary skipped" in html
    assert "Index shards were &lt;unassigned&gt;" in html


def test_html_shows_root_causes_key_moments_and_metrics(doc):
    html = render_html(doc)
    assert 'id="W1.1" class="root-cause"' in html
    assert '<tr class="key-moment">' in html
    assert "<b>6 min</b><span>Time to detect</span>" in html
    assert "<b>1 h 30 min</b><span>Time to resolve</span>" in html
    assert "<h3>What Went Well</h3>" in html


def test_html_links_action_items_to_the_cause_they_address(doc):
    action = ActionItemData(title="Alert on disks", addresses="W1.1")
    unknown = ActionItemData(title="Other", addresses="W9")
    html = render_html(doc.model_copy(update={"actions": [action, unknown]}))
    assert '<a href="#W1.1">W1.1</a>' in html
    assert '<li id="F1"><span class="path">F1</span>' in html
    assert "<td>W9</td>" in html


def test_json_is_stable_with_utc_times(doc):
    text = render_json(doc)
    data = json.loads(text)
    assert text == render_json(doc)
    assert text.startswith('{\n  "id": "INC-7",')
    assert data["started_at"] == "2026-03-14T10:02:00Z"
    assert data["timeline"][1]["at"] == "2026-03-14T10:08:00Z"
    assert data["title"] == "Search was down"
    assert "line" not in data["timeline"][0] and "path" not in data and "warnings" not in data


def test_json_converts_other_zones_to_utc():
    east = timezone(timedelta(hours=2))
    doc = PostmortemDocument(title="T", started_at=datetime(2026, 3, 14, 12, 0, 0, 500, tzinfo=east))
    assert json.loads(render_json(doc))["started_at"] == "2026-03-14T10:00:00Z"


def test_mermaid_tree_styles_root_causes_and_escapes_labels(doc):
    chart = mermaid_whys(doc)
    lines = chart.splitlines()
    assert lines[0] == "flowchart TD"
    assert '    P["Search said #quot;500#quot;"]' in lines
    assert '    W1["Index shards were #lt;unassigned#gt;"]' in lines
    assert '    W1_1["Disk #quot;full#quot; #35; 95%"]' in lines
    assert "    P --> W1" in lines and "    W1 --> W1_1" in lines
    assert lines[-1] == "    class W1_1 rootCause"


def test_mermaid_without_a_problem_statement_still_has_a_root():
    doc = PostmortemDocument(title="T", whys=[WhyNodeData(text="why")])
    assert mermaid_whys(doc).splitlines()[1] == '    P["Problem"]'


def test_normalise_trims_text_and_settles_times_and_order():
    naive = datetime(2026, 3, 14, 10, 0, 0, 123456)
    doc = normalise(
        PostmortemDocument(
            title=" T\n x ",
            summary="\n  body  \r\n",
            started_at=naive,
            services=[" a ", ""],
            lessons=[LessonData(kind="learned", text="l"), LessonData(kind="lucky", text="k")],
            timeline=[TimelineEntry(text="  "), TimelineEntry(text=" kept ", actor="")],
        )
    )
    assert (doc.title, doc.summary, doc.services) == ("T x", "body", ["a"])
    assert doc.started_at == datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    assert [lesson.kind for lesson in doc.lessons] == ["lucky", "learned"]
    assert [(entry.text, entry.actor) for entry in doc.timeline] == [("kept", None)]


# --- Safe exports: the CSP <meta>, links, and sandboxed team templates ------------------------------------------

CSP_META = (
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'\">"
)


def test_html_carries_a_policy_that_runs_no_script_and_loads_nothing_as_its_first_element(doc):
    html = render_html(doc)
    assert html.startswith("<!DOCTYPE html>\n" + CSP_META + "\n<html")
    assert html.count("Content-Security-Policy") == 1


def test_a_team_html_template_gets_the_policy_and_only_safe_links(tmp_path, doc):
    (tmp_path / "postmortem.html.j2").write_text(
        '<img src="http://127.0.0.1:9/x.png"><h1>{{ doc.title }}</h1>\n'
        '{% for e in doc.timeline %}<a href="{{ e.link }}">l</a><a href="{{ e.evidence }}">e</a>{% endfor %}\n',
        encoding="utf-8",
    )
    bad = TimelineEntry(at=T0, text="x", link="javascript:fetch('/api/v1/tokens')", evidence=" JavaScript:alert(1)")
    good = TimelineEntry(at=T0, text="y", link="https://ci.example/1", evidence="mailto:oncall@example.org")
    html = render_html(doc.model_copy(update={"timeline": [bad, good]}), template_dir=tmp_path)
    assert html.startswith(CSP_META + "\n<img")  # before anything the template loads
    assert "javascript" not in html.lower()
    assert '<a href="https://ci.example/1">l</a><a href="mailto:oncall@example.org">e</a>' in html
    # The Markdown export keeps the data as written: it is a file to edit and import back, not a page.
    (tmp_path / "postmortem.html.j2").unlink()
    assert "javascript:fetch" in render_markdown(doc.model_copy(update={"timeline": [bad]}))


def test_with_export_csp_adds_the_policy_once():
    html = with_export_csp("<!doctype html><p>x</p>")
    assert html == "<!doctype html>\n" + CSP_META + "<p>x</p>"
    assert with_export_csp(html) == html
    assert with_export_csp("<p>x</p>") == CSP_META + "\n<p>x</p>"


@pytest.mark.parametrize(
    ("template", "line", "reason"),
    [
        ("# {{ doc.title }}\n{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}\n", 2, "undefined"),
        ("# {{ doc.title }}\n\n{{ cycler.__init__.__globals__.os.popen('touch MARKER') }}\n", 3, "is unsafe"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}\n", 1, "attribute '__class__' of 'str'"),
        ("{{ doc.__class__.__init__.__globals__ }}\n", 1, "is unsafe"),
        ("{{ doc.model_copy.__globals__['sys'].modules['os'].system('touch MARKER') }}\n", 1, "'__globals__'"),
        ("{% for x in joiner.__init__.__globals__ %}{% endfor %}\n", 1, "attribute '__init__'"),
        ("{% set ns = namespace(a=1) %}{{ ns.a }}\n", 1, "'namespace' is undefined"),
        ("{{ doc.title | attr('__class__') }}\n", 1, "attribute '__class__'"),
    ],
)
def test_a_team_template_is_sandboxed_and_an_unsafe_access_is_one_line(tmp_path, monkeypatch, doc, template, line,
                                                                      reason):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "postmortem.md.j2").write_text(template, encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        render_markdown(doc, template_dir=tmp_path)
    message = raised.value.message
    assert message.startswith(f"template postmortem.md.j2:{line}: ") and reason in message, message
    assert "\n" not in message and str(tmp_path) not in message  # the server's folder is not shown
    assert not (tmp_path / "MARKER").exists()


def test_a_team_template_has_its_documented_variables_filters_and_globals(tmp_path, doc):
    (tmp_path / "postmortem.md.j2").write_text(
        "{{ doc.title }}|{{ lesson_headings['lucky'] }}|{% for i in range(2) %}{{ i }}{% endfor %}|"
        "{{ dict(a=1).a }}|{{ doc.started_at | utc }}|{{ 'javascript:x' | safe_url }}|{{ '**b**' | md_inline }}|"
        "{{ doc.lessons_of('learned') | map(attribute='text') | join }}\n",
        encoding="utf-8",
    )
    assert render_markdown(doc, template_dir=tmp_path) == (
        "Search was down|Where We Got Lucky|01|1|2026-03-14T10:02:00Z||<strong>b</strong>|Watch disks\n"
    )
