"""Hostile archives and JSON for the limit tests, written in the test (small on disk, large inflated), never held
whole in memory: a Slack-export-shaped zip bomb, a zip of many members, a zip whose header lies about a size, and
JSON nested deeper than any limit."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

DAY = "general/2024-03-14.json"
CHANNELS = [{"id": "C0GENERAL", "name": "general"}, {"id": "C0RANDOM", "name": "random"}]
USERS = [{"id": "U1", "name": "ana", "profile": {"real_name": "Ana"}}]
MIB = 1024 * 1024
_CHUNK = b" " * MIB


def message(ts: str, text: str) -> dict[str, str]:
    """One Slack message record."""
    return {"type": "message", "user": "U1", "ts": ts, "text": text}


def slack_zip(path: Path, days: dict[str, bytes | list[dict[str, str]]] | None = None) -> Path:
    """A small, valid Slack export zip with channels.json, users.json and the given day files."""
    days = days if days is not None else {DAY: [message("1710410890.000100", "checkout is down")]}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("channels.json", json.dumps(CHANNELS))
        archive.writestr("users.json", json.dumps(USERS))
        for name, content in days.items():
            archive.writestr(name, content if isinstance(content, bytes) else json.dumps(content))
    return path


def bomb_zip(path: Path, inflated: int, member: str = DAY) -> Path:
    """A Slack-export-shaped zip whose day file inflates to `inflated` bytes (`[`, spaces, `]`: valid JSON), written
    in streaming mode at deflate level 9: about a thousandth of that on disk, and never in memory at once."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("channels.json", json.dumps(CHANNELS))
        archive.writestr("users.json", json.dumps(USERS))
        with archive.open(member, "w", force_zip64=True) as day:
            day.write(b"[")
            left = inflated - 2
            while left > 0:
                day.write(_CHUNK[: min(left, MIB)])
                left -= MIB
            day.write(b"]")
    return path


def many_members_zip(path: Path, members: int) -> Path:
    """A Slack-export-shaped zip of `members` tiny day files (plus channels.json and users.json)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("channels.json", json.dumps(CHANNELS))
        archive.writestr("users.json", json.dumps(USERS))
        for number in range(members):
            archive.writestr(f"channel{number // 28}/2024-02-{number % 28 + 1:02d}.json", b"[]")
    return path


def lying_zip(path: Path, real: int, declared: int, member: str = DAY, before: bool = True) -> Path:
    """A Slack-export-shaped zip whose `member` inflates to `real` bytes (spaces in a JSON array) while its central
    directory and local header declare `declared`; with `before`, a valid day file comes first (its events would be
    read before the lie is met)."""
    days: dict[str, bytes | list[dict[str, str]]] = {}
    if before:
        days["general/2024-03-13.json"] = [message("1710324000.000100", "an honest day")]
    days[member] = b"[" + b" " * (real - 2) + b"]"
    slack_zip(path, days)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(member).header_offset
    name = member.encode()
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + length] == name:
            struct.pack_into("<L", data, central + 24, declared)  # the uncompressed size in the central directory
            break
        central = data.find(b"PK\x01\x02", central + 4)
    assert central >= 0, f"{member} is not in the central directory"
    struct.pack_into("<L", data, local + 22, declared)  # and in the local header
    path.write_bytes(bytes(data))
    return path


def lie_about_count(path: Path, declared: int) -> Path:
    """The zip with its end record declaring `declared` members, whatever its central directory holds."""
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, declared, declared)  # entries on this disk, entries in all
    path.write_bytes(bytes(data))
    return path


def deep_json(path: Path, depth: int = 200_000) -> Path:
    """A JSON file of `depth` nested arrays (what once made the CLI print a RecursionError)."""
    path.write_bytes(b"[" * depth + b"]" * depth)
    return path
