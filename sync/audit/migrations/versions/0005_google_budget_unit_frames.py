"""Sheets quota buckets and units' last read frames, shared by every process

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "google_budget",
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("stamps", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("bucket"),
    )
    op.create_table(
        "unit_frames",
        sa.Column("campaign", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("marker", sa.String(length=64), nullable=True),
        sa.Column("read_at", sa.Float(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("campaign", "unit"),
    )


def downgrade() -> None:
    op.drop_table("unit_frames")
    op.drop_table("google_budget")
