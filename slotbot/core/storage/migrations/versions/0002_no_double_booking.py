"""no double booking: exclusion constraint over live bookings (PostgreSQL)

Revision ID: 0002
Revises: 0001

On PostgreSQL two live bookings (held or confirmed) of one specialist can never overlap: a
btree_gist exclusion constraint on (specialist_id, [starts_at, ends_at)). SQLite has no such
constraint; there the booking service checks and inserts in one BEGIN IMMEDIATE transaction.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_no_overlap EXCLUDE USING gist "
        "(specialist_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status IN ('held', 'confirmed'))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE bookings DROP CONSTRAINT IF EXISTS ex_bookings_no_overlap")
