"""The link an offer by SMS or e-mail carries: it opens the booking chat at that time.

A link names a time and nothing of the client it was sent to: a specialist, a service, a
start and an expiry, signed with a key derived from ``SLOTBOT_SECRET_KEY`` (HMAC-SHA256,
128 bits kept). Whoever opens it is offered that time under the same rules as pressing a
time in the chat (their own identity, their own bookings, the widget's limits): a stranger
who got hold of the link learns and gets nothing of the client's, at most the chance to hold
a time that is free for anyone anyway. A changed byte, another shop's key or an expired link
is refused. The token is 43 URL-safe characters, so it also fits a Telegram deep link
(``/start t-TOKEN``: 64 characters at most).
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "LINK_HOURS",
    "SLOT_PREFIX",
    "SlotLink",
    "SlotLinkProblem",
    "SlotLinkRefused",
    "read_slot_token",
    "slot_token",
]

#: The deep-link payload prefix that marks a slot link (``/start t-TOKEN``).
SLOT_PREFIX = "t-"
#: How long a link works (never past the time it names).
LINK_HOURS = 24
_BODY = struct.Struct(">IIII")  # specialist, service, start and expiry (minutes since 1970)
_MAC_BYTES = 16


class SlotLinkProblem(enum.StrEnum):
    EXPIRED = "expired"
    INVALID = "invalid"  # forged, tampered, malformed, another key


class SlotLinkRefused(Exception):
    def __init__(self, problem: SlotLinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class SlotLink:
    """The time a valid link names."""

    specialist_id: int
    service_id: int
    start: datetime


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"slotbot:waitlist-slot-link:" + secret.encode()).digest()


def _minutes(instant: datetime) -> int:
    return int(instant.timestamp()) // 60


def slot_token(
    secret: str, *, specialist_id: int, service_id: int, start: datetime, now: datetime
) -> str:
    """A link token for the time, valid :data:`LINK_HOURS` hours (never past ``start``)."""
    if not secret:
        raise ValueError("a slot link needs the secret key")
    expires = min(now + timedelta(hours=LINK_HOURS), start)
    body = _BODY.pack(specialist_id, service_id, _minutes(start), _minutes(expires))
    mac = hmac.new(_key(secret), body, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(body + mac).decode("ascii").rstrip("=")


def read_slot_token(secret: str, token: str, now: datetime) -> SlotLink:
    """The time a token names; :class:`SlotLinkRefused` when it is forged or expired."""
    if not secret or not token or len(token) > 64:
        raise SlotLinkRefused(SlotLinkProblem.INVALID)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise SlotLinkRefused(SlotLinkProblem.INVALID) from None
    if len(raw) != _BODY.size + _MAC_BYTES:
        raise SlotLinkRefused(SlotLinkProblem.INVALID)
    body, mac = raw[: _BODY.size], raw[_BODY.size :]
    expected = hmac.new(_key(secret), body, hashlib.sha256).digest()[:_MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        raise SlotLinkRefused(SlotLinkProblem.INVALID)
    specialist_id, service_id, start, expires = _BODY.unpack(body)
    if _minutes(now) >= expires:
        raise SlotLinkRefused(SlotLinkProblem.EXPIRED)
    return SlotLink(specialist_id, service_id, datetime.fromtimestamp(start * 60, UTC))
