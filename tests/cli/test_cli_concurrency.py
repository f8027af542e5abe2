"""Issue 11.9-11.10: ``slotbot`` processes started at once on one database, as deploy hooks
and staff do: they take turns and all succeed; one phone is one client (SQLite and
PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.cli.test_cli_refusals import snapshot
from tests.conftest import NO_POSTGRES, POSTGRES_URL, _admin

CLI = [sys.executable, "-m", "slotbot.cli"]
NOW = "2026-11-30T00:00:00Z"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database that does not exist yet (SQLite) or is empty (PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    name = f"slotbot_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def at_once(url: str, *commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Start every command as a process of its own at the same moment; wait for all."""
    env = {**os.environ, "SLOTBOT_DATABASE_URL": url}
    processes = [
        subprocess.Popen(
            [*CLI, *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for argv in commands
    ]
    done = []
    for process, argv in zip(processes, commands, strict=True):
        out, err = process.communicate(timeout=180)
        done.append(subprocess.CompletedProcess(argv, process.returncode, out, err))
    return done


def test_init_db_and_imports_started_at_once_take_turns(fresh_url: str, shop_file: Path) -> None:
    runs = at_once(fresh_url, *[["init-db"]] * 4)
    assert [r.returncode for r in runs] == [0] * 4, [r.stderr for r in runs]
    assert {r.stdout.strip() for r in runs} == {"database is at the newest schema"}

    runs = at_once(fresh_url, *[["import", str(shop_file)]] * 4)
    assert [r.returncode for r in runs] == [0] * 4, [r.stderr for r in runs]
    outcomes = sorted(r.stdout.split(":")[0] for r in runs)
    assert outcomes == ["imported", "nothing to change", "nothing to change", "nothing to change"]
    tables = snapshot(fresh_url)
    assert (len(tables["services"]), len(tables["specialists"])) == (2, 2)


def test_one_new_phone_booked_ten_times_at_once_is_one_client(
    fresh_url: str, shop_file: Path
) -> None:
    """Ten staff book one new phone at once for overlapping times with different
    specialists: one client row, and that person holds one appointment, not several."""
    for argv in (["init-db"], ["import", str(shop_file)]):
        assert at_once(fresh_url, argv)[0].returncode == 0
    book = ["book", "--service", "haircut", "--now", NOW, "--phone", "+49 151 23456789"]
    commands = [
        [*book, "--name", f"Caller {n}", "--specialist", ("anna", "boris")[n % 2],
         "--start", ("2026-12-01T10:00", "2026-12-01T10:00", "2026-12-01T11:00")[n % 3]]
        for n in range(10)
    ]  # fmt: skip
    runs = at_once(fresh_url, *commands)
    booked = [r for r in runs if r.returncode == 0]
    refused = [r for r in runs if r.returncode != 0]
    assert all(r.returncode == 2 and r.stderr.count("\n") == 1 for r in refused), [
        r.stderr for r in refused
    ]
    assert all("Traceback" not in r.stderr for r in runs)
    tables = snapshot(fresh_url)
    assert len(tables["clients"]) == 1
    live = [b for b in tables["bookings"] if "confirmed" in b or "held" in b]
    assert len(live) == len(booked) >= 1
    # the one person's appointments do not overlap: 10:00 and 11:00 at most
    assert len(booked) <= 2
