"""The client dialog in a terminal (``slotbot chat``): numbered buttons, typed answers.

Each screen prints its text and its buttons as ``[1] Label``, numbered across the reply.
A line with a button's number presses it (an inert one, like a weekday header, does nothing);
a command (``dialogs.commands``: ``/start``, ``/book``, ...) is read as the bot reads it;
anything else is typed text (a name, a phone number), and an empty line shows the screen
again. No input ends the chat but EOF: what the dialog cannot use it answers like any typed
text.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Callable
from typing import TextIO

from slotbot.core.i18n import Texts, texts
from slotbot.dialogs.commands import text_event
from slotbot.dialogs.events import Event, Press, Start, Visitor
from slotbot.dialogs.screens import Attachment, Button, Conversation, Expect, Reply

__all__ = ["TerminalChat"]

log = logging.getLogger(__name__)
#: A button's number: ASCII digits only (``²`` is a digit to ``str.isdigit``), and short.
NUMBER = re.compile(r"[0-9]{1,4}")


def _hint(t: Texts, expects: Expect) -> str:
    """What to type, said under a screen that waits for typed input."""
    if expects == Expect.TEXT:
        return t.gettext("(type your answer)")
    if expects == Expect.PHONE:
        return t.gettext("(type your phone number, e.g. +49 151 23456789)")
    return ""


def _attached(t: Texts, item: Attachment) -> str:
    size = len(item.data)
    return t.ngettext(
        "(attached: {name}, {type}, {bytes} byte)",
        "(attached: {name}, {type}, {bytes} bytes)",
        size,
    ).format(name=item.filename, type=item.mime_type, bytes=size)


class TerminalChat:
    """One visitor's conversation over standard input and output."""

    def __init__(
        self, dialogs: Conversation, visitor: Visitor, *, out: TextIO = sys.stdout
    ) -> None:
        self.dialogs = dialogs
        self.visitor = visitor
        self.out = out
        self.buttons: list[Button] = []
        self.texts = texts(visitor.language)  # the reply's language once there is one

    def show(self, reply: Reply) -> None:
        """Print the reply's notice and screens; remember their buttons by number (a reply
        without screens leaves the screen, and its numbers, as they were)."""
        self.texts = texts(reply.locale)
        if reply.notice:
            self._print(f"! {reply.notice}")
        if not reply.screens:
            self._print("")
            return
        self.buttons = []
        for screen in reply.screens:
            self._print(screen.text)
            for row in screen.buttons:
                self._print("  ".join(self._number(button) for button in row).rstrip())
            for item in screen.attachments:
                self._print(_attached(self.texts, item))
            if hint := _hint(self.texts, screen.expects):
                self._print(hint)
            self._print("")

    def _number(self, button: Button) -> str:
        if not button.action and not button.url:  # inert (a weekday, a day outside the month)
            return f"   {button.label or ' '}"  # no number: pressing it could say nothing
        self.buttons.append(button)
        label = f"·{button.label}·" if button.disabled else button.label
        return f"[{len(self.buttons)}] {label}" + (f" <{button.url}>" if button.url else "")

    def event(self, line: str) -> Event | None:
        """The event a typed line stands for (None for a link, which only prints)."""
        if NUMBER.fullmatch(line) and 1 <= int(line) <= len(self.buttons):
            button = self.buttons[int(line) - 1]
            if button.url:
                self._print(self.texts.gettext("(open {url})").format(url=button.url))
                return None
            return Press(button.action)
        return text_event(line)

    async def run(self, read_line: Callable[[], str] = sys.stdin.readline, *, echo: bool) -> None:
        """Open the conversation, then answer each input line until EOF."""
        self.show(await self.dialogs.respond(self.visitor, Start()))
        while line := await asyncio.to_thread(read_line):
            line = line.strip()
            if echo:
                self._print(f"> {line}\n")
            event = self.event(line)
            if event is None:
                continue
            try:
                reply = await self.dialogs.respond(self.visitor, event)
            except Exception:  # a chat keeps going whatever one line did, like the bot
                log.exception("the dialog failed on %r", line[:80])
                _ = self.texts.gettext
                self._print(_("Sorry, something went wrong on our side. Please try again.") + "\n")
                continue
            self.show(reply)

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)
