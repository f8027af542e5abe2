"""Screens as Telegram messages: text within limits, inline keyboards, the contact keyboard.

Keyboards are built as the Bot API's JSON objects (``Markup``), not as python-telegram-bot's
``InlineKeyboardMarkup``: a calendar has up to 40 buttons, and building them as frozen
objects only to turn them back into dicts cost more CPU than the rest of the reply.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from slotbot.dialogs.screens import Button, Expect, Screen

__all__ = [
    "MAX_BUTTONS",
    "MAX_DATA",
    "MAX_TEXT",
    "Markup",
    "contact_keyboard",
    "inline_keyboard",
    "inline_rows",
    "message_text",
    "offers_contact",
]

log = logging.getLogger("slotbot.bot")
#: Telegram's limits: a message's text (characters), an inline keyboard's buttons, a
#: button's callback data (bytes).
MAX_TEXT = 4096
MAX_BUTTONS = 100
MAX_DATA = 64
#: A disabled button (e.g. a calendar day without slots) still shows, greyed like this.
GREYED = "·{}·"
EMPTY = "…"
#: A ``reply_markup`` as the Bot API's JSON object.
Markup = dict[str, Any]


def message_text(screen: Screen) -> str:
    """The screen's text, never blank and at most 4096 characters."""
    text = screen.text if screen.text.strip() else EMPTY
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + EMPTY


def _button(button: Button) -> dict[str, str] | None:
    label = (GREYED.format(button.label) if button.disabled else button.label) or EMPTY
    if button.url:
        return {"text": label, "url": button.url}
    data = button.action or "-"
    if len(data.encode()) > MAX_DATA:
        log.error("button %r: action over %d bytes, left out: %r", label, MAX_DATA, data)
        return None
    return {"text": label, "callback_data": data}


def inline_rows(rows: Iterable[Sequence[Button]], *, what: str) -> Markup | None:
    """Rows of buttons as an inline keyboard (at most 100 buttons; a button that cannot be
    sent is left out and logged); None when no button is left."""
    keyboard: list[list[dict[str, str]]] = []
    count = given = 0
    for row in rows:
        given += len(row)
        keys = [k for k in map(_button, row) if k is not None][: MAX_BUTTONS - count]
        count += len(keys)
        if keys:
            keyboard.append(keys)
    if given > count:
        log.warning("%s: buttons over the limit left out", what)
    return {"inline_keyboard": keyboard} if keyboard else None


def inline_keyboard(screen: Screen) -> Markup | None:
    """The screen's buttons as rows of an inline keyboard."""
    return inline_rows(screen.buttons, what=f"screen {screen.text[:40]!r}")


def offers_contact(screen: Screen) -> bool:
    """Whether the screen asks for a phone and names a "share my contact" button."""
    return screen.expects is Expect.PHONE and bool(screen.share_contact_label)


def contact_keyboard(screen: Screen) -> Markup:
    """A one-time reply keyboard whose single button shares the user's own contact."""
    return {
        "keyboard": [[{"text": screen.share_contact_label, "request_contact": True}]],
        "one_time_keyboard": True,
        "resize_keyboard": True,
    }
