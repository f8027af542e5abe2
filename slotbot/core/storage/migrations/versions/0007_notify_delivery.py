"""notification delivery: what a provider said, what was sent, unreachable Telegram chats

Revision ID: 0007
Revises: 0006

``notifications`` gains ``provider_id`` (the SMS provider's message SID, how a delivery
callback finds its row), ``delivery_status`` (the last status a provider reported, or where
an unconfigured channel's message went) and ``body`` (the text as it was rendered and sent,
shown on the development ``/outbox`` page). ``clients.telegram_unreachable_at`` records that
a client blocked the bot (Telegram answered 403): their chat messages go by SMS or e-mail.

Only columns are added (SQLite's ALTER TABLE ADD COLUMN), so no table is rebuilt.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("provider_id", sa.String(length=64), nullable=True))
    op.add_column(
        "notifications", sa.Column("delivery_status", sa.String(length=32), nullable=True)
    )
    op.add_column("notifications", sa.Column("body", sa.Text(), nullable=True))
    op.create_index(op.f("ix_notifications_provider_id"), "notifications", ["provider_id"])
    op.add_column(
        "clients",
        sa.Column("telegram_unreachable_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("telegram_unreachable_at")
    op.drop_index(op.f("ix_notifications_provider_id"), table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("body")
        batch.drop_column("delivery_status")
        batch.drop_column("provider_id")
