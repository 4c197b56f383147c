"""insights item age: the SQLite indexes that group action items by owner and by incident also hold when each item
was opened, so that the age of the oldest open item of each owner and team is read from them (no table rows), as
the completion figures are (see 0006_insights_scans).

Revision ID: 0017_insights_item_age
Revises: 0016_postmortem_parts_index
"""

from __future__ import annotations

from alembic import op

revision = "0017_insights_item_age"
down_revision = "0016_postmortem_parts_index"
branch_labels = None
depends_on = None

_BEFORE = {
    "ix_insights_owner": "action_items (owner_id, status, due_date)",
    "ix_insights_items": "action_items (incident_id, status, due_date)",
}
_AFTER = {
    "ix_insights_owner": "action_items (owner_id, status, due_date, opened_at)",
    "ix_insights_items": "action_items (incident_id, status, due_date, opened_at)",
}


def _replace(indexes: dict[str, str]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL hashes its groups and needs none of them
    for name, target in indexes.items():
        op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(f"CREATE INDEX {name} ON {target}")


def upgrade() -> None:
    _replace(_AFTER)


def downgrade() -> None:
    _replace(_BEFORE)
