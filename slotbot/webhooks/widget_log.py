"""The widget's conversation log (``web_messages``): screens rendered to JSON, the visitor's
own messages, history after a reload, and what the push stream sends after a given id."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.db import write_transaction
from slotbot.core.storage.models import WebMessage
from slotbot.dialogs.screens import Button, Screen
from slotbot.webhooks.views import iso_utc

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
    """Wakes this process's push streams when their session gets a message (streams also
    look by themselves every few seconds, for messages written by other processes)."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}

    def wake(self, session_id: str) -> None:
        for event in self._waiting.get(session_id, ()):
            event.set()

    async def wait(self, session_id: str, seconds: float) -> None:
        """Until the session gets a message in this process, or ``seconds`` pass."""
        event = asyncio.Event()
        self._waiting.setdefault(session_id, set()).add(event)
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            pass
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
    stored = []
    async with write_transaction(engine) as connection:
        for sender, body in messages:
            result = await connection.execute(
                insert(WebMessage)
                .values(session_id=session_id, sender=sender, body=body, created_at=now)
                .returning(WebMessage.id, WebMessage.sender, WebMessage.body,
                           WebMessage.created_at)
            )  # fmt: skip
            stored.append(message_json(result.one()))
    if hub is not None:
        hub.wake(session_id)
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
