"""highlights: timeline events that tell the story (`highlight`, and `highlight_by_hand` when a person chose), a
partial index of them in the timeline's order, the Slack channel an event was said in (`channel`), and the index of
one import's events in the timeline's order (replacing the plain import_id index); and the stored picture of a large
timeline (`incidents.timeline_picture`). Existing
events get the default rules of domain.highlights (written out here, as a migration must not change with the code).

Revision ID: 0012_highlights
Revises: 0011_timeline_paging
"""

from __future__ import annotations

import json

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
    # The events behind the stored key moments (incidents.moment_origins: {moment: {"origin", "event_id"}}).
    bind = op.get_bind()
    behind: set[int] = set()
    for (origins,) in bind.execute(sa.text("SELECT moment_origins FROM incidents WHERE moment_origins IS NOT NULL")):
        found = json.loads(origins) if isinstance(origins, str) else origins
        behind.update(int(o["event_id"]) for o in (found or {}).values() if o.get("event_id") is not None)
    ordered = sorted(behind)
    for start in range(0, len(ordered), 500):
        chunk = ", ".join(str(event_id) for event_id in ordered[start : start + 500])  # integers only
        op.execute(f"UPDATE timeline_events SET highlight = TRUE WHERE id IN ({chunk})")
    op.create_index(
        "ix_timeline_events_highlights",
        "timeline_events",
        ["incident_id", "sort_at", "position", "id"],
        unique=False,
        sqlite_where=sa.text("highlight = 1"),
        postgresql_where=sa.text("highlight"),
    )

    # The picture of a large timeline, counted once per change (timeline.picture).
    op.add_column("incidents", sa.Column("timeline_picture", sa.JSON(), nullable=True))
    # One import's events in the timeline's order, for its page of events and its undo (replaces the import_id index).
    op.create_index(
        "ix_timeline_events_import_order", "timeline_events", ["import_id", "sort_at", "position", "id"], unique=False
    )
    op.drop_index("ix_timeline_events_import_id", table_name="timeline_events")


def downgrade() -> None:
    # Plain DROP COLUMNs (SQLite 3.35+): a batch would copy the table and lose its expression indexes.
    op.drop_column("incidents", "timeline_picture")
    op.create_index("ix_timeline_events_import_id", "timeline_events", ["import_id"], unique=False)
    op.drop_index("ix_timeline_events_import_order", table_name="timeline_events")
    op.drop_index("ix_timeline_events_highlights", table_name="timeline_events")
    for column in ("highlight_by_hand", "highlight", "channel"):
        op.drop_column("timeline_events", column)
