"""Texts and formats in the client's language: gettext catalogs read with Babel, and dates,
times, month and weekday names, durations and prices formatted by Babel for the locale."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    get_date_format,
    get_day_names,
    get_timezone_name,
)
from babel.languages import get_official_languages
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import NullTranslations, Translations
from babel.units import format_unit

__all__ = [
    "CATALOGS",
    "LANGUAGES",
    "Texts",
    "country_of_zone",
    "pick_locale",
    "specialist_language",
    "texts",
    "writes_day_first",
]

#: Locale code -> the language's own name, as the Language menu shows it.
LANGUAGES = {"en": "English", "ru": "Русский"}
DEFAULT_LOCALE = "en"
CATALOGS = Path(__file__).resolve().parent / "locale"


def pick_locale(hint: str | None) -> str:
    """The supported locale closest to a channel's hint (``ru-RU`` -> ``ru``)."""
    code = (hint or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LOCALE


def specialist_language(chosen: str | None, chat: str | None) -> str:
    """A specialist's language: the import file's ``locale`` (the shop's explicit choice)
    wins, else the language of their Telegram chat, else English."""
    return pick_locale(chosen or chat)


@cache
def _translations(locale: str) -> NullTranslations:
    po = CATALOGS / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


class Texts:
    """Translation and formatting for one locale."""

    __slots__ = ("_translations", "babel", "locale")

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.babel = Locale.parse(locale)
        self._translations = _translations(locale)

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def day(self, day: date) -> str:
        """``Tue, Dec 1`` / ``вт, 1 дек.``"""
        return format_skeleton("MMMEd", day, locale=self.babel)

    def long_day(self, day: date) -> str:
        """``Tuesday, December 1, 2026``."""
        return format_date(day, "full", locale=self.babel)

    def long_date(self, day: date) -> str:
        """``December 7, 2026`` / ``7 декабря 2026 г.`` (no weekday)."""
        return format_date(day, "long", locale=self.babel)

    def month(self, first: date) -> str:
        """``December 2026`` / ``Декабрь 2026 г.``: a heading, so it starts upper case."""
        return self.at_start(format_skeleton("yMMMM", first, locale=self.babel))

    def short_month(self, first: date) -> str:
        """``Dec`` / ``Дек.``: a calendar's button, so it starts upper case."""
        return self.at_start(format_skeleton("MMM", first, locale=self.babel))

    def at_start(self, text: str) -> str:
        """``text`` where it starts a sentence or a line: Babel writes Russian weekdays and
        months in lower case (``ср, 2 дек.``), which a sentence never starts with."""
        return text[:1].upper() + text[1:]

    def time(self, instant: datetime, zone: ZoneInfo) -> str:
        """Wall-clock time in ``zone``: ``10:00 AM`` / ``10:00``."""
        return format_datetime(instant, "short", tzinfo=zone, locale=self.babel).split(", ")[-1]

    def when(self, instant: datetime, zone: ZoneInfo) -> str:
        """``Tue, Dec 1, 10:00 AM`` in ``zone``."""
        local = instant.astimezone(zone)
        return f"{self.day(local.date())}, {self.time(instant, zone)}"

    def weekday_initials(self) -> list[str]:
        """Monday first: ``Mo Tu We ...`` / ``пн вт ср ...``."""
        names = get_day_names("short", locale=self.babel)
        return [names[i] for i in range(7)]

    def zone_name(self, zone: ZoneInfo, at: datetime) -> str:
        """``Central European Time`` / ``Центральная Европа``."""
        return get_timezone_name(at.astimezone(zone), width="long", locale=self.babel)

    def zone(self, zone: ZoneInfo) -> str:
        """``Central European Time`` / ``Центральная Европа``: whatever the season (for lists
        of times that may straddle a change of the clocks)."""
        return get_timezone_name(zone, width="long", locale=self.babel)

    def duration(self, minutes: int) -> str:
        """``60 min`` / ``60 мин``."""
        hours, rest = divmod(minutes, 60)
        if minutes >= 60 and rest == 0:
            return format_unit(hours, "duration-hour", length="short", locale=self.babel)
        return format_unit(minutes, "duration-minute", length="short", locale=self.babel)

    def country(self, region: str) -> str:
        """A country's name from its ISO 3166 code: ``Germany`` / ``Германия``."""
        return str(self.babel.territories.get(region, region))

    def price(self, amount: Decimal | None, currency: str | None) -> str:
        """``€30.00`` / ``30,00 €``; empty when the service has no price."""
        if amount is None or not currency:
            return ""
        return format_currency(amount, currency, locale=self.babel)


@cache
def texts(locale: str) -> Texts:
    """The texts of a supported locale (``en`` for anything else)."""
    return Texts(locale if locale in LANGUAGES else DEFAULT_LOCALE)


@cache
def _zone_countries() -> dict[str, str]:
    """IANA zone -> ISO 3166 country code, from tzdata's ``zone.tab``."""
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    rows = (line.split("\t") for line in table.splitlines() if not line.startswith("#"))
    return {row[2]: row[0] for row in rows if len(row) >= 3}


def country_of_zone(zone: str) -> str | None:
    """The country of an IANA time zone (``Europe/Berlin`` -> ``DE``); ``None`` for ``UTC``
    and the zones of no one country."""
    return _zone_countries().get(zone)


@cache
def writes_day_first(country: str | None) -> bool | None:
    """Whether a country's short dates put the day before the month (``DE``: 24.12.26,
    ``GB``: 24/12/2026) or after it (``US``: 12/24/26), by CLDR's pattern for its official
    language; ``None`` when the country is unknown."""
    if not country:
        return None
    for language in get_official_languages(country, de_facto=True):
        try:
            pattern = get_date_format("short", locale=Locale(language, country)).pattern
        except (UnknownLocaleError, ValueError):
            continue
        day, month = pattern.find("d"), pattern.find("M")
        if day >= 0 and month >= 0:
            return day < month
    return None
