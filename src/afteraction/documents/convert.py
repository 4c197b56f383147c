"""HTML and DOCX post-mortems turned into Markdown, for the one Markdown reader.

HTML comes from a Confluence page export ("Export to HTML", "Save as HTML") or a Google Docs "Web page" export; DOCX
from Word or Google Docs' "Microsoft Word" download, turned into HTML by mammoth first. What reaches the reader is
plain Markdown: headings, lists, pipe tables, links, code and bold. Scripts, styles, Confluence's breadcrumbs, page
metadata and footer, and Google Docs' comments and styled spans are left out; a link whose target is not http(s) or
mailto keeps only its text (never a `javascript:` link); markup nested deeper than `MAX_DEPTH` is read as its text.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup
from bs4.element import Comment, NavigableString, Tag
from markdownify import MarkdownConverter

from afteraction.core.config import Settings
from afteraction.core.errors import InvalidInput, TooLarge
from afteraction.documents.markdown import safe_url

HTML_SUFFIXES = frozenset({".html", ".htm"})
DOCX_SUFFIX = ".docx"
CONVERTED_SUFFIXES = HTML_SUFFIXES | {DOCX_SUFFIX}
# Deeper markup than this is read as its text: the converter walks the tree recursively.
MAX_DEPTH = 100
# A small file may compress far better than the ratio (a page of spaces): the ratio binds only beyond this size.
RATIO_GRACE_BYTES = 1024 * 1024

_DROPPED = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "applet", "form", "button", "input",
    "select", "textarea", "svg", "math", "nav", "link", "meta", "base", "frame", "frameset", "canvas", "audio", "video",
)  # fmt: skip
# Confluence's chrome around the page's own content.
_CONFLUENCE_CHROME = (
    "#breadcrumb-section", "#breadcrumbs", "#main-header", ".page-metadata", "#footer", ".footer-body",
    ".pageSection", "#likes-and-labels-container", "#comments-section",
)  # fmt: skip
_GOOGLE_LIST_LEVEL = re.compile(r"^lst-kix_\w+-(\d+)$")
_CSS_RULE = re.compile(r"\.([\w-]+)\s*\{([^}]*)\}")
_BOLD = re.compile(r"font-weight\s*:\s*(bold|[6-9]00)\b")
_ITALIC = re.compile(r"font-style\s*:\s*italic\b")
_BLANK_LINES = re.compile(r"\n{3,}")
_CELL_BREAK = "<br>"
_ZIP_END = struct.Struct("<4s4H2LH")  # end of central directory, 22 bytes before its comment
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")


def _setting(name: str) -> int:
    """The default of an integer setting, from the Settings class (never the environment)."""
    value = Settings.model_fields[name].default
    assert isinstance(value, int)
    return value


def convert_file(path: Path, *, is_section: Callable[[str], bool] | None = None) -> str:
    """The Markdown of an `.html`, `.htm` or `.docx` post-mortem; one line naming the file when it cannot be read.

    `is_section(heading)` says whether a heading names a section (Summary, Timeline, …): a page whose first `<h1>` is
    one gets its `<title>` as the document's title.
    """
    if path.suffix.lower() == DOCX_SUFFIX:
        html = docx_to_html(path)
    else:
        try:
            html = path.read_bytes().replace(b"\x00", b"").decode("utf-8-sig", "replace")
        except OSError as error:
            raise InvalidInput(f"{path}: cannot be read: {error.strerror or error}") from error
    return html_to_markdown(html, is_section=is_section)


def html_to_markdown(html: str, *, is_section: Callable[[str], bool] | None = None) -> str:
    """Markdown for an HTML post-mortem (a Confluence or Google Docs export, or any page): headings, lists, pipe
    tables, links (http, https and mailto only), code and bold; everything else is left out."""
    soup = BeautifulSoup(html, "html.parser")
    _flatten_deep(soup, MAX_DEPTH)
    page_title = _text_of(soup.find("title"))
    for comment in soup.find_all(string=lambda node: isinstance(node, Comment)):
        comment.extract()
    bold, italic = _styled_classes(soup)
    for name in (*_DROPPED, "head", "title"):
        for tag in soup.find_all(name):
            tag.decompose()
    title = _confluence_title(soup)
    root = soup.select_one("#main-content") or soup.body or soup
    for tag in root.select(", ".join(_CONFLUENCE_CHROME)):
        tag.decompose()
    _google_docs(root, bold, italic)
    _confluence_tasks(root)
    body = _Converter(
        heading_style="ATX",
        bullets="-",
        escape_asterisks=False,
        escape_underscores=False,
        escape_misc=False,
        table_infer_header=True,
        keep_inline_images_in=["td", "th"],
    ).convert_soup(root)
    body = _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in body.strip().splitlines()))
    heading = title or _missing_title(root, page_title, is_section)
    return f"# {heading}\n\n{body}\n" if heading else f"{body}\n" if body else ""


def _text_of(tag: Any) -> str:
    return " ".join(tag.get_text(" ").split()) if isinstance(tag, Tag) else ""


def _confluence_title(soup: BeautifulSoup) -> str:
    """A Confluence export's page title (`#title-text`, "Space : Page"), without the space's name."""
    title = _text_of(soup.select_one("#title-text"))
    _space, sep, page = title.partition(" : ")
    return page.strip() if sep and page.strip() else title


def _missing_title(root: Tag, page_title: str, is_section: Callable[[str], bool] | None) -> str:
    """The `<title>` when the page has no title of its own: no `<h1>` at all, or a first one that names a section."""
    if not page_title:
        return ""
    first = root.find("h1")
    if first is None:
        return page_title
    return page_title if is_section is not None and is_section(_text_of(first)) else ""


def _styled_classes(soup: BeautifulSoup) -> tuple[set[str], set[str]]:
    """The CSS classes that make text bold and italic (Google Docs styles spans through classes)."""
    bold: set[str] = set()
    italic: set[str] = set()
    for style in soup.find_all("style"):
        for name, rule in _CSS_RULE.findall(style.get_text()):
            if _BOLD.search(rule):
                bold.add(name)
            if _ITALIC.search(rule):
                italic.add(name)
    return bold, italic


def _google_docs(root: Tag, bold: set[str], italic: set[str]) -> None:
    """Google Docs' markup as plain HTML: title paragraphs as headings, styled spans as bold and italic, comments
    dropped, redirect links unwrapped, and its flat lists (`lst-kix_…-N`) nested by level."""
    for anchor in root.select('a[id^="cmnt"], a[href^="#cmnt"]'):
        holder = anchor.find_parent("div") if anchor.get("id") else anchor.find_parent("sup")
        (holder if isinstance(holder, Tag) and holder is not root else anchor).decompose()
    for paragraph in root.select("p.title"):
        paragraph.name = "h1"
    for paragraph in root.select("p.subtitle"):
        paragraph.name = "p"
    headings = root.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])
    in_headings = {id(span) for heading in headings for span in heading.find_all("span")}  # bold already
    for span in root.find_all("span"):
        if id(span) in in_headings:
            continue
        classes = set(span.get("class") or [])
        style = str(span.get("style") or "")
        if classes & bold or _BOLD.search(style):
            span.name = "strong"
        elif classes & italic or _ITALIC.search(style):
            span.name = "em"
    for anchor in root.find_all("a", href=True):
        parts = urlsplit(str(anchor["href"]))
        if parts.netloc.endswith("google.com") and parts.path == "/url":
            anchor["href"] = parse_qs(parts.query).get("q", [""])[0]
    _nest_google_lists(root)


def _list_level(tag: Any) -> int | None:
    if not isinstance(tag, Tag) or tag.name not in ("ul", "ol"):
        return None
    for name in tag.get("class") or []:
        match = _GOOGLE_LIST_LEVEL.match(name)
        if match:
            return int(match.group(1))
    return None


def _nest_google_lists(root: Tag) -> None:
    """Move each Google Docs list of level N into the last item of the list of a lower level just before it."""
    for current in root.find_all(["ul", "ol"]):
        level = _list_level(current)
        if not level:
            continue
        target = current.find_previous_sibling(True)
        if not isinstance(target, Tag) or _list_level(target) is None or (_list_level(target) or 0) >= level:
            continue
        while True:
            items = target.find_all("li", recursive=False)
            if not items:
                break
            lists = items[-1].find_all(["ul", "ol"], recursive=False)
            inner = [child for child in lists if (_list_level(child) or 0) < level]
            if not inner:
                items[-1].append(current.extract())
                break
            target = inner[-1]


def _confluence_tasks(root: Tag) -> None:
    """Confluence task lists as Markdown task items: `- [x]` for a checked one."""
    for item in root.select("ul.inline-task-list > li"):
        mark = "[x] " if "checked" in (item.get("class") or []) else "[ ] "
        item.insert(0, NavigableString(mark))


def _flatten_deep(root: Tag, limit: int) -> None:
    """Replace each element nested deeper than `limit` by its text, walking without recursion."""
    stack: list[tuple[Tag, int]] = [(root, 0)]
    while stack:
        tag, depth = stack.pop()
        if depth >= limit:
            text = tag.get_text(" ")
            tag.clear()
            tag.append(NavigableString(text))
            continue
        stack.extend((child, depth + 1) for child in tag.children if isinstance(child, Tag))


def _in_cell(parent_tags: set[str]) -> bool:
    return "td" in parent_tags or "th" in parent_tags


class _Converter(MarkdownConverter):
    """markdownify with safe links, `\\|` and `<br>` in table cells, and images only from http(s) addresses."""

    def _base(self) -> Any:
        """markdownify's own conversions (its type stub names only a few of them)."""
        return super()

    def escape(self, text: str, parent_tags: set[str]) -> str:
        escaped: str = self._base().escape(text, parent_tags)
        return escaped.replace("|", "\\|") if _in_cell(parent_tags) else escaped

    def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        href = safe_url(str(el.get("href") or ""))
        el["href"] = href.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("|", "%7C")
        converted: str = self._base().convert_a(el, text, parent_tags)
        return converted

    def convert_img(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        src = str(el.get("src") or "")
        alt = " ".join(str(el.get("alt") or "").split())
        if not safe_url(src).startswith(("http://", "https://")):
            return f" {alt} " if alt else ""
        el["src"] = src.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("|", "%7C")
        converted: str = self._base().convert_img(el, text, parent_tags)
        return converted

    def convert_br(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if _in_cell(parent_tags):
            return _CELL_BREAK + text
        converted: str = self._base().convert_br(el, text, parent_tags)
        return converted

    def convert_p(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if _in_cell(parent_tags):
            text = text.strip()
            return text + _CELL_BREAK if text and el.find_next_sibling(True) is not None else text
        converted: str = self._base().convert_p(el, text, parent_tags)
        return converted


def docx_to_html(path: Path) -> str:
    """The HTML of a Word document, by mammoth, after its zip is checked against the archive limits
    (AFTERACTION_UPLOAD_MAX_*); images become their alternative text."""
    check_docx(path)
    import mammoth

    image = mammoth.images.img_element(lambda picture: {"src": ""})
    style_map = "p[style-name='Title'] => h1:fresh\np[style-name='Subtitle'] => p:fresh"
    try:
        with path.open("rb") as stream:
            result = mammoth.convert_to_html(stream, convert_image=image, style_map=style_map)
    except OSError as error:
        raise InvalidInput(f"{path}: cannot be read: {error.strerror or error}") from error
    except (zipfile.BadZipFile, KeyError, ValueError, LookupError, AttributeError) as error:
        raise InvalidInput(f"{path}: not a Word document (.docx) that can be read: {error}") from error
    html: str = result.value
    return html


def check_docx(path: Path) -> None:
    """Refuse a DOCX whose zip holds more members, or declares more inflated bytes (per member, in all, or by
    compression ratio) than the archive settings allow: one line naming the file and the limit."""
    members, member_bytes = _setting("upload_max_members"), _setting("upload_max_member_bytes")
    total_bytes, ratio = _setting("upload_max_total_bytes"), _setting("upload_max_ratio")
    if _declared_members(path) > members:
        raise _too_many(path, members)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InvalidInput(f"{path}: not a Word document (.docx): {error}") from error
    if len(infos) > members:
        raise _too_many(path, members)
    total = 0
    for info in infos:
        if info.file_size > member_bytes:
            raise TooLarge(
                f"{path}: {info.filename} inflates to {info.file_size:,} bytes, more than {member_bytes:,} "
                "(the limit is set by AFTERACTION_UPLOAD_MAX_MEMBER_BYTES)"
            )
        if info.file_size > RATIO_GRACE_BYTES and info.file_size > ratio * max(info.compress_size, 1):
            raise TooLarge(
                f"{path}: {info.filename} is compressed more than {ratio}:1 "
                "(the limit is set by AFTERACTION_UPLOAD_MAX_RATIO)"
            )
        total += info.file_size
        if total > total_bytes:
            raise TooLarge(
                f"{path}: inflates to more than {total_bytes:,} bytes "
                "(the limit is set by AFTERACTION_UPLOAD_MAX_TOTAL_BYTES)"
            )


def _too_many(path: Path, members: int) -> TooLarge:
    return TooLarge(f"{path}: holds more than {members:,} files (the limit is set by AFTERACTION_UPLOAD_MAX_MEMBERS)")


def _declared_members(path: Path) -> int:
    """How many members a zip's end record declares (0 when it has none: zipfile then says what is wrong), read
    before the standard library builds its index of every member."""
    try:
        with path.open("rb") as stream:
            stream.seek(0, 2)
            length = stream.tell()
            start = max(0, length - _ZIP_END.size - 0xFFFF)
            stream.seek(start)
            tail = stream.read()
            at = tail.rfind(b"PK\x05\x06")
            if at < 0 or len(tail) - at < _ZIP_END.size:
                return 0
            entries: int = _ZIP_END.unpack_from(tail, at)[5]
            locator = at - _ZIP64_LOCATOR.size
            if entries == 0xFFFF and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
                end64 = _ZIP64_LOCATOR.unpack_from(tail, locator)[2]
                stream.seek(end64)
                raw = stream.read(_ZIP64_END.size)
                if len(raw) == _ZIP64_END.size and raw[:4] == b"PK\x06\x06":
                    entries = _ZIP64_END.unpack(raw)[7]
            return entries
    except OSError as error:
        raise InvalidInput(f"{path}: cannot be read: {error.strerror or error}") from error
