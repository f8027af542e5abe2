"""Several ``slotbot serve`` processes on one PostgreSQL database behave as one (issue 18):
an update delivered to two of them is answered once, a widget message written through one
reaches a stream held by another at once, the periodic jobs run in one of them, and the
widget's rate limits hold across them. Real processes, started as an operator starts them;
SQLite serves from one process and says so."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from slotbot.core import booking as bookings
from slotbot.core.storage.db import create_engine, session_factory
from slotbot.core.storage.models import Booking, Notification
from tests.bot.botapi import TOKEN, BotApi
from tests.cli.command import run
from tests.cli.served import Served, serving
from tests.core.notify.standins import SmtpStandIn
from tests.core.shop import NOW, at, build_shop, new_client
from tests.dialogs.chat import load_demo

KEY = secrets.token_urlsafe(32)
SECRET = "webhook-secret-0123456789abcdef"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
NEW_SESSIONS_BURST = 20  # WidgetLimits.new_sessions_per_address


async def _demo(url: str) -> None:
    engine = create_engine(url)
    try:
        await load_demo(engine)
    finally:
        await engine.dispose()


def _to_chat(botapi: BotApi, method: str, chat: int) -> list[dict[str, Any]]:
    return [v for v in botapi.sent(method) if str(v.get("chat_id")) == str(chat)]


async def test_an_update_posted_to_two_processes_at_once_is_answered_once(
    postgres_url: str, tmp_path: Path, botapi: BotApi
) -> None:
    await _demo(postgres_url)
    settings = {
        "database_url": postgres_url, "secret_key": KEY, "telegram_token": TOKEN,
        "telegram_api_url": botapi.url, "public_url": "https://clinic.example",
        "webhook_secret": SECRET,
    }  # fmt: skip
    chats = range(700, 720)
    for chat in chats:
        botapi.person(chat, first_name=f"Client{chat}")
    async with (
        serving(tmp_path, **settings) as one,
        serving(tmp_path, **settings) as other,
        httpx.AsyncClient(timeout=20) as http,
    ):
        # the webhook and the command menu are registered by one of the two
        assert len(botapi.sent("setWebhook")) == 1
        assert len(botapi.sent("setMyCommands")) == 2  # the default menu and the Russian one

        async def to_both(update: dict[str, Any]) -> None:
            answers = await asyncio.gather(*(
                http.post(f"{s.url}/telegram/webhook", json=update, headers={HEADER: SECRET})
                for s in (one, other)
            ))  # fmt: skip
            assert [a.status_code for a in answers] == [200, 200]
            for answer in answers:  # as Telegram does: the call an answer carries is made
                await botapi.webhook_answer(answer.json())

        await asyncio.gather(*(to_both(botapi.text_update(chat, "/start")) for chat in chats))
        await botapi.until(lambda: all(_to_chat(botapi, "sendMessage", c) for c in chats))
        presses = []
        for chat in chats:  # each presses the menu's first service, on both processes at once
            menu = botapi.screen(chat)
            presses.append(botapi.press_update(chat, menu.message_id, menu.buttons()[0][1]))
        await asyncio.gather(*(to_both(update) for update in presses))
        await botapi.until(lambda: all(_to_chat(botapi, "editMessageText", c) for c in chats))
        await asyncio.sleep(1.0)  # a second answer, were there one, would have come by now
    for chat in chats:
        assert len(_to_chat(botapi, "sendMessage", chat)) == 1, chat
        assert len(_to_chat(botapi, "editMessageText", chat)) == 1, chat
    assert len(botapi.sent("answerCallbackQuery")) == len(chats)


async def test_a_widget_message_written_by_one_process_reaches_a_stream_on_another(
    postgres_url: str, tmp_path: Path
) -> None:
    await _demo(postgres_url)
    settings = {"database_url": postgres_url, "secret_key": KEY}
    async with (
        serving(tmp_path, **settings) as writer,
        serving(tmp_path, **settings) as streamer,
        httpx.AsyncClient(timeout=20) as http,
    ):
        opened = await http.post(f"{writer.url}/api/v1/widget/sessions", json={"language": "en"})
        auth = {"Authorization": f"Bearer {opened.json()['token']}"}
        delays: list[float] = []  # from the writer's answer to the stream's event (ms)
        last = 0
        for _ in range(5):  # streams polling every 2 s would miss 1 s in 5 tries but rarely
            arrived: dict[int, float] = {}
            async with http.stream(
                "GET", f"{streamer.url}/api/v1/widget/stream",
                params={"after": last, "wait": 20}, headers=auth,
            ) as stream:  # fmt: skip
                lines = stream.aiter_lines()
                assert await anext(lines) == "retry: 1000"

                async def read(lines: Any = lines, arrived: dict[int, float] = arrived) -> None:
                    async for line in lines:
                        if line.startswith("id: "):
                            arrived[int(line[4:])] = time.perf_counter()

                reading = asyncio.create_task(read())
                await asyncio.sleep(0.2)  # the stream is waiting on the other process
                sent = await http.post(
                    f"{writer.url}/api/v1/widget/events", json={"type": "start"}, headers=auth
                )
                written = time.perf_counter()
                assert sent.status_code == 200
                last = sent.json()["messages"][-1]["id"]
                for _ in range(300):
                    if last in arrived:
                        break
                    await asyncio.sleep(0.01)
                reading.cancel()
                assert last in arrived, "the message never reached the other process's stream"
                delays.append(max(0.0, arrived[last] - written) * 1000)
    print(f"\nwidget message, process A -> stream on process B: "
          f"{', '.join(f'{d:.1f}' for d in delays)} ms after A answered")  # fmt: skip
    assert max(delays) < 1000  # measured: a few ms (the target is 100 ms; 1 s keeps it robust)


async def test_the_jobs_run_in_one_process_and_send_each_row_once(
    postgres_url: str, tmp_path: Path
) -> None:
    engine = create_engine(postgres_url)
    try:
        shop = await build_shop(engine)
        booked = []
        for n in range(8):  # in the real future (these bookings' confirmations are due)
            day = date(2026, 12, 14) + timedelta(days=n % 4)
            held = await bookings.hold(
                engine, service_id=shop.haircut, specialist_id=None, start=at(day, 10 + n // 4),
                client_id=await new_client(engine, n + 1), channel="telegram", now=NOW,
            )  # fmt: skip
            booked.append(await bookings.confirm(engine, booking_id=held.id, now=NOW))
        lapsed = await bookings.hold(
            engine,
            service_id=shop.haircut,
            specialist_id=None,
            start=at(date(2026, 12, 21), 9),
            client_id=await new_client(engine, 99),
            channel="web",
            now=NOW,
        )  # fmt: skip; its hold ran out long ago: housekeeping expires it
        smtp = SmtpStandIn().start()
        settings = {
            "database_url": postgres_url, "secret_key": KEY, "smtp_host": "127.0.0.1",
            "smtp_port": str(smtp.port),
        }  # fmt: skip
        try:
            async with (
                serving(tmp_path, **settings) as one,
                serving(tmp_path, **settings) as other,
            ):
                for _ in range(300):
                    if not await _unfinished(engine) and await _status(engine, lapsed.id) == (
                        "expired"
                    ):
                        break
                    await asyncio.sleep(0.1)
                await asyncio.sleep(1.0)  # both processes keep ticking meanwhile
            logs = [one.log(), other.log()]
        finally:
            smtp.stop()
        assert await _unfinished(engine) == 0
        assert await _status(engine, lapsed.id) == "expired"
        async with session_factory(engine)() as session:
            mails = list(
                await session.scalars(
                    select(Notification).where(
                        Notification.channel == "email", Notification.due_at <= NOW
                    )
                )
            )
        assert len(mails) == 2 * len(booked)  # confirmations: the client's, the specialist's
        assert {(m.status, m.attempts) for m in mails} == {("sent", 1)}
        received = sorted((m.recipients[0], m.text()) for m in smtp.mails)
        assert len(received) == len(mails) and len(set(received)) == len(received)  # each once
        for job in ("housekeeping", "dispatch"):
            line = f"periodic job {job}: runs in this process now"
            assert sorted(log.count(line) for log in logs) == [0, 1], (job, logs)
    finally:
        await engine.dispose()


async def _unfinished(engine: Any) -> int:
    """Outbox rows due now that are not sent (or cancelled) yet."""
    async with session_factory(engine)() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.status.in_(["pending", "sending"]), Notification.due_at <= NOW)
        )
        return int(found or 0)


async def _status(engine: Any, booking_id: int) -> str:
    async with session_factory(engine)() as session:
        found = await session.get(Booking, booking_id)
        assert found is not None
        return found.status


async def test_the_widget_rate_limit_holds_across_processes(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = {"database_url": postgres_url, "secret_key": KEY}
    async with (
        serving(tmp_path, **settings) as one,
        serving(tmp_path, **settings) as other,
        httpx.AsyncClient(timeout=20) as http,
    ):
        statuses = []
        for n in range(NEW_SESSIONS_BURST + 10):  # one address, alternating between the two
            server: Served = (one, other)[n % 2]
            statuses.append(
                (await http.post(f"{server.url}/api/v1/widget/sessions", json={})).status_code
            )
    assert statuses[:NEW_SESSIONS_BURST] == [201] * NEW_SESSIONS_BURST
    assert set(statuses[NEW_SESSIONS_BURST:]) == {429}  # one process alone would allow 20


async def test_serve_with_workers_starts_them_and_registers_the_webhook_once(
    postgres_url: str, tmp_path: Path, botapi: BotApi
) -> None:
    await _demo(postgres_url)
    settings = {
        "database_url": postgres_url, "secret_key": KEY, "telegram_token": TOKEN,
        "telegram_api_url": botapi.url, "public_url": "https://clinic.example",
        "webhook_secret": SECRET,
    }  # fmt: skip
    async with serving(tmp_path, "--workers", "3", **settings) as served:
        for _ in range(300):  # both workers up (each says so once its app has started)
            if served.log().count("Application startup complete.") >= 3:
                break
            await asyncio.sleep(0.1)
        async with httpx.AsyncClient(timeout=20) as http:
            update = botapi.text_update(801, "/start")
            answers = await asyncio.gather(*(
                http.post(f"{served.url}/telegram/webhook", json=update, headers={HEADER: SECRET})
                for _ in range(6)
            ))  # fmt: skip
            assert {a.status_code for a in answers} == {200}
            await botapi.until(lambda: bool(_to_chat(botapi, "sendMessage", 801)))
            await asyncio.sleep(1.0)
        log = served.log()
    workers = set(re.findall(r"Started server process \[(\d+)\]", log))
    assert len(workers) == 3, log
    assert len(botapi.sent("setWebhook")) == 1
    assert len(botapi.sent("setMyCommands")) == 2
    assert len(_to_chat(botapi, "sendMessage", 801)) == 1


def test_sqlite_and_polling_serve_from_one_process_and_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from slotbot.core.settings import get_settings

    monkeypatch.setenv("SLOTBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    get_settings.cache_clear()
    try:
        status, _, err = run(capsys, "serve", "--workers", "2")
    finally:
        get_settings.cache_clear()
    assert status == 2
    assert err == (
        "slotbot: error: --workers 2: SQLite is served by one process; use --workers 1, or "
        "PostgreSQL (SLOTBOT_DATABASE_URL=postgresql+asyncpg://...) for more\n"
    )
    monkeypatch.setenv("SLOTBOT_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/x")
    monkeypatch.setenv("SLOTBOT_TELEGRAM_TOKEN", TOKEN)  # no public URL: the bot would poll
    get_settings.cache_clear()
    try:
        status, _, err = run(capsys, "serve", "--workers", "2")
    finally:
        get_settings.cache_clear()
    assert (status, err) == (2, (
        "slotbot: error: --workers 2: Telegram allows one process to poll for updates; set "
        "SLOTBOT_PUBLIC_URL so that Telegram posts them to the webhook, or use --workers 1\n"
    ))  # fmt: skip
    for bad in ("0", "65", "two", "-1", "²"):
        status, _, err = run(capsys, "serve", "--workers", bad)
        assert status == 2 and err.count("\n") == 1, (bad, err)
        assert "not a number of processes from 1 to 64" in err
