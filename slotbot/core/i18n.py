"""Texts and formats in the client's language: gettext catalogs read with Babel, and dates,
times, month and weekday names, durations and prices formatted by Babel for the locale."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    get_day_names,
    get_timezone_name,
)
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import NullTranslations, Translations
from babel.units import format_unit

__all__ = ["CATALOGS", "LANGUAGES", "Texts", "pick_locale", "texts"]

#: Locale code -> the language's own name, as the Language menu shows it.
LANGUAGES = {"en": "English", "ru": "Русский"}
DEFAULT_LOCALE = "en"
CATALOGS = Path(__file__).resolve().parent / "locale"


def pick_locale(hint: str | None) -> str:
    """The supported locale closest to a channel's hint (``ru-RU`` -> ``ru``)."""
    code = (hint or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LOCALE


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

    def month(self, first: date) -> str:
        """``December 2026``."""
        return format_skeleton("yMMMM", first, locale=self.babel)

    def short_month(self, first: date) -> str:
        """``Dec``."""
        return format_skeleton("MMM", first, locale=self.babel)

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

    def price(self, amount: Decimal | None, currency: str | None) -> str:
        """``€30.00`` / ``30,00 €``; empty when the service has no price."""
        if amount is None or not currency:
            return ""
        return format_currency(amount, currency, locale=self.babel)


@cache
def texts(locale: str) -> Texts:
    """The texts of a supported locale (``en`` for anything else)."""
    return Texts(locale if locale in LANGUAGES else DEFAULT_LOCALE)
