"""Turning streamed events into insert-ready row batches, in this process or in a parsing worker process.

Parsing a large export costs about a third of what inserting its rows costs, so for large inputs a worker process
parses while this process inserts: the import then runs at nearly the speed of the inserts alone. No SQL here.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import marshal
import multiprocessing
import os
import sys
from collections.abc import Callable, Generator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from afteraction.core.errors import AfteractionError, InvalidInput, TooLarge
from afteraction.domain.highlights import default_highlight
from afteraction.timeline.events import ImportedEvent
from afteraction.timeline.importers import ImportOptions, read_events

F_SETPIPE_SZ = 1031  # Linux fcntl: resize a pipe
ROW_VALUES = 10
BATCH = 5000  # rows
BATCH_VALUES = BATCH * ROW_VALUES
# Below this much input, starting a worker costs more than it saves.
WORKER_THRESHOLD_BYTES = 8 * 1024 * 1024
# The errors a worker's refusal is raised again as in the parent (by name); any other is InvalidInput.
_WORKER_ERRORS: dict[str, type[InvalidInput] | type[TooLarge]] = {"InvalidInput": InvalidInput, "TooLarge": TooLarge}


def sqlite_time(value: datetime) -> str:
    """The exact text SQLAlchemy's SQLite DateTime stores, so rows written in bulk sort and load like the others."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # "2024-03-14 10:08:10.000100" from cached pieces: a third of what isoformat costs, per event of a large import.
    day = value.toordinal()
    date = _DATES.get(day)
    if date is None:
        if len(_DATES) >= 4096:
            _DATES.clear()
        date = _DATES[day] = value.date().isoformat() + " "
    micro = value.microsecond
    return (
        f"{date}{_HOUR_MINUTE[value.hour * 60 + value.minute]}{_TWO_DIGITS[value.second]}."
        f"{_TWO_DIGITS[micro // 10000]}{_TWO_DIGITS[micro // 100 % 100]}{_TWO_DIGITS[micro % 100]}"
    )


_DATES: dict[int, str] = {}  # proleptic ordinal -> "2024-03-14 "
_TWO_DIGITS = [f"{number:02d}" for number in range(100)]
_HOUR_MINUTE = [f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60)]


def row_batches(events: Iterable[ImportedEvent], sqlite: bool) -> Generator[list[Any], None, None]:
    """The values of `timeline_events` rows, up to BATCH rows per batch, ROW_VALUES per row one row after another:
    at, source, actor, kind, text, link, source_id, parent_source_id, channel, highlight (domain.highlights'
    default: timeline.highlights keeps one highlight per alert once the import is in).

    The incident, the import (timeline_imports: which import inserted the row), `sort_at` (= `at`) and position are
    the same for every row of an import, so the insert statement supplies them; and a flat list of values is cheaper
    to build, send and bind in statements of many rows than a tuple per row.
    """
    as_time: Callable[[datetime], Any] = sqlite_time if sqlite else (lambda value: value)
    batch: list[Any] = []
    for event in events:
        batch += (
            as_time(event.at), event.source, event.actor, event.kind, event.text, event.link, event.source_id,
            event.parent_id, event.channel, default_highlight(event.source, event.kind, event.flagged),
        )  # fmt: skip
        if len(batch) >= BATCH_VALUES:
            yield batch
            batch = []
    if batch:
        yield batch


def input_size(path: Path) -> int:
    """Bytes of a file, or of every file below a folder."""
    if path.is_file():
        return path.stat().st_size
    return sum((Path(root) / name).stat().st_size for root, _dirs, names in os.walk(path) for name in names)


def _widen(pipe_end: Any) -> None:
    # A 1 MiB pipe instead of 64 KiB: a batch then crosses in one or two writes, not dozens of wake-ups.
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe_end.fileno(), F_SETPIPE_SZ, 1 << 20)


def _produce(sender: Any, path: Path, fmt: str, options: ImportOptions, sqlite: bool) -> None:
    """Worker: parse and send row batches (marshalled: SQLite rows hold only str and None), then an empty message."""
    gc.disable()  # nothing the worker makes refers to itself, and the collector would walk each batch repeatedly
    _widen(sender)
    try:
        for batch in row_batches(read_events(path, fmt, options), sqlite):
            sender.send_bytes(marshal.dumps(batch))
        sender.send_bytes(b"")
    except AfteractionError as exc:
        sender.send_bytes(b"E" + f"{type(exc).__name__}\n{exc.message}".encode())
    except Exception as exc:  # the parent re-raises it as one line; the worker must not die silently
        sender.send_bytes(b"E" + f"InvalidInput\n{path}: {type(exc).__name__}: {exc}".encode())
    finally:
        sender.close()


def _from_worker(path: Path, fmt: str, options: ImportOptions, sqlite: bool) -> Generator[list[Any], None, None]:
    # fork is fast and the worker only parses; elsewhere spawn re-imports the package.
    context: Any = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_produce, args=(sender, path, fmt, options, sqlite), daemon=True)
    worker.start()
    sender.close()
    try:
        while True:
            try:
                message = receiver.recv_bytes()
            except EOFError:
                raise InvalidInput(f"{path}: the parsing worker stopped unexpectedly") from None
            if not message:
                return
            if message[:1] == b"E":
                kind, _, text = message[1:].decode().partition("\n")
                raise _WORKER_ERRORS.get(kind, InvalidInput)(text)
            yield marshal.loads(message)
    finally:
        receiver.close()
        if worker.is_alive():
            worker.terminate()
        worker.join()


def import_batches(
    path: Path, fmt: str, options: ImportOptions, *, sqlite: bool, parallel: bool | None = None
) -> Generator[list[Any], None, None]:
    """Row batches of a source file; large inputs are parsed in a worker process while the caller inserts.

    Only SQLite rows (times as text) can cross from the worker: marshal does not carry datetimes. Close the generator
    when stopping early: that stops the worker.
    """
    if parallel is None:
        parallel = sqlite and input_size(path) >= WORKER_THRESHOLD_BYTES
    if parallel:
        return _from_worker(path, fmt, options, sqlite)
    return row_batches(read_events(path, fmt, options), sqlite)
