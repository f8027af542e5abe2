"""A rendered notification and the :class:`Sender` protocol every channel implements.

Core defines them; the transports live where their libraries are (SMS and e-mail in
``core/notify``, Telegram in ``bot/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Button", "Delivery", "Message", "SendFailed", "Sender", "Unreachable"]


@dataclass(frozen=True, slots=True)
class Button:
    """A chat button: a dialog action (callback data) or a link."""

    label: str
    action: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """One outbox row rendered for its recipient, ready for a channel."""

    id: int
    kind: str
    channel: str
    recipient: str
    locale: str
    subject: str
    text: str
    html: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    calendar: bytes | None = None  # an .ics attachment (e-mail)
    calendar_method: str = ""  # its METHOD: REQUEST, PUBLISH or CANCEL


@dataclass(frozen=True, slots=True)
class Delivery:
    """A channel took the message: its id at the provider and the status it reported."""

    provider_id: str | None = None
    status: str | None = None


class SendFailed(Exception):
    """A send that did not go through. ``permanent`` stops retrying; ``retry_after``
    (seconds) is the provider's own wait before the next attempt."""

    def __init__(
        self, reason: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class Unreachable(SendFailed):
    """The recipient cannot be reached on this channel at all (a Telegram chat that blocked
    the bot): the row fails and the message goes by the client's other channels."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, permanent=True)


class Sender(Protocol):
    """Sends rendered messages over one channel."""

    @property
    def channel(self) -> str: ...

    async def send(self, message: Message) -> Delivery:
        """Deliver ``message`` or raise :class:`SendFailed`."""
        ...
