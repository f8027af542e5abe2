"""Input bounds (issue 6.3, 6.4): one limit per text, columns wide enough, dates in range."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import InstrumentedAttribute

from slotbot.core import booking as bookings
from slotbot.core import limits
from slotbot.core.clients import check_email, client_for_staff, set_contact
from slotbot.core.limits import DateOutOfRange, InvalidInput, TooLong
from slotbot.core.storage.db import session_factory, writer
from slotbot.core.storage.models import (
    Booking,
    Client,
    Notification,
    SpecialistBlock,
    SpecialistOverride,
)
from tests.core.shop import NOW, TOMORROW, at, build_shop

#: 64 + 1 + 63 + 1 + 63 + 1 + 61 = 254 characters, the most an address may have.
LONGEST_EMAIL = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 58}.de"
#: The most a booking id, kind and channel add to a recipient in a dedupe key.
DEDUPE_PREFIX = len("9223372036854775807:cancelled_by_specialist_x:telegram:")


def width(column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None]) -> int:
    kind = column.property.columns[0].type
    assert isinstance(kind, String) and kind.length is not None
    return kind.length


def test_every_column_holds_what_the_checks_allow() -> None:
    assert len(LONGEST_EMAIL) == limits.EMAIL_MAX
    assert width(Client.name) >= limits.NAME_MAX
    assert width(Client.email) >= limits.EMAIL_MAX
    assert width(Client.phone) >= len("+") + 15  # E.164
    assert width(Client.locale) >= limits.LOCALE_MAX
    assert width(Client.web_session_id) >= limits.WEB_SESSION_ID_MAX
    assert width(Notification.recipient) >= limits.EMAIL_MAX
    assert width(Notification.dedupe_key) >= DEDUPE_PREFIX + limits.EMAIL_MAX
    assert width(Booking.cancel_reason) >= limits.REASON_MAX
    assert width(SpecialistOverride.reason) >= limits.REASON_MAX
    assert width(SpecialistBlock.reason) >= limits.REASON_MAX


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * 101, "the name is too long: 101 characters, at most 100"),
        ("   ", "the name is empty"),
        ("Ann\x00a", "the name contains control characters"),
        ("Ann\na", "the name contains control characters"),
    ],
)
def test_names_are_bounded(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        limits.check_name(text)


def test_reasons_may_have_lines_but_not_more_than_the_limit() -> None:
    assert limits.check_reason("  ill\nsorry ") == "ill\nsorry"
    assert limits.check_reason("   ") is None
    assert limits.check_reason("r" * limits.REASON_MAX) == "r" * limits.REASON_MAX
    with pytest.raises(TooLong, match="reason is too long"):
        limits.check_reason("r" * (limits.REASON_MAX + 1))
    with pytest.raises(TooLong, match="comment is too long"):
        limits.check_comment("c" * (limits.COMMENT_MAX + 1))


def test_email_is_bounded() -> None:
    assert check_email(f" {LONGEST_EMAIL} ") == LONGEST_EMAIL
    with pytest.raises(TooLong, match="e-mail address is too long: 255"):
        check_email("a" + LONGEST_EMAIL)


@pytest.mark.parametrize("day", [date.min, date(1999, 12, 31), date(2101, 1, 1), date.max])
def test_dates_outside_the_bookable_range_are_refused(day: date) -> None:
    with pytest.raises(DateOutOfRange, match="dates from 2000-01-01 to 2100-12-31 only"):
        limits.bounded_date(day)


def test_the_ends_of_the_range_are_bookable() -> None:
    assert limits.bounded_date(limits.FIRST_DATE) == date(2000, 1, 1)
    assert limits.bounded_date(limits.LAST_DATE) == date(2100, 12, 31)
    with pytest.raises(InvalidInput, match="ends"):
        limits.bounded_range(date(2026, 12, 2), date(2026, 12, 1))


# --- on the databases ------------------------------------------------------------------------


async def test_a_254_character_email_gets_its_notifications(engine: AsyncEngine) -> None:
    """Issue 6.3: the dedupe key (booking, kind, channel, recipient) overflowed String(200)."""
    shop = await build_shop(engine)
    async with writer(engine) as session:
        client = Client(name="Long Address", email=LONGEST_EMAIL)
        session.add(client)
        await session.flush()
        client_id = client.id
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=client_id, channel="web", now=NOW,
    )  # fmt: skip
    await bookings.confirm(engine, booking_id=held.id, now=NOW)
    await bookings.cancel(engine, booking_id=held.id, by="specialist", reason="ill", now=NOW)
    async with session_factory(engine)() as session:
        recipients = set(await session.scalars(select(Notification.recipient)))
    assert LONGEST_EMAIL in recipients


async def test_a_long_cancel_reason_is_refused_and_nothing_changes(engine: AsyncEngine) -> None:
    """Issue 6.3: a reason over 500 characters was a database error on PostgreSQL."""
    shop = await build_shop(engine)
    client = await client_for_staff(engine, name="Jane", phone="+49 151 23456789")
    held = await bookings.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=client.id, channel="staff", now=NOW,
    )  # fmt: skip
    await bookings.confirm(engine, booking_id=held.id, now=NOW)
    with pytest.raises(TooLong, match="the reason is too long: 501 characters, at most 300"):
        await bookings.cancel(engine, booking_id=held.id, by="client", reason="r" * 501, now=NOW)
    async with session_factory(engine)() as session:
        found = await session.get(Booking, held.id)
        assert found is not None and (found.status, found.cancel_reason) == ("confirmed", None)
    reason = "r" * limits.REASON_MAX
    cancelled = await bookings.cancel(
        engine, booking_id=held.id, by="client", reason=reason, now=NOW
    )
    assert cancelled.cancel_reason == reason


async def test_a_long_client_name_is_refused_with_a_clear_message(engine: AsyncEngine) -> None:
    """Issue 6.3: a name over 200 characters was a database error on PostgreSQL."""
    await build_shop(engine)
    with pytest.raises(TooLong, match="the name is too long: 201 characters, at most 100"):
        await client_for_staff(engine, name="n" * 201, phone="+49 151 23456789")
    client = await client_for_staff(engine, name="n" * 100, phone="+49 151 23456789")
    with pytest.raises(TooLong, match="name is too long"):
        await set_contact(engine, client_id=client.id, name="n" * 201)
    with pytest.raises(InvalidInput, match="control characters"):
        await set_contact(engine, client_id=client.id, name="Nul\x00l")
    async with session_factory(engine)() as session:
        assert await session.scalar(select(Client.name)) == "n" * 100


def test_typed_text_is_read_up_to_its_limit() -> None:
    short = "haircut tomorrow"
    assert limits.readable(short) == (short, False)
    exact = "x" * limits.READ_MAX
    assert limits.readable(exact) == (exact, False)
    words = "стрижка " * 1000
    head, cut = limits.readable(words)
    assert cut and len(head) <= limits.READ_MAX and head.split() == ["стрижка"] * 25
    one_word = "y" * (limits.READ_MAX * 10)
    assert limits.readable(one_word) == ("y" * limits.READ_MAX, True)
