"""Benchmark: what one dialog turn costs, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/turns.py [--walks 60] [--postgres [URL]] [--instructions]

Clients walk a booking one after another through the real dialog (``Dialogs.respond``) on
the demo clinic: /start -> category -> service -> a specialist -> "Soonest" -> share a
contact -> confirm (seven turns). Prints, per turn: the CPU time of the process (so it holds
on a noisy machine), the SQL statements sent (SQLAlchemy's ``before_cursor_execute``; the
BEGIN/COMMIT/ROLLBACK of a transaction are not statements there; those sent straight to
asyncpg are counted too) and the transactions begun (SQLAlchemy's ``begin`` events; on
PostgreSQL the BEGINs asyncpg sends), for the walk as a whole and for the turn that holds
(the "Soonest" press) and the one that confirms. PostgreSQL runs with ``--postgres`` (the
server's URL, or SLOTBOT_TEST_POSTGRES_URL); it creates a database of its own and drops it.

Measured on a loaded 2-core machine (60 walks; issue 18, one unit of work per turn), per
turn on SQLite / PostgreSQL: before, 7.1 / 5.5-6.5 ms CPU, 5.6 / 5.8 statements, 3.64
transactions (5.47 on the turn that holds); after, 6.5-6.8 / 4.7-5.0 ms CPU, 6.7 / 7.0
statements (a savepoint around each write), 2 / 1 transactions on every turn. Later, on a
quiet machine (no savepoint where a refusal writes nothing, SQLite's write begun in one trip):
6.5-9.6 / 6.1-6.9 ms CPU before, 4.7-6.0 / 5.2-5.6 ms after, 4.8 / 5.1 statements, 1 / 1
transactions per turn. Then (one locking statement per hold, clients and the summary's
reads in Core, release as one UPDATE, whose busy time changed read with the session; a
loaded machine, medians of 5 alternating runs): every turn 2.70 / 2.69 ms -> 2.42 / 2.23
ms CPU and 4.8 / 5.1 -> 3.7 / 3.8 statements; the hold 4.17 / 3.28 -> 2.71 / 2.85 ms and
5.9 / 6.9 -> 5.9 / 5.4 statements; the confirm 3.42 / 3.72 -> 3.02 / 3.18 ms and
7.0 / 8.0 -> 5.0 / 6.0 statements.

``--instructions`` counts instructions per turn under callgrind instead (the same on a busy
machine). Statements counted include those sent straight to asyncpg (``storage.direct``),
and on PostgreSQL the transactions are the BEGINs asyncpg sends (a unit of work reads
without one). On a quiet 2-core machine, SQLite / PostgreSQL, million instructions per turn:
6.29 / 5.68 at 6b895eb, 5.36 / 3.94 after the reads without a transaction, the session
through asyncpg and the statements above; statements 4.8 / 5.1 -> 3.7 / 3.8, BEGINs on
PostgreSQL 1 -> 0.57 per turn.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time as clock
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from databases import own_database
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.db import create_engine
from slotbot.core.storage.schema import upgrade
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Event
from slotbot.dialogs.screens import Expect, Reply
from tests.dialogs.chat import Chat, load_demo

SPECIALISTS = {"Haircut": ("Anna Petrova", "Any available"), "GP consultation": ("Any available",)}


class Counted:
    """Statements and transactions on one engine, and CPU per kind of turn."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.statements = self.transactions = 0
        self.by_turn: Counter[str] = Counter()
        self.cpu: Counter[str] = Counter()
        self.sql: Counter[str] = Counter()
        self.begun: Counter[str] = Counter()
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        if engine.dialect.driver == "asyncpg":  # the BEGINs sent: a unit reads without one
            _on_asyncpg_begin()
            ASYNCPG_BEGINS.append(self)
        else:
            event.listen(engine.sync_engine, "begin", self._begin)

    def _statement(self, *_: Any) -> None:
        self.statements += 1

    def _begin(self, *_: Any) -> None:
        self.transactions += 1

    @asynccontextmanager
    async def turn(self, kind: str) -> AsyncIterator[None]:
        statements, transactions = self.statements, self.transactions
        started = clock.process_time()
        yield
        self.cpu[kind] += clock.process_time() - started
        self.by_turn[kind] += 1
        self.sql[kind] += self.statements - statements
        self.begun[kind] += self.transactions - transactions


#: Who counts what goes past SQLAlchemy's events on asyncpg: the BEGINs asyncpg sends
#: (SQLAlchemy's ``begin`` event also fires for a unit of work that reads, and writes one
#: statement, without a transaction: it sends none) and the statements sent straight to
#: asyncpg (``storage.direct``).
ASYNCPG_BEGINS: list[Counted] = []


def _on_asyncpg_begin() -> None:
    """Count each BEGIN and each direct statement, for :data:`ASYNCPG_BEGINS` (patched once)."""
    import asyncpg.transaction

    from slotbot.core.storage.direct import DirectStatement

    start = asyncpg.transaction.Transaction.start
    if getattr(start, "counted", False):
        return

    async def begin(self: Any) -> None:
        for counter in ASYNCPG_BEGINS:
            counter._begin()
        await start(self)

    def statement(run: Any) -> Any:
        async def counted(*args: Any) -> Any:
            for counter in ASYNCPG_BEGINS:
                counter._statement()
            return await run(*args)

        return counted

    begin.counted = True  # type: ignore[attr-defined]
    asyncpg.transaction.Transaction.start = begin  # type: ignore[method-assign]
    DirectStatement.fetchrow = statement(DirectStatement.fetchrow)  # type: ignore[method-assign]
    DirectStatement.execute = statement(DirectStatement.execute)  # type: ignore[method-assign]


class TimedChat(Chat):
    counted: Counted
    kind: str = "other"

    async def send(self, event: Event) -> Reply:
        async with self.counted.turn(self.kind):
            return await super().send(event)


async def walk(chat: TimedChat, n: int) -> None:
    service = ("Haircut", "GP consultation")[n % 2]
    specialist = SPECIALISTS[service][n // 2 % len(SPECIALISTS[service])]
    chat.kind = "walk"
    await chat.start()
    await chat.choose_service(service)
    await chat.press(specialist)
    chat.kind = "hold"
    await chat.press("Soonest")
    chat.kind = "walk"
    if chat.screen is not None and chat.screen.expects == Expect.PHONE:
        await chat.share(f"+4915123{n:06d}")
    chat.kind = "confirm"
    await chat.press("✅")
    assert "You are booked" in chat.text, chat.text


async def run(label: str, engine: AsyncEngine, walks: int) -> None:
    await load_demo(engine)
    dialogs = Dialogs(engine)
    counted = Counted(engine)
    for n in range(-5, walks):  # the first five warm the caches up and are not counted
        chat = TimedChat(dialogs, Chat.new(engine, str(100_000 + n + 5)).visitor)
        chat.counted = counted if n >= 0 else Counted(engine)
        await walk(chat, n + 5)
    kinds = ("walk", "hold", "confirm")
    turns = sum(counted.by_turn[k] for k in kinds)
    total = (sum(counted.cpu.values()), sum(counted.sql.values()), sum(counted.begun.values()))
    print(f"{label}: {walks} booking walks, {turns} turns")
    print(f"  every turn:   {total[0] / turns * 1000:6.2f} ms CPU, {total[1] / turns:5.1f} "
          f"statements, {total[2] / turns:4.2f} transactions per turn")  # fmt: skip
    for kind in ("hold", "confirm"):
        n = counted.by_turn[kind]
        print(f"  {kind:8} turn: {counted.cpu[kind] / n * 1000:6.2f} ms CPU, "
              f"{counted.sql[kind] / n:5.1f} statements, {counted.begun[kind] / n:4.2f} "
              "transactions")  # fmt: skip


@asynccontextmanager
async def migrated(server: str | None) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated database of the bench's own (``databases.own_database``)."""
    with tempfile.TemporaryDirectory() as folder:
        async with own_database(server, Path(folder)) as url:
            engine = create_engine(url)
            try:
                await upgrade(engine)
                yield engine
            finally:
                await engine.dispose()


async def main(walks: int, postgres_url: str, only: str = "") -> None:
    if only != "postgres":
        async with migrated(None) as engine:
            await run("SQLite", engine, walks)
    if postgres_url and only != "sqlite":
        async with migrated(postgres_url) as engine:
            await run("PostgreSQL", engine, walks)


#: Walks of the two runs under callgrind whose difference ``--instructions`` divides by
#: their turns (what both share, Python's start, the migration and the demo, drops out).
INSTRUCTION_WALKS = (5, 25)


def instructions(postgres_url: str, only: str = "") -> None:
    """Instructions per turn, counted by valgrind's callgrind: the same count however busy
    the machine is (CPU time is not), for comparing two versions of the code. Slow: about
    two minutes per database."""
    if shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    for database, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        if (database == "postgres" and not postgres_url) or only not in ("", database):
            continue
        counts, turns = [], []
        for walks in INSTRUCTION_WALKS:
            command = [
                "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                __file__, "--walks", str(walks), "--only", database, "--postgres", postgres_url,
            ]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.exit(f"{label}, {walks} walks under valgrind failed:\n{done.stderr[-3000:]}")
            counts.append(int(re.findall(r"Collected : (\d+)", done.stderr)[-1]))
            turns.append(int(re.findall(r"(\d+) turns", done.stdout)[-1]))
        n = turns[1] - turns[0]
        print(f"{label}: {(counts[1] - counts[0]) / n / 1e6:.2f} million instructions per turn "
              f"(callgrind, the difference of {n} turns)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walks", type=int, default=60)
    parser.add_argument(
        "--postgres", nargs="?", const=os.environ.get("SLOTBOT_TEST_POSTGRES_URL", ""), default=""
    )
    parser.add_argument("--only", choices=["sqlite", "postgres"], default="")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions per turn (valgrind)"
    )
    args = parser.parse_args()
    if args.postgres == "" and "--postgres" in sys.argv and not args.only:
        parser.error("--postgres needs a URL or SLOTBOT_TEST_POSTGRES_URL")
    if args.instructions:
        instructions(args.postgres, args.only)
    else:
        asyncio.run(main(args.walks, args.postgres, args.only))
