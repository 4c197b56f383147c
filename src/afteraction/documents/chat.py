"""Chat messages as their chat shows them, sanitised: the text of a Slack event in the pages and the HTML/PDF exports.

The Slack importer stores a message as Markdown that reads like Slack (links `[label](url)`, autolinks, `@Name`
mentions, `#channel` names, fenced and inline code). Here that Markdown goes through the one sanitised renderer
(`documents/markdown.py`: no raw HTML, links only http(s) and mailto), with a line break where the message had one,
as in Slack; then `@mentions` and `#channels` outside code and links become `<span class="mention">` and
`<span class="channel">`. A mention is `@` and a word, with the capitalised words after it (`@Alice Adams`, `@here`):
the stored text does not say where a name ends, so a name written in lower case after the first word is not included.
"""

from __future__ import annotations

import re

from markupsafe import Markup

from afteraction.documents.markdown import markdown_html, markdown_inline
from afteraction.domain.highlights import CHAT_SOURCES

# A tag of the sanitiser's output (it writes every attribute value in double quotes, `"`, `<` and `>` escaped).
_TAG = re.compile(r'(<(?:[^>"]|"[^"]*")*>)')
_NO_SPANS = frozenset({"a", "code", "pre"})  # inside these, text stays as it is
_REFERENCE = re.compile(r"(?<![\w&/@#])(?:(@\w[\w.-]*(?: [A-Z][\w.-]*)*)|(#[a-z0-9][a-z0-9_-]*))")
_FENCES = ("```", "~~~")


def is_chat(source: str | None) -> bool:
    """Whether events of this source are chat messages whose text is Markdown that reads like the chat."""
    return source in CHAT_SOURCES


def render_event_text(text: str | None, source: str | None) -> Markup:
    """An event's text as HTML for the pages: a chat message's Markdown rendered as the chat shows it (sanitised);
    any other source's text escaped, as written."""
    if not is_chat(source):
        return Markup.escape(text or "")
    return render_chat(text)


def render_document_text(text: str | None, source: str | None) -> Markup:
    """An event's text as HTML for the exports: a chat message as `render_event_text` shows it; any other event's text
    as one line of the document's Markdown (sanitised)."""
    return render_chat(text) if is_chat(source) else markdown_inline(text)


def render_chat(text: str | None) -> Markup:
    """A chat message's Markdown as sanitised HTML in a `<div class="chat">`: code blocks, inline code, safe links,
    line breaks kept, and mentions and channels marked as spans."""
    if not text or not text.strip():
        return Markup("")
    html = str(markdown_html(_line_breaks(text)))
    if "@" in html or "#" in html:
        html = _mark_references(html)
    return Markup(f'<div class="chat">{html}</div>')  # sanitised by markdown_html; only fixed tags were added


def _line_breaks(text: str) -> str:
    """Markdown in which each line break outside code blocks is a hard break, as chat shows it."""
    lines = text.replace("\r\n", "\n").split("\n")
    fence: str | None = None
    for index, line in enumerate(lines):
        opening = line.lstrip()[:3]
        if fence is not None:
            if opening == fence:
                fence = None
        elif opening in _FENCES and opening not in line.lstrip()[3:]:
            fence = opening
        elif line.strip():
            lines[index] = line + "  "
    return "\n".join(lines)


def _mark_references(html: str) -> str:
    """Spans around `@mentions` and `#channels` in the text of sanitised HTML, never inside a link or code."""
    parts = _TAG.split(html)
    inside = 0
    for index, part in enumerate(parts):
        if index % 2:  # a tag
            name = part[1:].lstrip("/").split(None, 1)[0].rstrip(">").lower() if len(part) > 2 else ""
            if name in _NO_SPANS:
                inside += -1 if part.startswith("</") else 1
        elif inside == 0 and part:
            parts[index] = _REFERENCE.sub(_span, part)
    return "".join(parts)


def _span(match: re.Match[str]) -> str:
    kind = "mention" if match.group(1) else "channel"
    return f'<span class="{kind}">{match.group(0)}</span>'
