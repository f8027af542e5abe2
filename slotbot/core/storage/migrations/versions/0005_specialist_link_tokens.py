"""specialist link tokens: one-time deep links that link a specialist's Telegram account

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "specialist_link_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["specialist_id"],
            ["specialists.id"],
            name=op.f("fk_specialist_link_tokens_specialist_id_specialists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialist_link_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_specialist_link_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_specialist_link_tokens_specialist_id"),
        "specialist_link_tokens",
        ["specialist_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_specialist_link_tokens_specialist_id"), table_name="specialist_link_tokens"
    )
    op.drop_table("specialist_link_tokens")
