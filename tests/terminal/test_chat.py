"""The terminal chat's own words (what to type, an attached file, a link to open) are in the
conversation's language, and follow it when the client changes it. SQLite: texts only."""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.dialogs.commands import CLIENT_COMMANDS
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Start, Visitor
from slotbot.dialogs.i18n import texts
from slotbot.terminal.chat import TerminalChat
from tests.dialogs.chat import NOW, load_demo


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "slotbot.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def talk(engine: AsyncEngine, language: str, steps: list[str]) -> str:
    """Run the chat; a step ``[Label]`` presses the first button starting with Label."""
    await load_demo(engine)
    out = io.StringIO()
    chat = TerminalChat(
        Dialogs(engine, clock=lambda: NOW), Visitor("terminal", "t", language=language), out=out
    )
    pending = list(steps)

    def read_line() -> str:
        if not pending:
            return ""
        step = pending.pop(0)
        if step.startswith("[") and step.endswith("]"):
            shown = out.getvalue()
            found = re.findall(r"\[(\d+)\] " + re.escape(step[1:-1]) + r"(?!\d)", shown)
            assert found, f"no {step} in:\n{shown[-600:]}"
            return found[-1] + "\n"  # the newest reply's
        return step + "\n"

    await chat.run(read_line, echo=False)
    return out.getvalue()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["(type your answer)", "(type your phone number, e.g.", "(open https://",
                "(attached: booking-1.ics, text/calendar, "]),
        ("ru", ["(введите ответ)", "(введите номер телефона, например", "(откройте https://",
                "(вложение: booking-1.ics, text/calendar, "]),
    ],
)  # fmt: skip
async def test_the_terminals_hints_are_in_the_chats_language(
    engine: AsyncEngine, language: str, words: list[str]
) -> None:
    category = {"en": "Clinic", "ru": "Клиника"}[language]
    service = {"en": "GP consultation", "ru": "Консультация терапевта"}[language]
    time = {"en": "9:00", "ru": "09:00"}[language]
    out = await talk(engine, language, [
        f"[{category}]", f"[{service}]", "[Dr. Klaus Weber]", "[2]", f"[{time}]", "Ann",
        "+49 151 23456789", "[✅]", "[📅]", "[Map]" if language == "en" else "[Карта]",
    ])  # fmt: skip
    for word in words:
        assert word in out, out
    assert re.search(r"booking-1\.ics, text/calendar, \d+ (bytes|байт|байта)\)", out)


async def test_the_hints_follow_a_change_of_language(engine: AsyncEngine) -> None:
    out = await talk(engine, "en", ["[Language]", "[Русский]", "[Клиника]",
                                    "[Консультация терапевта]", "[Dr. Klaus Weber]", "[2]",
                                    "[09:00]"])  # fmt: skip
    assert "(введите ответ)" in out and "(type your answer)" not in out


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_help_shows_the_command_list(engine: AsyncEngine, language: str) -> None:
    """/help in the terminal shows every client command of ``dialogs.commands`` with its
    description, in the chat's language; and each of them is read as that command."""
    out = await talk(engine, language, ["/help"])
    listed = re.findall(r"^/(\w+) — (.+)$", out, re.MULTILINE)
    t = texts(language)
    assert listed == [(c.name, c.description(t)) for c in CLIENT_COMMANDS]
    assert [c.name for c in CLIENT_COMMANDS] == ["start", "book", "my", "language", "help"]
    chat = TerminalChat(Dialogs(engine), Visitor("terminal", "t"), out=io.StringIO())
    for command in CLIENT_COMMANDS:
        assert chat.event(f"/{command.name}") == Start(command.name)


async def test_every_number_shown_answers(engine: AsyncEngine) -> None:
    """A calendar's weekday headers and the cells outside the month carry no number (typing
    one would get no answer); its grey days do, and say why they are grey."""
    out = await talk(engine, "en", ["[Clinic]", "[GP consultation]", "[Dr. Klaus Weber]"])
    calendar = out[out.rindex("pick a day") :]
    assert re.search(r"^   Mo     Tu ", calendar, re.M), calendar
    assert not re.search(r"\[\d+\] ·?(Mo|Tu|We|Th|Fr|Sa|Su)·?\b", calendar), calendar
    grey = re.search(r"\[(\d+)\] ·(\d+)·", calendar)
    assert grey is not None, calendar
    day = await talk(engine, "en", ["[Clinic]", "[GP consultation]", "[Dr. Klaus Weber]",
                                    grey.group(1)])  # fmt: skip
    assert day.rstrip().splitlines()[-1].startswith("! "), day[-300:]  # the reason, one line


def test_a_reader_that_stops_early_ends_the_chat_quietly(database_url: str) -> None:
    """``slotbot chat | head -2``: the chat stops when nobody reads any more, with no
    traceback on the terminal."""
    import subprocess
    import sys

    from slotbot.core.demo import DEMO_FILE

    environment = {**os.environ, "SLOTBOT_DATABASE_URL": database_url}
    slotbot = [sys.executable, "-m", "slotbot.cli"]
    subprocess.run([*slotbot, "import", str(DEMO_FILE)], env=environment, check=True,
                   capture_output=True)  # fmt: skip
    chat = subprocess.Popen(
        [*slotbot, "chat", "--now", "2026-12-01T07:00:00Z"], env=environment,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert chat.stdout is not None and chat.stdin is not None and chat.stderr is not None
    assert chat.stdout.readline()  # the first line of the menu, then the reader goes away
    chat.stdout.close()
    chat.stdin.write(b"3\n" * 200)
    chat.stdin.close()
    with chat.stderr:
        errors = chat.stderr.read()
    assert chat.wait(timeout=60) == 1
    assert b"Traceback" not in errors, errors.decode()
