"""Jira REST (v2 and v3): an issue with its changelog and comments, or the changelog and comment pages alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers._base import (
    ENTRY_ERRORS,
    EntryError,
    ImportOptions,
    iter_records,
    located,
    need,
    obj,
    text_of,
    time_field,
)
from afteraction.timeline.timeparse import parse_rfc3339

FORMAT = "jira"
_ISSUE_IN_URL = re.compile(r"/issue/([^/?#]+)/(?:changelog|comment)")
_PAGE_LISTS = ("values", "histories", "comments")
_BLOCKS = frozenset({"paragraph", "heading", "listItem", "codeBlock", "blockquote", "rule", "panel", "tableRow"})


def matches(doc: Any) -> bool:
    """Whether a JSON document is a Jira issue, search result, changelog page or comment page."""
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("fields"), dict) and "key" in doc:
        return True
    if isinstance(doc.get("issues"), list) and doc["issues"] and matches(doc["issues"][0]):
        return True
    for key, inner in (("values", "items"), ("histories", "items"), ("comments", "body")):
        items = doc.get(key)
        if isinstance(items, list) and items and isinstance(items[0], dict) and inner in items[0]:
            return "created" in items[0]
    return False


def read(path: Path, options: ImportOptions) -> Iterator[ImportedEvent]:
    """Issue creation and status changes (kind `status`), other field changes, and comments (kind `note`)."""
    label = str(path)
    for where, doc in iter_records(path, options.limits.json_max_depth):
        prefix = f"{where}: " if where else ""
        if isinstance(doc, dict) and isinstance(doc.get("issues"), list):
            for index, issue in enumerate(doc["issues"], start=1):
                yield from _issue(issue, label, f"{prefix}issue {index}")
        elif isinstance(doc, dict) and "fields" in doc:
            yield from _issue(doc, label, where)
        elif isinstance(doc, dict) and any(isinstance(doc.get(k), list) for k in _PAGE_LISTS):
            base, key = _context(doc)
            yield from _pages(doc, base, key, label, where)
        else:
            raise located(label, where, EntryError("not a Jira issue, changelog page or comment page"))


def _context(doc: dict[str, Any]) -> tuple[str | None, str | None]:
    """The site and issue a standalone changelog or comment page belongs to, from its URLs."""
    urls = [doc.get("self")]
    for key in _PAGE_LISTS:
        items = doc.get(key)
        if isinstance(items, list) and items and isinstance(items[0], dict):
            urls.append(items[0].get("self"))
    for url in urls:
        if isinstance(url, str) and "/rest/" in url:
            match = _ISSUE_IN_URL.search(url)
            return url.split("/rest/", 1)[0], match.group(1) if match else None
    return None, None


def _issue(issue: Any, label: str, where: str) -> Iterator[ImportedEvent]:
    try:
        key = text_of(need(issue, "key"))
        fields = obj(need(issue, "fields"))
        self_url = issue.get("self")
        base = self_url.split("/rest/", 1)[0] if isinstance(self_url, str) and "/rest/" in self_url else None
        link = f"{base}/browse/{key}" if base else None
        created = fields.get("created")
        if created:
            reporter = obj(fields.get("reporter") or fields.get("creator")).get("displayName")
            summary = text_of(fields.get("summary"))
            first = ImportedEvent(
                at=time_field(fields, "created", parse_rfc3339),
                source=FORMAT,
                kind="status",
                text=f"{key} created: {summary}" if summary else f"{key} created",
                source_id=f"{key}:created",
                actor=text_of(reporter) or None,
                link=link,
            )
        else:
            first = None
    except ENTRY_ERRORS as exc:
        raise located(label, where, exc) from None
    if first is not None:
        yield first
    comments = fields.get("comment")
    comment_page = comments if isinstance(comments, dict) else {"comments": comments or []}
    changelog = obj(issue.get("changelog"))
    yield from _pages(changelog, base, key, label, where)
    yield from _pages(comment_page, base, key, label, where)


def _pages(doc: dict[str, Any], base: str | None, key: str | None, label: str, where: str) -> Iterator[ImportedEvent]:
    prefix = f"{where}: " if where else ""
    histories = doc.get("histories") if "histories" in doc else doc.get("values")
    if isinstance(histories, list):
        for index, history in enumerate(histories, start=1):
            try:
                event = _history(history, base, key)
            except ENTRY_ERRORS as exc:
                raise located(label, f"{prefix}history {index}", exc) from None
            if event is not None:
                yield event
    comments = doc.get("comments")
    if isinstance(comments, list):
        for index, comment in enumerate(comments, start=1):
            try:
                event = _comment(comment, base, key)
            except ENTRY_ERRORS as exc:
                raise located(label, f"{prefix}comment {index}", exc) from None
            yield event


def _history(history: Any, base: str | None, key: str | None) -> ImportedEvent | None:
    history_id = text_of(need(history, "id"))
    at = time_field(history, "created", parse_rfc3339)
    items = history.get("items")
    if not isinstance(items, list) or not items:
        return None
    kind = "change"
    parts: list[str] = []
    for item in items:
        item = obj(item)
        name = text_of(item.get("field") or item.get("fieldId")) or "field"
        before = text_of(item.get("fromString") or item.get("from"))
        after = text_of(item.get("toString") or item.get("to"))
        if name.lower() == "status":
            kind = "status"
            parts.insert(0, f"status {before or '(none)'} → {after or '(none)'}")
        elif name.lower() == "assignee":
            if kind == "change":
                kind = "assign"
            parts.append(f"assigned to {after}" if after else "unassigned")
        else:
            parts.append(f"{name}: {before} → {after}" if before else f"{name}: {after}")
    subject = f"{key}: " if key else ""
    return ImportedEvent(
        at=at,
        source=FORMAT,
        kind=kind,
        text=subject + "; ".join(parts),
        source_id=f"history:{history_id}",
        actor=text_of(obj(history.get("author")).get("displayName")) or None,
        link=f"{base}/browse/{key}" if base and key else None,
    )


def _comment(comment: Any, base: str | None, key: str | None) -> ImportedEvent:
    comment_id = text_of(need(comment, "id"))
    at = time_field(comment, "created", parse_rfc3339)
    body = comment.get("body")
    text = body.strip() if isinstance(body, str) else adf_text(body)
    return ImportedEvent(
        at=at,
        source=FORMAT,
        kind="note",
        text=(f"{key}: " if key else "") + text,
        source_id=f"comment:{comment_id}",
        actor=text_of(obj(comment.get("author")).get("displayName")) or None,
        link=f"{base}/browse/{key}?focusedCommentId={comment_id}" if base and key else None,
    )


def adf_text(node: Any) -> str:
    """The plain text of an Atlassian Document Format body (Jira Cloud v3 comments)."""
    parts: list[str] = []
    _walk(node, parts)
    return re.sub(r"\n{2,}", "\n", "".join(parts)).strip()


def _walk(node: Any, parts: list[str]) -> None:
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    attrs = obj(node.get("attrs"))
    if kind == "text":
        parts.append(text_of(node.get("text")))
    elif kind == "hardBreak":
        parts.append("\n")
    elif kind in ("mention", "emoji", "status", "date"):
        parts.append(text_of(attrs.get("text") or attrs.get("shortName") or attrs.get("timestamp")))
    elif kind in ("inlineCard", "blockCard") and attrs.get("url"):
        parts.append(text_of(attrs["url"]))
    content = node.get("content")
    if isinstance(content, list):
        for child in content:
            _walk(child, parts)
    if kind in _BLOCKS:
        parts.append("\n")
