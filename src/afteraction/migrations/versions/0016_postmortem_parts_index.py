"""the parts of a post-mortem found by their post-mortem: indexes on `postmortem_id` of its whys, contributing factors,
lessons and custom sections, which every read of one post-mortem (the editor, the similar incidents beside it)
otherwise finds by reading the whole table.

Revision ID: 0016_postmortem_parts_index
Revises: 0015_insights_in_the_browser
"""

from __future__ import annotations

from alembic import op

revision = "0016_postmortem_parts_index"
down_revision = "0015_insights_in_the_browser"
branch_labels = None
depends_on = None

TABLES = ("why_nodes", "contributing_factors", "lessons", "extra_sections")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_postmortem_id", table, ["postmortem_id"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_postmortem_id", table_name=table)
