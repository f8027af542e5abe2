"""shared state: leases, Telegram update ids seen, rate buckets, the widget's wake-up

Revision ID: 0013
Revises: 0012

What the processes of one deployment must agree on (DESIGN.md section 10) lives here:
``leases`` say which process runs a job that must run once across all of them,
``seen_updates`` keeps the Telegram update ids taken lately so that an update delivered
twice is handled once, and ``rate_buckets`` holds the widget API's rate limits. On
PostgreSQL every row inserted into ``web_messages`` notifies the channel
``slotbot_web_messages`` with its widget session, which wakes the push streams of that
session in every process (``LISTEN``).

Three tables, a trigger function and a trigger are added; nothing is rebuilt.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "slotbot_web_messages"  # slotbot.core.storage.shared.WEB_MESSAGES_CHANNEL


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "seen_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_seen_updates")),
    )
    op.create_index(op.f("ix_seen_updates_seen_at"), "seen_updates", ["seen_at"])
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("full_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_buckets")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION slotbot_web_message_notify() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM pg_notify('{CHANNEL}', NEW.session_id); RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER web_message_notify AFTER INSERT ON web_messages "
            "FOR EACH ROW EXECUTE FUNCTION slotbot_web_message_notify()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS web_message_notify ON web_messages")
        op.execute("DROP FUNCTION IF EXISTS slotbot_web_message_notify()")
    op.drop_table("rate_buckets")
    op.drop_index(op.f("ix_seen_updates_seen_at"), table_name="seen_updates")
    op.drop_table("seen_updates")
    op.drop_table("leases")
