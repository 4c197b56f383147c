"""key moments: each incident's effective key moments, their origins and its four durations stored on it; when it
happened (by which it is counted) and whether it was imported from a document; whether its status was set by hand.
Fills them for existing incidents; SQLite's insights indexes move to the stored durations and `happened_at`.

Revision ID: 0009_key_moments
Revises: 0008_sign_in
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import afteraction.core.db

revision = "0009_key_moments"
down_revision = "0008_sign_in"
branch_labels = None
depends_on = None

_MOMENTS = ("started", "detected", "acknowledged", "mitigated", "resolved")
_DURATIONS = {
    "detect": "ttd_seconds",
    "acknowledge": "tta_seconds",
    "mitigate": "ttm_seconds",
    "resolve": "ttr_seconds",
}
_OLD_DURATIONS = {
    "detect": ("started_at", "detected_at"),
    "acknowledge": ("detected_at", "acknowledged_at"),
    "mitigate": ("started_at", "mitigated_at"),
    "resolve": ("started_at", "resolved_at"),
}
_SECONDS = "((julianday({end}) - julianday({start})) * 86400.0)"
_OLD_MONTH = "strftime('%Y-%m', coalesce(started_at, created_at))"
_MONTH = "strftime('%Y-%m', happened_at)"
_GROUPS = {"all": "", "sev": "coalesce(severity, 'none'), ", "month": f"{_MONTH}, "}
_OLD_GROUPS = {**_GROUPS, "month": f"{_OLD_MONTH}, "}
_COUNTS = "incidents ({month}, coalesce(severity, 'none'), kind)"  # ix_insights_groups


def _fill() -> None:
    """Store every existing incident's effective moments (a status other than open counts as set by hand)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session, load_only

    from afteraction.incidents.models import Incident
    from afteraction.timeline.moments import refresh_moments

    bind = op.get_bind()
    bind.execute(sa.text("UPDATE incidents SET status_set_by_hand = (status <> 'open')"))
    # A post-mortem read from a file marks an incident imported (its row's creation is not when it happened).
    bind.execute(
        sa.text(
            "UPDATE incidents SET imported = EXISTS (SELECT 1 FROM postmortems p WHERE p.incident_id = incidents.id "
            "AND p.source_path IS NOT NULL)"
        )
    )
    with Session(bind=bind) as session:
        columns = [
            Incident.number,
            Incident.kind,
            Incident.status,
            Incident.status_set_by_hand,
            Incident.moment_origins,
            Incident.happened_at,
            Incident.imported,
            Incident.created_at,
        ]
        for moment in _MOMENTS:
            columns += [getattr(Incident, f"{moment}_at"), getattr(Incident, f"effective_{moment}_at")]
        columns += [getattr(Incident, column) for column in _DURATIONS.values()]
        query = select(Incident).options(load_only(*columns)).order_by(Incident.id)
        for incident in session.scalars(query):
            # On this revision's schema: no highlights, no stored picture (0012_highlights).
            refresh_moments(session, incident, schema_of_0009=True)
        session.flush()


def upgrade() -> None:
    # Plain ADD COLUMNs (SQLite needs no table copy for them; a copy would cascade-delete the incidents' rows).
    for moment in _MOMENTS:
        op.add_column(
            "incidents",
            sa.Column(f"effective_{moment}_at", afteraction.core.db.UTCDateTime(timezone=True), nullable=True),
        )
    op.add_column("incidents", sa.Column("moment_origins", sa.JSON(), nullable=True))
    for column in _DURATIONS.values():
        op.add_column("incidents", sa.Column(column, sa.Float(), nullable=True))
    op.add_column("incidents", sa.Column("status_set_by_hand", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("incidents", sa.Column("happened_at", afteraction.core.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column("incidents", sa.Column("imported", sa.Boolean(), server_default=sa.false(), nullable=False))
    _fill()
    op.drop_index("ix_incidents_started_at", table_name="incidents")
    op.create_index("ix_incidents_happened_at", "incidents", ["happened_at"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for metric, column in _DURATIONS.items():
            for group, prefix in _GROUPS.items():
                op.execute(f"DROP INDEX IF EXISTS ix_insights_{metric}_{group}")
                op.execute(f"CREATE INDEX ix_insights_{metric}_{group} ON incidents ({prefix}{column})")
        op.execute("DROP INDEX IF EXISTS ix_insights_resolved")
        op.execute("CREATE INDEX ix_insights_resolved ON incidents (kind, severity, effective_resolved_at)")
        op.execute("DROP INDEX IF EXISTS ix_insights_groups")
        op.execute(f"CREATE INDEX ix_insights_groups ON {_COUNTS.format(month=_MONTH)}")


def downgrade() -> None:
    op.drop_index("ix_incidents_happened_at", table_name="incidents")
    op.create_index("ix_incidents_started_at", "incidents", ["started_at"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_insights_groups")
        op.execute(f"CREATE INDEX ix_insights_groups ON {_COUNTS.format(month=_OLD_MONTH)}")
        op.execute("DROP INDEX IF EXISTS ix_insights_resolved")
        op.execute("CREATE INDEX ix_insights_resolved ON incidents (kind, severity, resolved_at)")
        for metric, (start, end) in _OLD_DURATIONS.items():
            for group, prefix in _OLD_GROUPS.items():
                op.execute(f"DROP INDEX IF EXISTS ix_insights_{metric}_{group}")
                op.execute(
                    f"CREATE INDEX ix_insights_{metric}_{group} ON incidents "
                    f"({prefix}{_SECONDS.format(start=start, end=end)})"
                )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("imported")
        batch_op.drop_column("happened_at")
        batch_op.drop_column("status_set_by_hand")
        for column in _DURATIONS.values():
            batch_op.drop_column(column)
        batch_op.drop_column("moment_origins")
        for moment in _MOMENTS:
            batch_op.drop_column(f"effective_{moment}_at")
