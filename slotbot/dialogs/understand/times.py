"""Times and windows in typed text: "at 10", "10:30", "3pm", "в 7 вечера", "after 5pm",
"после 17", "before noon", "до обеда", "from 10 to 12", "с 10 до 12", "10-12", "morning",
"утром", "после обеда", "вечером".

An hour typed without am/pm, 1 to 7, is afternoon ("after 5" is 17:00, "в 3" is 15:00):
shops are rarely open at 5 in the morning, and "5 утра" / "5am" says so when they are.
Parts of the day: morning until 12:00, afternoon ("днём") 12:00-17:00, evening from 17:00,
lunch 12:00-14:00; "after lunch" / "после обеда" from 13:00, "before lunch" until 13:00.
"""

from __future__ import annotations

from datetime import time

from slotbot.dialogs.understand.names import NUMBER_WORDS
from slotbot.dialogs.understand.reading import TimeWindow
from slotbot.dialogs.understand.scan import Scan, phrases
from slotbot.dialogs.understand.words import WordSet

__all__ = ["EVENING", "TIME_PREPOSITIONS", "find_times"]

MORNING = TimeWindow(None, time(12))
AFTERNOON = TimeWindow(time(12), time(17))
EVENING = TimeWindow(time(17), None)
LUNCH = TimeWindow(time(12), time(14))
_LUNCH_HOUR = time(13)

TIME_PREPOSITIONS = WordSet(
    ["at", "around", "about", "approx", "в", "во", "к", "около", "на", "ок"], typos_from=99
)
_AT = TIME_PREPOSITIONS
_OPEN = phrases(
    "no earlier than", "not earlier than", "not before", "later than", "не раньше", "after",
    "from", "since", "после", "позже", "позднее", "с", "со", "от", gap=0, typos_from=99,
)  # fmt: skip
_CLOSE = phrases(
    "no later than", "not later than", "earlier than", "не позже", "не позднее", "before",
    "until", "till", "til", "by", "до", "раньше", gap=0, typos_from=99,
)  # fmt: skip
_AND = WordSet(["and", "to", "till", "until", "и", "до", "по"], typos_from=99)
_OR = WordSet(["or", "или", "либо"], typos_from=99)
_BETWEEN = WordSet(["between", "между"], typos_from=99)
_PM = WordSet(["pm", "дня", "вечера", "evening"], typos_from=99)
_AM = WordSet(["am", "утра", "ночи", "morning"], typos_from=99)
_HOURS = WordSet(["h", "hr", "ч", "час", "часа", "часов", "oclock"], typos_from=99)
_NOON = WordSet(["noon", "midday", "полдень", "полудня"])
_LUNCH = WordSet(["lunch", "lunchtime", "обед", "обеда", "обедом"])
_PARTS = (
    (WordSet(["morning*", "утро", "утра", "утром", "утречком"]), MORNING),
    (WordSet(["afternoon*", "днем", "днём"]), AFTERNOON),
    (WordSet(["evening*", "вечер", "вечером", "вечерком"]), EVENING),
    (_LUNCH, LUNCH),
)
_THE = WordSet(["the", "in", "с"], typos_from=99)


def _hour(value: int, minute: int, *, pm: bool | None) -> time | None:
    """A time from a typed hour: ``pm`` True for pm/вечера, False for am/утра, None for
    neither (1..7 then means the afternoon)."""
    if not 0 <= value <= 23 or not 0 <= minute <= 59:
        return None
    if pm is None:
        value += 12 if 1 <= value <= 7 else 0
    elif pm and value < 12:
        value += 12
    elif not pm and value == 12:
        value = 0
    return time(value, minute)


def _clock(scan: Scan, i: int, *, lunch: bool = False) -> tuple[time, int] | None:
    """A time at ``i`` and where it ends: "10:30", "10.30", "3pm", "5 утра", "10 часов",
    "noon", "пяти"; ``lunch`` reads "lunch" / "обеда" as 13:00 ("after lunch")."""
    token = scan.free(i)
    if token is None:
        return None
    if token.word and (token.text in _NOON):
        return time(12), i + 1
    if lunch and token.word and token.text in _LUNCH:
        return _LUNCH_HOUR, i + 1
    if token.kind == "numeric" and token.text.count(".") + token.text.count(":") == 1:
        hour, minute = (int(p) for p in token.text.replace(".", ":").split(":"))
    elif token.number is not None:
        hour, minute = token.number, 0
    elif token.text in NUMBER_WORDS:
        hour, minute = NUMBER_WORDS[token.text], 0
    else:
        return None
    end = i + 1
    pm: bool | None = None
    if scan.word(end) in _HOURS:
        end += 1
    if scan.word(end) in _PM or scan.word(end) in _AM:
        pm = scan.word(end) in _PM
        end += 1
    found = _hour(hour, minute, pm=pm)
    return (found, end) if found is not None else None


def _spelled(scan: Scan, i: int) -> bool:
    """Whether a time at ``i`` says it is one: a clock form, am/pm or "o'clock"."""
    token = scan.tokens[i]
    after = scan.word(i + 1)
    return token.kind == "numeric" or (
        token.number is not None and (after in _PM or after in _AM or after in _HOURS)
    )


def _between(scan: Scan, i: int) -> tuple[TimeWindow, int] | None:
    """ "between 2 and 4", "после 5", "from 10 to 12", "с 10 до 12", "before noon"."""
    if scan.word(i) in _BETWEEN:
        first = _clock(scan, i + 1)
        if first is not None and scan.word(first[1]) in _AND:
            second = _clock(scan, first[1] + 1)
            if second is not None:
                return TimeWindow(first[0], second[0]), second[1]
    for opener in _OPEN:
        end = scan.at(i, opener.words)
        if end is not None and (start := _clock(scan, end, lunch=True)) is not None:
            if scan.word(start[1]) in _AND and (stop := _clock(scan, start[1] + 1)):
                return TimeWindow(start[0], stop[0]), stop[1]
            return TimeWindow(start[0], None), start[1]
    for closer in _CLOSE:
        end = scan.at(i, closer.words)
        if end is not None and (stop := _clock(scan, end, lunch=True)) is not None:
            return TimeWindow(None, stop[0]), stop[1]
    return None


def _at(scan: Scan, i: int) -> tuple[TimeWindow, int] | None:
    """ "at 10", "в 7 вечера", "10:30", "3pm", "noon", "10-12", "10:00-12:00"."""
    if scan.word(i) in _AT and (at := _clock(scan, i + 1)) is not None:
        return TimeWindow(at[0], at[0]), at[1]
    at = _clock(scan, i)
    if at is None:
        return None
    dash = scan.free(at[1])
    if dash is not None and dash.kind == "dash" and (stop := _clock(scan, at[1] + 1)):
        return TimeWindow(at[0], stop[0]), stop[1]
    if _spelled(scan, i) or scan.word(i) in _NOON or _follows(scan, i):
        return TimeWindow(at[0], at[0]), at[1]  # "10:30", "3pm", "noon", "Thursday 9"
    return None


def _follows(scan: Scan, i: int) -> bool:
    """Whether a bare number at ``i`` follows a date ("Thursday 9") or a time ("at 10 or
    11"), which makes it an hour."""
    if scan.word(i - 1) in _OR:
        return scan.taken_by(i - 2) == "time"
    return scan.taken_by(i - 1) == "date"


def _part(scan: Scan, i: int) -> tuple[TimeWindow, int] | None:
    """ "morning", "in the evening", "с утра", "днём", "lunchtime"."""
    named = i + 1 if scan.word(i) in _THE and scan.word(i + 1) else i
    for words, part in _PARTS:
        if scan.word(named) in words:
            return part, named + 1
    return None


def _window(scan: Scan, i: int) -> tuple[TimeWindow, int] | None:
    """A time or window starting at ``i``."""
    return _between(scan, i) or _at(scan, i) or _part(scan, i)


def _fit(windows: list[TimeWindow]) -> list[TimeWindow]:
    """One reading from several: an exact time within a part of the day keeps the time
    (and "at 8 in the evening" is 20:00); windows narrow each other where they overlap."""
    exact = [w for w in windows if w.exact]
    spans = [w for w in windows if not w.exact]
    if exact and spans:
        moved = []
        for moment in (w.start for w in exact if w.start is not None):
            later = time(moment.hour + 12, moment.minute) if moment.hour < 12 else moment
            if not all(s.holds(moment) for s in spans) and all(s.holds(later) for s in spans):
                moment = later
            moved.append(TimeWindow(moment, moment))
        return list(dict.fromkeys(moved))
    if len(spans) > 1:
        start = max((s.start for s in spans if s.start is not None), default=None)
        end = min((s.end for s in spans if s.end is not None), default=None)
        if start is None or end is None or start < end:
            return [TimeWindow(start, end)]
    return list(dict.fromkeys(windows))


def find_times(scan: Scan, implied: list[TimeWindow]) -> list[TimeWindow]:
    """The times and windows named in the free tokens (taking them), with ``implied``
    ones ("tonight"), fitted together."""
    windows = list(implied)
    i = 0
    while i < len(scan):
        found = _window(scan, i)
        if found is None:
            i += 1
            continue
        window, end = found
        scan.take(range(i, end), by="time")
        windows.append(window)
        i = end
    return _fit(windows)
