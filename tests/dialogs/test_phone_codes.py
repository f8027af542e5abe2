"""The widget's SMS phone codes (business setting ``verify_web_phone``, issue 14.3): sent
through the outbox and the SMS stand-in, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.storage.db import session_factory, writer
from slotbot.core.storage.models import (
    BusinessSetting,
    Client,
    DialogSession,
    Notification,
    PhoneCode,
    WebMessage,
)
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Visitor
from tests.core.notify.standins import SmsStandIn, SmtpStandIn
from tests.core.notify.wiring import OPEN, ChatRecorder, make_dispatcher, sms, smtp
from tests.dialogs.chat import Chat, load_demo

__all__ = ["sms", "smtp"]  # fixtures shared with tests/core/notify

PHONE, E164 = "+49 151 23456789", "+4915123456789"
OTHER, OTHER_E164 = "+49 151 98765432", "+4915198765432"


@pytest.fixture
async def demo(engine: AsyncEngine) -> AsyncEngine:
    await load_demo(engine)
    async with writer(engine) as session:
        session.add(BusinessSetting(key="verify_web_phone", value=True))
    return engine


@pytest.fixture
async def dispatcher(
    engine: AsyncEngine, smtp: SmtpStandIn, sms: SmsStandIn
) -> AsyncIterator[Dispatcher]:
    """The stand-ins' dispatcher, closed in this test's own event loop."""
    made = make_dispatcher(engine, smtp, sms, ChatRecorder())
    OPEN.remove(made)  # tests/core/notify's fixture closes those it keeps in its own loop
    yield made
    await made.aclose()


@pytest.fixture
async def web(demo: AsyncEngine) -> AsyncIterator[Chat]:
    """A widget visitor at the phone question with a time held."""
    chat = Chat(Dialogs(demo, sms_ready=True), Visitor("web", "coded", language="en"))
    await chat.start()
    await chat.choose_service("Haircut")
    await chat.press("Anna Petrova")
    await chat.press("Soonest")
    await chat.type("Wanda Web")
    yield chat


async def code_sent(chat: Chat, dispatcher: Dispatcher, sms: SmsStandIn, e164: str) -> str:
    """Send what the outbox holds and read the code from the last SMS to ``e164``."""
    await dispatcher.drain(now=chat.now)
    body = sms.to(e164)[-1]["Body"]
    found = re.match(r"(\d{6}) is your code to book with us\. It is valid for 10 minutes\.", body)
    assert found, body
    return found.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def stored_phone(engine: AsyncEngine) -> str | None:
    async with session_factory(engine)() as session:
        return await session.scalar(
            select(Client.phone).where(Client.web_session_id == "web:coded")
        )


async def assert_code_unreadable(engine: AsyncEngine, chat: Chat, code: str) -> None:
    """Not in the session state, on any screen, or anywhere the database keeps it."""
    for reply in chat.history:
        for screen in reply.screens:
            assert code not in screen.text + json.dumps(
                [b.label for r in screen.buttons for b in r]
            )
    async with session_factory(engine)() as session:
        states = list(await session.scalars(select(DialogSession.state)))
        rows = list(await session.scalars(select(PhoneCode)))
        bot_said = list(
            await session.scalars(select(WebMessage.body).where(WebMessage.sender == "bot"))
        )
        outbox = list(await session.scalars(select(Notification)))
    assert code not in json.dumps(states) + json.dumps(bot_said)
    for row in rows:
        assert code not in (row.code_hash, row.salt) and len(row.code_hash) in (0, 64)
    for sent in outbox:
        assert code not in json.dumps(sent.payload) + (sent.body or "")


async def test_a_typed_number_is_stored_once_its_sms_code_is_typed(
    demo: AsyncEngine, web: Chat, dispatcher: Dispatcher, sms: SmsStandIn
) -> None:
    await web.type(PHONE)
    assert web.text.startswith("We sent a code by SMS to +49 1512 3456789.")
    assert await stored_phone(demo) is None
    code = await code_sent(web, dispatcher, sms, E164)
    await web.type(wrong(code))
    assert web.text.startswith("That code is not right. You can try 4 more times.")
    await web.type("12ab")
    assert web.text.startswith("The code has 6 digits.")  # not counted as a try
    await web.type(f"{code[:3]} {code[3:]}")
    assert "Please check your booking" in web.text and "Phone: +49 1512 3456789" in web.text
    assert await stored_phone(demo) == E164
    await assert_code_unreadable(demo, web, code)
    await web.press("✅")
    await web.start()  # the next booking of this visitor needs no new code
    await web.choose_service("Haircut")
    await web.press("Anna Petrova")
    await web.press("Soonest")
    assert "Please check your booking" in web.text
    assert len(sms.to(E164)) == 1


async def test_an_expired_code_and_too_many_tries(
    web: Chat, dispatcher: Dispatcher, sms: SmsStandIn
) -> None:
    await web.type(PHONE)
    code = await code_sent(web, dispatcher, sms, E164)
    web.later(10)
    await web.type(code)
    assert web.text.startswith("That code has run out. Ask for a new one.")
    await web.press("Send the code again")
    assert web.text.startswith("We sent a new code.")
    fresh = await code_sent(web, dispatcher, sms, E164)
    for left in (4, 3, 2, 1):
        await web.type(wrong(fresh))
        assert f"You can try {left} more time" in web.text
    await web.type(wrong(fresh))
    assert web.text.startswith("Too many wrong codes.")
    await web.type(fresh)  # the right one no longer helps
    assert web.text.startswith("Too many wrong codes.")


async def test_a_code_confirms_only_the_number_it_was_sent_to(
    demo: AsyncEngine, web: Chat, dispatcher: Dispatcher, sms: SmsStandIn
) -> None:
    await web.type(PHONE)
    first = await code_sent(web, dispatcher, sms, E164)
    await web.press("Change number")
    assert "What phone number can we reach you on?" in web.text
    await web.type(OTHER)
    assert web.text.startswith("We sent a code by SMS to +49 1519 8765432.")
    second = await code_sent(web, dispatcher, sms, OTHER_E164)
    if first != second:
        await web.type(first)
        assert web.text.startswith("That code is not right.")
    await web.type(second)
    assert await stored_phone(demo) == OTHER_E164
    await assert_code_unreadable(demo, web, first)
    await assert_code_unreadable(demo, web, second)


async def test_resending_waits_and_is_capped(
    web: Chat, dispatcher: Dispatcher, sms: SmsStandIn
) -> None:
    await web.type(PHONE)
    first = await code_sent(web, dispatcher, sms, E164)
    await web.press("Send the code again")
    assert web.text.startswith(
        "A code was sent moments ago. You can ask for a new one in 30 seconds."
    )
    web.later(1)
    await web.press("Send the code again")
    second = await code_sent(web, dispatcher, sms, E164)
    if first != second:
        await web.type(first)  # a new code replaces the old one
        assert web.text.startswith("That code is not right.")
    web.later(1)
    await web.press("Send the code again")
    web.later(1)
    await web.press("Send the code again")
    assert web.text.startswith("We cannot send more codes to this number today.")
    await dispatcher.drain(now=web.now)
    assert len(sms.to(E164)) == 3


async def test_without_sms_the_widget_says_so_and_sends_nothing(demo: AsyncEngine) -> None:
    web = Chat(Dialogs(demo, sms_ready=False), Visitor("web", "coded", language="en"))
    await web.start()
    await web.choose_service("Haircut")
    await web.press("Anna Petrova")
    await web.press("Soonest")
    await web.type("Wanda Web")
    await web.type(PHONE)
    assert web.text.startswith(
        "We confirm phone numbers by SMS, but we cannot send SMS right now. Please call us to book."
    )
    async with session_factory(demo)() as session:
        assert list(await session.scalars(select(Notification.id))) == []
    assert await stored_phone(demo) is None


async def test_telegram_contacts_need_no_code(demo: AsyncEngine) -> None:
    chat = Chat.new(demo)
    chat.dialogs.sms_ready = True
    await chat.start()
    await chat.choose_service("Haircut")
    await chat.press("Anna Petrova")
    await chat.press("Soonest")
    await chat.share("4915123456789")
    assert "Please check your booking" in chat.text
