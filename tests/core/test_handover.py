""" "Continue in Telegram" links in core (issue 14.2): the first Telegram account to open one
is the only one it serves; accepting moves the web client's bookings to that account's own
client, never the reverse, and copies no contact details."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core import handover
from slotbot.core.clients import (
    ClientNotFound,
    LinkTokenExpired,
    LinkTokenRefused,
    LinkTokenUsed,
    UnknownLinkToken,
    client_for_telegram,
    client_for_web,
    get_client,
    set_contact,
)
from slotbot.core.storage.db import session_factory
from slotbot.core.storage.models import Booking, Client, LinkToken
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop

WEB_PHONE, TELEGRAM_PHONE = "+4915122220002", "+4915199990001"


async def book(engine: AsyncEngine, shop: Shop, client: Client, hour: int) -> int:
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, hour),
        client_id=client.id, channel="web", now=NOW,
    )  # fmt: skip
    await bookings.confirm(engine, booking_id=held.id, now=NOW)
    return held.id


async def owners(engine: AsyncEngine) -> dict[int, int]:
    async with session_factory(engine)() as session:
        return dict((await session.execute(select(Booking.id, Booking.client_id))).all())


async def test_a_link_is_a_random_token_stored_as_its_hash(engine: AsyncEngine) -> None:
    web = await client_for_web(engine, session_id="w", locale="en")
    token = await handover.issue_link_token(engine, client_id=web.id, now=NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    async with session_factory(engine)() as session:
        stored = await session.scalar(select(LinkToken.token_hash))
    assert stored is not None and token not in stored
    with pytest.raises(ClientNotFound):
        await handover.issue_link_token(engine, client_id=web.id + 100, now=NOW)


async def test_the_first_account_to_open_a_link_is_the_only_one_it_serves(
    engine: AsyncEngine,
) -> None:
    shop = await build_shop(engine)
    web = await client_for_web(engine, session_id="w", locale="en")
    booked = await book(engine, shop, web, 10)
    token = await handover.issue_link_token(engine, client_id=web.id, now=NOW)
    offer = await handover.open_link(engine, token=token, telegram_user_id=9, now=NOW)
    assert [b.id for b in offer.bookings] == [booked]
    again = await handover.open_link(engine, token=token, telegram_user_id=9, now=NOW)
    assert again.token_hash == offer.token_hash
    with pytest.raises(LinkTokenExpired):
        await handover.open_link(engine, token=token, telegram_user_id=10, now=NOW)
    other = await client_for_telegram(engine, user_id=10, chat_id=10, name="O", locale="en")
    with pytest.raises(LinkTokenRefused):
        await handover.accept(
            engine, token_hash=offer.token_hash, telegram_user_id=10, client_id=other.id,
            booking_ids=[booked], now=NOW,
        )  # fmt: skip
    await handover.decline(engine, token_hash=offer.token_hash, telegram_user_id=10, now=NOW)
    assert (await owners(engine))[booked] == web.id  # the stranger changed nothing
    async with session_factory(engine)() as session:
        assert await session.scalar(select(LinkToken.used_at)) is None


async def test_accepting_moves_the_web_bookings_to_telegram_and_nothing_back(
    engine: AsyncEngine,
) -> None:
    shop = await build_shop(engine)
    web = await client_for_web(engine, session_id="w", locale="en")
    await set_contact(engine, client_id=web.id, name="Web Name", phone=WEB_PHONE)
    chat = await client_for_telegram(engine, user_id=9, chat_id=90, name="Tg", locale="en")
    await set_contact(engine, client_id=chat.id, phone=TELEGRAM_PHONE)
    own = await book(engine, shop, chat, 9)
    first, second = await book(engine, shop, web, 11), await book(engine, shop, web, 13)
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 15),
        client_id=web.id, channel="web", now=NOW,
    )  # fmt: skip
    token = await handover.issue_link_token(engine, client_id=web.id, now=NOW)
    offer = await handover.open_link(engine, token=token, telegram_user_id=9, now=NOW)
    assert [b.id for b in offer.bookings] == [first, second]  # not the unconfirmed hold
    await bookings.cancel(engine, booking_id=second, by="client", now=NOW, client_id=web.id)

    moved = await handover.accept(
        engine, token_hash=offer.token_hash, telegram_user_id=9, client_id=chat.id,
        booking_ids=[first, second, own, held.id], now=NOW,
    )  # fmt: skip

    assert moved == [first]  # cancelled meanwhile, the account's own, and the hold stay put
    assert await owners(engine) == {own: chat.id, first: chat.id, second: web.id, held.id: web.id}
    web_now, chat_now = await get_client(engine, web.id), await get_client(engine, chat.id)
    assert web_now is not None and chat_now is not None
    assert (web_now.name, web_now.phone, web_now.telegram_user_id) == ("Web Name", WEB_PHONE, None)
    assert (chat_now.name, chat_now.phone, chat_now.telegram_user_id) == ("Tg", TELEGRAM_PHONE, 9)
    with pytest.raises(LinkTokenUsed):
        await handover.open_link(engine, token=token, telegram_user_id=9, now=NOW)
    with pytest.raises(LinkTokenRefused):
        await handover.accept(
            engine, token_hash=offer.token_hash, telegram_user_id=9, client_id=chat.id,
            booking_ids=[second], now=NOW,
        )  # fmt: skip


async def test_declined_expired_and_unknown_links(engine: AsyncEngine) -> None:
    web = await client_for_web(engine, session_id="w", locale="en")
    token = await handover.issue_link_token(engine, client_id=web.id, now=NOW)
    offer = await handover.open_link(engine, token=token, telegram_user_id=9, now=NOW)
    await handover.decline(engine, token_hash=offer.token_hash, telegram_user_id=9, now=NOW)
    for user in (9, 10):
        with pytest.raises(LinkTokenUsed, match="used already"):
            await handover.open_link(engine, token=token, telegram_user_id=user, now=NOW)
    short = await handover.issue_link_token(
        engine, client_id=web.id, now=NOW, ttl=timedelta(minutes=5)
    )
    with pytest.raises(LinkTokenExpired, match="expired"):
        await handover.open_link(
            engine, token=short, telegram_user_id=9, now=NOW + timedelta(minutes=5)
        )
    for bad in ("nope", "x" * 500):
        with pytest.raises(UnknownLinkToken, match="not valid"):
            await handover.open_link(engine, token=bad, telegram_user_id=9, now=NOW)


async def test_two_accounts_opening_one_link_at_once_one_gets_it(engine: AsyncEngine) -> None:
    """Separate connections racing: exactly one account is bound to the link."""
    web = await client_for_web(engine, session_id="w", locale="en")
    token = await handover.issue_link_token(engine, client_id=web.id, now=NOW)
    results = await asyncio.gather(
        *(handover.open_link(engine, token=token, telegram_user_id=u, now=NOW) for u in range(8)),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, handover.Offer)]
    assert len(won) == 1
    assert all(isinstance(r, LinkTokenRefused) for r in results if r not in won)
    async with session_factory(engine)() as session:
        opened_by = await session.scalar(select(LinkToken.opened_by))
    assert opened_by == results.index(won[0])


async def test_accept_and_decline_at_once_one_answer_counts(engine: AsyncEngine) -> None:
    shop = await build_shop(engine)
    web = await client_for_web(engine, session_id="w", locale="en")
    booked = await book(engine, shop, web, 10)
    chat = await client_for_telegram(engine, user_id=9, chat_id=9, name="T", locale="en")
    token = await handover.issue_link_token(engine, client_id=web.id, now=NOW)
    offer = await handover.open_link(engine, token=token, telegram_user_id=9, now=NOW)
    accepted, _declined = await asyncio.gather(
        handover.accept(
            engine, token_hash=offer.token_hash, telegram_user_id=9, client_id=chat.id,
            booking_ids=[booked], now=NOW,
        ),
        handover.decline(engine, token_hash=offer.token_hash, telegram_user_id=9, now=NOW),
        return_exceptions=True,
    )  # fmt: skip
    owner = (await owners(engine))[booked]
    assert owner == (chat.id if accepted == [booked] else web.id)
    assert accepted == [booked] or isinstance(accepted, LinkTokenRefused)
