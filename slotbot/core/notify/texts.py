"""Notification texts in the recipient's language: the gettext catalogs under core/locale
(the ones the dialog uses) read with Babel, and times formatted by Babel in a zone."""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = ["LOCALES", "NotifyTexts", "notify_texts"]

CATALOGS = Path(__file__).resolve().parent.parent / "locale"
LOCALES = ("en", "ru")
DEFAULT_LOCALE = "en"


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


class NotifyTexts:
    """Translation and time formatting for one locale."""

    __slots__ = ("_translations", "babel", "locale")

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.babel = Locale.parse(locale)
        self._translations = _translations(locale)

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def when(self, instant: datetime, zone: ZoneInfo) -> str:
        """``Wed, Dec 2, 10:00 AM`` / ``ср, 2 дек., 10:00`` in ``zone``."""
        local = instant.astimezone(zone)
        day = format_skeleton("MMMEd", local.date(), locale=self.babel)
        clock = format_datetime(instant, "short", tzinfo=zone, locale=self.babel)
        return f"{day}, {clock.split(', ')[-1]}"


@cache
def notify_texts(locale: str | None) -> NotifyTexts:
    """The texts of a supported locale (``ru-RU`` -> ``ru``; ``en`` for anything else)."""
    code = (locale or "").replace("_", "-").split("-")[0].lower()
    return NotifyTexts(code if code in LOCALES else DEFAULT_LOCALE)
