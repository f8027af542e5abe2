"""The senders a process uses, from its settings; an unconfigured channel's messages are
kept for the development ``/outbox`` page instead of being dropped."""

from __future__ import annotations

from collections.abc import Mapping

from slotbot.core.notify.email import EmailSender
from slotbot.core.notify.message import Delivery, Message, Sender, SendFailed
from slotbot.core.notify.render import Links
from slotbot.core.notify.sms import SmsSender
from slotbot.core.settings import Settings
from slotbot.core.storage.models import NotificationChannel

__all__ = ["OUTBOX_PAGE", "ShownOnOutboxPage", "links_from_settings", "senders_from_settings"]

#: The delivery status of a message that went to the ``/outbox`` page.
OUTBOX_PAGE = "outbox page"


class ShownOnOutboxPage:
    """A channel that is not configured: in development the message is marked for the
    ``/outbox`` page (its text is stored on the row); in production it is not sent and
    the row fails saying why."""

    def __init__(self, channel: str, *, production: bool = False) -> None:
        self.channel = channel
        self.production = production

    async def send(self, message: Message) -> Delivery:
        if self.production:
            raise SendFailed(f"the {self.channel} channel is not configured", permanent=True)
        return Delivery(status=OUTBOX_PAGE)


def links_from_settings(settings: Settings, *, chat_buttons: bool = False) -> Links:
    return Links(
        public_url=settings.public_url,
        secret_key=settings.secret_key,
        organizer=settings.smtp_from,
        chat_buttons=chat_buttons,
    )


def senders_from_settings(
    settings: Settings, *, telegram: Sender | None = None
) -> Mapping[str, Sender]:
    """SMS and e-mail from the settings, Telegram as given (the bot's), the rest shown on
    the ``/outbox`` page."""
    production = settings.environment == "production"
    senders: dict[str, Sender] = {
        channel: ShownOnOutboxPage(channel, production=production)
        for channel in NotificationChannel
    }
    if telegram is not None:
        senders[NotificationChannel.TELEGRAM] = telegram
    if settings.sms_api_url:
        callback = f"{settings.public_url.rstrip('/')}/sms/status" if settings.public_url else ""
        senders[NotificationChannel.SMS] = SmsSender(
            api_url=settings.sms_api_url,
            account_sid=settings.sms_account_sid,
            auth_token=settings.sms_auth_token,
            sender=settings.sms_from,
            status_callback=callback,
        )
    if settings.smtp_host:
        senders[NotificationChannel.EMAIL] = EmailSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            tls=settings.smtp_tls,
            timeout=settings.smtp_timeout,
        )
    return senders
