"""timeline paging: the index of the timeline's whole order, (incident_id, sort_at, position, id), so that a page of
a timeline is read from the row after the cursor's, never with an OFFSET; it replaces (incident_id, sort_at).

Revision ID: 0011_timeline_paging
Revises: 0010_timeline_imports
"""

from __future__ import annotations

from alembic import op

revision = "0011_timeline_paging"
down_revision = "0010_timeline_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_timeline_events_incident_order",
        "timeline_events",
        ["incident_id", "sort_at", "position", "id"],
        unique=False,
    )
    op.drop_index("ix_timeline_events_incident_sort", table_name="timeline_events")


def downgrade() -> None:
    op.create_index("ix_timeline_events_incident_sort", "timeline_events", ["incident_id", "sort_at"], unique=False)
    op.drop_index("ix_timeline_events_incident_order", table_name="timeline_events")
