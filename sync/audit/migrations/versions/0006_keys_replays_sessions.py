"""per-unit key generations, accepted signatures (replays), random session tokens,
upload states (received → accepted | refused)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 16:10:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_keys",
        sa.Column("campaign", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("rotated_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("campaign", "unit"),
    )
    op.create_table(
        "signature_uses",
        sa.Column("campaign", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("t", sa.Integer(), nullable=False),
        sa.Column("v1", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("campaign", "unit", "t", "v1"),
    )
    op.create_index("ix_signature_uses_t", "signature_uses", ["t"], unique=False)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(sa.Column("state", sa.String(length=12), nullable=True))
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.select(users.c.id)).all():
        conn.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_token=secrets.token_urlsafe(32))
        )


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("state")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_token")
    op.drop_index("ix_signature_uses_t", table_name="signature_uses")
    op.drop_table("signature_uses")
    op.drop_table("unit_keys")
