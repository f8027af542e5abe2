"""Times and windows in typed text."""

from __future__ import annotations

from datetime import time

import pytest

from slotbot.dialogs.understand import TimeWindow
from tests.dialogs.understand.catalogs import demo


def times(text: str, locale: str = "en") -> list[tuple[time | None, time | None]]:
    return [(w.start, w.end) for w in demo().read(text, locale).times]


def at(hour: int, minute: int = 0) -> tuple[time, time]:
    return time(hour, minute), time(hour, minute)


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("at 10", "en", at(10)),
        ("at 5", "en", at(17)),  # 1..7 without am/pm: the afternoon
        ("at 5am", "en", at(5)),
        ("at 12 pm", "en", at(12)),
        ("12am", "en", at(0)),
        ("10 a.m.", "en", at(10)),
        ("7:45", "en", at(19, 45)),
        ("08:15", "en", at(8, 15)),
        ("18.30", "en", at(18, 30)),
        ("в 12.30", "ru", at(12, 30)),  # after "в" a time, not 12 March
        ("в 2 дня", "ru", at(14)),
        ("в 11 вечера", "ru", at(23)),
        ("в 5 утра", "ru", at(5)),
        ("в 10 часов", "ru", at(10)),
        ("к пяти", "ru", at(17)),
        ("at noon", "en", at(12)),
        ("at 8 in the evening", "en", at(20)),
        ("tomorrow morning at 9", "en", at(9)),
        ("after 5pm", "en", (time(17), None)),
        ("после 17", "ru", (time(17), None)),
        ("not before 9", "en", (time(9), None)),
        ("before noon", "en", (None, time(12))),
        ("до полудня", "ru", (None, time(12))),
        ("до обеда", "ru", (None, time(13))),
        ("after lunch", "en", (time(13), None)),
        ("не позже 16", "ru", (None, time(16))),
        ("between 11 and 1", "en", (time(11), time(13))),
        ("с 9 до 11", "ru", (time(9), time(11))),
        ("10-12", "en", (time(10), time(12))),
        ("14:00–16:00", "ru", (time(14), time(16))),
        ("morning", "en", (None, time(12))),
        ("утром", "ru", (None, time(12))),
        ("afternoon", "en", (time(12), time(17))),
        ("вечером", "ru", (time(17), None)),
        ("в обед", "ru", (time(12), time(14))),
        ("morning after 9", "en", (time(9), time(12))),  # windows narrow each other
    ],
)
def test_times_and_windows(
    text: str, locale: str, expected: tuple[time | None, time | None]
) -> None:
    assert times(text, locale) == [expected]


@pytest.mark.parametrize("text", ["5", "10", "24:00", "at 25", "12:60", "1234", "room 12"])
def test_numbers_that_are_no_time(text: str) -> None:
    assert times(text) == []


def test_two_times_are_two_readings() -> None:
    assert times("at 10 or 11") == [at(10), at(11)]
    assert times("утром или вечером", "ru") == [(None, time(12)), (time(17), None)]


def test_a_window_holds_the_times_asked_for() -> None:
    after_five = TimeWindow(time(17), None)
    assert after_five.holds(time(17)) and not after_five.holds(time(16, 59))
    until_noon = TimeWindow(None, time(12))
    assert until_noon.holds(time(11, 30)) and not until_noon.holds(time(12))
    ten = TimeWindow(time(10), time(10))
    assert ten.exact and ten.holds(time(10)) and not ten.holds(time(10, 30))
