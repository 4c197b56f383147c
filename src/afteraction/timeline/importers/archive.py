"""Zip archives read within limits: a zip bomb is refused before memory grows.

Before anything is inflated, the central directory is counted entry by entry (stopping one past the member limit,
without building the standard library's index of a huge archive), then every member's declared size and compression
ratio and the declared total are checked. While a member is read, in chunks, the real inflated bytes are counted
against the same limits, since headers can lie. Each refusal is one line naming the archive, the member, the limit and
the setting that raises it: TooLarge (413, exit 2) for size, count and ratio; InvalidInput (422, exit 2) for a
damaged or unreadable archive.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from afteraction.core.errors import InvalidInput, TooLarge
from afteraction.timeline.importers._base import ImportLimits

MEMBERS_SETTING = "AFTERACTION_UPLOAD_MAX_MEMBERS"
MEMBER_BYTES_SETTING = "AFTERACTION_UPLOAD_MAX_MEMBER_BYTES"
TOTAL_BYTES_SETTING = "AFTERACTION_UPLOAD_MAX_TOTAL_BYTES"
RATIO_SETTING = "AFTERACTION_UPLOAD_MAX_RATIO"
# A small file may compress far better than the ratio (a page of spaces): the ratio binds only beyond this size.
RATIO_GRACE_BYTES = 1024 * 1024
CHUNK = 1024 * 1024

# The zip format's records (APPNOTE.TXT 4.3.12, 4.3.14-16): signature first, little-endian.
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # one central directory entry, 46 bytes before its name
_END = struct.Struct("<4s4H2LH")  # end of central directory, 22 bytes before its comment
_END64_LOCATOR = struct.Struct("<4sLQL")  # 20 bytes, just before the end record
_END64 = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory, 56 bytes, just before the locator
_CENTRAL_SIG, _END_SIG, _LOCATOR_SIG, _END64_SIG = b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x07", b"PK\x06\x06"
_UTF8_NAMES = 0x800


def size_text(count: int) -> str:
    """A byte count as people read it: 64 MiB, 512 KiB, 1,500 bytes."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size and count % size == 0:
            return f"{count // size:,} {unit}"
    return f"{count:,} bytes"


def _central_directory(stream: BinaryIO, label: str) -> tuple[int, int, int]:
    """(start, size, declared entries) of the central directory, read from the end record(s)."""
    stream.seek(0, 2)
    length = stream.tell()
    tail_start = max(0, length - _END.size - 0xFFFF)
    stream.seek(tail_start)
    tail = stream.read()
    at = tail.rfind(_END_SIG)
    if at < 0 or len(tail) - at < _END.size:
        raise InvalidInput(f"{label}: not a zip archive (no end of central directory)")
    _sig, _disk, _cd_disk, _here, entries, size, offset, _comment = _END.unpack_from(tail, at)
    record = tail_start + at
    if entries == 0xFFFF or size == 0xFFFFFFFF or offset == 0xFFFFFFFF:
        # Zip64: the real count and size are in the zip64 end record, just before its locator and the end record.
        end64 = record - _END64_LOCATOR.size - _END64.size
        if end64 >= 0:
            stream.seek(end64)
            raw = stream.read(_END64.size + _END64_LOCATOR.size)
            if len(raw) == _END64.size + _END64_LOCATOR.size and raw[_END64.size : _END64.size + 4] == _LOCATOR_SIG:
                fields = _END64.unpack_from(raw)
                if fields[0] == _END64_SIG:
                    entries, size, record = fields[7], fields[8], end64
    start = record - size
    if start < 0:
        raise InvalidInput(f"{label}: not a zip archive (its central directory lies outside the file)")
    return start, size, entries


def member_names(path: Path, *, limit: int | None = None, label: str | None = None) -> Iterator[str]:
    """The names in a zip's central directory, read entry by entry in constant memory.

    With `limit`, an archive declaring or holding more members than that is refused (TooLarge) as soon as the count
    passes it: the standard library would first build an index of every entry.
    """
    label = label or str(path)
    try:
        with path.open("rb") as stream:
            start, size, declared = _central_directory(stream, label)
            if limit is not None and declared > limit:
                raise _too_many(label, limit)
            stream.seek(start)
            consumed = count = 0
            while consumed + _CENTRAL.size <= size:
                header = stream.read(_CENTRAL.size)
                if len(header) < _CENTRAL.size or header[:4] != _CENTRAL_SIG:
                    raise InvalidInput(f"{label}: not a zip archive (a damaged central directory)")
                fields = _CENTRAL.unpack(header)
                flags, name_length, extra_length, comment_length = fields[5], fields[12], fields[13], fields[14]
                raw = stream.read(name_length)
                stream.seek(extra_length + comment_length, 1)
                consumed += _CENTRAL.size + name_length + extra_length + comment_length
                count += 1
                if limit is not None and count > limit:
                    raise _too_many(label, limit)
                yield raw.decode("utf-8" if flags & _UTF8_NAMES else "cp437", "replace")
    except OSError as exc:
        raise InvalidInput(f"{label}: cannot be read ({exc.strerror or exc})") from None


def count_members(path: Path, *, limit: int | None = None, label: str | None = None) -> int:
    """How many entries a zip's central directory holds (TooLarge once past `limit`), in constant memory."""
    return sum(1 for _name in member_names(path, limit=limit, label=label))


def _too_many(label: str, limit: int) -> TooLarge:
    return TooLarge(f"{label}: holds more than {limit:,} files (the limit is set by {MEMBERS_SETTING})")


class LimitedZip:
    """A zip archive opened and read within ImportLimits; `label` names it in every message."""

    def __init__(self, path: Path, limits: ImportLimits, label: str | None = None) -> None:
        self.label = label or str(path)
        self.limits = limits
        self._inflated = 0  # bytes really inflated so far, all members together
        count_members(path, limit=limits.max_members, label=self.label)  # before the standard library indexes them
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
            raise InvalidInput(f"{self.label}: not a readable zip archive ({exc})") from None
        try:
            self._check_declared()
        except BaseException:
            self._zip.close()
            raise

    def _check_declared(self) -> None:
        total = 0
        for info in self._zip.infolist():
            if info.is_dir():
                continue
            self._check_size(info, info.file_size)
            total += info.file_size
            if total > self.limits.max_total_bytes:
                raise self._total_error(info.filename)

    def _check_size(self, info: zipfile.ZipInfo, inflated: int) -> None:
        limits = self.limits
        if inflated > limits.max_member_bytes:
            raise TooLarge(
                f"{self.label}: {info.filename} inflates to more than {size_text(limits.max_member_bytes)} "
                f"(the limit is set by {MEMBER_BYTES_SETTING})"
            )
        if inflated > max(RATIO_GRACE_BYTES, limits.max_ratio * info.compress_size):
            raise TooLarge(
                f"{self.label}: {info.filename} inflates to more than {limits.max_ratio} times its compressed size "
                f"(the limit is set by {RATIO_SETTING})"
            )

    def _total_error(self, name: str) -> TooLarge:
        return TooLarge(
            f"{self.label}: {name}: the archive's files inflate to more than "
            f"{size_text(self.limits.max_total_bytes)} in all (the limit is set by {TOTAL_BYTES_SETTING})"
        )

    def names(self) -> list[str]:
        """The names of the archive's files (folders left out)."""
        return [info.filename for info in self._zip.infolist() if not info.is_dir()]

    def read(self, name: str) -> bytearray:
        """One member's bytes, inflated in chunks and counted against the limits as they come."""
        try:
            info = self._zip.getinfo(name)
            data = bytearray()
            with self._zip.open(info) as stream:
                while chunk := stream.read(CHUNK):
                    data += chunk
                    self._inflated += len(chunk)
                    self._check_size(info, len(data))
                    if self._inflated > self.limits.max_total_bytes:
                        raise self._total_error(name)
        except (OSError, zipfile.BadZipFile, zlib.error, KeyError, EOFError, ValueError, NotImplementedError) as exc:
            raise InvalidInput(f"{self.label}: {name}: cannot be read ({exc})") from None
        return data

    def close(self) -> None:
        """Release the archive's file."""
        self._zip.close()
