"""Migration history: one head, and every database an older `afteraction init` left (at any branch head, or at all of
them) upgrades to it with its rows intact and a schema that matches the models."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from afteraction.insights.models import include_object
from afteraction.models import metadata

PG_URL = os.environ.get("AFTERACTION_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]

# The heads of the history before 0007_one_line joined them: each branch was added by one feature, and
# `afteraction init` upgraded to "heads", so a database may be at any of them, or at all four at once.
OLD_HEADS = ("0002_followthrough", "0004_accounts", "0005_web", "0006_insights_scans")
STARTS = {
    "empty": (),
    "0001": ("0001",),
    "0002_followthrough": ("0002_followthrough",),
    "0003_insights": ("0003_insights",),
    "0006_insights_scans": ("0006_insights_scans",),
    "0004_accounts": ("0004_accounts",),
    "0005_web": ("0005_web",),
    "old_heads": OLD_HEADS,
}

Catalog = set[tuple[str, ...]]  # a database's objects by kind and name (see _catalog)

T = datetime(2026, 3, 14, 10, 8, 10, 100, tzinfo=UTC)

# A row or two in every table, parents first; a database gets those of the tables its revision has.
ROWS: list[tuple[str, dict[str, Any]]] = [
    # 0001
    (
        "incidents",
        {
            "id": 1,
            "number": 7,
            "external_ref": "PD-7",
            "title": "Checkout down",
            "kind": "incident",
            "severity": "SEV1",
            "status": "resolved",
            "private": False,
            "started_at": T,
            "detected_at": T + timedelta(minutes=4),
            "resolved_at": T + timedelta(hours=1),
            "extra": {"source": "pagerduty", "tags": ["a", "b"]},
            "version": 3,
            "created_at": T,
            "updated_at": T,
        },
    ),
    ("people", {"id": 1, "name": "Ada", "email": "ada@example.com"}),
    ("incident_labels", {"id": 1, "incident_id": 1, "kind": "team", "value": "payments", "position": 0}),
    (
        "postmortems",
        {
            "id": 1,
            "incident_id": 1,
            "status": "draft",
            "summary": "The checkout failed.",
            "impact": "Orders lost.",
            "trigger": "A deploy.",
            "detection": "Alerts.",
            "resolution": "Rollback.",
            "problem_statement": "",
            "supporting_info": "",
            "timeline_note": "",
            "due_date": date(2026, 3, 28),
            "version": 1,
            "created_at": T,
            "updated_at": T,
        },
    ),
    (
        "timeline_events",
        {
            "id": 1,
            "incident_id": 1,
            "at": T,
            "sort_at": T,
            "source": "manual",
            "kind": "note",
            "text": "Paged the on-call",
            "position": 0,
        },
    ),
    ("contributing_factors", {"id": 1, "postmortem_id": 1, "text": "No canary", "category": "deploy", "position": 0}),
    ("extra_sections", {"id": 1, "postmortem_id": 1, "heading": "Notes", "body": "-", "position": 0}),
    ("lessons", {"id": 1, "postmortem_id": 1, "kind": "well", "text": "Fast rollback", "position": 0}),
    ("postmortem_people", {"id": 1, "postmortem_id": 1, "person_id": 1, "role": "author", "position": 0}),
    (
        "why_nodes",
        {"id": 1, "postmortem_id": 1, "parent_id": None, "text": "Why?", "is_root_cause": True, "position": 0},
    ),
    (
        "action_items",
        {
            "id": 1,
            "incident_id": 1,
            "title": "Add a canary",
            "priority": "P1",
            "owner_id": 1,
            "due_date": date(2026, 4, 1),
            "status": "open",
            "factor_id": 1,
            "why_node_id": 1,
            "position": 0,
            "opened_at": T,
            "version": 1,
            "updated_at": T,
        },
    ),
    # 0002_followthrough
    (
        "sent_digests",
        {
            "id": 1,
            "owner": "Ada",
            "period": "2026-W11",
            "channel": "email",
            "address": "ada@example.com",
            "items": 1,
            "sent_at": T,
        },
    ),
    (
        "review_events",
        {
            "id": 1,
            "postmortem_id": 1,
            "action": "submit",
            "from_status": "draft",
            "to_status": "in_review",
            "actor": "Ada",
            "at": T,
        },
    ),
    (
        "tracker_links",
        {
            "id": 1,
            "action_item_id": 1,
            "tracker": "github",
            "marker": "m" * 32,
            "key": "o/r#1",
            "attempts": 1,
            "pushed_due": date(2026, 4, 1),
            "created_at": T,
            "synced_at": T,
        },
    ),
    # 0003_insights (on SQLite a trigger also indexes the search document in FTS5)
    (
        "factor_categories",
        {
            "id": 1,
            "slug": "deploy",
            "name": "Deploy",
            "description": "",
            "keywords": ["deploy", "rollout"],
            "aliases": [],
            "position": 0,
        },
    ),
    (
        "search_documents",
        {
            "incident_id": 1,
            "title": "Checkout down",
            "summary": "",
            "factors": "No canary",
            "timeline": "",
            "updated_at": T,
        },
    ),
    ("insight_categories", {"incident_id": 1, "value": "deploy"}),
    ("search_terms", {"term": "canary", "df": 1}),
    # 0004_accounts
    (
        "users",
        {
            "id": 1,
            "name": "ada",
            "email": "ada@example.com",
            "role": "admin",
            "password_hash": "x",
            "active": True,
            "created_at": T,
        },
    ),
    (
        "api_tokens",
        {"id": 1, "user_id": 1, "name": "ci", "token_hash": "h" * 64, "prefix": "aa_12345", "created_at": T},
    ),
    ("incident_members", {"id": 1, "incident_id": 1, "user_id": 1, "added_at": T}),
    (
        "webhook_deliveries",
        {"id": 1, "receiver": "pagerduty", "digest": "d" * 64, "incident_id": 1, "added": 2, "received_at": T},
    ),
    ("postmortem_section_versions", {"postmortem_id": 1, "name": "summary", "version": 2}),
    # 0005_web
    ("web_secrets", {"name": "session", "value": "s" * 40, "created_at": T}),
]


def _type(value: object) -> sa.types.TypeEngine[Any] | None:
    """The column type a value is written with (None: the driver's own)."""
    if isinstance(value, datetime):
        return sa.DateTime(timezone=True)
    if isinstance(value, date):
        return sa.Date()
    if isinstance(value, dict | list):
        return sa.JSON()
    if isinstance(value, bool):
        return sa.Boolean()
    return None


def _insert(conn: sa.Connection, name: str, row: dict[str, Any]) -> None:
    # Written through the table as the migrations left it, not the model's (which may have moved on since).
    table = sa.table(name, *(sa.column(key, _type(value)) for key, value in row.items()))
    conn.execute(sa.insert(table).values(row))


def _config(engine: sa.Engine | None = None) -> Config:
    """The package's migrations, run on this engine (env.py takes it from config.attributes, as db.py passes it)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(files("afteraction") / "migrations"))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # afteraction's own engines switch foreign keys on in SQLite (make_engine): migrate under the same rules.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def _empty_engine(backend: str, folder: Path) -> Iterator[sa.Engine]:
    """An engine on a new, empty database: a SQLite file in folder, or a PostgreSQL database created for it."""
    if backend == "sqlite":
        engine = sa.create_engine(f"sqlite:///{folder / f'{uuid.uuid4().hex[:10]}.db'}")
        sa.event.listen(engine, "connect", _sqlite_foreign_keys)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    server = sa.make_url(PG_URL)
    name = f"aa_migrations_{uuid.uuid4().hex[:10]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(server.set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _heads(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def drift(engine: sa.Engine) -> list[Any]:
    """What autogenerate would change to make the database match the models, compared as env.py compares.

    include_object is env.py's filter: it leaves out what the migrations create per dialect and no model describes
    (SQLite's FTS5 tables and the ix_insights_* indexes of 0003 and 0006, PostgreSQL's tsv column and its GIN index).
    Without it a database made straight from empty shows those as tables, columns and indexes to remove; with it that
    database shows nothing. _catalog checks those objects instead.

    On SQLite a reference added with ALTER TABLE ADD COLUMN (0010's timeline_events.import_id: a table copy of a large
    timeline takes long) is a column constraint, which SQLAlchemy reflects without its name and ON DELETE: its
    remove_fk and add_fk pair is no drift (the migration's own test checks the reference as SQLite lists it)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        drift = list(compare_metadata(context, metadata))
    if engine.dialect.name != "sqlite":
        return drift
    removed = {_reference(diff[1]) for diff in drift if diff[0] == "remove_fk" and diff[1].name is None}
    return [diff for diff in drift if diff[0] not in ("remove_fk", "add_fk") or _reference(diff[1]) not in removed]


def _reference(fk: sa.ForeignKeyConstraint) -> tuple[str, tuple[str, ...], str]:
    """A foreign key by its table, its columns and the table it refers to."""
    return fk.table.name, tuple(column.name for column in fk.columns), fk.referred_table.name


def _catalog(engine: sa.Engine) -> Catalog:
    """Every table, column, index, trigger and constraint by name, including those no model describes."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(
                sa.text("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
            )
            return {tuple(row) for row in rows}
        queries = [
            "SELECT 'column', table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = current_schema()",
            "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
            # (not CHECK: PostgreSQL lists each NOT NULL as one, named after object ids that differ between databases)
            "SELECT 'constraint', table_name, constraint_name, constraint_type "
            "FROM information_schema.table_constraints "
            "WHERE table_schema = current_schema() AND constraint_type <> 'CHECK'",
        ]
        return {tuple(row) for query in queries for row in conn.execute(sa.text(query))}


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An engine on an empty database of its own (SQLite; PostgreSQL too when AFTERACTION_TEST_DATABASE_URL is set)."""
    with _empty_engine(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture(scope="module")
def straight_catalog(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Catalog]:
    """The catalog of a database upgraded straight from empty to head, of a backend (made once, on first use)."""
    made: dict[str, Catalog] = {}

    def catalog(backend: str) -> Catalog:
        if backend not in made:
            with _empty_engine(backend, tmp_path_factory.mktemp("straight")) as engine:
                command.upgrade(_config(engine), "head")
                made[backend] = _catalog(engine)
        return made[backend]

    return catalog


def test_history_has_one_head_that_joins_the_old_branches() -> None:
    script = ScriptDirectory.from_config(_config())
    assert script.get_bases() == ["0001"]
    heads = script.get_heads()
    assert len(heads) == 1, f"more than one head: {heads}; add a merge revision"
    join = script.get_revision("0007_one_line")
    assert join is not None
    assert set(join.down_revision or ()) == set(OLD_HEADS)
    # Every revision, the old branches included, leads to the one head.
    below_head = {rev.revision for rev in script.iterate_revisions(heads[0], "base")}
    assert below_head == {rev.revision for rev in script.walk_revisions()}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
@pytest.mark.parametrize("start", list(STARTS))
def test_a_database_at_an_old_revision_upgrades_to_the_one_head(
    start: str, engine: sa.Engine, straight_catalog: Callable[[str], Catalog]
) -> None:
    cfg = _config(engine)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    for revision in STARTS[start]:  # one branch after another: the state an upgrade to "heads" left
        command.upgrade(cfg, revision)
    assert _heads(engine) == set(STARTS[start])
    written: list[tuple[str, dict[str, Any]]] = []
    with engine.begin() as conn:
        inspector = sa.inspect(conn)
        for name, row in ROWS:
            if inspector.has_table(name):
                _insert(conn, name, row)
                written.append((name, row))
    assert bool(written) == bool(STARTS[start])

    command.upgrade(cfg, "head")

    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [head]
    assert drift(engine) == []
    assert _catalog(engine) == straight_catalog(engine.dialect.name)
    # The rows are all there and read back through the models' tables as they were written.
    with engine.connect() as conn:
        for name, row in written:
            table = metadata.tables[name]
            stored = conn.execute(sa.select(table)).mappings().all()
            assert len(stored) == 1, name
            assert {k: stored[0][k] for k in row if k in table.c} == {k: v for k, v in row.items() if k in table.c}
