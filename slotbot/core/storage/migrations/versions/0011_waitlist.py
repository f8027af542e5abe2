"""waiting list: entries, the free times matched to them, the widget's log as a channel

Revision ID: 0011
Revises: 0010

``waitlist_entries`` holds the clients waiting for time to free up ("tell me if something
frees up"): a service, a specialist or anyone (NULL), local dates [first_day, last_day] and
an optional local time window in the entry's ``timezone``, the channel the client joined
through, and when and why the entry ended (passed, booked, left, withdrawn).
``waitlist_offers`` records each free time matched to an entry, once per entry and start:
``offered`` (sent) or ``seen`` (already free when the client joined, never sent).

``notifications.channel`` may now be ``web``: a message written into the client's widget
conversation (``web_messages``). The CHECK constraint is replaced; on SQLite that rebuilds
the ``notifications`` table (batch mode), copying its rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHANNELS_BEFORE = "channel IN ('telegram', 'sms', 'email')"
_CHANNELS_AFTER = "channel IN ('telegram', 'sms', 'email', 'web')"


def _channels(check: str) -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_channel"), type_="check")
        batch.create_check_constraint("channel", check)


def upgrade() -> None:
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("window_start", sa.Time(), nullable=True),
        sa.Column("window_end", sa.Time(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.CheckConstraint("last_day >= first_day", name=op.f("ck_waitlist_entries_range_order")),
        sa.CheckConstraint(
            "(window_start IS NULL AND window_end IS NULL) OR "
            "(window_start IS NOT NULL AND window_end IS NOT NULL AND window_end > window_start)",
            name=op.f("ck_waitlist_entries_window"),
        ),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('passed', 'booked', 'left', 'withdrawn')",
            name=op.f("ck_waitlist_entries_end_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"],
            name=op.f("fk_waitlist_entries_client_id_clients"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"],
            name=op.f("fk_waitlist_entries_service_id_services"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["specialist_id"], ["specialists.id"],
            name=op.f("fk_waitlist_entries_specialist_id_specialists"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    op.create_index(
        op.f("ix_waitlist_entries_client_id"), "waitlist_entries", ["client_id"], unique=False
    )
    op.create_index("ix_waitlist_entries_live", "waitlist_entries", ["ended_at", "created_at"])
    op.create_table(
        "waitlist_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('seen', 'offered')", name=op.f("ck_waitlist_offers_status")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["waitlist_entries.id"],
            name=op.f("fk_waitlist_offers_entry_id_waitlist_entries"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["specialist_id"], ["specialists.id"],
            name=op.f("fk_waitlist_offers_specialist_id_specialists"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offers")),
        sa.UniqueConstraint("entry_id", "starts_at", name=op.f("uq_waitlist_offers_entry_id")),
    )
    op.create_index("ix_waitlist_offers_slot", "waitlist_offers", ["specialist_id", "starts_at"])
    _channels(_CHANNELS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE channel = 'web'")
    _channels(_CHANNELS_BEFORE)
    op.drop_index("ix_waitlist_offers_slot", table_name="waitlist_offers")
    op.drop_table("waitlist_offers")
    op.drop_index("ix_waitlist_entries_live", table_name="waitlist_entries")
    op.drop_index(op.f("ix_waitlist_entries_client_id"), table_name="waitlist_entries")
    op.drop_table("waitlist_entries")
