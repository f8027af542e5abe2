"""trust: links serve the first Telegram account that opens them; SMS phone codes

Revision ID: 0009
Revises: 0008

``link_tokens.opened_by`` is the Telegram user id of the first account that opened a
"Continue in Telegram" link; only that account can accept or decline what it brings
(``core.handover``). ``phone_codes`` holds the SMS codes widget clients confirm their phone
numbers with (``core.phone_codes``): a keyed hash of each code, never the code.

A column and a table are added; no table is rebuilt.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("link_tokens", sa.Column("opened_by", sa.BigInteger(), nullable=True))
    op.create_table(
        "phone_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_phone_codes_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_codes")),
        sa.UniqueConstraint("client_id", "phone", name=op.f("uq_phone_codes_client_id")),
    )
    op.create_index(op.f("ix_phone_codes_phone"), "phone_codes", ["phone"])


def downgrade() -> None:
    op.drop_index(op.f("ix_phone_codes_phone"), table_name="phone_codes")
    op.drop_table("phone_codes")
    with op.batch_alter_table("link_tokens") as batch:
        batch.drop_column("opened_by")
