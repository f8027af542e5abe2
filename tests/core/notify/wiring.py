"""Stand-ins on loopback, a shop with a booked client, and a dispatcher wired to them.

A plain module, imported by ``conftest.py`` here and by the tests elsewhere that use the
same fixtures: were these in the conftest, pytest's own import of it and a test's ``from
tests.core.notify.conftest import ...`` would be two modules, each with its own list of
dispatchers to close (one then closed in a later test's event loop, long gone)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.notify.dispatcher import Backoff, Dispatcher
from slotbot.core.notify.email import EmailSender
from slotbot.core.notify.message import Delivery, Message, SendFailed
from slotbot.core.notify.render import Links
from slotbot.core.notify.sms import SmsSender
from tests.core.notify.standins import SmsStandIn, SmtpStandIn
from tests.core.shop import Shop, build_shop

SECRET = "review-secret-of-at-least-32-characters!"
PUBLIC = "https://shop.test"


@dataclass
class ChatRecorder:
    """A Telegram sender that keeps what it was given (the real one lives in bot/)."""

    channel: str = "telegram"
    sent: list[Message] = field(default_factory=list)
    answers: list[SendFailed] = field(default_factory=list)  # raised first, in order

    async def send(self, message: Message) -> Delivery:
        if self.answers:
            raise self.answers.pop(0)
        self.sent.append(message)
        return Delivery(provider_id=str(len(self.sent)))

    def to(self, chat: int | str) -> list[Message]:
        return [m for m in self.sent if m.recipient == str(chat)]


@pytest.fixture
def smtp() -> Iterator[SmtpStandIn]:
    server = SmtpStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def sms() -> Iterator[SmsStandIn]:
    server = SmsStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def chat() -> ChatRecorder:
    return ChatRecorder()


OPEN: list[Dispatcher] = []


@pytest.fixture(autouse=True)
async def close_dispatchers() -> AsyncIterator[None]:
    """Every dispatcher a test made closes its senders' connections afterwards."""
    yield
    while OPEN:
        await OPEN.pop().aclose()


def make_dispatcher(
    engine: AsyncEngine, smtp: SmtpStandIn, sms: SmsStandIn, chat: object, **options: object
) -> Dispatcher:
    sms_sender = SmsSender(
        api_url=sms.url, account_sid=sms.sid, auth_token=sms.token, sender="+15550001111",
        status_callback=f"{PUBLIC}/sms/status",
    )  # fmt: skip
    email_sender = EmailSender(host="127.0.0.1", port=smtp.port, sender="shop@shop.test")
    dispatcher = Dispatcher(
        engine,
        {"sms": sms_sender, "email": email_sender, "telegram": chat},  # type: ignore[dict-item]
        links=Links(public_url=PUBLIC, secret_key=SECRET, organizer="shop@shop.test"),
        backoff=Backoff(max_attempts=4),
        **options,  # type: ignore[arg-type]
    )
    OPEN.append(dispatcher)
    return dispatcher


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await build_shop(engine)


@pytest.fixture
def dispatcher(
    engine: AsyncEngine, smtp: SmtpStandIn, sms: SmsStandIn, chat: ChatRecorder
) -> Dispatcher:
    return make_dispatcher(engine, smtp, sms, chat)
