"""Clients by channel, contact details, phone numbers and link tokens (issue 6.5, 6.6)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.clients import (
    ClientNotFound,
    InvalidContact,
    LinkTokenExpired,
    LinkTokenUsed,
    UnknownLinkToken,
    client_for_staff,
    client_for_telegram,
    client_for_web,
    discard_unused_staff_client,
    get_client,
    issue_link_token,
    parse_phone,
    parse_shared_phone,
    phone_readings,
    phone_region,
    phone_region_of,
    redeem_link_token,
    region_of_zone,
    set_contact,
)
from slotbot.core.limits import InvalidInput
from slotbot.core.storage.db import session_factory, writer
from slotbot.core.storage.models import Booking, BusinessSetting, Client, LinkToken
from tests.core.shop import NOW, TOMORROW, at, build_shop

PHONE = "+4915123456789"


async def count_clients(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        return await session.scalar(select(func.count()).select_from(Client)) or 0


# --- phone numbers and regions ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("+49 151 23456789", "DE", PHONE),
        ("0151 2345 6789", "DE", PHONE),
        ("(030) 123-4567", "DE", "+49301234567"),
        ("8 912 345-67-89", "RU", "+79123456789"),
        ("+7 912 345 67 89", "DE", "+79123456789"),
    ],
)
def test_phone_numbers_are_stored_in_e164(text: str, region: str, e164: str) -> None:
    assert parse_phone(text, region) == e164


@pytest.mark.parametrize("text", ["call me", "+49 151 0000001", "12345", "+999 1234567", "1" * 40])
def test_invalid_phone_numbers_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(InvalidContact, match=r"not a phone number|too long"):
        parse_phone(text, "DE")
    with pytest.raises(InvalidInput, match=r"e\.g\. \+49 1512 3456789|too long"):
        parse_phone(text, "DE")


@pytest.mark.parametrize(
    ("shared", "e164", "country"),
    [("4915123005001", "+4915123005001", "DE"), ("+49 1512 3005001", "+4915123005001", "DE"),
     ("79161234567", "+79161234567", "RU"), ("+7 916 123-45-67", "+79161234567", "RU"),
     ("12025550123", "+12025550123", "US"), ("+1 (202) 555-0123", "+12025550123", "US")],
)  # fmt: skip
def test_a_shared_contact_is_international_with_or_without_plus(
    shared: str, e164: str, country: str
) -> None:
    """Issue 14.1: Telegram's 4915123005001 was read as a German national number."""
    assert parse_shared_phone(shared) == e164
    assert phone_region_of(e164) == country
    for bad in ("", "0151 23456789", "12", "1" * 40):
        with pytest.raises(InvalidContact):
            parse_shared_phone(bad)


@pytest.mark.parametrize(
    ("typed", "region", "readings"),
    [
        ("4915123456789", "DE", ["+494915123456789", "+4915123456789"]),
        ("8 (999) 123 45 67", "DE", ["+4989991234567", "+79991234567"]),
        ("79161234567", "DE", ["+4979161234567", "+79161234567"]),
        ("8 (999) 123 45 67", "RU", ["+79991234567"]),
        ("4915123456789", "RU", ["+4915123456789"]),
        ("0151 2345 6789", "DE", ["+4915123456789"]),
        ("+49 151 23456789", "RU", ["+4915123456789"]),
        ("0049 151 23456789", "DE", ["+4915123456789"]),
        ("12025550123", "DE", ["+12025550123"]),
    ],
)
def test_a_typed_number_gives_every_valid_reading(
    typed: str, region: str, readings: list[str]
) -> None:
    """Issue 14.1: a number valid both as national and as international is not guessed."""
    assert phone_readings(typed, region) == readings
    with pytest.raises(InvalidContact, match="not a phone number"):
        phone_readings("call me", region)


@pytest.mark.parametrize(
    ("zone", "region"),
    [("Europe/Berlin", "DE"), ("Europe/Moscow", "RU"), ("America/New_York", "US"),
     ("UTC", "DE"), ("Nowhere/Atlantis", "DE")],
)  # fmt: skip
def test_region_of_a_time_zone(zone: str, region: str) -> None:
    assert region_of_zone(zone) == region


async def test_phone_region_from_setting_else_the_shop_zone(engine: AsyncEngine) -> None:
    await build_shop(engine)  # specialists in Europe/Berlin, no shop time zone set
    async with session_factory(engine)() as session:
        assert await phone_region(session) == "DE"
    async with writer(engine) as session:
        session.add(BusinessSetting(key="timezone", value="Europe/Moscow"))
    async with session_factory(engine)() as session:
        assert await phone_region(session) == "RU"
    async with writer(engine) as session:
        session.add(BusinessSetting(key="phone_region", value="at"))
    async with session_factory(engine)() as session:
        assert await phone_region(session) == "AT"
    client = await client_for_staff(engine, name="Eva", phone="0664 1234567")
    assert client.phone == "+436641234567"


# --- identity by channel ----------------------------------------------------------------


async def test_telegram_client_found_by_user_id_and_chat_kept_current(
    engine: AsyncEngine,
) -> None:
    first = await client_for_telegram(engine, user_id=77, chat_id=1, name="Ann", locale="en")
    again = await client_for_telegram(engine, user_id=77, chat_id=2, name="Other", locale="de")
    assert again.id == first.id
    assert (again.telegram_chat_id, again.name, again.locale) == (2, "Ann", "en")
    long = await client_for_telegram(engine, user_id=78, chat_id=3, name="x" * 129, locale="en")
    assert long.name == "x" * 100  # a profile name is cut, not refused
    assert await count_clients(engine) == 2


async def test_web_client_found_by_session(engine: AsyncEngine) -> None:
    first = await client_for_web(engine, session_id="s-1", locale="de")
    assert (await client_for_web(engine, session_id="s-1", locale="en")).id == first.id
    assert (await client_for_web(engine, session_id="s-2", locale="en")).id != first.id
    for bad in ("", "x" * 65, "a b", "ä"):
        with pytest.raises(InvalidInput, match="web session id"):
            await client_for_web(engine, session_id=bad, locale="en")
    with pytest.raises(InvalidInput, match="not a language code"):
        await client_for_web(engine, session_id="s-3", locale="english please")


async def test_concurrent_first_contacts_create_one_client(engine: AsyncEngine) -> None:
    """Many updates of one new user at once (separate connections): one row, no error."""
    telegram = await asyncio.gather(
        *(
            client_for_telegram(engine, user_id=42, chat_id=42, name=f"T{n}", locale="en")
            for n in range(12)
        )
    )
    web = await asyncio.gather(
        *(client_for_web(engine, session_id="widget-1", locale="en") for _ in range(12))
    )
    assert len({c.id for c in telegram}) == 1
    assert len({c.id for c in web}) == 1
    assert await count_clients(engine) == 2


async def test_a_strangers_phone_reaches_nobody_elses_record(engine: AsyncEngine) -> None:
    """Issue 6.5: typing someone's phone number took over their name, e-mail and chat."""
    await build_shop(engine)
    victim = await client_for_telegram(engine, user_id=1, chat_id=1, name="Vic", locale="en")
    await set_contact(engine, client_id=victim.id, phone=PHONE, email="vic@mail.test")
    stranger = await client_for_telegram(engine, user_id=2, chat_id=2, name="Eve", locale="en")
    await set_contact(engine, client_id=stranger.id, name="Mallory", phone="0151 23456789",
                      email="eve@mail.test")  # fmt: skip
    by_staff = await client_for_staff(engine, name="Walk-in", phone=PHONE)
    assert len({victim.id, stranger.id, by_staff.id}) == 3
    victim_now = await get_client(engine, victim.id)
    assert victim_now is not None
    assert (victim_now.name, victim_now.phone, victim_now.email, victim_now.telegram_chat_id) == (
        "Vic", PHONE, "vic@mail.test", 1,
    )  # fmt: skip
    stranger_now = await get_client(engine, stranger.id)
    assert stranger_now is not None and (stranger_now.name, stranger_now.phone) == (
        "Mallory",
        PHONE,
    )


async def test_set_contact_validates_and_needs_a_client(engine: AsyncEngine) -> None:
    await build_shop(engine)
    client = await client_for_web(engine, session_id="s", locale="en")
    with pytest.raises(InvalidContact, match="not a phone number"):
        await set_contact(engine, client_id=client.id, phone="12")
    with pytest.raises(InvalidContact, match="not an e-mail address"):
        await set_contact(engine, client_id=client.id, email="nobody")
    with pytest.raises(ClientNotFound):
        await set_contact(engine, client_id=client.id + 100, name="Ghost")
    updated = await set_contact(engine, client_id=client.id, name=" Jo ", locale="de")
    assert (updated.name, updated.locale, updated.phone) == ("Jo", "de", None)
    assert await get_client(engine, client.id + 100) is None


# --- link tokens ------------------------------------------------------------------------


async def test_a_link_token_attaches_telegram_to_the_web_client_once(engine: AsyncEngine) -> None:
    web = await client_for_web(engine, session_id="w", locale="en")
    token = await issue_link_token(engine, client_id=web.id, now=NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token)
    linked = await redeem_link_token(
        engine, token=token, telegram_user_id=9, chat_id=90, now=NOW + timedelta(hours=1)
    )
    assert (linked.id, linked.telegram_user_id, linked.telegram_chat_id) == (web.id, 9, 90)
    again = await client_for_telegram(engine, user_id=9, chat_id=91, name=None, locale="en")
    assert again.id == web.id
    with pytest.raises(LinkTokenUsed, match="used already"):
        await redeem_link_token(engine, token=token, telegram_user_id=9, chat_id=90, now=NOW)
    async with session_factory(engine)() as session:
        stored = await session.scalar(select(LinkToken.token_hash))
    assert stored is not None and token not in stored


async def test_expired_and_unknown_tokens_are_refused(engine: AsyncEngine) -> None:
    web = await client_for_web(engine, session_id="w", locale="en")
    token = await issue_link_token(engine, client_id=web.id, now=NOW, ttl=timedelta(minutes=5))
    with pytest.raises(LinkTokenExpired, match="expired"):
        await redeem_link_token(
            engine, token=token, telegram_user_id=9, chat_id=9, now=NOW + timedelta(minutes=5)
        )
    for bad in ("nope", "x" * 500):
        with pytest.raises(UnknownLinkToken, match="not valid"):
            await redeem_link_token(engine, token=bad, telegram_user_id=9, chat_id=9, now=NOW)
    with pytest.raises(ClientNotFound):
        await issue_link_token(engine, client_id=web.id + 100, now=NOW)
    assert (await get_client(engine, web.id)).telegram_user_id is None  # type: ignore[union-attr]


async def test_linking_merges_an_existing_telegram_client(engine: AsyncEngine) -> None:
    shop = await build_shop(engine)
    web = await client_for_web(engine, session_id="w", locale="en")
    await set_contact(engine, client_id=web.id, name="Web Name")
    chat = await client_for_telegram(engine, user_id=9, chat_id=90, name="Tg", locale="en")
    await set_contact(engine, client_id=chat.id, phone=PHONE)
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=chat.id, channel="telegram", now=NOW,
    )  # fmt: skip
    await bookings.confirm(engine, booking_id=held.id, now=NOW)
    token = await issue_link_token(engine, client_id=web.id, now=NOW)

    linked = await redeem_link_token(engine, token=token, telegram_user_id=9, chat_id=91, now=NOW)

    assert (linked.id, linked.name, linked.phone, linked.telegram_chat_id) == (
        web.id, "Web Name", PHONE, 91,
    )  # fmt: skip
    assert await get_client(engine, chat.id) is None
    async with session_factory(engine)() as session:
        assert await session.scalar(select(Booking.client_id)) == web.id
    assert (await client_for_telegram(engine, user_id=9, chat_id=91, name=None, locale="en")).id
    assert await count_clients(engine) == 1


async def test_two_redeems_at_once_one_wins(engine: AsyncEngine) -> None:
    web = await client_for_web(engine, session_id="w", locale="en")
    token = await issue_link_token(engine, client_id=web.id, now=NOW)
    results = await asyncio.gather(
        *(
            redeem_link_token(engine, token=token, telegram_user_id=user, chat_id=user, now=NOW)
            for user in (1, 2)
        ),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, Client)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], LinkTokenUsed)
    final = await get_client(engine, web.id)
    assert final is not None and final.telegram_user_id == won[0].telegram_user_id


async def test_staff_find_or_create_by_phone_makes_one_client_under_concurrency(
    engine: AsyncEngine,
) -> None:
    """Issue 11.10: simultaneous staff bookings of one new phone created several clients."""
    await build_shop(engine)
    found = await asyncio.gather(
        *(
            client_for_staff(
                engine, name=f"Caller {n}", phone=("+49 151 23456789", "0151 23456789")[n % 2]
            )
            for n in range(12)
        )
    )
    assert len({c.id for c in found}) == 1
    assert found[0].web_session_id == "staff:+4915123456789"
    assert await count_clients(engine) == 1


async def test_the_staff_identity_is_out_of_reach_of_chats(engine: AsyncEngine) -> None:
    """A widget session cannot name the staff identity, and a chat client who types the
    phone stays a client of their own."""
    await build_shop(engine)
    staff = await client_for_staff(engine, name="Desk", phone=PHONE)
    with pytest.raises(InvalidInput, match="web session id"):
        await client_for_web(engine, session_id=f"staff:{PHONE}", locale="en")
    web = await client_for_web(engine, session_id="staff:4915123456789", locale="en")
    await set_contact(engine, client_id=web.id, phone=PHONE)
    assert web.id != staff.id
    assert await discard_unused_staff_client(engine, web.id) is False  # not a staff client
    assert await discard_unused_staff_client(engine, staff.id) is True
    assert await count_clients(engine) == 1
