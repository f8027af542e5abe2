"""Intents, services and specialists in typed text; typos, both languages, the length
limit, and what is not understood."""

from __future__ import annotations

import time as clock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slotbot.core.limits import READ_MAX, readable
from slotbot.dialogs.understand import Intent, Reading
from tests.dialogs.understand.catalogs import demo, two_annas


def services(text: str, locale: str = "en") -> list[str]:
    catalog = demo()
    return [catalog.service_key[m.id] for m in catalog.read(text, locale).services]


def people(text: str, locale: str = "en", catalog_name: str = "demo") -> list[str]:
    catalog = demo() if catalog_name == "demo" else two_annas()
    return [catalog.specialist_key[m.id] for m in catalog.read(text, locale).specialists]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("cancel my booking", Intent.CANCEL),
        ("cancle my appointment", Intent.CANCEL),  # a typo
        ("отменить запись", Intent.CANCEL),
        ("отмените мою запись", Intent.CANCEL),  # "my booking" inside: cancel wins
        ("move it to Friday", Intent.RESCHEDULE),
        ("перенести на пятницу", Intent.RESCHEDULE),
        ("when is my appointment", Intent.MY_BOOKINGS),
        ("когда я записан?", Intent.MY_BOOKINGS),
        ("help", Intent.HELP),
        ("??", Intent.HELP),
        ("что ты умеешь", Intent.HELP),
        ("language", Intent.LANGUAGE),
        ("по-русски", Intent.LANGUAGE),
        ("book", Intent.BOOK),
        ("записаться", Intent.BOOK),
        ("haircut", Intent.BOOK),  # something to book named: a booking
    ],
)
def test_intents(text: str, intent: Intent) -> None:
    assert demo().read(text).intent is intent


def test_the_language_asked_for() -> None:
    assert demo().read("по-английски", "ru").language == "en"
    assert demo().read("switch to Russian").language == "ru"
    assert demo().read("язык", "ru").language is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("haircut", ["haircut"]),
        ("hair cut", ["haircut"]),
        ("HairCut", ["haircut"]),
        ("harcut", ["haircut"]),
        ("стрижку", ["haircut"]),
        ("на стрижке", ["haircut"]),
        ("стрижка бороды", ["beard_trim"]),  # the longer name wins
        ("стрижка, борода", ["beard_trim", "haircut"]),  # two clauses: two services
        ("подстричься", ["haircut"]),  # a synonym of the import file
        ("check-up at the dentist", ["dental_checkup"]),
        ("massage or training", ["personal_training", "massage"]),
    ],
)
def test_services(text: str, expected: list[str]) -> None:
    assert sorted(services(text)) == sorted(expected)


def test_a_typo_or_a_part_of_a_name_is_less_sure() -> None:
    catalog = demo()
    exact = catalog.read("massage").services[0].sureness
    typo = catalog.read("masage").services[0].sureness
    part = catalog.read("sports").services[0].sureness
    assert exact == 1.0 and 0.8 <= typo < exact and part < exact


def test_inactive_services_are_not_read() -> None:
    assert services("whitening") == []
    assert services("отбеливание", "ru") == []


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("with anna", "en", ["anna"]),
        ("к Анне", "ru", ["anna"]),
        ("у Петровой", "ru", ["anna"]),
        ("Anna", "ru", ["anna"]),  # Latin typed by a Russian speaker
        ("к Веберу", "ru", ["weber"]),  # a Latin name typed in Cyrillic, in the dative
        ("Schulz", "en", ["lena"]),
        ("Шульц", "ru", ["lena"]),
        ("к Лене", "ru", ["lena"]),  # Lena herself, not Elena Ivanova's short name
        ("к Маше", "ru", ["sokolova"]),  # Maria's short name
        ("Petorva", "en", ["anna"]),  # a typo
        ("Olga", "en", []),
        ("к Ольге", "ru", []),
    ],
)
def test_specialists(text: str, locale: str, expected: list[str]) -> None:
    assert people(text, locale) == expected


def test_two_specialists_with_one_name_are_both_given() -> None:
    assert people("with Anna", catalog_name="annas") == ["anna", "smirnova"]
    assert people("к Анне", "ru", catalog_name="annas") == ["anna", "smirnova"]
    assert people("Anna Smirnova", catalog_name="annas") == ["smirnova"]
    assert people("к Смирновой", "ru", catalog_name="annas") == ["smirnova"]
    assert people("Petrova", catalog_name="annas") == ["anna"]


def test_a_title_before_a_name_is_not_a_service() -> None:
    reading = demo().read("к доктору Веберу", "ru")
    assert reading.services == () and people("к доктору Веберу", "ru") == ["weber"]
    assert services("to the doctor") == ["gp_consultation"]


def test_anyone() -> None:
    assert demo().read("любой мастер", "ru").anyone
    assert demo().read("anyone is fine").anyone
    assert not demo().read("any time tomorrow").anyone
    assert not demo().read("в любой день", "ru").anyone
    reading = demo().read("Anna or Boris, whoever is free")
    assert not reading.anyone and len(reading.specialists) == 2


@pytest.mark.parametrize(
    "text", ["", "   ", "hi", "спасибо", "🙂🙂", "asdfgh", "1234567", "маникюр", "\x00\x07"]
)
def test_nothing_understood_is_an_empty_reading(text: str) -> None:
    reading = demo().read(text)
    assert reading.empty and reading == Reading()


def test_a_long_message_is_cut_before_it_is_read() -> None:
    head = "haircut with Anna tomorrow after 5 "
    text = head + "blah " * 10_000 + "massage on Friday"
    started = clock.perf_counter()
    reading = demo().read(text)
    assert clock.perf_counter() - started < 1.0  # a sanity bound, not a benchmark
    assert reading.cut and reading.service_id == demo().service_id["haircut"]
    assert len(reading.dates) == 1  # "Friday", past the limit, was not read
    assert readable("x" * READ_MAX) == ("x" * READ_MAX, False)
    cut, was_cut = readable("word " * 100)
    assert was_cut and len(cut) <= READ_MAX and cut.endswith("word")


def test_reading_is_deterministic() -> None:
    text = "стрижка к Анне завтра после 5"
    assert demo().read(text, "ru") == demo().read(text, "ru")


WORDS = [
    "12.12", "31.02", "25:61", "9999", "-", "–", "?", "at", "в", "после", "до", "next",
    "следующую", "через", "in", "the", "15th", "18", "го", "pm", "утра", "Anna", "Анне",
    "стрижку", "cancel", "12.12.1999", "2100-12-31", "\ud800", "²", "³3", "١٢", "12²",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(WORDS)), max_size=40))
def test_any_text_reads_without_error(words: list[str]) -> None:
    reading = demo().read(" ".join(words), "ru")
    assert all(first <= last for first, last in ((d.first, d.last) for d in reading.dates))
    assert all(0.0 < m.sureness <= 1.0 for m in (*reading.services, *reading.specialists))
