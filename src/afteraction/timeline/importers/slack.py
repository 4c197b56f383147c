"""Slack workspace exports (a folder or its .zip): one message event per record, day file by day file.

Each message keeps its channel (the channel folder's name), a permalink when the workspace is known, and its thread:
a reply's `parent_id` is its thread's first message. A message is `flagged` (a highlight by default) when it was
pinned (`pinned_to`, or a `pinned_item` record) or has reactions; it is a `decision` when its text begins with
`decision:` or `decided:` (any case, after leading spaces or Slack's bold and italic marks: `*Decision:* roll back`).

The permalink is `https://<workspace>.slack.com/archives/<channel id>/p<ts without its dot>`, and for a thread reply
`…?thread_ts=<thread ts>&cid=<channel id>`. The workspace URL is the import's (`ImportOptions.slack_workspace`, which
the faces fill from `--slack-workspace` or the AFTERACTION_SLACK_WORKSPACE_URL setting), else the one the export's own
file permalinks (`https://houstondatavis.slack.com/files/…`) show, found by a byte scan of at most `SCAN_BYTES` of the
day files before any message is read; else no message has a link.

Text is stored as Markdown that reads as Slack shows it: `<url|label>` becomes `[label](url)`, `<url>` an autolink
`<url>` (`<mailto:a@b>`: `<a@b>`), mentions `@Name`, channels `#name`, special mentions `@here`; `&lt;`, `&gt;` and
`&amp;` are unescaped; a link whose scheme is not http(s) or mailto (`documents.markdown.safe_url`) keeps only its
words. A ```fenced``` block over several lines becomes a fenced code block on lines of its own; one on a single line
stays as it is, which Markdown reads as inline code. Inside code, references read as plain text (`label (url)`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from afteraction.core.config import Settings
from afteraction.core.errors import InvalidInput
from afteraction.documents.markdown import safe_url
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers._base import (
    ENTRY_ERRORS,
    EntryError,
    ImportLimits,
    ImportOptions,
    located,
    parse_json_bytes,
)
from afteraction.timeline.importers.archive import LimitedZip, member_names
from afteraction.timeline.timeparse import parse_slack_ts

FORMAT = "slack"
_DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")
_CHANNEL_LISTS = ("channels.json", "groups.json", "mpims.json", "dms.json")
_MARKERS = ("channels.json", "users.json")
# Channel housekeeping a timeline reader does not want unless they ask for everything.
HOUSEKEEPING = frozenset(
    {
        "channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
        "channel_archive", "channel_unarchive", "channel_convert_to_private", "channel_convert_to_public",
        "group_join", "group_leave", "group_topic", "group_purpose", "group_name", "group_archive",
        "group_unarchive", "bot_add", "bot_remove", "bot_enable", "bot_disable",
    }
)  # fmt: skip
# Edit and deletion records repeat a message that is already in the export under its own ts.
_NEVER = frozenset({"message_changed", "message_deleted", "message_replied"})
_ESCAPE = re.compile(r"<([^<>\n]*)>")
_CODE = re.compile(r"```(.*?)```|`([^`\n]+)`", re.DOTALL)
_DECISION = re.compile(r"[\s*_]*(?:decision|decided)[*_]*\s*:", re.IGNORECASE)
_DECISION_FIRST = "dD*_ \t\n"  # a cheap test before the pattern: most messages start otherwise
_WORKSPACE_URL = re.compile(
    r"https://((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(:[0-9]{1,5})?/?", re.IGNORECASE
)
# A file's (or a message's) permalink in a day file's JSON, where slashes are often written `\/`.
_PERMALINK = re.compile(
    rb"https:(?:\\?/){2}([a-z0-9][a-z0-9-]*(?:\.enterprise)?)\.slack\.com\\?/(?:files|archives)\\?/"
)  # case-sensitive (as exports write them): a search for its literal start, 50 ms for 50 MB
_NOT_WORKSPACES = frozenset({b"files", b"api", b"app", b"hooks", b"www", b"status", b"slack"})
SCAN_BYTES = 64 * 1_048_576  # the most of an export's day files read to learn its workspace URL
SETTING = "AFTERACTION_SLACK_WORKSPACE_URL"
_BOT_ADDED = re.compile(r"/services/(B[A-Z0-9]+)\|([^>]+)>")


class _Export:
    """A Slack export read from a folder or a zip (within the limits), one file at a time."""

    def __init__(self, path: Path, limits: ImportLimits) -> None:
        self.path = path
        self.label = str(path)
        self.max_depth = limits.json_max_depth
        self._zip: LimitedZip | None = None
        self._prefix = ""
        self._scanned: dict[str, bytes | bytearray] = {}  # zip members the workspace scan inflated, until parsed
        if path.is_dir():
            self.names = _folder_names(path)
        else:
            self._zip = LimitedZip(path, limits)
            names = self._zip.names()
            marker = min(
                (name for name in names if name.rsplit("/", 1)[-1] in _MARKERS and "__MACOSX" not in name),
                key=lambda name: name.count("/"),
                default=None,
            )
            if marker is None:
                self._zip.close()
                raise InvalidInput(f"{self.label}: this zip is not a Slack export (no channels.json or users.json)")
            self._prefix = marker[: len(marker) - len(marker.rsplit("/", 1)[-1])]
            self.names = {name[len(self._prefix) :] for name in names if name.startswith(self._prefix)}

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def read(self, name: str) -> Any:
        """One JSON file of the export."""
        label = f"{self.label}: {name}"
        if self._zip is not None:
            kept = self._scanned.pop(name, None)
            data: bytes | bytearray = self._zip.read(self._prefix + name) if kept is None else kept
        else:
            try:
                data = (self.path / name).read_bytes()
            except OSError as exc:
                raise InvalidInput(f"{label}: cannot be read ({exc.strerror or exc})") from None
        return parse_json_bytes(data, label, self.max_depth)

    def workspace(self, day_files: list[str]) -> str | None:
        """The workspace URL the first file permalink in these day files shows (`https://name.slack.com`), reading at
        most SCAN_BYTES of them in order; a zip's members read are kept for parsing, so they are inflated (and counted
        against the archive limits) once."""
        budget = SCAN_BYTES
        for name in day_files:
            if budget <= 0:
                return None
            if self._zip is not None:
                data: bytes | bytearray = self._zip.read(self._prefix + name)
                self._scanned[name] = data
            else:
                try:
                    with (self.path / name).open("rb") as stream:
                        data = stream.read(budget)
                except OSError as exc:
                    raise InvalidInput(f"{self.label}: {name}: cannot be read ({exc.strerror or exc})") from None
            budget -= len(data)
            for found in _PERMALINK.finditer(data):
                host = found.group(1)
                if host not in _NOT_WORKSPACES:
                    return f"https://{host.decode('ascii')}.slack.com"
        return None

    def optional_list(self, name: str) -> list[Any]:
        """A top-level list file such as users.json, empty when the export lacks it."""
        if name not in self.names:
            return []
        data = self.read(name)
        if not isinstance(data, list):
            raise InvalidInput(f"{self.label}: {name}: expected a list")
        return data

    def channel_days(self) -> dict[str, list[str]]:
        """Each channel folder's day files, oldest first."""
        days: dict[str, list[str]] = {}
        for name in self.names:
            folder, _, file = name.rpartition("/")
            if folder and "/" not in folder and _DAY_FILE.fullmatch(file):
                days.setdefault(folder, []).append(name)
        for files in days.values():
            files.sort()
        return days


def _folder_names(root: Path) -> set[str]:
    names: set[str] = set()
    try:
        with os.scandir(root) as top:
            for entry in top:
                if entry.is_file():
                    names.add(entry.name)
                elif entry.is_dir():
                    with os.scandir(entry.path) as inner:
                        names.update(f"{entry.name}/{item.name}" for item in inner if item.is_file())
    except OSError as exc:
        raise InvalidInput(f"{root}: cannot be read ({exc.strerror or exc})") from None
    return names


def is_export(path: Path, limits: ImportLimits | None = None) -> bool:
    """Whether a folder or zip looks like a Slack export (for format detection); a zip of more members than
    `limits` allows is refused (TooLarge)."""
    if path.is_dir():
        names = _folder_names(path)
        return any(marker in names for marker in _MARKERS) or any(
            "/" in name and _DAY_FILE.fullmatch(name.rpartition("/")[2]) for name in names
        )
    limit = (limits or ImportLimits()).max_members
    try:
        # The central directory read entry by entry: even a zip of a million names costs no memory to recognise.
        return any(name.rsplit("/", 1)[-1] in _MARKERS for name in member_names(path, limit=limit))
    except InvalidInput:
        return False


def display_name(user: dict[str, Any]) -> str | None:
    """The name a person goes by: profile real name, then display name, then user name."""
    profile = user.get("profile")
    if not isinstance(profile, dict):
        profile = {}
    for value in (
        profile.get("real_name"),
        user.get("real_name"),
        profile.get("display_name"),
        user.get("display_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


class _Names:
    """Users, bots and channels of the export, resolved to what a reader recognises."""

    def __init__(self, users: list[Any], channels: dict[str, str]) -> None:
        self.users: dict[str, str] = {}
        self.bots: dict[str, str] = {}
        for user in users:
            if not isinstance(user, dict) or not isinstance(user.get("id"), str):
                continue
            name = display_name(user)
            if name is None:
                continue
            self.users[user["id"]] = name
            profile = user.get("profile")
            if isinstance(profile, dict) and isinstance(profile.get("bot_id"), str):
                self.bots[profile["bot_id"]] = name
        self.channels = channels  # channel id -> name

    def render(self, text: str) -> str:
        """Slack mrkdwn as Markdown that reads as Slack shows it (see the module's description); inside code,
        references read as plain text."""
        if "`" not in text:
            return self._prose(text)
        pieces: list[str] = []
        done = 0
        for found in _CODE.finditer(text):
            pieces.append(self._prose(text[done : found.start()]))
            fenced, inline = found.group(1), found.group(2)
            if inline is not None:
                pieces.append(f"`{self._plain(inline)}`")
            elif "\n" not in fenced:
                pieces.append(f"```{self._plain(fenced)}```")  # one line: Markdown's inline code
            else:
                code = self._plain(fenced).strip("\n")
                fence = "~~~" if "```" in code else "```"
                before = "\n" if found.start() and text[found.start() - 1] != "\n" else ""
                after = "\n" if found.end() < len(text) and text[found.end()] != "\n" else ""
                pieces.append(f"{before}{fence}\n{code}\n{fence}{after}")
            done = found.end()
        pieces.append(self._prose(text[done:]))
        return "".join(pieces)

    def _prose(self, text: str) -> str:
        if "<" in text:
            text = _ESCAPE.sub(self._markdown, text)
        if "&" in text:
            text = _unescape(text)
        return text

    def _plain(self, text: str) -> str:
        if "<" in text:
            text = _ESCAPE.sub(self._words, text)
        if "&" in text:
            text = _unescape(text)
        return text

    def _reference(self, target: str, label: str) -> str | None:
        """A mention (`@Name`), a channel (`#name`) or a special mention (`@here`), or None for a link."""
        if target.startswith("@"):
            name = self.users.get(target[1:])
            return "@" + (name or label.removeprefix("@") or "someone")
        if target.startswith("#"):
            name = self.channels.get(target[1:])
            return "#" + (label or name or "channel")
        if target.startswith("!"):
            command = target[1:].split("^", 1)[0]
            if label:
                return label
            return "@" + command if command in ("here", "channel", "everyone") else command
        return None

    def _markdown(self, match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        reference = self._reference(target, label)
        if reference is not None:
            return reference
        if not target.startswith(("https://", "http://")) and not safe_url(target):
            return label or target  # not http(s) or mailto: the words only, never a link
        if target.startswith("mailto:"):
            address = target[7:]
            if not label or label in (address, target):
                return f"<{address}>"
        elif not label or label == target:
            return f"<{target}>"
        words = label.replace("[", "\\[").replace("]", "\\]")
        destination = f"<{target}>" if any(char in target for char in " ()") else target
        return f"[{words}]({destination})"

    def _words(self, match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        reference = self._reference(target, label)
        if reference is not None:
            return reference
        if not label or label == target:
            return target.removeprefix("mailto:")
        if target.startswith("mailto:"):
            return label
        return f"{label} ({target})"


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def workspace_url(value: str, field: str) -> str:
    """A Slack workspace URL as permalinks use it (`https://acme.slack.com`): https, a host name and nothing more,
    else an InvalidInput naming `field`."""
    found = _WORKSPACE_URL.fullmatch(value.strip())
    if found is None:
        raise InvalidInput(
            f"{field}: {value!r} is not a Slack workspace URL (expected https://<workspace>.slack.com)", field=field
        )
    return f"https://{found.group(1).lower()}{found.group(2) or ''}"


def chosen_workspace(given: str | None, settings: Settings, field: str) -> str | None:
    """The workspace URL permalinks of a Slack import use: the one given (`field` names it in an error), else the
    setting AFTERACTION_SLACK_WORKSPACE_URL; None leaves it to the export's own file permalinks."""
    if given and given.strip():
        return workspace_url(given, field)
    if settings.slack_workspace_url:
        return workspace_url(settings.slack_workspace_url, SETTING)
    return None


def _fallback_text(message: dict[str, Any]) -> str:
    # Bot posts and file shares often carry their words in attachments or files, not in `text`.
    for attachment in message.get("attachments") or ():
        if isinstance(attachment, dict):
            for key in ("fallback", "pretext", "text", "title"):
                value = attachment.get(key)
                if isinstance(value, str) and value:
                    return value
    for file in message.get("files") or ():
        if isinstance(file, dict):
            title = file.get("title") or file.get("name")
            if isinstance(title, str) and title:
                return f"shared a file: {title}"
    return ""


def _actor(message: dict[str, Any], names: _Names) -> str | None:
    user = message.get("user")
    if user is None and isinstance(message.get("comment"), dict):
        user = message["comment"].get("user")
    if isinstance(user, str):
        known = names.users.get(user)
        if known is not None:
            return known
        profile = message.get("user_profile")
        if isinstance(profile, dict):
            return display_name(profile)
    username = message.get("username")
    if isinstance(username, str) and username:
        return names.render(username).removeprefix("@")
    bot = message.get("bot_profile")
    if isinstance(bot, dict) and isinstance(bot.get("name"), str):
        return str(bot["name"])
    bot_id = message.get("bot_id")
    if isinstance(bot_id, str):
        return names.bots.get(bot_id)
    return None


def read(path: Path, options: ImportOptions) -> Iterator[ImportedEvent]:
    """Every message of a Slack export (or of the chosen channels) at the UTC time of its `ts`."""
    export = _Export(path, options.limits)
    try:
        yield from _read(export, options)
    finally:
        export.close()


def _read(export: _Export, options: ImportOptions) -> Iterator[ImportedEvent]:
    folder_ids: dict[str, str] = {}
    for list_name in _CHANNEL_LISTS:
        for channel in export.optional_list(list_name):
            if isinstance(channel, dict) and isinstance(channel.get("id"), str):
                name = channel.get("name")
                folder_ids[name if isinstance(name, str) and name else channel["id"]] = channel["id"]
    names = _Names(export.optional_list("users.json"), {cid: folder for folder, cid in folder_ids.items()})
    days = export.channel_days()
    if not days and not folder_ids:
        raise InvalidInput(f"{export.label}: not a Slack export (no channels.json and no channel folders)")
    folders = sorted(days)
    if options.channels:
        wanted = [channel.strip().lstrip("#") for channel in options.channels]
        by_id = {cid: folder for folder, cid in folder_ids.items()}
        chosen: list[str] = []
        for channel in wanted:
            folder = channel if channel in days or channel in folder_ids else by_id.get(channel)
            if folder is None:
                known = ", ".join(sorted(set(folders) | set(folder_ids))) or "none"
                raise InvalidInput(f"{export.label}: no channel {channel!r} in this export (channels: {known})")
            if folder not in chosen:
                chosen.append(folder)
        folders = [folder for folder in chosen if folder in days]
    include_all = options.include_all
    if options.slack_workspace:
        workspace: str | None = workspace_url(options.slack_workspace, "slack_workspace")
    else:
        workspace = export.workspace([day for folder in folders for day in days[folder]])
    for folder in folders:
        channel_id = folder_ids.get(folder, folder)
        permalink = f"{workspace}/archives/{channel_id}/p" if workspace else None
        for day in days[folder]:
            messages = export.read(day)
            if not isinstance(messages, list):
                raise InvalidInput(f"{export.label}: {day}: expected a list of messages")
            for index, message in enumerate(messages, start=1):
                try:
                    event = _event(message, channel_id, folder, permalink, names, include_all)
                except ENTRY_ERRORS as exc:
                    raise located(export.label, f"{day}: entry {index}", exc) from None
                if event is not None:
                    yield event


def _event(
    message: Any, channel_id: str, channel: str, permalink: str | None, names: _Names, include_all: bool
) -> ImportedEvent | None:
    # The hot path of a million-message import: few lookups, no keyword arguments.
    if type(message) is not dict:
        raise EntryError(f"expected a message object, found {type(message).__name__}")
    ts = message.get("ts")
    if type(ts) is not str or not ts:
        raise EntryError("missing 'ts'" if ts is None else f"'ts' is not a Slack timestamp: {ts!r}")
    subtype = message.get("subtype")
    kind = "message"
    flagged = False
    if "reactions" in message or "pinned_to" in message:
        flagged = bool(message.get("reactions") or message.get("pinned_to"))
    if subtype is not None:
        if subtype in _NEVER:
            return None
        if subtype in HOUSEKEEPING:
            if subtype == "bot_add" and isinstance(message.get("bot_id"), str):
                _learn_bot(message, names)
            if not include_all:
                return None
            kind = "note"
        elif subtype == "pinned_item":
            flagged = True
    text = message.get("text")
    if type(text) is not str or not text:
        text = _fallback_text(message)
    if "<" in text or "&" in text or "`" in text:
        text = names.render(text)
    if text and text[0] in _DECISION_FIRST and kind == "message" and _DECISION.match(text):
        kind = "decision"
    user = message.get("user")
    actor = names.users.get(user) if type(user) is str else None
    if actor is None:
        actor = _actor(message, names)
    thread_ts = message.get("thread_ts")
    if thread_ts is None or thread_ts == ts:
        parent = None
        link = f"{permalink}{ts.replace('.', '')}" if permalink else None
    else:
        parent = f"{channel_id}:{thread_ts}"
        link = f"{permalink}{ts.replace('.', '')}?thread_ts={thread_ts}&cid={channel_id}" if permalink else None
    # ImportedEvent(at, source, kind, text, source_id, actor, link, parent_id, channel, flagged)
    return ImportedEvent(
        parse_slack_ts(ts), FORMAT, kind, text, f"{channel_id}:{ts}", actor, link, parent, channel, flagged
    )


def _learn_bot(message: dict[str, Any], names: _Names) -> None:
    # "added an integration to this channel: <https://x.slack.com/services/B0CM0SCDR|github>" names the bot.
    match = _BOT_ADDED.search(str(message.get("text", "")))
    if match and match.group(1) == message["bot_id"]:
        names.bots.setdefault(match.group(1), match.group(2))
