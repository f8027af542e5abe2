"""Screens as Telegram messages: text within limits, inline keyboards, the contact keyboard."""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from slotbot.dialogs.screens import Button, Expect, Screen

__all__ = [
    "MAX_BUTTONS",
    "MAX_DATA",
    "MAX_TEXT",
    "contact_keyboard",
    "inline_keyboard",
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


def message_text(screen: Screen) -> str:
    """The screen's text, never blank and at most 4096 characters."""
    text = screen.text if screen.text.strip() else EMPTY
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + EMPTY


def _button(button: Button) -> InlineKeyboardButton | None:
    label = (GREYED.format(button.label) if button.disabled else button.label) or EMPTY
    if button.url:
        return InlineKeyboardButton(label, url=button.url)
    data = button.action or "-"
    if len(data.encode()) > MAX_DATA:
        log.error("button %r: action over %d bytes, left out: %r", label, MAX_DATA, data)
        return None
    return InlineKeyboardButton(label, callback_data=data)


def inline_keyboard(screen: Screen) -> InlineKeyboardMarkup | None:
    """The screen's buttons as rows of an inline keyboard (at most 100 buttons)."""
    rows: list[list[InlineKeyboardButton]] = []
    count = 0
    for row in screen.buttons:
        keys = [k for k in map(_button, row) if k is not None][: MAX_BUTTONS - count]
        count += len(keys)
        if keys:
            rows.append(keys)
    if sum(len(r) for r in screen.buttons) > count:
        log.warning("screen %r: buttons over the limit left out", screen.text[:40])
    return InlineKeyboardMarkup(rows) if rows else None


def offers_contact(screen: Screen) -> bool:
    """Whether the screen asks for a phone and names a "share my contact" button."""
    return screen.expects is Expect.PHONE and bool(screen.share_contact_label)


def contact_keyboard(screen: Screen) -> ReplyKeyboardMarkup:
    """A one-time reply keyboard whose single button shares the user's own contact."""
    button = KeyboardButton(screen.share_contact_label, request_contact=True)
    return ReplyKeyboardMarkup([[button]], one_time_keyboard=True, resize_keyboard=True)
