"""Dates in typed text on the shop's calendar: month and year ends, the shop's midnight,
weekdays, weeks, and the order of day and month."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from slotbot.dialogs.understand import DateRange, day_first
from tests.dialogs.understand.catalogs import BERLIN, demo

UTC_ZONE = ZoneInfo("UTC")


def dates(text: str, now: datetime, locale: str = "en", zone: ZoneInfo = BERLIN) -> list[str]:
    reading = demo().read(text, locale, now=now, zone=zone)
    return [d.first.isoformat() if d.single else f"{d.first}..{d.last}" for d in reading.dates]


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-12-31"),
        ("tomorrow", "2027-01-01"),
        ("послезавтра", "2027-01-02"),
        ("2.01", "2027-01-02"),
        ("5 января", "2027-01-05"),
        ("Jan 3rd", "2027-01-03"),
        ("31.12", "2026-12-31"),
        ("30.12", "2027-12-30"),  # passed: the next one
        ("in 3 days", "2027-01-03"),
        ("через неделю", "2027-01-07"),
        ("on Monday", "2027-01-04"),
        ("next week", "2027-01-04..2027-01-10"),
        ("на этой неделе", "2026-12-31..2027-01-03"),
        ("the 2nd", "2027-01-02"),
        ("31-го", "2026-12-31"),
        ("в январе", "2027-01-01..2027-01-31"),
    ],
)
def test_across_the_end_of_the_year(text: str, expected: str) -> None:
    assert dates(text, berlin(2026, 12, 31, 15, 0)) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow", "2027-03-01"),
        ("the 30th", "2027-03-30"),  # February has none
        ("29.02", "2028-02-29"),  # the next 29 February
        ("in 2 days", "2027-03-02"),
        ("в пятницу", "2027-03-05"),
    ],
)
def test_across_the_end_of_a_month(text: str, expected: str) -> None:
    assert dates(text, berlin(2027, 2, 28, 12, 0)) == [expected]


def test_the_shops_midnight_not_utcs() -> None:
    """00:30 in Berlin is still 23:30 the day before in UTC: Berlin's date counts."""
    half_past_midnight = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 2 Dec, 00:30 in Berlin
    assert dates("today", half_past_midnight) == ["2026-12-02"]
    assert dates("tomorrow", half_past_midnight) == ["2026-12-03"]
    assert dates("завтра", half_past_midnight, "ru") == ["2026-12-03"]
    assert dates("on Thursday", half_past_midnight) == ["2026-12-03"]
    assert dates("tomorrow", half_past_midnight, zone=UTC_ZONE) == ["2026-12-02"]


def test_weekdays_this_and_next() -> None:
    tuesday = berlin(2026, 12, 1, 10, 0)
    assert dates("Tuesday", tuesday) == ["2026-12-08"]  # today is "today"
    assert dates("this Tuesday", tuesday) == ["2026-12-01"]
    assert dates("next Tuesday", tuesday) == ["2026-12-08"]
    assert dates("Wednesday", tuesday) == ["2026-12-02"]
    assert dates("next Wednesday", tuesday) == ["2026-12-09"]
    assert dates("в следующий понедельник", tuesday, "ru") == ["2026-12-07"]
    assert dates("в эту пятницу", tuesday, "ru") == ["2026-12-04"]
    sunday = berlin(2026, 12, 6, 10, 0)
    assert dates("weekend", sunday) == ["2026-12-06"]
    assert dates("next weekend", sunday) == ["2026-12-12..2026-12-13"]
    assert dates("next week", sunday) == ["2026-12-07..2026-12-13"]


def test_the_ambiguous_date_gives_both_readings() -> None:
    now = berlin(2026, 12, 1, 10, 0)
    assert dates("12.11", now, zone=UTC_ZONE) == ["2027-11-12", "2026-12-11"]
    assert dates("12.11", now, "ru", zone=UTC_ZONE) == ["2027-11-12"]  # Russian: day first
    assert dates("12.11", now) == ["2027-11-12"]  # Berlin: day first
    assert dates("12/11", now, zone=ZoneInfo("America/New_York")) == ["2026-12-11"]
    assert dates("13.11", now, zone=UTC_ZONE) == ["2027-11-13"]  # 13 is no month
    assert dates("12.12", now, zone=UTC_ZONE) == ["2026-12-12"]  # both readings agree


def test_the_order_of_day_and_month_comes_from_the_shops_country() -> None:
    assert day_first(BERLIN, "en") is True
    assert day_first(ZoneInfo("Europe/London"), "en") is True
    assert day_first(ZoneInfo("America/Chicago"), "en") is False
    assert day_first(ZoneInfo("America/Chicago"), "ru") is False  # the shop's form first
    assert day_first(UTC_ZONE, "en") is None
    assert day_first(UTC_ZONE, "ru") is True


@pytest.mark.parametrize(
    "text",
    [
        "I sat there",
        "may I",
        "with Jan",
        "31.02",
        "32.12",
        "0.5",
        "12.13.2026",
        "1.1.2200",
        "2026-02-30",
        "the 32nd",
        "00.00",
    ],
)
def test_what_is_no_date_is_not_read(text: str) -> None:
    assert dates(text, berlin(2026, 12, 1, 10, 0)) == []


def test_a_year_given_is_kept() -> None:
    now = berlin(2026, 12, 1, 10, 0)
    assert dates("12.12.2027", now) == ["2027-12-12"]
    assert dates("12.12.27", now) == ["2027-12-12"]
    assert dates("2027-01-15", now) == ["2027-01-15"]
    assert dates("15 January 2027", now) == ["2027-01-15"]


def test_a_range_is_a_date_range() -> None:
    reading = demo().read("next week", now=berlin(2026, 12, 1, 10, 0))
    assert reading.dates == (DateRange(date(2026, 12, 7), date(2026, 12, 13)),)
    assert reading.date is not None and not reading.date.single
