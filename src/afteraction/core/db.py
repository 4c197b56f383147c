"""Engine from a URL, the declarative Base, portable column types, transactions and migrations."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from afteraction.core.errors import ConfigurationError, Conflict, DatabaseUnavailable

if TYPE_CHECKING:
    from afteraction.core.config import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The largest value of an INTEGER column (PostgreSQL's are 32 bits): an id or number above it names nothing, and
# asking PostgreSQL for it fails ("integer out of range") rather than finding no row.
MAX_INTEGER = 2**31 - 1


class Base(DeclarativeBase):
    """Declarative base of every model; constraint names are fixed so migrations are stable."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp always stored and returned in UTC (naive UTC in SQLite, timestamptz in PostgreSQL)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], datetime | None] | None:
        # SQLite hands back text: one fromisoformat instead of SQLAlchemy's regular expression and then ours.
        if dialect.name == "sqlite":
            return _utc_from_sqlite
        return super().result_processor(dialect, coltype)


def _utc_from_sqlite(value: str | None) -> datetime | None:
    """A UTC time from SQLite's text form (`2026-03-14 10:08:10.000100`, as SQLAlchemy stores it)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


SQLITE_BUSY_MS = 10_000  # how long a statement waits for another connection's write lock, unless set otherwise
# A PostgreSQL server that stopped answering (frozen, or a network that drops packets) never cancels the statement
# itself: the client gives up this long after the statement timeout, closes the connection and reports the database
# unavailable.
CLIENT_GRACE = 1.0


@dataclass(frozen=True)
class DatabaseTimeouts:
    """How long the database may keep a caller waiting (seconds): opening a connection (PostgreSQL), one statement
    (PostgreSQL; 0: no limit) and a lock another connection holds (PostgreSQL's lock_timeout, SQLite's busy timeout).
    The defaults are those of the settings db_connect_timeout, db_statement_timeout and db_lock_timeout."""

    connect: float = 5.0
    statement: float = 30.0
    lock: float = SQLITE_BUSY_MS / 1000

    @classmethod
    def from_settings(cls, settings: Settings) -> DatabaseTimeouts:
        """The timeouts the settings give."""
        return cls(
            connect=settings.db_connect_timeout,
            statement=settings.db_statement_timeout,
            lock=settings.db_lock_timeout,
        )

    def without_statement_limit(self) -> DatabaseTimeouts:
        """The same, with no limit on a statement's time (migrations may take long on a large database)."""
        return replace(self, statement=0.0)


def _sqlite_pragmas(busy_ms: int) -> Callable[[Any, Any], None]:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    return connect


def _postgres_deadlines(engine: Engine, timeouts: DatabaseTimeouts) -> None:
    """Connect, statement and lock timeouts on every connection of a PostgreSQL engine: the server's own
    (statement_timeout, lock_timeout, set when the connection opens) and, for a server that does not answer at all,
    the client's: a connection whose answer does not come within the statement timeout and CLIENT_GRACE is closed
    and the statement fails as a lost connection (the pool then drops it)."""
    import psycopg

    answer_within = timeouts.statement + CLIENT_GRACE if timeouts.statement > 0 else None

    class DeadlineConnection(psycopg.Connection[Any]):
        """A psycopg connection that waits at most `answer_within` seconds for the server's answer (None: for
        ever, in a transaction that lifted the limit: see without_statement_limit)."""

        answer_within: float | None = None

        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            if timeout is not None or self.answer_within is None:  # psycopg's own deadline (notifies), or none
                return super().wait(gen, interval, timeout)
            limit = self.answer_within
            try:
                return super().wait(gen, interval, limit)
            except psycopg.errors.OperationalError as exc:
                if type(exc).__name__ != "_WaitTimeout":
                    raise
                self.pgconn.finish()  # the connection is mid-statement: nothing more can be said on it
                raise psycopg.OperationalError(f"the database server did not answer within {limit:g} s") from None

    options = f"-c lock_timeout={round(timeouts.lock * 1000)}"
    if timeouts.statement > 0:
        options += f" -c statement_timeout={round(timeouts.statement * 1000)}"

    @event.listens_for(engine, "do_connect")
    def connect(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        cparams.setdefault("connect_timeout", max(1, math.ceil(timeouts.connect)))
        cparams["options"] = " ".join(filter(None, (cparams.get("options"), options)))
        connection = DeadlineConnection.connect(*cargs, **cparams)
        connection.answer_within = answer_within
        return connection

    @event.listens_for(engine, "checkin")
    def checkin(dbapi_connection: Any, record: Any) -> None:
        if isinstance(dbapi_connection, DeadlineConnection):  # a lifted limit ends with its transaction
            dbapi_connection.answer_within = answer_within


def without_statement_limit(session: Session) -> None:
    """Lift the statement timeout (the server's and the client's wait) for the rest of the session's transaction
    on PostgreSQL: for a bulk job (rebuilding the whole search index) that may rightly take longer than a request.
    Lock and connect timeouts stay. A no-op on SQLite, which has no statement timeout."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SET LOCAL statement_timeout = 0"))
    dbapi_connection: Any = session.connection().connection.dbapi_connection
    if hasattr(dbapi_connection, "answer_within"):
        dbapi_connection.answer_within = None


def database_url(url: str) -> URL:
    """The URL of a supported database; `postgresql://` and `postgres://` mean PostgreSQL through psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"database URL {url!r} is not a URL: expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise ConfigurationError(
            f"database URL {parsed.render_as_string(hide_password=True)}: afteraction runs on SQLite (sqlite:///PATH) "
            "and PostgreSQL (postgresql+psycopg://…)"
        )
    return parsed


def make_engine(url: str, *, echo: bool = False, timeouts: DatabaseTimeouts | None = None) -> Engine:
    """Build an engine with the database's deadlines; SQLite gets WAL mode and foreign keys, and its folder is
    created. A pooled connection is tested before use (PostgreSQL), so that after the database comes back the first
    request does not meet a dead one."""
    timeouts = timeouts or DatabaseTimeouts()
    checked = database_url(url)
    if checked.get_backend_name() != "sqlite":
        engine = create_engine(checked, echo=echo, pool_pre_ping=True)
        _postgres_deadlines(engine, timeouts)
        return engine
    path = checked.database or ""
    if path and path != ":memory:" and not path.startswith("file:"):
        folder = Path(path).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            message = f"cannot create the folder {folder} of database {url}: {error.strerror}"
            raise DatabaseUnavailable(message) from None
    engine = create_engine(checked, echo=echo, connect_args={"timeout": timeouts.lock})
    event.listen(engine, "connect", _sqlite_pragmas(round(timeouts.lock * 1000)))
    return engine


def migrations_config(engine: Engine) -> Any:
    """The Alembic configuration for this package's migrations, bound to an engine."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


class json_rows(FunctionElement[Any]):
    """An aggregate of a correlated subquery's rows into one JSON array of arrays, one per row (SQLite
    `json_group_array`, PostgreSQL `json_agg`): a row and its few children read in one statement. Element order is
    not guaranteed: include what to sort by."""

    inherit_cache = True


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


class Database:
    """One database: its engine, sessions, transactions and schema migrations."""

    def __init__(self, url: str, *, echo: bool = False, timeouts: DatabaseTimeouts | None = None) -> None:
        self.url = url
        self.timeouts = timeouts or DatabaseTimeouts()
        self.engine = make_engine(url, echo=echo, timeouts=self.timeouts)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def display_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        session = self._sessions()  # connects lazily: errors surface on first use, below
        try:
            with session.begin():
                yield session
        except OperationalError as exc:
            raise self._unavailable("database error on", exc) from exc
        finally:
            session.close()

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest migration (of every branch: features add their own)."""
        from alembic import command

        # On PostgreSQL through an engine of its own without the statement limit: filling a new column of a large
        # history may take longer than any request should. (An SQLite engine sets no such limit; an in-memory
        # database must be migrated through its own engine.)
        sqlite = self.engine.dialect.name == "sqlite"
        engine = self.engine if sqlite else make_engine(self.url, timeouts=self.timeouts.without_statement_limit())
        try:
            command.upgrade(migrations_config(engine), "head")
        except OperationalError as exc:
            raise self._unavailable("cannot reach database", exc) from exc
        finally:
            if engine is not self.engine:
                engine.dispose()

    def check(self) -> None:
        """Raise DatabaseUnavailable unless the database answers and has been initialised."""
        try:
            with self.engine.connect() as conn:
                has = inspect(conn).has_table("alembic_version")
        except OperationalError as exc:
            raise self._unavailable("cannot reach database", exc) from exc
        if not has:
            raise DatabaseUnavailable(f"database {self.display_url()} is not initialised: run `afteraction init` first")

    def _unavailable(self, what: str, exc: Exception) -> DatabaseUnavailable:
        """The one-line error for a database that failed: the driver's first line, never its whole report."""
        orig = getattr(exc, "orig", None)
        lines = str(orig if orig is not None else exc).strip().splitlines()
        return DatabaseUnavailable(f"{what} {self.display_url()}: {lines[0] if lines else type(exc).__name__}")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


# Statistics are gathered again once a table holds this many times more (or fewer) rows than when they were taken,
# if it has at least STATISTICS_MIN_ROWS then or now: below that any plan is quick.
STATISTICS_DRIFT = 2.0
STATISTICS_MIN_ROWS = 1000
STATISTICS_BUSY_MS = 50  # how long gathering them waits for another connection's write lock


def refresh_statistics(session: Session) -> list[str]:
    """On SQLite, gather the query planner's statistics for every table that has none or whose size has drifted
    since; return the tables analysed. A no-op on PostgreSQL, whose autovacuum does this.

    Without statistics SQLite guesses every table's size and plans reports over large histories badly (twice as slow
    at 100,000 incidents), and nothing else in an SQLite database ever gathers them. Gathering them costs about 0.4 s
    at 100,000 incidents, once, and again only when a table has doubled or halved.
    """
    if session.get_bind().dialect.name != "sqlite":
        return []
    tables = session.scalars(
        text(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' "
            "AND sql NOT LIKE '%WITHOUT ROWID%' ORDER BY name"
        )
    ).all()
    known: dict[str, int] = {}
    if "sqlite_stat1" in tables:
        for table, stat in session.execute(text("SELECT tbl, stat FROM sqlite_stat1")):
            # Its first number is the rows an index holds; a partial index holds fewer than the table.
            known[str(table)] = max(known.get(str(table), 0), int(str(stat).split()[0]))
    stale = []
    for table in tables:
        if table.startswith("sqlite_"):
            continue
        rows = int(session.execute(text(f'SELECT coalesce(max(rowid), 0) FROM "{table}"')).scalar_one())
        then = known.get(table)
        if then is None:
            missing = rows > 0  # an empty table gets no statistics from ANALYZE, and needs none
        else:
            ratio = rows / max(then, 1)
            missing = max(rows, then) >= STATISTICS_MIN_ROWS and not 1 / STATISTICS_DRIFT <= ratio <= STATISTICS_DRIFT
        if missing:
            stale.append(table)
    if not stale:
        return []
    # A full ANALYZE: a sampled one (analysis_limit) takes a few rows per key for all, and a plan built on it drives
    # a join from the wrong side. It writes, so while another connection holds the write lock it is left for a later
    # call rather than keeping a reader waiting: old statistics (or none) give slower plans, not wrong answers.
    analysed: list[str] = []
    busy_ms = int(session.execute(text("PRAGMA busy_timeout")).scalar_one())
    session.execute(text(f"PRAGMA busy_timeout={min(busy_ms, STATISTICS_BUSY_MS)}"))
    try:
        for table in stale:
            session.execute(text(f'ANALYZE "{table}"'))
            analysed.append(table)
    except OperationalError:
        pass  # the tables left keep their old statistics until a later call
    finally:
        session.execute(text(f"PRAGMA busy_timeout={busy_ms}"))
    return analysed


def utcnow() -> datetime:
    """The current time in UTC, to the microsecond."""
    return datetime.now(UTC)


def check_version(label: str, current: int, expected: int | None) -> None:
    """Conflict when a write based on version `expected` finds `label` at another version (None: no check)."""
    if expected is not None and current != expected:
        raise Conflict(f"{label} was changed meanwhile (version {current}, yours {expected})", current_version=current)


@contextmanager
def changed_meanwhile(label: str, expected: int | None, current: Callable[[], int | None]) -> Iterator[None]:
    """Turn a versioned UPDATE that lost a race (another writer committed between our read and our write) into the
    same Conflict as check_version; `current` reads the version that won."""
    try:
        yield
    except StaleDataError:
        found = current()
        raise Conflict(
            f"{label} was changed meanwhile (version {found}, yours {expected})", current_version=found
        ) from None
