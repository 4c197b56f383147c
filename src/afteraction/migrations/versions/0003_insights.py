"""insights: factor taxonomy, search documents and their full-text index (SQLite FTS5, PostgreSQL tsvector)

Revision ID: 0003_insights
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afteraction.core.db

revision = "0003_insights"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, summary, factors, timeline, "
    "content='search_documents', content_rowid='incident_id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE search_fts_vocab USING fts5vocab(search_fts, 'row')",
    "CREATE TRIGGER search_fts_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, title, summary, factors, timeline) "
    "VALUES (new.incident_id, new.title, new.summary, new.factors, new.timeline); END",
    "CREATE TRIGGER search_fts_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, summary, factors, timeline) "
    "VALUES ('delete', old.incident_id, old.title, old.summary, old.factors, old.timeline); END",
    "CREATE TRIGGER search_fts_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, summary, factors, timeline) "
    "VALUES ('delete', old.incident_id, old.title, old.summary, old.factors, old.timeline); "
    "INSERT INTO search_fts(rowid, title, summary, factors, timeline) "
    "VALUES (new.incident_id, new.title, new.summary, new.factors, new.timeline); END",
]


# SQLite: expression indexes of each duration (alone, by severity, by month), so that insights finds the k-th
# value by walking an index (LIMIT/OFFSET) instead of sorting 100,000 rows; the same text is in insights/sql.py.
_SECONDS = "((julianday({end}) - julianday({start})) * 86400.0)"
_DURATIONS = {
    "detect": ("started_at", "detected_at"),
    "acknowledge": ("detected_at", "acknowledged_at"),
    "mitigate": ("started_at", "mitigated_at"),
    "resolve": ("started_at", "resolved_at"),
}
_GROUPS = {
    "all": "",
    "sev": "coalesce(severity, 'none'), ",
    "month": "strftime('%Y-%m', coalesce(started_at, created_at)), ",
}


def _sqlite_duration_indexes() -> list[str]:
    out = []
    for metric, (start, end) in _DURATIONS.items():
        for group, prefix in _GROUPS.items():
            out.append(
                f"CREATE INDEX ix_insights_{metric}_{group} ON incidents "
                f"({prefix}{_SECONDS.format(start=start, end=end)})"
            )
    out.append(
        "CREATE INDEX ix_insights_close ON action_items "
        f"({_SECONDS.format(start='opened_at', end='closed_at')}) WHERE status = 'done'"
    )
    return out


def upgrade() -> None:
    op.create_table(
        "factor_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_factor_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_factor_categories_slug")),
    )
    op.create_table(
        "search_documents",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("factors", sa.Text(), nullable=False),
        sa.Column("timeline", sa.Text(), nullable=False),
        sa.Column("updated_at", afteraction.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_search_documents_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_search_documents")),
    )
    op.create_table(
        "insight_categories",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_insight_categories_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "value", name=op.f("pk_insight_categories")),
    )
    op.create_index("ix_insight_categories_value", "insight_categories", ["value", "incident_id"], unique=False)
    op.create_index("ix_incidents_started_at", "incidents", ["started_at"], unique=False)
    op.create_table(
        "search_terms",
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_terms")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in [*SQLITE_FTS, *_sqlite_duration_indexes()]:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("ALTER TABLE search_documents ADD COLUMN tsv tsvector")
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("search_fts_ai", "search_fts_ad", "search_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_fts_vocab")
        op.execute("DROP TABLE IF EXISTS search_fts")
        for metric in _DURATIONS:
            for group in _GROUPS:
                op.execute(f"DROP INDEX IF EXISTS ix_insights_{metric}_{group}")
        op.execute("DROP INDEX IF EXISTS ix_insights_close")
    op.drop_table("search_terms")
    op.drop_index("ix_incidents_started_at", table_name="incidents")
    op.drop_index("ix_insight_categories_value", table_name="insight_categories")
    op.drop_table("insight_categories")
    op.drop_table("search_documents")
    op.drop_table("factor_categories")
