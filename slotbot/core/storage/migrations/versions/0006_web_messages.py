"""web messages: the widget's conversation log

Revision ID: 0006
Revises: 0005

``web_messages`` keeps what the chat widget showed, per widget session: the dialog's screens
as rendered and the visitor's own messages. A reload restores the conversation from it, and
the widget's push stream resumes after the last id it saw, so nothing is lost or repeated.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=8), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sender IN ('bot', 'visitor')", name=op.f("ck_web_messages_sender")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_messages")),
    )
    op.create_index("ix_web_messages_session", "web_messages", ["session_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_web_messages_session", table_name="web_messages")
    op.drop_table("web_messages")
