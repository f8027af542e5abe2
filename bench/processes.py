"""What the benchmarks that run ``slotbot serve`` processes share: a PostgreSQL database of
their own with the demo clinic, the processes themselves (started as an operator starts
them, by ``tests/cli/served.py``), the CPU time they spend (from ``/proc``: it holds on
a shared, noisy machine where requests per second do not), and figures side by side.
"""

from __future__ import annotations

import os
import statistics
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import import_file
from slotbot.core.storage.db import create_engine
from slotbot.core.storage.schema import upgrade
from tests.cli.served import Served, serving

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@asynccontextmanager
async def demo_postgres(server: str) -> AsyncIterator[str]:
    """A new database on the PostgreSQL ``server`` with the demo clinic, dropped after."""
    name = f"slotbot_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        try:
            engine = create_engine(url)
            try:
                await upgrade(engine)
                await import_file(engine, DEMO_FILE)
            finally:
                await engine.dispose()
            yield url
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@asynccontextmanager
async def serve_processes(
    count: int, folder: Path, *args: str, **settings: str
) -> AsyncIterator[list[Served]]:
    """``count`` ``slotbot serve ARGS`` processes, each on a loopback port of its own."""
    async with AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(serving(folder, *args, **settings))
            for _ in range(count)
        ]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def process_tree(pids: Sequence[int]) -> list[int]:
    """The processes and their children (``--workers``: uvicorn's worker processes)."""
    found = list(pids)
    for pid in pids:
        found += process_tree(_children(pid))
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """User and system CPU time the processes (and their children) spent so far."""
    total = 0
    for pid in process_tree(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLOCK_TICKS


def percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95 and the maximum of ``values``."""
    cuts = statistics.quantiles(values, n=100)
    return cuts[49], cuts[94], max(values)


def ratio(value: float, base: float) -> str:
    return f"x{value / base:.2f}" if base else "-"
