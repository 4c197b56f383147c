"""A Slack event's text is shown as Slack shows it, through the one sanitiser; other events' text as written."""

from __future__ import annotations

import pytest

from afteraction.documents.chat import render_document_text, render_event_text


def test_a_slack_message_shows_links_mentions_channels_and_code() -> None:
    html = render_event_text(
        "@here checkout 5xx, see [the dashboard](https://grafana.example/d/1) in #incident-db\n"
        "cc @Alice Adams and <https://status.example>\n```\nkubectl rollout undo deploy/checkout\n```\nrun `make undo`",
        "slack",
    )
    assert html.startswith('<div class="chat">') and html.endswith("</div>")
    assert '<span class="mention">@here</span> checkout 5xx' in html
    assert '<a href="https://grafana.example/d/1" rel="noopener noreferrer nofollow">the dashboard</a>' in html
    assert '<span class="channel">#incident-db</span>' in html
    assert 'cc <span class="mention">@Alice Adams</span> and <a href="https://status.example"' in html
    assert "<br>" in html  # a line break in the message stays one, as in Slack
    assert "<pre><code>kubectl rollout undo deploy/checkout\n</code></pre>" in html
    assert "<code>make undo</code>" in html


def test_mentions_inside_code_links_and_addresses_stay_as_they_are() -> None:
    html = render_event_text(
        "`@ops #ops` [@ops](https://x.example/#ops) mail ops@example.com or see https://x.example/#frag &#39;", "slack"
    )
    assert "mention" not in html and "channel" not in html
    assert "<code>@ops #ops</code>" in html


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("<img src=x onerror=alert(1)>", "<img"),
        ("[x](javascript:alert(1))", 'href="javascript'),
        ("<javascript:alert(1)>", 'href="javascript'),
        ('[x](https://ok.example "a>@b onmouseover=alert(1)")', "<span"),  # no span inside an attribute
        ("```\n</code></pre><script>alert(1)</script>\n```", "<script"),
        ("@x<style>body{}</style>", "<style"),
    ],
)
def test_hostile_text_is_sanitised(text: str, absent: str) -> None:
    html = render_event_text(text, "slack")
    assert absent not in html
    assert render_document_text(text, "slack") == html


def test_a_title_with_a_mention_is_not_touched() -> None:
    html = render_event_text('[x](https://ok.example "a @b")', "slack")
    assert 'title="a @b"' in html and "mention" not in html


def test_other_sources_show_their_text_escaped_on_pages_and_as_markdown_in_exports() -> None:
    assert render_event_text("<b>5xx</b> on `checkout` @here", "pagerduty") == (
        "&lt;b&gt;5xx&lt;/b&gt; on `checkout` @here"
    )
    assert render_event_text(None, "manual") == ""
    assert render_document_text("**Rolled back** `checkout`", "manual") == (
        "<strong>Rolled back</strong> <code>checkout</code>"
    )


def test_an_empty_slack_message_renders_nothing() -> None:
    assert render_event_text("  ", "slack") == ""
