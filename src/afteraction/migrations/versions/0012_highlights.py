"""highlights: timeline events that tell the story (`highlight`, and `highlight_by_hand` when a person chose), a
partial index of them in the timeline's order, and the Slack channel an event was said in (`channel`). Existing
events get the default rules of domain.highlights (written out here, as a migration must not change with the code).

Revision ID: 0012_highlights
Revises: 0011_timeline_paging
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_highlights"
down_revision = "0011_timeline_paging"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite adds them in place (a batch would copy the table, a million rows and more).
    op.add_column("timeline_events", sa.Column("channel", sa.String(200), nullable=True))
    op.add_column("timeline_events", sa.Column("highlight", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column(
        "timeline_events", sa.Column("highlight_by_hand", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.execute(
        "UPDATE timeline_events SET highlight = TRUE WHERE key_moment IS NOT NULL OR source = 'manual'"
        " OR kind IN ('deploy', 'rollback', 'decision')"
        " OR (source IN ('alertmanager', 'grafana', 'pagerduty', 'opsgenie') AND kind <> 'notify')"
        " OR incident_id IN (SELECT id FROM incidents WHERE imported)"  # a document's timeline: its highlights
    )
    op.create_index(
        "ix_timeline_events_highlights",
        "timeline_events",
        ["incident_id", "sort_at", "position", "id"],
        unique=False,
        sqlite_where=sa.text("highlight = 1"),
        postgresql_where=sa.text("highlight"),
    )


def downgrade() -> None:
    op.drop_index("ix_timeline_events_highlights", table_name="timeline_events")
    with op.batch_alter_table("timeline_events") as batch:
        batch.drop_column("highlight_by_hand")
        batch.drop_column("highlight")
        batch.drop_column("channel")
