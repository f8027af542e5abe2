"""catalog version: a counter that triggers move on every catalog change

Revision ID: 0003
Revises: 0002

Services, specialists, their service links, weekly schedules, overrides and the shop's
settings change rarely and are read on every booking; processes keep them in memory and
compare this counter to know when to reload (slotbot.core.availability.catalog). The triggers upsert, so a
missing row is recreated rather than silently leaving the counter behind.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "services",
    "specialists",
    "specialist_services",
    "specialist_schedules",
    "specialist_overrides",
    "business_settings",
)
BUMP = (
    "INSERT INTO catalog_state (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = catalog_state.version + 1"
)


def upgrade() -> None:
    op.create_table(
        "catalog_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_catalog_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_state")),
    )
    op.execute("INSERT INTO catalog_state (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION slotbot_bump_catalog() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in TABLES:  # per row, so that a statement changing nothing moves nothing
            op.execute(
                f"CREATE TRIGGER catalog_bump AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION slotbot_bump_catalog()"
            )
            op.execute(
                f"CREATE TRIGGER catalog_bump_truncate AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION slotbot_bump_catalog()"
            )
        return
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER catalog_bump_{table}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS catalog_bump ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS catalog_bump_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS slotbot_bump_catalog()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS catalog_bump_{table}_{event}")
    op.drop_table("catalog_state")
