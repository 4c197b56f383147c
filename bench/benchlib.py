"""What the benches share: running a measurement on SQLite (a temporary file) and on PostgreSQL (a schema of its own,
dropped afterwards)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from afteraction.core.db import Database


@contextmanager
def postgres_schema(url: str, prefix: str = "aa_bench") -> Iterator[str]:
    """A URL of `url`'s server whose search_path is a new schema, dropped on exit."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def on_backends(run: Callable[[str, str], object], *, pg: str, sqlite: bool = True, prefix: str = "aa_bench") -> None:
    """`run(label, url)` on a fresh SQLite file (unless `sqlite` is false), then on PostgreSQL when `pg` is a URL."""
    if sqlite:
        with tempfile.TemporaryDirectory() as folder:
            run("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}")
    if pg:
        with postgres_schema(pg, prefix) as url:
            run("PostgreSQL", url)


def settle(db: Database, url: str) -> None:
    """Bring a freshly loaded database to its steady state, as time would: SQLite's write-ahead log checkpointed,
    PostgreSQL's tables vacuumed and analysed (hint bits and visibility map set, as autovacuum would leave them)."""
    with db.engine.connect() as conn:
        if url.startswith("sqlite"):
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
