"""one line: joins the four branches (follow-through, insights, accounts, web) so history is linear from now on

Revision ID: 0007_one_line
Revises: 0002_followthrough, 0004_accounts, 0005_web, 0006_insights_scans
"""

from __future__ import annotations

revision = "0007_one_line"
down_revision = ("0002_followthrough", "0004_accounts", "0005_web", "0006_insights_scans")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
