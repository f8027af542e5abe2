"""The Telegram adapter (python-telegram-bot) over dialogs and core."""

from slotbot.bot._application import MENU, build_application, register_commands, running
from slotbot.bot._calls import deliver
from slotbot.bot._events import COMMANDS, contact_event, text_event, visitor
from slotbot.bot._handlers import AnyApplication, Conversation
from slotbot.bot._incoming import Incoming, Unreadable, read_update
from slotbot.bot._notify import SendPace, TelegramSender
from slotbot.bot._render import contact_keyboard, inline_keyboard, message_text
from slotbot.bot._webhook import WebhookUpdates

__all__ = [
    "COMMANDS",
    "MENU",
    "AnyApplication",
    "Conversation",
    "Incoming",
    "SendPace",
    "TelegramSender",
    "Unreadable",
    "WebhookUpdates",
    "build_application",
    "contact_event",
    "contact_keyboard",
    "deliver",
    "inline_keyboard",
    "message_text",
    "read_update",
    "register_commands",
    "running",
    "text_event",
    "visitor",
]
