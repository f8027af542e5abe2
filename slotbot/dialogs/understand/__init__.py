"""Reading what people type, in English and Russian, into a small typed result (issue 17):
the services, specialists, dates, times and intents a message names, against the shop's
catalog and on the shop's clock. Deterministic and offline; the dialog's steps decide what
to do with a :class:`Reading`.

    reading = read("haircut with Anna tomorrow after 5", locale="en", now=now,
                   zone=ZoneInfo("Europe/Berlin"), vocabulary=vocabulary_of(directory))
"""

from slotbot.dialogs.understand.reader import day_first, read
from slotbot.dialogs.understand.reading import DateRange, Intent, Match, Reading, TimeWindow
from slotbot.dialogs.understand.vocabulary import Vocabulary, vocabulary_of

__all__ = [
    "DateRange",
    "Intent",
    "Match",
    "Reading",
    "TimeWindow",
    "Vocabulary",
    "day_first",
    "read",
    "vocabulary_of",
]
