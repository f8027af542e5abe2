"""``slotbot bot`` and ``slotbot chat`` as a user runs them: separate processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import import_file
from tests.bot.botapi import TOKEN, BotApi
from tests.cli.command import run

NOW = "2026-12-01T08:00:00Z"
SLOTBOT = [sys.executable, "-m", "slotbot.cli"]


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLOTBOT_")}
    return {**env, "SLOTBOT_DATABASE_URL": database_url, **extra}


def _chat(database_url: str, script: str, *args: str) -> str:
    done = subprocess.run(
        [*SLOTBOT, "chat", "--now", NOW, *args], input=script, capture_output=True,
        text=True, env=_env(database_url), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


async def test_chat_books_from_a_script(engine: AsyncEngine, database_url: str) -> None:
    await import_file(engine, DEMO_FILE)
    script = "1\n1\n2\n10\n1\nAnn\n+49 151 23456789\n1\n1\n"
    out = await asyncio.to_thread(_chat, database_url, script, "--as", "Ann")
    assert "[1] Clinic\n" in out  # seven services: their categories first
    assert "[1] GP consultation · 30 min · €60.00" in out
    assert "> 1\n" in out  # piped input is echoed
    assert "Thank you, Ann. What phone number can we reach you on?" in out
    assert "You are booked: GP consultation with Dr. Klaus Weber" in out
    assert "(attached: booking-1.ics, text/calendar," in out


async def test_chat_in_russian_and_with_commands(engine: AsyncEngine, database_url: str) -> None:
    await import_file(engine, DEMO_FILE)
    out = await asyncio.to_thread(_chat, database_url, "hello\n/my\n99\n", "--lang", "ru")
    assert "[1] Клиника" in out
    # typed text, and a number without a button, get what can be typed on that screen
    assert out.count("Извините, не удалось разобрать сообщение.") == 2
    assert "Напишите «отменить запись», «перенести на пятницу»" in out  # under My bookings


async def test_no_input_ends_the_chat(engine: AsyncEngine, database_url: str) -> None:
    """Odd digits, a huge number and blank lines are answered with the screen again and what
    can be typed there (a huge number is read only in part); weekday headers and blank
    calendar cells carry no number, a grey day says why and keeps the screen's numbers; the
    booking goes on to the end."""
    await import_file(engine, DEMO_FILE)
    odd = "²\n" + "9" * 5000 + "\n\n   \n"
    script = odd + "3\n1\n3\n6\n7\n3\nAnn\n+49 151 23456789\n1\n"
    out = await asyncio.to_thread(_chat, database_url, script, "--as", "Ann")
    assert out.count("Sorry, I did not understand that.") == 2
    assert out.count("Your message was long: I read only its beginning.") == 1
    assert out.count("Type what you would like, like “GP consultation tomorrow after 5”") == 4
    assert out.count("What would you like to book?") == 5
    assert "> 6\n\n! Boris Klein is not working on Sun, Dec 6.\n\n> 7\n" in out
    assert "You are booked: Haircut with Boris Klein on Monday, December 7, 2026" in out
    out = await asyncio.to_thread(_chat, database_url, odd + "3\n1\n", "--lang", "ru")
    assert out.count("Извините, не удалось разобрать сообщение.") == 2
    assert out.count("Напишите, что вам нужно, например «Консультация терапевта") == 4
    assert "К кому вы хотите записаться?" in out


def test_bot_without_a_token_says_how_to_get_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from slotbot.core.settings import get_settings

    monkeypatch.setenv("SLOTBOT_TELEGRAM_TOKEN", "")
    get_settings.cache_clear()
    status, out, err = run(capsys, "bot")
    get_settings.cache_clear()
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "@BotFather" in err


async def test_bot_polls_and_answers(
    engine: AsyncEngine, database_url: str, botapi: BotApi
) -> None:
    await import_file(engine, DEMO_FILE)
    env = _env(database_url, SLOTBOT_TELEGRAM_TOKEN=TOKEN, SLOTBOT_TELEGRAM_API_URL=botapi.url)
    process = await asyncio.create_subprocess_exec(
        *SLOTBOT, "bot", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert b"@slotbot_test_bot is polling" in line
        await botapi.send_text(801, "/start", wait=False)
        await botapi.until(lambda: bool(botapi.chat(801)))
    finally:
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert botapi.last(801).text.startswith("What would you like to book?")
    assert set(botapi.commands) == {"", "ru"}
