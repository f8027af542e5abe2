"""Benchmark: the outbox dispatcher delivering to the loopback stand-ins.

Run: .venv/bin/python bench/notify.py [--postgres URL] [--messages N] [--telegram N]

1. Throughput: N (default 10,000) due notifications, half SMS to the HTTP SMS stand-in and
   half e-mail to an aiosmtpd server, dispatched by one dispatcher; prints messages/s and
   checks that every message arrived exactly once. On SQLite and, when --postgres or
   SLOTBOT_TEST_POSTGRES_URL gives a server, on PostgreSQL (a database of its own, dropped
   afterwards).
2. Telegram under its limit: --telegram (default 600) chat messages, one per chat, through
   the real python-telegram-bot Bot to the Bot API stand-in, which here answers 429 to any
   sendMessage beyond 30 in a sliding second; prints the achieved rate and the 429s.

Targets: >= 500 messages/s without a rate limit; >= 27/s and no 429 under the 30/s limit.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import os
import sys
import tempfile
import time as clock
import uuid
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot

from slotbot.bot import TelegramSender
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.notify.email import EmailSender
from slotbot.core.notify.sms import SmsSender
from slotbot.core.storage.db import create_engine
from slotbot.core.storage.models import Notification
from slotbot.core.storage.schema import upgrade
from tests.bot.botapi import TOKEN, BotApi
from tests.core.notify.standins import SmsStandIn, SmtpStandIn
from tests.core.notify.test_dispatch import book
from tests.core.shop import NOW, build_shop, new_client


class LimitedBotApi(BotApi):
    """The stand-in, enforcing 30 sendMessage calls in any sliding second."""

    limit = 30

    def __post_init__(self) -> None:
        super().__post_init__()
        self.recent: collections.deque[float] = collections.deque()
        self.too_many = 0

    async def _api_sendMessage(self, values: dict[str, Any]) -> Any:
        now = clock.monotonic()
        while self.recent and now - self.recent[0] >= 1.0:
            self.recent.popleft()
        if len(self.recent) >= self.limit:
            self.too_many += 1
            return 429, {"ok": False, "error_code": 429,
                         "description": "Too Many Requests: retry after 1",
                         "parameters": {"retry_after": 1}}  # fmt: skip
        self.recent.append(now)
        return await super()._api_sendMessage(values)


async def rows(engine: AsyncEngine, booking_id: int, recipients: list[tuple[str, str]]) -> None:
    values = [
        {"booking_id": booking_id, "kind": "reminder_24h", "channel": channel, "recipient": to,
         "payload": {}, "due_at": NOW, "next_attempt_at": NOW, "status": "pending",
         "attempts": 0, "dedupe_key": f"bench:{channel}:{to}", "created_at": NOW}
        for channel, to in recipients
    ]  # fmt: skip
    async with engine.begin() as connection:
        for start in range(0, len(values), 1000):
            await connection.execute(insert(Notification), values[start : start + 1000])


async def prepared(url: str) -> tuple[AsyncEngine, int]:
    engine = (
        create_engine(url, pool_size=20) if not url.startswith("sqlite") else create_engine(url)
    )
    await upgrade(engine)
    shop = await build_shop(engine)
    booked = await book(engine, shop, await new_client(engine, 1, contacts=False))
    async with engine.begin() as connection:  # the booking's own rows are not measured
        await connection.execute(text("DELETE FROM notifications"))
    return engine, booked.id


def serve_stand_ins(pipe: Connection) -> None:
    """In a process of its own (so the stand-ins do not share the dispatcher's GIL): serve
    the SMS and SMTP stand-ins until told to stop, then report who got what."""
    sms, smtp = SmsStandIn().start(), SmtpStandIn().start()
    pipe.send((sms.url, sms.sid, sms.token, smtp.port))
    pipe.recv()
    received = [m["To"] for m in sms.messages] + [r for m in smtp.mails for r in m.recipients]
    pipe.send((len(sms.messages), len(smtp.mails), received))
    sms.stop()
    smtp.stop()


async def throughput(url: str, label: str, count: int) -> None:
    engine, booking_id = await prepared(url)
    pipe, child_end = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(
        target=serve_stand_ins, args=(child_end,), daemon=True
    )
    server.start()
    sms_url, sid, token, smtp_port = await asyncio.to_thread(pipe.recv)
    try:
        half = count // 2
        recipients = [("sms", f"+4917{n:09d}") for n in range(half)]
        recipients += [("email", f"user{n}@mail.test") for n in range(count - half)]
        await rows(engine, booking_id, recipients)
        sender = SmsSender(api_url=sms_url, account_sid=sid, auth_token=token,
                           sender="+15550001111")  # fmt: skip
        email = EmailSender(host="127.0.0.1", port=smtp_port, sender="shop@shop.test")
        dispatcher = Dispatcher(engine, {"sms": sender, "email": email}, batch=500,  # type: ignore[dict-item]
                                concurrency=64)  # fmt: skip
        started = clock.perf_counter()
        tally = await dispatcher.drain(now=NOW)
        elapsed = clock.perf_counter() - started
        await dispatcher.aclose()
        pipe.send("stop")
        sms_count, mail_count, received = await asyncio.to_thread(pipe.recv)
        arrived = collections.Counter(received)
        twice = sum(1 for n in arrived.values() if n > 1)
        print(f"{label}: {tally.sent} of {count} sent in {elapsed:.1f} s = "
              f"{tally.sent / elapsed:.0f} messages/s (SMS {sms_count}, e-mail "
              f"{mail_count}; retried {tally.retried}, failed {tally.failed}, "
              f"delivered twice {twice}, missing {count - len(arrived)})", flush=True)  # fmt: skip
    finally:
        server.join(timeout=10)
        await engine.dispose()


async def telegram(url: str, count: int) -> None:
    engine, booking_id = await prepared(url)
    api = LimitedBotApi()
    await api.start()
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    bot = Bot(TOKEN, base_url=api.url)
    await bot.initialize()
    try:
        await rows(engine, booking_id, [("telegram", str(10_000 + n)) for n in range(count)])
        dispatcher = Dispatcher(engine, {"telegram": TelegramSender(bot)}, batch=100,  # type: ignore[dict-item]
                                concurrency=16)  # fmt: skip
        started = clock.perf_counter()
        sent = 0
        while sent < count:  # retries (after a 429) come due a second later: follow them
            moment = NOW + timedelta(seconds=clock.perf_counter() - started)
            sent += (await dispatcher.drain(now=moment)).sent
            if sent < count:
                await asyncio.sleep(0.05)
        elapsed = clock.perf_counter() - started
        delivered = len(api.sent("sendMessage")) - api.too_many
        print(f"telegram under 30/s: {delivered} messages in {elapsed:.1f} s = "
              f"{delivered / elapsed:.1f} messages/s; 429 answers: {api.too_many}; "
              f"spec violations: {len(api.violations)}", flush=True)  # fmt: skip
    finally:
        await bot.shutdown()
        await api.stop()
        await engine.dispose()


async def postgres_database(server: str) -> tuple[str, str]:
    name = f"slotbot_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return name, make_url(server).set(database=name).render_as_string(hide_password=False)


async def drop(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("SLOTBOT_TEST_POSTGRES_URL", ""))
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--telegram", type=int, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        await throughput(f"sqlite+aiosqlite:///{folder}/bench.db", "SQLite", args.messages)
        if args.telegram:
            await telegram(f"sqlite+aiosqlite:///{folder}/telegram.db", args.telegram)
    if args.postgres:
        name, url = await postgres_database(args.postgres)
        try:
            await throughput(url, "PostgreSQL", args.messages)
        finally:
            await drop(args.postgres, name)
    else:
        print("PostgreSQL: skipped (no --postgres or SLOTBOT_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    asyncio.run(main())
