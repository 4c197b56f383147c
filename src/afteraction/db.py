"""Engine from a URL, the declarative Base, portable column types, transactions and migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from afteraction.errors import DatabaseUnavailable

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Build an engine; SQLite gets WAL mode and foreign keys, and its folder is created."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def migrations_config(engine: Engine) -> Any:
    """The Alembic configuration for this package's migrations, bound to an engine."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


class Database:
    """One database: its engine, sessions, transactions and schema migrations."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
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

        try:
            command.upgrade(migrations_config(self.engine), "heads")
        except OperationalError as exc:
            raise self._unavailable("cannot reach database", exc) from exc

    def check(self) -> None:
        """Raise DatabaseUnavailable unless the database answers and has been initialised."""
        try:
            with self.engine.connect() as conn:
                has = inspect(conn).has_table("alembic_version")
        except OperationalError as exc:
            raise self._unavailable("cannot reach database", exc) from exc
        if not has:
            raise DatabaseUnavailable(
                f"database {self.display_url()} is not initialised: run `afteraction init` first"
            )

    def _unavailable(self, what: str, exc: OperationalError) -> DatabaseUnavailable:
        """The one-line error for a database that failed: the driver's first line, never its whole report."""
        lines = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
        return DatabaseUnavailable(f"{what} {self.display_url()}: {lines[0] if lines else type(exc).__name__}")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def utcnow() -> datetime:
    """The current time in UTC, to the microsecond."""
    return datetime.now(UTC)
