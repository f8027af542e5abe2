"""SMS through a Twilio-compatible Messages API over httpx, and its signed delivery
callbacks.

Sending: ``POST {api_url}/2010-04-01/Accounts/{sid}/Messages.json`` with the form fields
``To``, ``From``, ``Body`` and ``StatusCallback``, basic auth ``sid:auth_token``. A 2xx gives
the message's ``sid``; errors the API calls permanent (an invalid number, 21211; an
unsubscribed recipient, 21610; and the like) and other 4xx stop retrying; 429, 5xx and
network errors are retried (429 after its ``Retry-After``).

Callbacks: the provider posts the message's status to our ``StatusCallback`` URL, signed in
``X-Twilio-Signature``: base64 of HMAC-SHA1, keyed with the auth token, over the full URL
followed by every form field's name and value, sorted by name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.notify.message import Delivery, Message, SendFailed
from slotbot.core.storage.db import write_transaction
from slotbot.core.storage.models import Notification, NotificationChannel

__all__ = ["PERMANENT_ERRORS", "SmsSender", "record_status", "signature", "valid_signature"]

#: Provider error codes after which trying again cannot help.
PERMANENT_ERRORS = {
    21211: "invalid phone number",
    21610: "the recipient unsubscribed (replied STOP)",
    21612: "the number cannot receive messages from this sender",
    21614: "not a mobile number",
    21408: "no permission to send to this region",
}
#: Statuses of a failed delivery, reported by callback.
UNDELIVERED = {"failed", "undelivered"}


def signature(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """The request signature of a callback: what ``X-Twilio-Signature`` must carry."""
    data = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_signature(url: str, params: Mapping[str, str], auth_token: str, given: str) -> bool:
    """Whether ``given`` signs ``url`` and ``params`` with ``auth_token``."""
    if not auth_token or not given:
        return False
    return hmac.compare_digest(signature(url, params, auth_token), given)


class SmsSender:
    """Sends text messages through the Messages API."""

    channel = NotificationChannel.SMS

    def __init__(
        self,
        *,
        api_url: str,
        account_sid: str,
        auth_token: str,
        sender: str,
        status_callback: str = "",
        client: httpx.AsyncClient | None = None,
        timeout: float = 15,
    ) -> None:
        self.url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth = (account_sid, auth_token)
        self.sender = sender
        self.status_callback = status_callback
        self.client = client or httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(self, message: Message) -> Delivery:
        form = {"To": message.recipient, "From": self.sender, "Body": message.text}
        if self.status_callback:
            form["StatusCallback"] = self.status_callback
        try:
            response = await self.client.post(self.url, data=form, auth=self.auth)
        except httpx.HTTPError as error:
            raise SendFailed(f"SMS API unreachable: {type(error).__name__}: {error}") from None
        body = _json(response)
        if response.is_success:
            sid = body.get("sid")
            return Delivery(provider_id=str(sid) if sid else None, status=body.get("status"))
        code = body.get("code")
        detail = f"SMS API {response.status_code}" + (f" error {code}" if code else "")
        text = body.get("message") or response.reason_phrase
        reason = f"{detail}: {text}"
        if isinstance(code, int) and code in PERMANENT_ERRORS:
            raise SendFailed(f"{reason} ({PERMANENT_ERRORS[code]})", permanent=True)
        if response.status_code == 429:
            raise SendFailed(reason, retry_after=_retry_after(response))
        if response.status_code >= 500:
            raise SendFailed(reason)
        raise SendFailed(reason, permanent=True)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


async def record_status(
    engine: AsyncEngine, *, provider_id: str, status: str, error_code: str | None = None
) -> bool:
    """Record a delivery status the provider reported; False when no row has that id."""
    values: dict[str, Any] = {"delivery_status": status[:32]}
    if status in UNDELIVERED:
        values["last_error"] = f"SMS {status}" + (f": error {error_code}" if error_code else "")
    async with write_transaction(engine) as connection:
        result = await connection.execute(
            update(Notification)
            .where(
                Notification.provider_id == provider_id,
                Notification.channel == NotificationChannel.SMS,
            )
            .values(**values)
        )
    return bool(result.rowcount)
