"""Notification texts in the recipient's language: the same catalogs and formats as the
conversation (``slotbot.core.i18n``), picked from a client's stored locale."""

from __future__ import annotations

from slotbot.core.i18n import LANGUAGES, Texts, pick_locale, texts

__all__ = ["LOCALES", "notify_texts"]

LOCALES = tuple(LANGUAGES)


def notify_texts(locale: str | None) -> Texts:
    """The texts of a supported locale (``ru-RU`` -> ``ru``; ``en`` for anything else)."""
    return texts(pick_locale(locale))
