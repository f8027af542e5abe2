"""Notification texts in the recipient's language: the same catalogs and formats as the
conversation (``slotbot.core.i18n``), picked from a client's stored locale; and the promise of
reminders that the done screen and the confirmation make."""

from __future__ import annotations

from datetime import datetime

from slotbot.core.i18n import LANGUAGES, Texts, pick_locale, texts
from slotbot.core.notify.outbox import ClientContacts, Kind, reminders_ahead

__all__ = ["LOCALES", "notify_texts", "reminder_promise"]

LOCALES = tuple(LANGUAGES)


def notify_texts(locale: str | None) -> Texts:
    """The texts of a supported locale (``ru-RU`` -> ``ru``; ``en`` for anything else)."""
    return texts(pick_locale(locale))


def reminder_promise(
    t: Texts, starts_at: datetime, client: ClientContacts, *, now: datetime
) -> str:
    """What a booking confirmed at ``now`` may promise about reminders: the day before, else
    2 hours before (booked less than a day ahead), else nothing (``""``)."""
    ahead = reminders_ahead(starts_at, client, now=now)
    if Kind.REMINDER_24H in ahead:
        return t.gettext("We will remind you the day before.")
    if Kind.REMINDER_2H in ahead:
        return t.gettext("We will remind you 2 hours before.")
    return ""
