"""insights in the browser: incidents marked as the same event as another (`incident_links`, kind `duplicate`: shown
as one in themes and counted once), and the author's answers to category suggestions (`category_decisions`: accepted
or rejected, counted in docs/insights.md).

Revision ID: 0015_insights_in_the_browser
Revises: 0014_reviewing_together
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_insights_in_the_browser"
down_revision = "0014_reviewing_together"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("other_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("incident_id", "other_id", "kind", name="uq_incident_links"),
    )
    op.create_index("ix_incident_links_other", "incident_links", ["other_id"])
    op.create_table(
        "category_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("factor_text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(60), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_category_decisions_incident", "category_decisions", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_category_decisions_incident", table_name="category_decisions")
    op.drop_table("category_decisions")
    op.drop_index("ix_incident_links_other", table_name="incident_links")
    op.drop_table("incident_links")
