"""import snapshot: what the last import of a post-mortem's document read and stored (`postmortems.import_snapshot`),
so that a re-import changes only the fields the document changed and keeps what was edited in the tool since; and what
a document said of an action item beyond our fields (`action_items.details`: its table's other columns).

Revision ID: 0013_import_snapshot
Revises: 0012_highlights
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_import_snapshot"
down_revision = "0012_highlights"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite adds it in place.
    op.add_column("postmortems", sa.Column("import_snapshot", sa.JSON(), nullable=True))
    op.add_column("action_items", sa.Column("details", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("action_items", "details")
    op.drop_column("postmortems", "import_snapshot")
