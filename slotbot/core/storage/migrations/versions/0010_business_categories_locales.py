"""service categories, specialists' languages, where a booking moved to

Revision ID: 0010
Revises: 0009

``services.category`` holds a service's category per locale (``{"en": "Hair", ...}``, from
the import file; Start groups services by it). ``specialists.locale`` is the language the
import file sets for a specialist, ``specialists.chat_locale`` the language of their Telegram
chat (recorded when they link or write); notices, the agenda and the time-off screens use the
first of the two that is set. ``bookings.rescheduled_to`` points from a moved booking to the
booking that replaced it (a plain id: bookings are never deleted), so a specialist opening a notice of the old one is shown the new.
The shop's own details (name, address, phone, map link) live in ``business_settings`` under
the key ``business`` and need no column.

Only columns are added (SQLite's ALTER TABLE ADD COLUMN), so no table is rebuilt.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("services", sa.Column("category", sa.JSON(), nullable=True))
    op.add_column("specialists", sa.Column("locale", sa.String(length=16), nullable=True))
    op.add_column("specialists", sa.Column("chat_locale", sa.String(length=16), nullable=True))
    op.add_column("bookings", sa.Column("rescheduled_to", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("rescheduled_to")
    with op.batch_alter_table("specialists") as batch:
        batch.drop_column("chat_locale")
        batch.drop_column("locale")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("category")
