"""The conversation's texts and formats: the shop's gettext catalogs and Babel formatting,
shared with the notifications (``slotbot.core.i18n``)."""

from slotbot.core.i18n import CATALOGS, LANGUAGES, Texts, pick_locale, texts

__all__ = ["CATALOGS", "LANGUAGES", "Texts", "pick_locale", "texts"]
