"""Clients by channel, contact details and phone numbers (issues 6.5, 14.1)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.clients import (
    ClientNotFound,
    InvalidContact,
    client_for_staff,
    client_for_telegram,
    client_for_web,
    discard_unused_staff_client,
    get_client,
    parse_phone,
    parse_shared_phone,
    phone_readings,
    phone_region,
    phone_region_of,
    region_of_zone,
    set_contact,
)
from slotbot.core.limits import InvalidInput
from slotbot.core.storage.db import session_factory, writer
from slotbot.core.storage.models import BusinessSetting, Client
from tests.core.shop import build_shop

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


# --- staff clients ----------------------------------------------------------------------


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
