"""E-mail over SMTP with aiosmtplib: a text part, an HTML part and, about a booking, the
.ics (an invitation, a copy or a cancellation of one calendar entry per booking)."""

from __future__ import annotations

import asyncio
import contextlib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from slotbot.core.notify.message import Delivery, Message, SendFailed
from slotbot.core.storage.models import NotificationChannel

__all__ = ["EmailSender", "build_email"]


def build_email(message: Message, *, sender: str) -> EmailMessage:
    """The MIME message: text and HTML alternatives, the calendar file attached."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(idstring=f"n{message.id}", domain="slotbot")
    mail["Content-Language"] = message.locale
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    if message.calendar:
        name = "cancel.ics" if message.calendar_method == "CANCEL" else "invite.ics"
        mail.add_attachment(
            message.calendar,
            maintype="text",
            subtype="calendar",
            filename=name,
            params={"method": message.calendar_method or "PUBLISH"},
        )
    return mail


class EmailSender:
    """Sends messages over a few kept-open SMTP sessions (at most ``sessions`` at once); a
    session that fails is dropped and the next send opens a new one."""

    channel = NotificationChannel.EMAIL

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        tls: bool = False,
        timeout: float = 30,
        sessions: int = 8,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username or None
        self.password = password or None
        self.starttls = starttls
        self.tls = tls
        self.timeout = timeout
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(sessions)

    async def _open(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.host, port=self.port, use_tls=self.tls, start_tls=self.starttls,
            timeout=self.timeout, username=self.username, password=self.password,
        )  # fmt: skip
        await client.connect()
        return client

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()

    async def send(self, message: Message) -> Delivery:
        mail = build_email(message, sender=self.sender)
        async with self._slots:
            client = self._idle.pop() if self._idle else None
            healthy = False
            try:
                if client is None or not client.is_connected:
                    client = await self._open()
                _refused, response = await client.send_message(mail)
                healthy = True
            except aiosmtplib.SMTPRecipientsRefused as error:
                healthy = True  # the session is fine; this address is not
                first = error.recipients[0]
                raise SendFailed(
                    f"SMTP refused {first.recipient}: {first.code} {first.message}",
                    permanent=first.code >= 500,
                ) from None
            except aiosmtplib.SMTPResponseException as error:
                raise SendFailed(
                    f"SMTP {error.code} {error.message}", permanent=500 <= error.code < 600
                ) from None
            except (aiosmtplib.SMTPException, OSError) as error:
                raise SendFailed(f"SMTP unreachable: {type(error).__name__}: {error}") from None
            finally:
                if healthy and client is not None and client.is_connected:
                    self._idle.append(client)
                elif client is not None:
                    client.close()
        message_id = str(mail["Message-ID"]).strip("<>")[:64]
        return Delivery(provider_id=message_id, status=response[:32])
