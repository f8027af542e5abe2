"""Texts and formats in the client's language: gettext catalogs read with Babel, and dates,
times, month and weekday names, durations and prices formatted by Babel for the locale.

Babel formats are slow (tens of microseconds each) and a turn shows the same days, slot
times and prices to every client, so each format is computed once per locale and value and
kept in a bounded cache (LRU, or cleared when full) keyed by the locale and every value the
text depends on; CLDR data does not change while we run.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache
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


@lru_cache(maxsize=2048)
def _skeleton(locale: Locale, skeleton: str, day: date) -> str:
    return format_skeleton(skeleton, day, locale=locale)


@lru_cache(maxsize=2048)
def _date(locale: Locale, form: str, day: date) -> str:
    return format_date(day, form, locale=locale)


@lru_cache(maxsize=4096)
def _time(locale: Locale, instant: datetime, zone: ZoneInfo) -> str:
    return format_datetime(instant, "short", tzinfo=zone, locale=locale).split(", ")[-1]


@lru_cache(maxsize=256)
def _duration(locale: Locale, minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if minutes >= 60 and rest == 0:
        return format_unit(hours, "duration-hour", length="short", locale=locale)
    return format_unit(minutes, "duration-minute", length="short", locale=locale)


@lru_cache(maxsize=256)
def _price(locale: Locale, amount: str, currency: str) -> str:
    """A price from its amount's exact text (``30`` and ``30.00`` are distinct keys)."""
    return format_currency(Decimal(amount), currency, locale=locale)


@lru_cache(maxsize=64)
def _zone(locale: Locale, zone: ZoneInfo) -> str:
    return get_timezone_name(zone, width="long", locale=locale)


#: zone_name's cache (its key holds no datetime, so not an lru_cache): cleared when full.
_ZONE_NAMES: dict[tuple[Locale, ZoneInfo, timedelta | None, timedelta | None], str] = {}


@lru_cache(maxsize=16)
def _weekday_initials(locale: Locale) -> tuple[str, ...]:
    names = get_day_names("short", locale=locale)
    return tuple(names[i] for i in range(7))


class Texts:
    """Translation and formatting for one locale; Babel's formats are cached per locale and
    value (the LRU caches above)."""

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
        return _skeleton(self.babel, "MMMEd", day)

    def long_day(self, day: date) -> str:
        """``Tuesday, December 1, 2026``."""
        return _date(self.babel, "full", day)

    def long_date(self, day: date) -> str:
        """``December 7, 2026`` / ``7 декабря 2026 г.`` (no weekday)."""
        return _date(self.babel, "long", day)

    def month(self, first: date) -> str:
        """``December 2026`` / ``Декабрь 2026 г.``: a heading, so it starts upper case."""
        return self.at_start(_skeleton(self.babel, "yMMMM", first))

    def short_month(self, first: date) -> str:
        """``Dec`` / ``Дек.``: a calendar's button, so it starts upper case."""
        return self.at_start(_skeleton(self.babel, "MMM", first))

    def at_start(self, text: str) -> str:
        """``text`` where it starts a sentence or a line: Babel writes Russian weekdays and
        months in lower case (``ср, 2 дек.``), which a sentence never starts with."""
        return text[:1].upper() + text[1:]

    def time(self, instant: datetime, zone: ZoneInfo) -> str:
        """Wall-clock time in ``zone``: ``10:00 AM`` / ``10:00``."""
        if instant.tzinfo is not None and instant.tzinfo is not UTC:
            instant = instant.astimezone(UTC)  # one key per instant, whatever its fold
        return _time(self.babel, instant, zone)

    def when(self, instant: datetime, zone: ZoneInfo) -> str:
        """``Tue, Dec 1, 10:00 AM`` in ``zone``."""
        local = instant.astimezone(zone)
        return f"{self.day(local.date())}, {self.time(instant, zone)}"

    def weekday_initials(self) -> list[str]:
        """Monday first: ``Mo Tu We ...`` / ``пн вт ср ...``."""
        return list(_weekday_initials(self.babel))

    def zone_name(self, zone: ZoneInfo, at: datetime) -> str:
        """``Central European Time`` / ``Центральная Европа``; ``Central European Summer
        Time`` in summer."""
        local = at.astimezone(zone)
        # Babel's name depends on the zone, whether DST is on and (for a zone CLDR has no
        # name for: GMT+03:00) the offset: one computed name per locale and such key
        key = (self.babel, zone, local.utcoffset(), local.dst())
        name = _ZONE_NAMES.get(key)
        if name is None:
            if len(_ZONE_NAMES) >= 1024:
                _ZONE_NAMES.clear()
            name = _ZONE_NAMES[key] = get_timezone_name(local, width="long", locale=self.babel)
        return name

    def zone(self, zone: ZoneInfo) -> str:
        """``Central European Time`` / ``Центральная Европа``: whatever the season (for lists
        of times that may straddle a change of the clocks)."""
        return _zone(self.babel, zone)

    def duration(self, minutes: int) -> str:
        """``60 min`` / ``60 мин``."""
        return _duration(self.babel, minutes)

    def country(self, region: str) -> str:
        """A country's name from its ISO 3166 code: ``Germany`` / ``Германия``."""
        return str(self.babel.territories.get(region, region))

    def price(self, amount: Decimal | None, currency: str | None) -> str:
        """``€30.00`` / ``30,00 €``; empty when the service has no price."""
        if amount is None or not currency:
            return ""
        return _price(self.babel, str(amount), currency)


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
