"""web: the generated session key of the web app (used when AFTERACTION_SECRET_KEY is not set)

Revision ID: 0005_web
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afteraction.core.db

revision = "0005_web"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", afteraction.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_web_secrets")),
    )


def downgrade() -> None:
    op.drop_table("web_secrets")
