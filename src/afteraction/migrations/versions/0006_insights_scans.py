"""insights scans: SQLite indexes that answer the report's groupings in index order (no table rows, no sort)

Revision ID: 0006_insights_scans
Revises: 0003_insights
"""

from __future__ import annotations

from alembic import op

revision = "0006_insights_scans"
down_revision = "0003_insights"
branch_labels = None
depends_on = None

# SQLite sorts every row of a GROUP BY unless an index gives them in group order, and reads the whole (wide) row
# unless an index holds every column: each index below serves one figure of `afteraction insights` that way. The
# expressions must stay identical to those in insights/sql.py. PostgreSQL hashes its groups and needs none of them.
_INDEXES = {
    # incidents by month, severity and kind
    "ix_insights_groups": "incidents (strftime('%Y-%m', coalesce(started_at, created_at)), coalesce(severity, 'none'), "
    "kind)",
    # action items by owner; by team of their incident (with ix_insights_labels)
    "ix_insights_owner": "action_items (owner_id, status, due_date)",
    "ix_insights_items": "action_items (incident_id, status, due_date)",
    "ix_insights_labels": "incident_labels (kind, value, incident_id)",
    # post-mortems due by policy: resolved incidents by kind and severity, with their post-mortem's dates
    "ix_insights_resolved": "incidents (kind, severity, resolved_at)",
    "ix_insights_postmortems": "postmortems (incident_id, status, published_at, due_date)",
    # closed items of the overdue backlog: by due date and the month they closed in, when after their due date
    "ix_insights_left": "action_items (due_date, CASE WHEN substr(closed_at, 1, 10) > due_date "
    "THEN substr(closed_at, 1, 7) ELSE '' END) WHERE closed_at IS NOT NULL",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, target in _INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {target}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
