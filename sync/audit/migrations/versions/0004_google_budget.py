"""Sheets quota buckets shared by every process of the service

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-29 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "google_budget",
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("stamps", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("bucket"),
    )


def downgrade() -> None:
    op.drop_table("google_budget")
