"""reviewing together: one directory of people (e-mail, Slack id, GitHub login, Jira account id, team, the account
they sign in with, which channels they want notifications on; names unique without regard to case), the outbox of
notifications, comments on a post-mortem, review meetings, and "amended after publication" on post-mortems.

Existing people whose names differ only in case are merged into the oldest (their action items and review roles
follow); every account gets its person (the one named as the account, else a new one).

Revision ID: 0014_reviewing_together
Revises: 0013_import_snapshot
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0014_reviewing_together"
down_revision = "0013_import_snapshot"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite adds them in place.
    op.add_column("people", sa.Column("slack_id", sa.String(40), nullable=True))
    op.add_column("people", sa.Column("github_login", sa.String(100), nullable=True))
    op.add_column("people", sa.Column("jira_account_id", sa.String(200), nullable=True))
    op.add_column("people", sa.Column("team", sa.String(200), nullable=True))
    fk = "fk_people_user_id_users"
    if op.get_bind().dialect.name == "sqlite":
        # A plain ADD COLUMN with its named reference inline (SQLite cannot add a constraint to a table).
        op.execute(
            f"ALTER TABLE people ADD COLUMN user_id INTEGER CONSTRAINT {fk} REFERENCES users (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("people", sa.Column("user_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(fk), "people", "users", ["user_id"], ["id"], ondelete="SET NULL")
    op.add_column("people", sa.Column("notify_email", sa.Boolean(), nullable=False, server_default="1"))
    op.add_column("people", sa.Column("notify_slack", sa.Boolean(), nullable=False, server_default="1"))
    op.add_column("people", sa.Column("created_at", UTC_TIME, nullable=True))
    _merge_people_differing_in_case()
    _people_of_accounts()
    op.create_index("uq_people_user_id", "people", ["user_id"], unique=True)
    op.create_index("uq_people_name_lower", "people", [sa.text("lower(name)")], unique=True)

    op.add_column("postmortems", sa.Column("amended_at", UTC_TIME, nullable=True))
    op.add_column("postmortems", sa.Column("amended_by", sa.String(200), nullable=True))

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(2000), nullable=True),
        sa.Column("dedupe_key", sa.String(300), nullable=False, unique=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_TIME, nullable=False),
        sa.Column("claimed_until", UTC_TIME, nullable=True),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_notifications_state_next", "notifications", ["state", "next_attempt_at"])
    op.create_index("ix_notifications_person_id", "notifications", ["person_id"])

    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("postmortem_id", sa.Integer(), sa.ForeignKey("postmortems.id", ondelete="CASCADE"), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("comments.id", ondelete="CASCADE"), nullable=True),
        sa.Column("target_kind", sa.String(20), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("target_label", sa.String(300), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("resolved_at", UTC_TIME, nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), sa.ForeignKey("people.id"), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_comments_postmortem_created", "comments", ["postmortem_id", "created_at"])

    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("team", sa.String(200), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("ended_at", UTC_TIME, nullable=True),
        sa.Column("minutes_sent_at", UTC_TIME, nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "meeting_attendees",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
        sa.UniqueConstraint("meeting_id", "person_id"),
    )
    op.create_table(
        "meeting_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("action_items.id", ondelete="SET NULL"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_meeting_notes_meeting_id", "meeting_notes", ["meeting_id"])


def _merge_people_differing_in_case() -> None:
    """People named alike but for case become the oldest of them; what pointed at the others points at it."""
    bind = op.get_bind()
    groups: dict[str, list[int]] = defaultdict(list)
    for person_id, name in bind.execute(sa.text("SELECT id, name FROM people ORDER BY id")):
        groups[" ".join(str(name).split()).lower()].append(int(person_id))
    for ids in groups.values():
        keep, others = ids[0], ids[1:]
        for other in others:
            params = {"keep": keep, "other": other}
            bind.execute(sa.text("UPDATE action_items SET owner_id = :keep WHERE owner_id = :other"), params)
            bind.execute(
                sa.text(
                    "DELETE FROM postmortem_people WHERE person_id = :other AND EXISTS (SELECT 1 FROM postmortem_people"
                    " AS k WHERE k.person_id = :keep AND k.postmortem_id = postmortem_people.postmortem_id"
                    " AND k.role = postmortem_people.role)"
                ),
                params,
            )
            bind.execute(sa.text("UPDATE postmortem_people SET person_id = :keep WHERE person_id = :other"), params)
            bind.execute(
                sa.text(
                    "UPDATE people SET email = (SELECT email FROM people WHERE id = :other)"
                    " WHERE id = :keep AND email IS NULL"
                ),
                params,
            )
            bind.execute(sa.text("DELETE FROM people WHERE id = :other"), params)


def _people_of_accounts() -> None:
    """Each account's person: the one named as the account (in any case), else a new one named so."""
    bind = op.get_bind()
    now = datetime.now(UTC)
    for user_id, name, email in bind.execute(sa.text("SELECT id, name, email FROM users ORDER BY id")).all():
        row = bind.execute(
            sa.text("SELECT id FROM people WHERE lower(name) = lower(:name) AND user_id IS NULL"), {"name": name}
        ).first()
        if row is None:
            bind.execute(
                sa.text(
                    "INSERT INTO people (name, email, user_id, notify_email, notify_slack, created_at)"
                    " VALUES (:name, :email, :user_id, :yes, :yes, :now)"
                ),
                {"name": name, "email": email, "user_id": user_id, "yes": True, "now": now},
            )
        else:
            bind.execute(
                sa.text("UPDATE people SET user_id = :user_id, email = COALESCE(email, :email) WHERE id = :id"),
                {"user_id": user_id, "email": email, "id": row[0]},
            )


def downgrade() -> None:
    op.drop_index("ix_meeting_notes_meeting_id", table_name="meeting_notes")
    op.drop_table("meeting_notes")
    op.drop_table("meeting_attendees")
    op.drop_table("meetings")
    op.drop_index("ix_comments_postmortem_created", table_name="comments")
    op.drop_table("comments")
    op.drop_index("ix_notifications_person_id", table_name="notifications")
    op.drop_index("ix_notifications_state_next", table_name="notifications")
    op.drop_table("notifications")
    op.drop_column("postmortems", "amended_by")
    op.drop_column("postmortems", "amended_at")
    op.drop_index("uq_people_name_lower", table_name="people")
    op.drop_index("uq_people_user_id", table_name="people")
    # SQLite cannot drop a column that holds a reference: batch mode copies the table.
    with op.batch_alter_table("people", schema=None) as batch_op:
        for column in ("created_at", "notify_slack", "notify_email", "user_id", "team", "jira_account_id",
                       "github_login", "slack_id"):  # fmt: skip
            batch_op.drop_column(column)
