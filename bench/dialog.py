"""Benchmark: simulated Telegram clients booking through the real bot.

Run: .venv/bin/python bench/dialog.py [--clients 200] [--rate R] [--loop uvloop|asyncio]
     .venv/bin/python bench/dialog.py --postgres [URL] --processes 2 [--rate 150]

**In one process, on SQLite** (the default):
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

**Through the webhook of N ``slotbot serve`` processes on PostgreSQL** (``--postgres``, the
server's URL or SLOTBOT_TEST_POSTGRES_URL): real ``slotbot serve`` processes, each on a port of
its own, on a new database with the demo clinic, Telegram's updates POSTed to their webhooks
in turn (as a load balancer would) and their answers going to the stand-in. First one
process, then ``--processes N`` in the same run, each twice: all clients at once (the most
it handles), then paced to ``--rate`` updates/s (default 150). Each load has new processes
on a new database (the paced clients would find the first load's days booked full). Prints
for each the CPU time our server processes spent per update (read from /proc: it holds on a
shared, noisy machine where updates/s does not), updates/s, the latency from the POST to the
first reply request (p50/p95), and the ratios of N processes to one. Targets (issue 18):
<= 4 ms CPU per update, >= 250 updates/s through two processes on a quiet machine, p95 <= 30
ms at 150 updates/s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import secrets
import statistics
import sys
import tempfile
import time as clock
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import aiohttp

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
from tests.cli.served import Served

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


class Updates(Protocol):
    """How a client's updates reach the bot; each call returns once the bot has answered."""

    async def send_text(self, chat: int, text: str) -> Any: ...
    async def send_contact(self, chat: int, phone: str) -> Any: ...
    async def press(self, chat: int, message_id: int, data: str) -> Any: ...


async def client(api: BotApi, n: int, pacer: Pacer, via: Updates, chat: int) -> int:
    """One client books from /start to confirmed; returns the updates it sent."""
    api.person(chat, first_name=f"Client{n}")
    await pacer.turn()
    await via.send_text(chat, "/start")
    updates = 1
    for _ in range(20):
        screen = api.screen(chat)
        if not screen.text.startswith("You are booked"):
            await pacer.turn()
        if api.keyboards.get(chat):
            await via.send_contact(chat, f"+49151{n:08d}")
        elif screen.text.startswith("You are booked"):
            return updates
        else:
            await via.press(chat, screen.message_id, choose(screen.text, screen.buttons(), n))
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
        self.turns_at_once = dialogs.turns_at_once

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
                sent = await asyncio.gather(
                    *(client(api, n, pacer, api, 10_000 + n) for n in range(clients))
                )
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


# --- through the webhooks of slotbot serve processes on PostgreSQL --------------------------

WEBHOOK_SECRET = "bench-webhook-secret-0123456789"
SESSIONS_OPENED = "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _shown(api: BotApi, chat: int) -> tuple[int, str, int] | None:
    """The chat's newest message with buttons, as it looks now."""
    screens = [m for m in api.chat(chat) if m.buttons()]
    return (screens[-1].message_id, screens[-1].text, screens[-1].edits) if screens else None


class Webhooks:
    """Updates POSTed to the webhooks of ``servers`` in turn. No code of ours runs in those
    processes to say when the bot is done with an update, so a call returns once the chat
    shows a new screen (and, where the screen asks for the phone, the contact keyboard)."""

    def __init__(self, api: BotApi, servers: list[Served], http: aiohttp.ClientSession) -> None:
        self.api = api
        self.http = http
        self.servers = itertools.cycle(servers)
        self.stalls = 0
        self.retries = 0

    async def send_text(self, chat: int, text: str) -> None:
        await self._post(chat, self.api.text_update(chat, text))

    async def send_contact(self, chat: int, phone: str) -> None:
        await self._post(chat, self.api.contact_update(chat, phone))

    async def press(self, chat: int, message_id: int, data: str) -> None:
        await self._post(chat, self.api.press_update(chat, message_id, data))

    async def _post(self, chat: int, update: dict[str, Any]) -> None:
        before = _shown(self.api, chat)
        self.api.expect_reply(chat)
        server = next(self.servers)
        for attempt in range(3):  # as Telegram does: again when the connection failed
            try:
                async with self.http.post(
                    f"{server.url}/telegram/webhook",
                    json=update,
                    headers={SECRET_HEADER: WEBHOOK_SECRET},
                ) as answer:
                    status, body = answer.status, await answer.read()
                break
            except aiohttp.ClientConnectionError:  # a kept-alive connection the server closed
                if attempt == 2:
                    raise
                self.retries += 1
        if status != 200:
            raise RuntimeError(f"webhook answered {status}:\n{server.log()[-3000:]}")
        await self.api.webhook_answer(json.loads(body))  # as Telegram does: its call is made

        def answered() -> bool:
            if _shown(self.api, chat) == before:
                return False
            return "phone number" not in self.api.screen(chat).text or bool(
                self.api.keyboards.get(chat)
            )

        try:
            await self.api.until(answered, chat=chat)
        except TimeoutError:
            self.stalls += 1


@dataclass
class Run:
    """One load on the servers: what was sent, how long it took, what it cost them."""

    updates: int
    seconds: float
    cpu_seconds: float
    latencies: list[float]
    stalls: int
    bench_cpu_seconds: float  # the clients and the Bot API stand-in, in this process

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / self.updates * 1000

    def line(self, label: str) -> str:
        from bench.processes import percentiles

        p50, p95, top = (x * 1000 for x in percentiles(self.latencies))
        stalls = f", {self.stalls} answers not seen within 15 s" if self.stalls else ""
        bench = self.bench_cpu_seconds / self.updates * 1000
        return (
            f"  {label}: {self.updates} updates in {self.seconds:.1f} s = {self.rate:.0f}/s; "
            f"CPU of the serve processes {self.cpu_ms:.2f} ms per update "
            f"({self.cpu_seconds:.1f} s in all; the bench's clients and stand-in {bench:.2f} "
            f"ms); latency p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {top:.0f} ms{stalls}"
        )


async def load(
    api: BotApi, servers: list[Served], clients: int, rate: float, first_chat: int
) -> Run:
    """``clients`` clients book through the servers' webhooks, all at once or paced."""
    from bench.processes import cpu_seconds

    pids = [s.pid for s in servers]
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        via = Webhooks(api, servers, http)
        for n, _ in enumerate(servers):  # warm up: each process loads its catalog, pool
            for k in range(3):
                await via.send_text(first_chat - 1 - n * 3 - k, "/start")
        api.latencies.clear()
        spent, started, own = cpu_seconds(pids), clock.perf_counter(), clock.process_time()
        pacer = Pacer(rate)
        sent = await asyncio.gather(
            *(client(api, n, pacer, via, first_chat + n) for n in range(clients))
        )
        elapsed, spent = clock.perf_counter() - started, cpu_seconds(pids) - spent
        own = clock.process_time() - own
    return Run(sum(sent), elapsed, spent, list(api.latencies), via.stalls, own)


async def _serve_load(
    server: str, api: BotApi, count: int, clients: int, rate: float, first_chat: int
) -> tuple[Run, int, int]:
    """One load through ``count`` new serve processes on a new demo database; the run, the
    overlapping live bookings after it and the connections the servers opened."""
    from bench.processes import demo_postgres, serve_processes

    async with demo_postgres(server) as url:
        with tempfile.TemporaryDirectory() as folder:
            async with serve_processes(
                count, Path(folder), database_url=url,
                secret_key=secrets.token_urlsafe(32), telegram_token=TOKEN,
                telegram_api_url=api.url, public_url="https://bench.example",
                webhook_secret=WEBHOOK_SECRET,
            ) as servers:  # fmt: skip
                run = await load(api, servers, clients, rate, first_chat)
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                doubles = (await connection.execute(text(DOUBLE_BOOKINGS))).scalar_one()
                sessions = (await connection.execute(text(SESSIONS_OPENED))).scalar_one()
        finally:
            await engine.dispose()
    return run, doubles, sessions


async def webhooks_main(server: str, processes: int, clients: int, rate: float) -> None:
    from bench.processes import ratio

    logging.basicConfig(level=logging.WARNING)
    api = BotApi()
    await api.start()
    runs: dict[int, tuple[Run, Run | None]] = {}
    print(f"{os.cpu_count()} CPUs; {clients} clients; slotbot serve processes on PostgreSQL, "
          "updates POSTed to their webhooks in turn")  # fmt: skip
    try:
        for count in sorted({1, processes}):
            saturated, doubles, sessions = await _serve_load(
                server, api, count, clients, 0, 100_000 * count
            )
            paced = None
            if rate:  # on a database of its own: the first load booked its days full
                paced, paced_doubles, _ = await _serve_load(
                    server, api, count, clients, rate, 100_000 * count + 50_000
                )
                doubles += paced_doubles
            runs[count] = (saturated, paced)
            print(f"{count} process{'es' if count > 1 else ''}:")
            print(saturated.line("all clients at once"))
            if paced is not None:
                print(paced.line(f"offered {rate:.0f} updates/s"))
            print(f"  overlapping live bookings: {doubles}; connections opened to the database "
                  f"in the first load: {sessions}")  # fmt: skip
    finally:
        await api.stop()
    print(f"Bot API violations: {len(api.violations)}")
    for problem in api.violations[:5]:
        print(f"  {problem}")
    if processes > 1:
        (one, one_paced), (many, many_paced) = runs[1], runs[processes]
        print(f"{processes} processes against 1: updates/s {ratio(many.rate, one.rate)}, "
              f"CPU per update {ratio(many.cpu_ms, one.cpu_ms)}"
              + (f", CPU per update at {rate:.0f}/s "
                 f"{ratio(many_paced.cpu_ms, one_paced.cpu_ms)}"
                 if one_paced and many_paced else ""))  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument(
        "--rate", type=float, default=None,
        help="offer this many updates/s in total (latency at a given load); 0: all at once "
        "(the default in one process; through webhooks, 150 after the run with all at once)",
    )  # fmt: skip
    parser.add_argument(
        "--postgres", nargs="?", const=os.environ.get("SLOTBOT_TEST_POSTGRES_URL", ""),
        help="through the webhooks of slotbot serve processes on this PostgreSQL server",
    )  # fmt: skip
    parser.add_argument("--processes", type=int, default=2, help="with --postgres: how many")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    args = parser.parse_args()
    if args.postgres == "":
        parser.error("--postgres needs a server URL (or SLOTBOT_TEST_POSTGRES_URL)")
    print(f"event loop: {args.loop}")
    run_loop = asyncio.run
    if args.loop == "uvloop":
        import uvloop

        run_loop = uvloop.run
    if args.postgres:
        rate = 150.0 if args.rate is None else args.rate
        run_loop(webhooks_main(args.postgres, args.processes, args.clients, rate))
    else:
        run_loop(main(args.clients, args.rate or 0))
