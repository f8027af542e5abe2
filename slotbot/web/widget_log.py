"""The widget's conversation log (``web_messages``): screens rendered to JSON, the visitor's
own messages, history after a reload, and what the push stream sends after a given id."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.notify.message import Delivery, Message
from slotbot.core.storage.db import is_sqlite, write_transaction
from slotbot.core.storage.listen import Listener
from slotbot.core.storage.models import NotificationChannel, WebMessage
from slotbot.core.storage.shared import WEB_MESSAGES_CHANNEL
from slotbot.dialogs.screens import Button, Screen
from slotbot.web.views import iso_utc

HISTORY = 100  # messages a reloaded widget gets back


def is_calendar(screen: Screen) -> bool:
    """A month calendar (``dialogs.widgets.month_calendar``): a row of seven disabled weekday
    headers, then rows of seven days."""
    rows = screen.buttons
    return (
        len(rows) >= 2
        and len(rows[0]) == 7
        and all(b.disabled for b in rows[0])
        and len(rows[1]) == 7
    )


def _time(local: datetime) -> dict[str, Any]:
    """A time a screen shows, for the widget to add the visitor's own: the instant and the
    UTC offset (minutes) of the zone the screen shows it in."""
    offset = local.utcoffset()
    assert offset is not None, "a shown time is aware"
    return {"starts": iso_utc(local), "offset": int(offset.total_seconds() // 60)}


def _button(button: Button) -> dict[str, Any]:
    out: dict[str, Any] = {"label": button.label}
    if button.url:
        out["url"] = button.url
    else:
        out["action"] = button.action
    if button.disabled:
        out["disabled"] = True
    if button.starts is not None:
        out.update(_time(button.starts))
    return out


def screen_body(screen: Screen) -> dict[str, Any]:
    """A screen as the widget renders it; attachments inline in base64 (an .ics is small)."""
    body: dict[str, Any] = {
        "text": screen.text,
        "buttons": [[_button(b) for b in row] for row in screen.buttons],
        "expects": screen.expects.value,
    }
    if is_calendar(screen):
        body["layout"] = "calendar"
    if screen.starts is not None:
        body.update(_time(screen.starts))
    if screen.attachments:
        body["attachments"] = [
            {
                "filename": a.filename,
                "mime_type": a.mime_type,
                "data": base64.b64encode(a.data).decode("ascii"),
            }
            for a in screen.attachments
        ]
    return body


def message_json(row: Any) -> dict[str, Any]:
    return {"id": row.id, "from": row.sender, "at": iso_utc(row.created_at), **row.body}


class Hub:
    """Wakes the push streams of a widget session when it gets a message.

    In one process a stream is woken by the write itself. On PostgreSQL every process's hub
    also listens to the database (:meth:`listen`): each new ``web_messages`` row notifies its
    session, so a message written by any process wakes the streams held by all of them
    within milliseconds. While that is not the case (SQLite, or the listening connection is
    down), :attr:`complete` is False and streams look for themselves every few seconds."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._listener: Listener | None = None

    @property
    def complete(self) -> bool:
        """Whether every message, whichever process wrote it, wakes its streams here."""
        return self._listener is not None and self._listener.listening

    async def listen(self, engine: AsyncEngine) -> None:
        """Take wake-ups from the database (PostgreSQL; on SQLite nothing changes)."""
        if is_sqlite(engine):
            return
        self._listener = Listener(
            engine.url, WEB_MESSAGES_CHANNEL, on_message=self.wake, on_gap=self.wake_all
        )
        await self._listener.start()

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None

    def written(self, session_id: str) -> None:
        """This process wrote a message of ``session_id`` (the database announces it too
        when the hub listens: one wake-up is enough)."""
        if not self.complete:
            self.wake(session_id)

    def wake(self, session_id: str) -> None:
        for event in self._waiting.get(session_id, ()):
            event.set()

    def wake_all(self) -> None:
        for events in self._waiting.values():
            for event in events:
                event.set()

    @contextlib.contextmanager
    def watching(self, session_id: str) -> Iterator[asyncio.Event]:
        """An event set when the session gets a message while the block runs: enter it
        before looking for messages, so that one written meanwhile is never missed."""
        event = asyncio.Event()
        self._waiting.setdefault(session_id, set()).add(event)
        try:
            yield event
        finally:
            waiting = self._waiting.get(session_id, set())
            waiting.discard(event)
            if not waiting:
                self._waiting.pop(session_id, None)


async def append(
    engine: AsyncEngine,
    session_id: str,
    messages: Sequence[tuple[str, dict[str, Any]]],
    *,
    now: datetime,
    hub: Hub | None = None,
) -> list[dict[str, Any]]:
    """Store ``(sender, body)`` messages in order; returns them as the widget gets them."""
    if not messages:
        return []
    rows = [
        {"session_id": session_id, "sender": sender, "body": body, "created_at": now}
        for sender, body in messages
    ]
    returning = (WebMessage.id, WebMessage.sender, WebMessage.body, WebMessage.created_at)
    async with write_transaction(engine) as connection:
        # all in one INSERT ... RETURNING (one round trip), in the order given
        result = await connection.execute(
            insert(WebMessage).returning(*returning, sort_by_parameter_order=True), rows
        )
        stored = [message_json(row) for row in result]
    if hub is not None:
        hub.written(session_id)
    return stored


async def after(
    engine: AsyncEngine, session_id: str, last_id: int, *, limit: int = HISTORY
) -> list[dict[str, Any]]:
    """The session's messages with ids above ``last_id``, oldest first."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(WebMessage.id, WebMessage.sender, WebMessage.body, WebMessage.created_at)
            .where(WebMessage.session_id == session_id, WebMessage.id > last_id)
            .order_by(WebMessage.id)
            .limit(limit)
        )
        return [message_json(row) for row in rows]


async def history(engine: AsyncEngine, session_id: str) -> list[dict[str, Any]]:
    """The last :data:`HISTORY` messages of the session, oldest first."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(WebMessage.id, WebMessage.sender, WebMessage.body, WebMessage.created_at)
            .where(WebMessage.session_id == session_id)
            .order_by(WebMessage.id.desc())
            .limit(HISTORY)
        )
        return [message_json(row) for row in reversed(rows.all())]


async def last_bot_buttons(engine: AsyncEngine, session_id: str) -> dict[str, str]:
    """Action -> label of the buttons on the bot's latest messages (to echo a press)."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(WebMessage.body)
            .where(WebMessage.session_id == session_id, WebMessage.sender == "bot")
            .order_by(WebMessage.id.desc())
            .limit(3)
        )
        labels: dict[str, str] = {}
        for (body,) in rows:
            for row in body.get("buttons", []):
                for button in row:
                    if button.get("action") and not button.get("disabled"):
                        labels.setdefault(button["action"], button["label"])
        return labels


class WidgetLogSender:
    """The outbox's ``web`` channel: a message for a widget client goes into their
    conversation's log (``recipient`` is the widget session), where the widget shows it at
    once through its push stream, or when the visitor comes back. Its buttons are the
    dialog's out-of-band actions, pressed like any other."""

    channel = NotificationChannel.WEB

    def __init__(self, engine: AsyncEngine, *, hub: Hub | None = None) -> None:
        self.engine = engine
        self.hub = hub

    async def send(self, message: Message) -> Delivery:
        buttons = [
            [
                {"label": b.label, "url": b.url} if b.url else {"label": b.label,
                                                                  "action": b.action}
                for b in row
            ]
            for row in message.buttons
        ]  # fmt: skip
        body = {
            "text": message.text, "buttons": buttons, "expects": "none",
            "turn": secrets.token_hex(4), "lang": message.locale,
        }  # fmt: skip
        stored = await append(
            self.engine, message.recipient, [("bot", body)], now=datetime.now(UTC), hub=self.hub
        )
        return Delivery(provider_id=str(stored[0]["id"]))
