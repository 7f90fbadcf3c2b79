"""the official record: reviews, extensions, duplicate claims, roles, first submission

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("form_states") as batch:
        batch.add_column(sa.Column("first_submitted_at", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("valid_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("valid_at", sa.String(length=40), nullable=True))
    # Existing submissions: the first one decides timeliness from now on.
    op.execute("UPDATE form_states SET first_submitted_at = submitted_at")
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=20), nullable=False, server_default="organiser")
        )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("form", sa.String(length=60), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", sa.String(length=40), nullable=True),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reviews_unit", "reviews", ["campaign", "unit", "form", "id"])
    op.create_table(
        "extensions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("form", sa.String(length=60), nullable=False),
        sa.Column("until", sa.String(length=40), nullable=False),
        sa.Column("by", sa.String(length=80), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_extensions_unit", "extensions", ["campaign", "unit", "form", "id"])
    op.create_table(
        "claims",
        sa.Column("campaign", sa.String(length=100), nullable=False),
        sa.Column("form", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("first_seen_at", sa.Float(), nullable=False),
        sa.Column("submitted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("campaign", "form", "key", "unit"),
    )


def downgrade() -> None:
    op.drop_table("claims")
    op.drop_index("ix_extensions_unit", table_name="extensions")
    op.drop_table("extensions")
    op.drop_index("ix_reviews_unit", table_name="reviews")
    op.drop_table("reviews")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("role")
    with op.batch_alter_table("form_states") as batch:
        batch.drop_column("valid_at")
        batch.drop_column("valid_hash")
        batch.drop_column("first_submitted_at")
