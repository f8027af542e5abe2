"""service synonyms: other words people type for a service

Revision ID: 0008
Revises: 0007

``services.synonyms`` holds the import file's ``synonyms`` per language (a JSON object of
lists, ``{}`` for none), read with the names when the dialog reads typed text. A column is
added and dropped in place (SQLite's ALTER TABLE ADD / DROP COLUMN), so no table is rebuilt
and the catalog-version triggers of migration 0003 stay: an import that changes the
synonyms moves the version like any other change to a service.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "services",
        sa.Column("synonyms", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite 3.35+): a batch rebuild of the table would drop the
    # catalog-version triggers of migration 0003 with it
    op.execute("ALTER TABLE services DROP COLUMN synonyms")
