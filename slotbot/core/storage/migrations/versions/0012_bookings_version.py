"""bookings version: a counter that triggers move on every change of busy time

Revision ID: 0012
Revises: 0011

Processes cache availability answers (slotbot.core.availability.cache) and must know at once
when busy time changed, whoever changed it. Like the catalog's version (0003), triggers
keep it: ``bookings_state.version`` moves on every booking inserted or deleted, every
change of a booking's specialist, client, times, status or hold expiry, and every block
added, changed or removed (overrides are catalog changes already). Each change also stamps
``busy_versions`` (one row per specialist) with the new value, so a process can ask which
specialists changed since the version it last saw.

On PostgreSQL the triggers are deferred constraint triggers: they run at commit, so the
counter's row is locked only while a transaction commits (not while it waits for anything
else), and each takes the counter before a specialist's row, so two committers never
wait for each other in a circle. Versions are handed out in commit order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Columns of each table whose change changes busy time.
WATCHED = {
    "bookings": ("specialist_id", "client_id", "starts_at", "ends_at", "status", "hold_expires_at"),
    "specialist_blocks": ("specialist_id", "starts_at", "ends_at"),
}
BUMP = (
    "INSERT INTO bookings_state (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = bookings_state.version + 1"
)


def _stamp(specialist: str, version: str) -> str:
    return (
        f"INSERT INTO busy_versions (specialist_id, version) VALUES ({specialist}, {version}) "
        "ON CONFLICT (specialist_id) DO UPDATE SET version = excluded.version"
    )


def _changed(table: str, negate: str) -> str:
    return " OR ".join(f"OLD.{c} {negate} NEW.{c}" for c in WATCHED[table])


PG_ROW = f"""
CREATE FUNCTION slotbot_bump_busy() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    {BUMP} RETURNING version INTO moved;
    IF TG_OP <> 'DELETE' THEN
        {_stamp("NEW.specialist_id", "moved")};
    END IF;
    IF TG_OP = 'DELETE' THEN
        {_stamp("OLD.specialist_id", "moved")};
    ELSIF TG_OP = 'UPDATE' THEN
        IF OLD.specialist_id <> NEW.specialist_id THEN
            {_stamp("OLD.specialist_id", "moved")};
        END IF;
    END IF;
    RETURN NULL;
END $$
"""
PG_TRUNCATE = f"""
CREATE FUNCTION slotbot_bump_busy_all() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    {BUMP} RETURNING version INTO moved;
    UPDATE busy_versions SET version = moved;
    INSERT INTO busy_versions (specialist_id, version) SELECT id, moved FROM specialists
        ON CONFLICT (specialist_id) DO NOTHING;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "bookings_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_bookings_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings_state")),
    )
    op.create_table(
        "busy_versions",
        sa.Column("specialist_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("specialist_id", name=op.f("pk_busy_versions")),
    )
    op.create_index(op.f("ix_busy_versions_version"), "busy_versions", ["version"])
    op.execute("INSERT INTO bookings_state (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_ROW)
        op.execute(PG_TRUNCATE)
        for table, columns in WATCHED.items():
            op.execute(
                f"CREATE CONSTRAINT TRIGGER busy_bump AFTER INSERT OR DELETE ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slotbot_bump_busy()"
            )
            op.execute(
                f"CREATE CONSTRAINT TRIGGER busy_bump_update AFTER UPDATE OF {', '.join(columns)} "
                f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                f"WHEN ({_changed(table, 'IS DISTINCT FROM')}) "
                "EXECUTE FUNCTION slotbot_bump_busy()"
            )
            op.execute(
                f"CREATE TRIGGER busy_bump_truncate AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION slotbot_bump_busy_all()"
            )
        return
    current = "(SELECT version FROM bookings_state WHERE id = 1)"
    for table, columns in WATCHED.items():
        op.execute(
            f"CREATE TRIGGER busy_bump_{table}_insert AFTER INSERT ON {table} "
            f"BEGIN {BUMP}; {_stamp('NEW.specialist_id', current)}; END"
        )
        op.execute(
            f"CREATE TRIGGER busy_bump_{table}_delete AFTER DELETE ON {table} "
            f"BEGIN {BUMP}; {_stamp('OLD.specialist_id', current)}; END"
        )
        op.execute(
            f"CREATE TRIGGER busy_bump_{table}_update AFTER UPDATE OF {', '.join(columns)} "
            f"ON {table} WHEN {_changed(table, 'IS NOT')} "
            f"BEGIN {BUMP}; {_stamp('OLD.specialist_id', current)}; "
            f"{_stamp('NEW.specialist_id', current)}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            for trigger in ("busy_bump", "busy_bump_update", "busy_bump_truncate"):
                op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS slotbot_bump_busy()")
        op.execute("DROP FUNCTION IF EXISTS slotbot_bump_busy_all()")
    else:
        for table in WATCHED:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS busy_bump_{table}_{event}")
    op.drop_index(op.f("ix_busy_versions_version"), table_name="busy_versions")
    op.drop_table("busy_versions")
    op.drop_table("bookings_state")
