"""sign-in: failed sign-ins for throttling, session generations, token expiry, user names unique regardless of case

Revision ID: 0008_sign_in
Revises: 0007_one_line
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afteraction.core.db
from afteraction.core.errors import Conflict

revision = "0008_sign_in"
down_revision = "0007_one_line"
branch_labels = None
depends_on = None


def _names_alike() -> list[list[str]]:
    """Groups of user names that differ only in case (each group sorted), which the new unique index refuses."""
    users = sa.table("users", sa.column("name", sa.String()))
    rows = op.get_bind().execute(sa.select(users.c.name).order_by(users.c.name)).scalars().all()
    groups: dict[str, list[str]] = {}
    for name in rows:
        groups.setdefault(name.lower(), []).append(name)
    return [names for names in groups.values() if len(names) > 1]


def upgrade() -> None:
    alike = _names_alike()
    if alike:
        pairs = "; ".join(" and ".join(repr(name) for name in names) for names in alike)
        raise Conflict(
            f"user names must now be unique regardless of case, but users {pairs} differ only in case: rename or "
            "delete all but one of each (e.g. UPDATE users SET name = 'editor2-old' WHERE name = 'Editor2'), "
            "then run `afteraction init` again"
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False))
    op.create_index("uq_users_name_lower", "users", [sa.text("lower(name)")], unique=True)
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", afteraction.core.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "signin_failures",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", afteraction.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_signin_failures")),
    )
    with op.batch_alter_table("signin_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signin_failures_last_failure_at"), ["last_failure_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signin_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signin_failures_last_failure_at"))
    op.drop_table("signin_failures")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    op.drop_index("uq_users_name_lower", table_name="users")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
