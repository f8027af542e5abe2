"""trust: "Continue in Telegram" links serve the first Telegram account that opens them

Revision ID: 0008
Revises: 0007

``link_tokens.opened_by`` is the Telegram user id of the first account that opened the
link; only that account can accept or decline what it brings (``core.handover``).

Only columns are added (SQLite's ALTER TABLE ADD COLUMN), so no table is rebuilt.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("link_tokens", sa.Column("opened_by", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("link_tokens") as batch:
        batch.drop_column("opened_by")
