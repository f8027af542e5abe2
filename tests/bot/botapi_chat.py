"""What the stand-in's chats hold: the messages the bot sent and the people writing to it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

__all__ = ["BOT", "Person", "Sent"]

BOT = {"id": 123456, "is_bot": True, "first_name": "Slotbot", "username": "slotbot_test_bot"}


@dataclass
class Sent:
    """A message the bot sent, as the chat now shows it."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None = None
    document: str = ""
    upload: bytes = b""
    edits: int = 0
    deleted: bool = False

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data or url) of each inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data") or b.get("url", "")) for r in rows for b in r]

    def data(self, label: str) -> str:
        """The callback data of the button labelled ``label`` (or, failing that, containing it)."""
        buttons = [(" ".join(text.split()), d) for text, d in self.buttons()]  # Babel's U+202F
        found = [d for text, d in buttons if text == label]
        found = found or [d for text, d in buttons if label in text]
        assert found, f"no button {label!r} in {self.buttons()}"
        return found[0]

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "message_id": self.message_id, "date": int(time.time()), "from": BOT,
            "chat": {"id": self.chat_id, "type": "private", "first_name": "Client"},
        }  # fmt: skip
        if self.document:
            body["document"] = {"file_id": f"doc{self.message_id}", "file_unique_id": "u",
                                "file_name": self.document}  # fmt: skip
        else:
            body["text"] = self.text
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            body["reply_markup"] = self.reply_markup
        return body


@dataclass
class Person:
    id: int
    first_name: str = "Client"
    last_name: str = ""
    language_code: str = "en"

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            body["last_name"] = self.last_name
        if self.language_code:
            body["language_code"] = self.language_code
        return body
