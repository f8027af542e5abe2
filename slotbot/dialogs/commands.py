"""The commands a chat takes (``/start``, ``/book``, ...; a specialist's ``/today``, ...): the
one list that the Telegram bot registers and reads, the terminal chat reads, the dialog
handles and its Help names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slotbot.core.i18n import DEFAULT_LOCALE, LANGUAGES, Texts, texts
from slotbot.dialogs.events import Event, Start, Text

__all__ = [
    "CLIENT_COMMANDS", "COMMANDS", "SPECIALIST_COMMANDS", "Command", "command_menu", "find",
    "text_event",
]  # fmt: skip


def _no_description(_: Callable[[str], str]) -> str:
    return ""


@dataclass(frozen=True, slots=True)
class Command:
    """``/name``. A client's command ``opens`` a step of the dialog and is described in
    menus and Help (``describe`` is given gettext, so the catalogs hold its text); a
    specialist's opens their side (the dialog reads which part). ``takes_text``: the words
    after it are read (a deep link's payload, a specialist's dates)."""

    name: str
    opens: str = ""
    describe: Callable[[Callable[[str], str]], str] = _no_description
    takes_text: bool = False

    def description(self, t: Texts) -> str:
        return self.describe(t.gettext)


#: A client's commands, in the order menus list them.
CLIENT_COMMANDS: tuple[Command, ...] = (
    Command("start", "menu", lambda _: _("Start over: book a visit"), takes_text=True),
    Command("book", "menu", lambda _: _("Book a visit")),
    Command("my", "my", lambda _: _("My bookings")),
    Command("language", "language", lambda _: _("Change the language")),
    Command("help", "help", lambda _: _("How this bot works")),
)
#: A linked specialist's commands (anyone else is told they are for the shop's
#: specialists); the last three take optional dates.
SPECIALIST_COMMANDS: tuple[Command, ...] = (
    Command("today"),
    Command("tomorrow"),
    Command("week"),
    Command("dayoff", takes_text=True),
    Command("vacation", takes_text=True),
    Command("block", takes_text=True),
)
COMMANDS: tuple[Command, ...] = CLIENT_COMMANDS + SPECIALIST_COMMANDS
_BY_NAME = {command.name: command for command in COMMANDS}


def find(name: str) -> Command | None:
    """The command ``/name``; ``None`` for one we do not have."""
    return _BY_NAME.get(name)


def command_menu() -> dict[str, list[tuple[str, str]]]:
    """The client's commands as ``(name, description)`` per language, for a chat's command
    menu: ``""`` (every language without its own menu: English) and each other language."""
    return {
        ("" if code == DEFAULT_LOCALE else code): [
            (c.name, c.description(texts(code))) for c in CLIENT_COMMANDS
        ]
        for code in LANGUAGES
    }


def text_event(text: str) -> Event:
    """A typed line of a chat (Telegram's, the terminal's): one of our commands
    (``/start@bot PAYLOAD``) or plain text."""
    if text.startswith("/"):
        head, _, rest = text.partition(" ")
        command = find(head[1:].split("@", 1)[0].lower())
        if command is not None:
            payload = rest.strip()[:200] if command.takes_text else ""
            return Start(command=command.name, payload=payload)
    return Text(text)
