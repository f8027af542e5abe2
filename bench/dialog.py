"""Benchmark: simulated Telegram clients booking through the real bot, on SQLite.

Run: .venv/bin/python bench/dialog.py [--clients 200] [--loop uvloop|asyncio]

The real python-telegram-bot Application long-polls the loopback Bot API stand-in of the
tests (tests/bot/botapi.py, every request checked against the Bot API spec) over real HTTP;
the real dialog runs on a SQLite file with the demo clinic. All clients at once go /start ->
category -> service -> any available -> a day -> a time (the "taken" screen's first offer if
it went meanwhile) -> share contact -> confirm. Prints updates handled per second and the
p50/p95 latency from an update's arrival in the getUpdates queue to the bot's first reply
request for that chat, and how much of it the dialog's turns took. Targets: >= 150
updates/s, p95 <= 60 ms.

By default every client sends its next update as soon as it sees the reply (the most the
bot can handle; latency is then mostly queueing: 200 waiting clients over the throughput).
``--rate R`` paces all clients together to R updates/s, for the latency at a given load.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time as clock
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import import_file
from slotbot.core.settings import Settings
from slotbot.core.storage.db import create_engine
from slotbot.core.storage.schema import upgrade
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Event, Visitor
from slotbot.dialogs.screens import Reply
from tests.bot.botapi import TOKEN, BotApi
from tests.bot.harness import polling

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
CATEGORIES = 4  # Start shows the demo's four categories first (seven services)
SERVICES = 6  # spreads the clients over days as it did over the six services before
DOUBLE_BOOKINGS = """
SELECT count(*) FROM bookings a JOIN bookings b
  ON a.specialist_id = b.specialist_id AND a.id < b.id
 AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
WHERE a.status IN ('held', 'confirmed') AND b.status IN ('held', 'confirmed')
"""


class Pacer:
    """Spaces the clients' updates to ``rate`` per second in total (0: no spacing)."""

    def __init__(self, rate: float) -> None:
        self.gap = 1 / rate if rate else 0.0
        self.next = clock.perf_counter()

    async def turn(self) -> None:
        if self.gap:
            self.next = max(self.next + self.gap, clock.perf_counter())
            await asyncio.sleep(self.next - clock.perf_counter())


async def client(api: BotApi, n: int, pacer: Pacer) -> int:
    """One client books from /start to confirmed; returns the updates it sent."""
    chat = 10_000 + n
    api.person(chat, first_name=f"Client{n}")
    await pacer.turn()
    await api.send_text(chat, "/start")
    updates = 1
    for _ in range(20):
        screen = api.screen(chat)
        if not screen.text.startswith("You are booked"):
            await pacer.turn()
        if api.keyboards.get(chat):
            await api.send_contact(chat, f"+49151{n:08d}")
        elif screen.text.startswith("You are booked"):
            return updates
        else:
            await api.press(chat, screen.message_id, choose(screen.text, screen.buttons(), n))
        updates += 1
    raise RuntimeError(f"client {n} did not finish: {api.screen(chat).text!r}")


def choose(shown: str, buttons: list[tuple[str, str]], n: int) -> str:
    """The callback data this client presses on the screen ``shown``."""
    enabled = [(label, data) for label, data in buttons if not label.startswith("·")]
    if shown.startswith("What would you like to book?"):  # the categories
        return enabled[n % CATEGORIES][1]
    if ": what would you like to book?" in shown:  # a category's services
        services = [data for label, data in enabled if " · " in label]
        return services[(n // CATEGORIES) % len(services)]
    if "pick a day" in shown:
        days = [data for label, data in enabled if label.isdigit()]
        return days[(n // SERVICES) % len(days)]
    if "pick a time" in shown:
        times = [data for label, data in enabled if label[:1].isdigit()]
        return times[(n // 3) % len(times)]
    if "check your booking" in shown:
        return next(data for label, data in enabled if label.startswith("✅"))
    return enabled[0][1]  # any available; the first time offered instead of a taken one


class TimedDialogs:
    """The dialog, timing each turn (to tell the dialog's share from the bot's)."""

    def __init__(self, dialogs: Dialogs) -> None:
        self.dialogs = dialogs
        self.turns: list[float] = []

    async def respond(
        self, visitor: Visitor, event: Event, *, now: datetime | None = None
    ) -> Reply:
        started = clock.perf_counter()
        try:
            return await self.dialogs.respond(visitor, event, now=now)
        finally:
            self.turns.append(clock.perf_counter() - started)


async def prepare(path: Path) -> AsyncEngine:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    await import_file(engine, DEMO_FILE)
    return engine


async def main(clients: int, rate: float) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        engine = await prepare(Path(folder) / "bench.db")
        api = BotApi()
        await api.start()
        settings = Settings(telegram_token=TOKEN, telegram_api_url=api.url)
        try:
            dialogs = TimedDialogs(Dialogs(engine, clock=lambda: NOW))
            async with polling(settings, api, dialogs):
                await api.send_text(1, "/start")  # warm up: catalogs, first queries
                api.latencies.clear()
                dialogs.turns.clear()
                started = clock.perf_counter()
                pacer = Pacer(rate)
                sent = await asyncio.gather(*(client(api, n, pacer) for n in range(clients)))
                elapsed = clock.perf_counter() - started
            async with engine.connect() as connection:
                confirmed = (
                    await connection.execute(
                        text("SELECT count(*) FROM bookings WHERE status = 'confirmed'")
                    )
                ).scalar_one()
                doubles = (await connection.execute(text(DOUBLE_BOOKINGS))).scalar_one()
        finally:
            await api.stop()
            await engine.dispose()
    report(clients, sum(sent), elapsed, api, confirmed, doubles)
    turns = statistics.quantiles(dialogs.turns, n=100)
    print(f"of which Dialogs.respond: p50 {turns[49] * 1000:.1f} ms, p95 {turns[94] * 1000:.1f} ms"
          f" ({sum(dialogs.turns) / elapsed:.1f} turns in flight on average)")  # fmt: skip


def report(
    clients: int, updates: int, elapsed: float, api: BotApi, confirmed: int, doubles: int
) -> None:
    cuts = statistics.quantiles(api.latencies, n=100)
    rate = updates / elapsed
    print(f"{clients} clients, {updates} updates in {elapsed:.2f} s: {rate:.0f} updates/s")
    print(f"latency (update queued -> first reply request): p50 {cuts[49] * 1000:.1f} ms, "
          f"p95 {cuts[94] * 1000:.1f} ms, max {max(api.latencies) * 1000:.1f} ms")  # fmt: skip
    print(f"confirmed bookings: {confirmed}; overlapping live bookings: {doubles}")
    print(f"Bot API violations: {len(api.violations)}")
    for problem in api.violations[:5]:
        print(f"  {problem}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument(
        "--rate", type=float, default=0,
        help="offer this many updates/s in total (latency at a given load); 0: all at once",
    )  # fmt: skip
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    args = parser.parse_args()
    print(f"event loop: {args.loop}")
    if args.loop == "uvloop":
        import uvloop

        uvloop.run(main(args.clients, args.rate))
    else:
        asyncio.run(main(args.clients, args.rate))
