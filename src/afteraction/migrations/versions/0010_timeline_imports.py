"""timeline imports: one record per import of a source file (who, when, how far, how it ended), and each imported
event's import, so that an import committed in batches can be undone whole.

Revision ID: 0010_timeline_imports
Revises: 0009_key_moments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afteraction.core.db

revision = "0010_timeline_imports"
down_revision = "0009_key_moments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timeline_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("started_at", afteraction.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", afteraction.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("read", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("since", afteraction.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("until", afteraction.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_timeline_imports_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_imports")),
    )
    op.create_index(op.f("ix_timeline_imports_incident_id"), "timeline_imports", ["incident_id"], unique=False)
    fk = "fk_timeline_events_import_id_timeline_imports"
    if op.get_bind().dialect.name == "sqlite":
        # A plain ADD COLUMN, its named reference inline: batch mode would copy the whole timeline (slow when large).
        op.execute(
            f"ALTER TABLE timeline_events ADD COLUMN import_id INTEGER CONSTRAINT {fk} "
            "REFERENCES timeline_imports (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("timeline_events", sa.Column("import_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f(fk), "timeline_events", "timeline_imports", ["import_id"], ["id"], ondelete="SET NULL"
        )
    op.create_index(op.f("ix_timeline_events_import_id"), "timeline_events", ["import_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_timeline_events_import_id"), table_name="timeline_events")
    # SQLite cannot drop a column that holds a reference: batch mode copies the table (nothing refers to it).
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.drop_column("import_id")
    op.drop_index(op.f("ix_timeline_imports_incident_id"), table_name="timeline_imports")
    op.drop_table("timeline_imports")
