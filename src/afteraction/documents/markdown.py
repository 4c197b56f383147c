"""Markdown from users as safe HTML: the one renderer of the web pages and of the HTML and PDF exports.

Raw HTML in the Markdown is shown as text; what Markdown makes is then cleaned by nh3 down to text structure and
links whose scheme is http, https or mailto: no script, event handler, style, image, frame or `javascript:` URL.
A link target that does not come from Markdown (an event's link, its evidence, a tracker URL) goes through
`safe_url`, the same rule.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

# What Markdown from users may become: text structure and links, nothing that runs or loads.
ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
        "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"


@lru_cache(maxsize=1)
def _markdown_it() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def sanitize_html(html: str) -> str:
    """HTML with only the allowed tags, attributes and link schemes left (no script, handler or javascript: URL)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def markdown_html(text: str | None) -> Markup:
    """Markdown as sanitized HTML blocks (paragraphs, lists, tables…); empty for blank text."""
    if not text or not text.strip():
        return Markup("")
    return Markup(sanitize_html(_markdown_it().render(text)))  # sanitized just above


def markdown_inline(text: str | None) -> Markup:
    """One line of Markdown (a list item, a table cell) as sanitized inline HTML; a line break stays one."""
    if not text or not text.strip():
        return Markup("")
    html = _markdown_it().renderInline(text).replace("\n", "<br>\n")
    return Markup(sanitize_html(html))  # sanitized just above


def safe_url(value: str | None) -> str:
    """A link target from users or imports if it is http(s) or mailto, else an empty string (never javascript:)."""
    text = (value or "").strip()
    try:
        scheme = urlsplit(text).scheme.lower() if ":" in text else ""
    except ValueError:  # not a URL at all (`http://[oops`)
        return ""
    return text if scheme in URL_SCHEMES else ""
