"""Issue 11: every bad input to ``slotbot`` is one line on stderr, exit status 2, and no
table changes; on SQLite and PostgreSQL (the ``shop`` fixture runs on both)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from slotbot.core.settings import get_settings
from slotbot.core.storage.db import create_engine
from slotbot.core.storage.models import Base
from tests.cli.command import run

NOW = "2026-11-30T00:00:00Z"
BOOK = ["book", "--service", "haircut", "--now", NOW]

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(url: str) -> Snapshot:
    """Every row of every table, in primary-key order."""

    async def read() -> Snapshot:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return {
                    table.name: [
                        tuple(row)
                        for row in await connection.execute(
                            select(table).order_by(*table.primary_key.columns)
                        )
                    ]
                    for table in Base.metadata.sorted_tables
                }
        finally:
            await engine.dispose()

    return asyncio.run(read())


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run ``slotbot ARGV``, expect exit status 2, nothing on stdout and one line on
    stderr; return that line."""
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, ""), err
    assert err.count("\n") == 1 and err.startswith("slotbot: "), err
    assert "Traceback" not in err
    return err.strip()


# --- 11.1: dates and instants at the ends of the calendar ---------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        [*BOOK, "--start", "9999-12-31T23:30:00-12:00", "--name", "A", "--phone", "+4915123456789"],
        [*BOOK, "--start", "0001-01-01T00:30:00+14:00", "--name", "A", "--phone", "+4915123456789"],
        [*BOOK, "--start", "9999-12-31T23:59", "--name", "A", "--phone", "+4915123456789"],
        ["book", "--service", "haircut", "--start", "2026-12-01T10:00", "--name", "A",
         "--phone", "+4915123456789", "--now", "9999-12-31T23:30:00-12:00"],
        ["availability", "--service", "haircut", "--date", "9999-12-31"],
        ["availability", "--service", "haircut", "--days", "--from", "2026-12-01",
         "--to", "9999-12-31"],
        ["availability", "--service", "haircut", "--next", "--now", "0001-01-01T00:00:00+14:00"],
        ["bookings", "--date", "9999-12-31"],
        ["bookings", "--from", "0001-01-01"],
        ["bookings", "--to", "9999-12-31"],
        ["bookings", "--now", "9999-12-31T23:30:00-12:00"],
        ["bookings", "--now", "2100-12-31T23:30:00-12:00"],  # already 2101 in Berlin
        ["cancel", "1", "--now", "9999-12-31T23:30:00-12:00"],
    ],
)  # fmt: skip
def test_dates_at_the_ends_of_the_calendar(
    shop: str, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    before = snapshot(shop)
    assert "out of range" in refused(capsys, *argv)
    assert snapshot(shop) == before


def test_the_last_bookable_days_still_list(shop: str, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--from", "2100-12-31"], ["--date", "2100-12-31"], ["--from", "2100-12-20"]):
        status, out, _ = run(capsys, "bookings", *argv)
        assert (status, out.strip()) == (0, "no bookings")


# --- 11.5: arguments that are not UTF-8, keys and numbers that cannot be ----------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([*BOOK, "--start", "2026-12-01T10:00", "--name", "\udcff\udcfe",
          "--phone", "+4915123456789"],
         "the value of --name (b'\\xff\\xfe') is not valid UTF-8 text"),
        (["bookings", "--specialist", "ann\udce4"], "is not valid UTF-8"),
        (["import", "shop\udcff.yaml"], "the argument 2 (b'shop\\xff.yaml') is not valid UTF-8"),
        (["availability", "--service", "hair\x00cut", "--next"], "is not a service key"),
        (["availability", "--service", "haircut", "--specialist", "Anna", "--next"],
         "is not a specialist key"),
        (["bookings", "--specialist", "x" * 65], "is not a specialist key"),
        (["cancel", "99999999999999999999999"], "booking number is out of range"),
        (["cancel", "１２"], "not a booking number"),
        ([*BOOK, "--start", "2026-12-01T10:00", "--name", "Nul\x00l",
          "--phone", "+4915123456789"], "control characters"),
        ([*BOOK, "--start", "2026-12-01T10:00", "--name", "A",
          "--phone", "+4915123456789", "--email", "a\x00@b.de"], "control characters"),
    ],
)  # fmt: skip
def test_arguments_that_cannot_be_taken(
    shop: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = snapshot(shop)
    assert message in refused(capsys, *argv)
    assert snapshot(shop) == before


@pytest.mark.parametrize("port", ["70000", "0", "-1", "65536", "http"])
def test_ports_outside_1_to_65535_are_refused(
    capsys: pytest.CaptureFixture[str], port: str
) -> None:
    for command in ("serve", "demo"):
        line = refused(capsys, command, "--port", port)
        assert "argument --port" in line and ("1 to 65535" in line or "not a port" in line)


# --- 11.6: a refused book leaves no trace; an unknown specialist is said -------------------


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("2026-12-01T03:00", "not a bookable time"),  # before opening hours
        ("2026-12-02T10:00", "not a bookable time"),  # anna's day off, boris works Tuesdays
        ("2026-11-30T00:15", "not a bookable time"),  # within the minimum notice
    ],
)
def test_a_refused_book_creates_no_client(
    shop: str, capsys: pytest.CaptureFixture[str], start: str, message: str
) -> None:
    before = snapshot(shop)
    line = refused(capsys, *BOOK, "--start", start, "--name", "Jo", "--phone", "+4915123456789")
    assert message in line
    assert snapshot(shop) == before


def test_a_taken_slot_or_a_clash_creates_no_client(
    shop: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = [*BOOK, "--specialist", "anna", "--start", "2026-12-01T10:00"]
    assert run(capsys, *ok, "--name", "Ann", "--phone", "+4915100000001")[0] == 0
    before = snapshot(shop)
    assert "no longer free" in refused(capsys, *ok, "--name", "Bo", "--phone", "+4915100000002")
    assert snapshot(shop) == before
    clash = [*BOOK, "--specialist", "boris", "--start", "2026-12-01T10:00"]
    line = refused(capsys, *clash, "--name", "Ann Again", "--phone", "+49 151 00000001")
    assert "already have an appointment" in line
    assert snapshot(shop) == before  # nor was the name changed


def test_staff_bookings_of_one_phone_share_one_client(
    shop: str, capsys: pytest.CaptureFixture[str]
) -> None:
    book = [*BOOK, "--specialist", "anna", "--json"]
    for start, name in (("2026-12-01T09:00", "Jo"), ("2026-12-01T10:00", "Jo Smith")):
        assert (
            run(capsys, *book, "--start", start, "--name", name, "--phone", "0151 23456789")[0] == 0
        )
    clients = snapshot(shop)["clients"]
    assert len(clients) == 1
    assert {len(snapshot(shop)["bookings"])} == {2}
    assert "Jo Smith" in clients[0] and "staff:+4915123456789" in clients[0]


def test_bookings_of_an_unknown_specialist(shop: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(capsys, "bookings", "--specialist", "nobody") == (
        "slotbot: error: unknown specialist 'nobody'"
    )
    status, out, _ = run(capsys, "bookings", "--specialist", "anna")
    assert (status, out.strip()) == (0, "no bookings")


# --- 11.7: misconfiguration ----------------------------------------------------------------


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A clean slate of SLOTBOT_ settings (no .env), re-read by the next command."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLOTBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'ok.db'}")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SLOTBOT_ENVIRONMENT": "prod"},
         "SLOTBOT_ENVIRONMENT: input should be 'development', 'test' or 'production'"),
        ({"SLOTBOT_ENVIRONMENT": "production"},
         "SLOTBOT_SECRET_KEY is a placeholder: set SLOTBOT_SECRET_KEY to a random value"),
        ({"SLOTBOT_ENVIRONMENT": "production", "SLOTBOT_SECRET_KEY": "changeme"},
         "SLOTBOT_SECRET_KEY is a placeholder"),
        ({"SLOTBOT_ENVIRONMENT": "production", "SLOTBOT_SECRET_KEY": "a" * 32},
         "SLOTBOT_SECRET_KEY is too predictable"),
        ({"SLOTBOT_WEBHOOK_SECRET": "not allowed!"},
         "SLOTBOT_WEBHOOK_SECRET: may hold only A-Z, a-z, 0-9, _ and -"),
        ({"SLOTBOT_TRUSTED_PROXIES": "10.0.0.1"},
         "SLOTBOT_TRUSTED_PROXIES: cannot read the value; give a JSON list of proxy addresses"),
        ({"SLOTBOT_TRUSTED_PROXIES": '["proxy.internal"]'},
         "SLOTBOT_TRUSTED_PROXIES: 'proxy.internal' is not an IP address or network"),
        ({"SLOTBOT_ALLOWED_ORIGINS": "https://shop.example"},
         'SLOTBOT_ALLOWED_ORIGINS: cannot read the value; give a JSON list of origins'),
        ({"SLOTBOT_ALLOWED_ORIGINS": '"https://shop.example"'},
         "SLOTBOT_ALLOWED_ORIGINS: input should be a valid list"),
        ({"SLOTBOT_DATABASE_URL": "nonsense"}, "SLOTBOT_DATABASE_URL: not a database URL"),
        ({"SLOTBOT_DATABASE_URL": "mysql+aiomysql://u:hunter2@db/shop"},
         "SLOTBOT_DATABASE_URL: unsupported database driver 'mysql+aiomysql'"),
        ({"SLOTBOT_DATABASE_URL": "sqlite:///./slotbot.db"},
         "SLOTBOT_DATABASE_URL: unsupported database driver 'sqlite'"),
        ({"SLOTBOT_DATABASE_URL": "sqlite+aiosqlite:////no/such/folder/slotbot.db"},
         "SLOTBOT_DATABASE_URL: the folder /no/such/folder does not exist"),
        ({"SLOTBOT_DATABASE_URL": "postgresql+asyncpg://slotbot@127.0.0.1:1/shop"},
         "SLOTBOT_DATABASE_URL: cannot reach PostgreSQL at 127.0.0.1:1"),
        ({"SLOTBOT_PORT": "70000"}, "SLOTBOT_PORT: input should be less than or equal to 65535"),
        ({"SLOTBOT_IMPORT_MAX_BYTES": "lots"}, "SLOTBOT_IMPORT_MAX_BYTES: input should be"),
    ],
)  # fmt: skip
def test_misconfiguration_names_the_setting(
    environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variables: dict[str, str],
    message: str,
) -> None:
    for name, value in variables.items():
        environment.setenv(name, value)
    for command in (["init-db"], ["bookings"], ["worker"], ["serve"]):
        get_settings.cache_clear()
        line = refused(capsys, *command)
        assert line.startswith(f"slotbot: error: {message}"), line
        assert "hunter2" not in line


def test_a_driver_that_is_not_installed(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    find_spec = importlib.util.find_spec
    environment.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "asyncpg" else find_spec(name, *a),
    )
    environment.setenv("SLOTBOT_DATABASE_URL", "postgresql+asyncpg://db/shop")
    line = refused(capsys, "init-db")
    assert line == (
        "slotbot: error: SLOTBOT_DATABASE_URL: the asyncpg package is not installed: pip install it"
    )


def test_a_postgresql_database_that_does_not_exist(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy.engine import make_url

    from tests.conftest import NO_POSTGRES, POSTGRES_URL

    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    url = make_url(POSTGRES_URL).set(database="slotbot_no_such_database")
    environment.setenv("SLOTBOT_DATABASE_URL", url.render_as_string(hide_password=False))
    line = refused(capsys, "init-db")
    assert "the database 'slotbot_no_such_database' does not exist" in line
    assert "createdb slotbot_no_such_database" in line
