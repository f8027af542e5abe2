"""Reading one typed message: dates and times first, then intents, "anyone", the language,
specialists' names and services, each taking the words it used so that no word is read
twice ("doctor" before "Weber" is a title, not the GP consultation)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from slotbot.core.i18n import country_of_zone, writes_day_first
from slotbot.core.limits import readable
from slotbot.dialogs.understand.dates import find_dates
from slotbot.dialogs.understand.intents import find_anyone, find_intent, find_language
from slotbot.dialogs.understand.reading import Intent, Match, Reading
from slotbot.dialogs.understand.scan import Scan
from slotbot.dialogs.understand.times import find_times
from slotbot.dialogs.understand.vocabulary import FILLER, Vocabulary
from slotbot.dialogs.understand.words import tokenize

__all__ = ["day_first", "read"]


def day_first(zone: ZoneInfo, locale: str) -> bool | None:
    """Whether "12.11" is the 12th of November: the shop's country says (from its time
    zone); a shop of no one country reads it the Russian way for Russian speakers and
    both ways for others."""
    order = writes_day_first(country_of_zone(zone.key))
    if order is None and locale == "ru":
        return True
    return order


def read(
    text: str, *, locale: str, now: datetime, zone: ZoneInfo, vocabulary: Vocabulary
) -> Reading:
    """What ``text`` says, read in both languages (the person's ``locale`` decides only
    what is theirs to decide, such as the order of day and month where the shop's is
    unknown). ``now`` is an aware instant; "today" is its date in ``zone``, the shop's.

    Pure and deterministic: no network, no clock, no state beyond caches. Only the first
    :data:`~slotbot.core.limits.READ_MAX` characters of a longer text are read.
    """
    text, cut = readable(text)
    scan = Scan(tokenize(text))
    dates, implied = find_dates(scan, now.astimezone(zone).date(), day_first(zone, locale))
    times = find_times(scan, implied)
    intent = find_intent(scan)
    language = find_language(scan)
    anyone = find_anyone(scan)
    specialists = tuple(Match(*found) for found in vocabulary.names.find(scan, FILLER))
    anyone = anyone and not specialists  # "Anna or Boris, whoever is free": one of them
    services = tuple(Match(*found) for found in vocabulary.services.find(scan, FILLER))
    if intent is None and language is not None:
        intent = Intent.LANGUAGE
    if intent is None and (services or specialists or anyone or dates or times):
        intent = Intent.BOOK
    return Reading(
        intent=intent,
        services=services,
        specialists=specialists,
        anyone=anyone,
        dates=tuple(dates),
        times=tuple(times),
        language=language,
        cut=cut,
    )
