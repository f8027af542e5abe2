"""input bounds and link tokens: wide enough columns, one-time tokens that link identities

Revision ID: 0004
Revises: 0003

Columns widened so that every text the input checks allow (slotbot.core.limits) fits:
``notifications.dedupe_key`` holds a recipient (an e-mail address may have 254 characters),
and the reasons of overrides and blocks take ``limits.REASON_MAX`` like a cancel reason.

``link_tokens`` holds the hashes of one-time tokens that let a person link a second channel
(Telegram) to the client they are on the web (slotbot.core.clients.redeem_link_token).

SQLite cannot alter a column, so there the tables are rebuilt (batch mode keeps the named
CHECK constraints, foreign keys and indexes); a rebuilt ``specialist_overrides`` loses its
catalog-version triggers from migration 0003, so they are made again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, old width, new width)
WIDENED = (
    ("notifications", "dedupe_key", 200, 400),
    ("specialist_overrides", "reason", 255, 500),
    ("specialist_blocks", "reason", 100, 500),
)
CATALOG_BUMP = (
    "INSERT INTO catalog_state (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = catalog_state.version + 1"
)


def _sqlite_catalog_triggers(table: str) -> None:
    """Migration 0003's triggers on ``table`` (SQLite only), dropped first if present."""
    for event in ("INSERT", "UPDATE", "DELETE"):
        name = f"catalog_bump_{table}_{event.lower()}"
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {CATALOG_BUMP}; END")


def _resize(widths: Sequence[tuple[str, str, int, int]]) -> None:
    for table, column, old, new in widths:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column, type_=sa.String(length=new), existing_type=sa.String(length=old)
            )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_catalog_triggers("specialist_overrides")


def upgrade() -> None:
    _resize(WIDENED)
    op.create_table(
        "link_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_link_tokens_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_link_tokens_token_hash")),
    )
    op.create_index(op.f("ix_link_tokens_client_id"), "link_tokens", ["client_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_link_tokens_client_id"), table_name="link_tokens")
    op.drop_table("link_tokens")
    # Values longer than the old widths would not fit on PostgreSQL: cut them first.
    for table, column, old, _new in WIDENED:
        op.execute(
            sa.text(f"UPDATE {table} SET {column} = substr({column}, 1, {old}) "
                    f"WHERE length({column}) > {old}")
        )
    _resize([(table, column, new, old) for table, column, old, new in WIDENED])
