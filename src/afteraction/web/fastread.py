"""The web's fast reads: the token check and GET /api/v1/incidents/{id} as SELECTs compiled once and run on raw
DB-API connections from a small pool of this module's own.

Every API request checks a token, and reading one incident is the busiest request; for such indexed one-row reads
SQLAlchemy's per-execution work (a session, a pool checkout and reset, the ORM) costs several times the query. This
is the one place outside the areas that holds SQL, and it is kept in the web layer on purpose: the library
(`accounts.service.authenticate_token`, `usecases.incidents.get_incident`) is plain SQLAlchemy and works on every
database, and this module builds on the library's own statement and rule (the token query of `accounts.service`, the
visibility clause of `core.visibility`), so both paths answer alike.

The connections: a `ReaderPool` of at most `size` autocommit DB-API connections per process
(AFTERACTION_FAST_READ_CONNECTIONS), opened on demand and kept. A read that finds them all busy waits for one (up to
READER_WAIT seconds, then DatabaseUnavailable): the pool never opens more. A kept connection that broke (a restarted
server) is replaced. `close()` (the app's shutdown) closes them all.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, cast

import orjson
from sqlalchemy import Engine, Integer, Select, Table, bindparam, func, literal_column, select, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import NullType

from afteraction.accounts import service as accounts
from afteraction.accounts.models import ApiToken
from afteraction.actions.models import ActionItem
from afteraction.core.actor import Actor
from afteraction.core.db import Database, json_rows, utcnow
from afteraction.core.errors import DatabaseUnavailable, NotFound
from afteraction.core.visibility import visible_clause
from afteraction.domain.actions import OPEN_ACTION_STATUSES
from afteraction.domain.incidents import IncidentSummary
from afteraction.incidents.models import Incident, IncidentLabel
from afteraction.incidents.service import LABEL_KINDS, MOMENT_FIELDS, parse_incident_id
from afteraction.reviews.models import Postmortem

Processor = Callable[[Any], Any]
READER_MMAP = 256 << 20  # bytes of a SQLite file a reader maps (address space, not memory)
READER_WAIT = 30.0  # seconds a read waits for a free connection when all are busy (as SQLAlchemy's pool_timeout)


class FastRead:
    """A SELECT compiled once per dialect and run straight on a DB-API cursor.

    Parameters are plain values (ints, strings: no bind processing); each column of a row gets its type's own result
    processing (UTC times, booleans, JSON), as through SQLAlchemy.
    """

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self.keys = tuple(statement.selected_columns.keys())
        self._compiled: dict[str, tuple[str, list[str] | None, list[tuple[int, Processor]]]] = {}

    def compiled(self, dialect: Dialect) -> tuple[str, list[str] | None, list[tuple[int, Processor]]]:
        """The SQL text, the parameter order (None for named parameters) and the processors of the columns that have
        one (by position), for a dialect."""
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            order = list(compiled.positiontup or ()) if dialect.positional else None
            processors: list[tuple[int, Processor]] = [
                (index, process)
                for index, column in enumerate(self.statement.selected_columns)
                if (process := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
            ]
            found = (compiled.string, order, processors)
            self._compiled[dialect.name] = found
        return found


def _processed(rows: list[Any], processors: list[tuple[int, Processor]]) -> list[tuple[Any, ...]]:
    """Rows with each column that has a processor run through it."""
    if not processors:
        return [tuple(row) for row in rows]
    processed = []
    for row in rows:
        values = list(row)
        for index, process in processors:
            if values[index] is not None:
                values[index] = process(values[index])
        processed.append(tuple(values))
    return processed


class _Slot:
    """One of a pool's connections: opened on first use, kept, closed when it breaks or the pool is closed."""

    __slots__ = ("connection", "generation")

    def __init__(self) -> None:
        self.connection: Any = None
        self.generation = 0

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail; it is gone either way
                connection.close()


def _fetch(connection: Any, sql: str, values: Any) -> list[Any]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, values)
        rows: list[Any] = cursor.fetchall()
        return rows
    finally:
        cursor.close()


class ReaderPool:
    """At most `size` raw autocommit connections of one database for FastRead queries, shared by a process's threads.

    The pool holds exactly `size` slots, each with at most one connection (opened when the slot is first used, kept,
    replaced when it breaks): so never more than `size` connections, however many threads read. A read takes an idle
    slot (the most recently used, whose connection is warm), or waits up to `wait` seconds for one to come back, then
    raises DatabaseUnavailable. Taking and giving back a slot is a deque pop and append (atomic); only a read that
    finds none idle takes a lock, to wait.
    """

    def __init__(self, engine: Engine, size: int, *, wait: float = READER_WAIT) -> None:
        if size < 1:
            raise ValueError("a reader pool needs at least one connection")
        self.size = size
        self.wait = wait
        self.dialect = engine.dialect
        self.driver_errors: tuple[type[Exception], ...] = (
            engine.dialect.loaded_dbapi.OperationalError,
            engine.dialect.loaded_dbapi.InterfaceError,
        )
        self._unreachable = (*self.driver_errors, SQLAlchemyError)  # what becomes DatabaseUnavailable
        self._engine = engine
        self._idle: deque[_Slot] = deque(_Slot() for _ in range(size))
        self._freed = threading.Condition()  # a slot came back (notified only while someone waits)
        self._waiting = 0
        self._generation = 0  # a slot's connection of an older generation is closed (see close)
        self._count_lock = threading.Lock()
        self.opened = 0  # connections opened in all, replacements included (for tests and diagnostics)

    def all(self, query: FastRead, **params: Any) -> list[tuple[Any, ...]]:
        """Every row of the query, processed; driver errors become DatabaseUnavailable."""
        sql, order, processors = query.compiled(self.dialect)
        values = [params[name] for name in order] if order is not None else params
        slot = self._take()
        try:
            rows = self._run(slot, sql, values)
        except self._unreachable as exc:
            raise self._unavailable(exc) from exc
        finally:
            self._give(slot)
        return _processed(rows, processors)

    def first(self, query: FastRead, **params: Any) -> tuple[Any, ...] | None:
        """The first row of the query, processed, or None."""
        rows = self.all(query, **params)
        return rows[0] if rows else None

    def close(self) -> None:
        """Close every connection: the idle ones now, those in use when they come back (a later read opens new
        ones)."""
        self._generation += 1
        taken: list[_Slot] = []
        while True:
            try:
                taken.append(self._idle.pop())  # out of reach of readers while they close
            except IndexError:
                break
        for slot in taken:
            slot.close()
            self._give(slot)

    def _run(self, slot: _Slot, sql: str, values: Any) -> list[Any]:
        """The rows of a statement on the slot's connection; a kept connection that fails with a driver error (a
        restarted server) is replaced once, then the error is raised."""
        fresh = slot.connection is None
        if fresh:
            slot.connection, slot.generation = self._connect(), self._generation
        try:
            return _fetch(slot.connection, sql, values)
        except self.driver_errors:
            slot.close()
            if fresh:
                raise
            slot.connection, slot.generation = self._connect(), self._generation
            try:
                return _fetch(slot.connection, sql, values)
            except BaseException:
                slot.close()
                raise
        except BaseException:
            slot.close()  # a failed statement may leave the connection in a state nobody checks: start afresh
            raise

    def _connect(self) -> Any:
        """A new DB-API connection, configured for reads."""
        pooled = self._engine.raw_connection()  # runs the engine's connect hooks (SQLite pragmas)
        pooled.detach()  # ours now: out of the engine's pool and its count
        with self._count_lock:
            self.opened += 1
        connection: Any = pooled.dbapi_connection
        if self.dialect.name == "sqlite":
            connection.isolation_level = None  # autocommit: each read sees the newest commit and holds no lock
            # Read pages through a memory map, not copies into a small page cache: random reads cost a third less.
            connection.execute(f"PRAGMA mmap_size={READER_MMAP}")
        else:
            connection.autocommit = True
        return connection

    def _take(self) -> _Slot:
        try:
            return self._idle.pop()
        except IndexError:
            return self._wait_for_slot()

    def _wait_for_slot(self) -> _Slot:
        deadline = time.monotonic() + self.wait
        with self._freed:
            self._waiting += 1  # before looking again: a slot given back after the look sees it and notifies
            try:
                while True:
                    try:
                        return self._idle.pop()
                    except IndexError:
                        pass
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise DatabaseUnavailable(
                            f"all {self.size} reader connections to {self._display()} stayed busy for {self.wait:g} s"
                        )
                    self._freed.wait(remaining)
            finally:
                self._waiting -= 1

    def _give(self, slot: _Slot) -> None:
        if slot.generation != self._generation:
            slot.close()
        self._idle.append(slot)
        if self._waiting:
            with self._freed:
                self._freed.notify()

    def _display(self) -> str:
        return self._engine.url.render_as_string(hide_password=True)

    def _unavailable(self, exc: Exception) -> DatabaseUnavailable:
        """The one-line error of a failed read: the driver's first line, never its whole report."""
        orig = getattr(exc, "orig", None)
        lines = str(orig if orig is not None else exc).strip().splitlines()
        return DatabaseUnavailable(f"cannot read from {self._display()}: {lines[0] if lines else type(exc).__name__}")


def reader_pool(db: Database, size: int) -> ReaderPool | None:
    """The reader pool of a server's database, or None when fast reads are off: a size of 0, or an in-memory SQLite
    database (each new connection to it would be another, empty, database)."""
    url = db.engine.url
    if size < 1:
        return None
    if url.get_backend_name() == "sqlite":
        name = url.database or ""
        if name in ("", ":memory:") or name.startswith("file::memory:") or "mode=memory" in name:
            return None
    return ReaderPool(db.engine, size)


# The token check of every API request: the library's own statement (same rule: unrevoked, unexpired, active user).
_TOKEN_USER = FastRead(accounts.TOKEN_USER)
_TOKEN_EXPIRY = cast(Table, ApiToken.__table__).c.expires_at.type


_NOW_PROCESSORS: dict[str, Processor | None] = {}


def _bound_now(dialect: Dialect) -> Any:
    """The current time as the token statement's `now` parameter, in the form the column is stored in (FastRead
    passes parameters as they are: SQLite compares the stored text)."""
    if dialect.name not in _NOW_PROCESSORS:
        _NOW_PROCESSORS[dialect.name] = _TOKEN_EXPIRY.bind_processor(dialect)
    process = _NOW_PROCESSORS[dialect.name]
    now = utcnow()
    return process(now) if process is not None else now


def token_actor(readers: ReaderPool, db: Database, token: str) -> Actor | None:
    """The actor of a valid (unrevoked, unexpired) token of an active user, else None: accounts.authenticate_token,
    faster."""
    digest = accounts.token_lookup(token)
    if digest is None:
        return None
    row = readers.first(_TOKEN_USER, digest=digest, now=_bound_now(readers.dialect))
    return None if row is None else accounts.token_principal(db, row)


_INCIDENTS = cast(Table, Incident.__table__)
_LABELS = cast(Table, IncidentLabel.__table__)
_POSTMORTEMS = cast(Table, Postmortem.__table__)
_ACTIONS = cast(Table, ActionItem.__table__)
_SUMMARY_COLUMNS = ("title", "kind", "severity", "status", "private", "extra", "version", "created_at")
# The effective key moments and durations that timeline.moments.refresh_moments stores (as incidents.summarise reads).
_MOMENT_COLUMNS = ("moment_origins", "status_set_by_hand", "happened_at")
_DURATION_COLUMNS = ("ttd_seconds", "tta_seconds", "ttm_seconds", "ttr_seconds")  # the driver's floats, as they come


def _one_incident(visible_to: Actor) -> FastRead:
    """GET /incidents/{id} in one statement: the incident's columns, its post-mortem's status, its open action items
    and its labels (aggregated as JSON), where the number matches and `visible_to` may see it (core.visibility)."""
    return FastRead(
        select(
            *(_INCIDENTS.c[name] for name in (*_SUMMARY_COLUMNS, *_MOMENT_COLUMNS)),
            *(_INCIDENTS.c[f"effective_{name}"].label(name) for name in MOMENT_FIELDS),
            *(type_coerce(_INCIDENTS.c[name], NullType()).label(name) for name in _DURATION_COLUMNS),
            select(_POSTMORTEMS.c.status)
            .where(_POSTMORTEMS.c.incident_id == _INCIDENTS.c.id)
            .scalar_subquery()
            .label("postmortem_status"),
            select(func.count())
            .where(
                _ACTIONS.c.incident_id == _INCIDENTS.c.id,
                # Our own constants, inlined so the statement has no list parameter to expand on every run.
                _ACTIONS.c.status.in_([literal_column(f"'{status}'") for status in OPEN_ACTION_STATUSES]),
            )
            .scalar_subquery()
            .label("action_items_open"),
            select(json_rows(_LABELS.c.position, _LABELS.c.id, _LABELS.c.kind, _LABELS.c.value))
            .where(_LABELS.c.incident_id == _INCIDENTS.c.id)
            .scalar_subquery()
            .label("labels"),
        ).where(
            _INCIDENTS.c.number == bindparam("number"),
            visible_clause(visible_to, _INCIDENTS.c.id, _INCIDENTS.c.private),
        )
    )


# The one visibility rule, compiled for the two kinds of actor it tells apart: admins (who see every incident) and
# everyone else, whose user id is a parameter of the statement (`user_id`) rather than a value fixed in it.
_FOR_ADMINS = _one_incident(Actor(user_id=None, name="admin", role="admin"))
_FOR_USERS = _one_incident(Actor(user_id=cast(int, bindparam("user_id", type_=Integer())), name="user", role="viewer"))


def read_incident(readers: ReaderPool, actor: Actor, incident_id: str) -> IncidentSummary:
    """One incident the actor may see (NotFound otherwise): usecases.incidents.get_incident in one statement."""
    number = parse_incident_id(incident_id)
    if actor.is_admin:
        query, row = _FOR_ADMINS, readers.first(_FOR_ADMINS, number=number)
    else:
        query, row = _FOR_USERS, readers.first(_FOR_USERS, number=number, user_id=actor.user_id)
    if row is None:
        raise NotFound(f"no incident INC-{number}")
    data = dict(zip(query.keys, row, strict=True))
    labels: dict[str, list[str]] = {kind: [] for kind in LABEL_KINDS}
    found = data["labels"]  # JSON text on SQLite, already parsed on PostgreSQL; null without labels there
    for _, _, kind, value in sorted(orjson.loads(found) if isinstance(found, str) else found or []):
        if kind in labels:
            labels[kind].append(value)
    return IncidentSummary(
        id=f"INC-{number}",
        title=data["title"],
        kind=data["kind"],
        severity=data["severity"],
        status=data["status"],
        private=data["private"],
        services=labels["service"],
        teams=labels["team"],
        tags=labels["tag"],
        categories=labels["category"],
        started_at=data["started_at"],
        detected_at=data["detected_at"],
        acknowledged_at=data["acknowledged_at"],
        mitigated_at=data["mitigated_at"],
        resolved_at=data["resolved_at"],
        moment_origins={moment: str(value["origin"]) for moment, value in (data["moment_origins"] or {}).items()},
        time_to_detect_s=data["ttd_seconds"],
        time_to_acknowledge_s=data["tta_seconds"],
        time_to_mitigate_s=data["ttm_seconds"],
        time_to_resolve_s=data["ttr_seconds"],
        status_set_by_hand=bool(data["status_set_by_hand"]),
        happened_at=data["happened_at"],
        postmortem_status=data["postmortem_status"],
        action_items_open=data["action_items_open"] or 0,
        extra=dict(data["extra"] or {}),
        version=data["version"],
        created_at=data["created_at"],
    )
