"""Dates in typed text, on the shop's calendar: "today", "tomorrow", "послезавтра",
weekdays ("on Friday", "в следующий вторник"), "next week", "на выходных", "in 3 days",
"12.12", "24/12", "12 December", "12 декабря", "the 15th", "18-го", "в декабре".

Every date is read against ``today`` (the shop's date, from the caller's clock and zone),
and a day and month without a year is the next such day from today on. A bare weekday is
the next one after today ("Tuesday", said on a Tuesday, is a week away: today is "today");
"this Friday" is this week's (today included), "next Friday" the one in next week (weeks
run Monday to Sunday). Numeric dates follow the shop's order of day and month; where it is
unknown both readings are given ("12.11": 12 November or 11 December).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from slotbot.core.limits import InvalidInput, bounded_date
from slotbot.dialogs.understand.names import MONTHS, WEEKDAYS, count
from slotbot.dialogs.understand.reading import DateRange, TimeWindow
from slotbot.dialogs.understand.scan import Scan, phrases
from slotbot.dialogs.understand.times import EVENING, TIME_PREPOSITIONS
from slotbot.dialogs.understand.words import WordSet

__all__ = ["find_dates"]

TODAY = WordSet(["today", "сегодня", "сегодняшн*"])
TOMORROW = WordSet(["tomorrow", "tmrw", "tmr", "tmw", "tomoz", "2morrow", "завтра", "завтрашн*"])
DAY_AFTER = phrases(
    "послезавтра", "после завтра", "day after tomorrow", "day after", "overmorrow", gap=0
)
TONIGHT = WordSet(["tonight", "tonite"])
NEXT = WordSet(["next", "следующ*", "будущ*"])
THIS = WordSet(["this", "coming", "эт*", "ближайш*"])
IN = WordSet(["in", "через"])
DAYS = WordSet(["day", "days", "дн*", "день"], typos_from=99)
WEEKS = WordSet(["week", "weeks", "недел*"])
WEEKEND = WordSet(["weekend*", "выходн*"])
ORDINAL = WordSet(["th", "st", "nd", "rd", "го", "е", "числа", "число"], typos_from=99)
OF = WordSet(["of"], typos_from=99)
PRONOUNS = WordSet(["i", "we", "you", "he", "she", "they"], typos_from=99)
MONTH_PREPOSITIONS = WordSet(["in", "в", "во"], typos_from=99)

Found = tuple[int, list[DateRange], TimeWindow | None]
"""Where a date expression ends, its readings, and a time it implies ("tonight")."""


def _single(day: date | None) -> list[DateRange]:
    if day is None:
        return []
    try:
        bounded_date(day)
    except InvalidInput:
        return []
    return [DateRange(day, day)]


def _calendar_day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_day_month(today: date, month: int, day: int, year: int | None = None) -> date | None:
    """``day``.``month`` in ``year``, else the next one from ``today`` on."""
    if year is not None:
        return _calendar_day(year, month, day)
    this_year = _calendar_day(today.year, month, day)
    if this_year is not None and this_year >= today:
        return this_year
    return _calendar_day(today.year + 1, month, day)


def _index(word: str, names: tuple[WordSet, ...]) -> int | None:
    """Which of ``names`` the word is: as spelled, else the only one it is a typo of."""
    if not word:
        return None
    for matches in (WordSet.spelled, WordSet.typo_of):
        found = [i for i, name in enumerate(names) if matches(name, word)]
        if found:
            return found[0] if len(found) == 1 else None
    return None


def _year(text: str) -> int | None:
    if not text.isdecimal() or len(text) not in (2, 4):
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def _numeric(scan: Scan, i: int, today: date, day_first: bool | None) -> Found | None:
    token = scan.free(i)
    if token is None or token.kind not in ("numeric", "iso"):
        return None
    if token.kind == "iso":
        y, m, d = (int(p) for p in token.text.split("-"))
        return i + 1, _single(_calendar_day(y, m, d)), None
    if ":" in token.text:
        return None
    parts = token.text.replace("/", ".").split(".")
    a, b = int(parts[0]), int(parts[1])
    year = _year(parts[2]) if len(parts) == 3 else None
    if len(parts) == 3 and year is None:
        return None
    if len(parts) == 2 and "." in token.text and scan.word(i - 1) in TIME_PREPOSITIONS:
        return None  # "в 12.30", "at 10.15": a time
    orders = {True: [(a, b)], False: [(b, a)], None: [(a, b), (b, a)]}[day_first]
    found: list[DateRange] = []
    for day, month in orders:
        if 1 <= month <= 12:
            for reading in _single(_next_day_month(today, month, day, year)):
                if reading not in found:
                    found.append(reading)
    return (i + 1, found, None) if found else None


def _day_of_month(scan: Scan, i: int) -> tuple[int, int] | None:
    """A day number and where it ends: "12", "15th", "18-го", "the 15th"."""
    start = i + 1 if scan.word(i) == "the" else i
    token = scan.free(start)
    if token is None or token.number is None or not 1 <= token.number <= 31:
        return None
    end = start + 1
    if scan.free(end) is not None and scan.tokens[end].kind == "dash":
        end += 1 if scan.word(end + 1) in ORDINAL else 0
    return token.number, end + (1 if scan.word(end) in ORDINAL else 0)


def _with_month(scan: Scan, i: int, today: date) -> Found | None:
    day_end = _day_of_month(scan, i)
    if day_end is not None:  # "12 December", "15th of december", "18-го", "the 15th"
        day, end = day_end
        end += 1 if scan.word(end) in OF else 0
        month = _index(scan.word(end), MONTHS)
        if month is not None:
            return _year_after(scan, end + 1, today, month + 1, day)
        ordinal = end > i + 1 and scan.word(end - 1) in ORDINAL
        if ordinal:
            return end, _single(_next_of_month(today, day)), None
        return None
    month = _index(scan.word(i), MONTHS)  # "December 12", "Dec 18th"
    if month is None:
        return None
    day_end = _day_of_month(scan, i + 1)
    if day_end is None:
        return None
    return _year_after(scan, day_end[1], today, month + 1, day_end[0])


def _year_after(scan: Scan, end: int, today: date, month: int, day: int) -> Found:
    token = scan.free(end)
    year = _year(token.text) if token is not None and len(token.text) == 4 else None
    return end + (year is not None), _single(_next_day_month(today, month, day, year)), None


def _next_of_month(today: date, day: int) -> date | None:
    """The next ``day`` of a month from today on ("the 15th")."""
    first = today.replace(day=1)
    for ahead in range(13):
        month_start = (first + timedelta(days=32 * ahead)).replace(day=1)
        candidate = _calendar_day(month_start.year, month_start.month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _relative(scan: Scan, i: int, today: date) -> Found | None:
    word = scan.word(i)
    if not word:
        return None
    for phrase in DAY_AFTER:
        end = scan.at(i, phrase.words)
        if end is not None:
            return end, _single(today + timedelta(days=2)), None
    if word in TODAY:
        return i + 1, _single(today), None
    if word in TOMORROW:
        return i + 1, _single(today + timedelta(days=1)), None
    if word in TONIGHT:
        return i + 1, _single(today), EVENING
    return None


def _in_days(scan: Scan, i: int, today: date) -> Found | None:
    """ "in 3 days", "через неделю", "in two weeks"."""
    if scan.word(i) not in IN:
        return None
    token = scan.free(i + 1)
    if token is None:
        return None
    number = count(token.text)
    unit_at = i + 2 if number is not None else i + 1
    unit = scan.word(unit_at)
    number = 1 if number is None else number
    if unit in DAYS:
        return unit_at + 1, _single(today + timedelta(days=number)), None
    if unit in WEEKS:
        return unit_at + 1, _single(today + timedelta(weeks=number)), None
    return None


def _monday(today: date) -> date:
    return today - timedelta(days=today.weekday())


def _weeks(scan: Scan, i: int, today: date) -> Found | None:
    """ "next week", "на этой неделе", "this weekend", "на выходных", weekdays."""
    word = scan.word(i)
    shift = 7 if word in NEXT else 0 if word in THIS else None
    at = i + (shift is not None)
    word = scan.word(at)
    if not word:
        return None
    monday = _monday(today) + timedelta(days=shift or 0)
    sunday = monday + timedelta(days=6)
    if word in WEEKS and shift is not None:
        return at + 1, [DateRange(max(monday, today), sunday)], None
    if word in WEEKEND:
        return at + 1, [DateRange(max(monday + timedelta(days=5), today), sunday)], None
    weekday = _index(word, WEEKDAYS)
    if weekday is None or (len(word) == 3 and scan.word(at - 1) in PRONOUNS):
        return None  # "I sat", "we wed": verbs
    if shift is None:
        ahead = (weekday - today.weekday()) % 7 or 7
        return at + 1, _single(today + timedelta(days=ahead)), None
    if shift == 0:
        return at + 1, _single(today + timedelta(days=(weekday - today.weekday()) % 7)), None
    return at + 1, _single(monday + timedelta(days=weekday)), None


def _month(scan: Scan, i: int, today: date) -> Found | None:
    """ "in December", "в декабре": the month's dates from today on."""
    if scan.word(i) not in MONTH_PREPOSITIONS:
        return None
    month = _index(scan.word(i + 1), MONTHS)
    if month is None:
        return None
    year = today.year + (month + 1 < today.month)
    first = max(date(year, month + 1, 1), today)
    last = (date(year, month + 1, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return i + 2, [DateRange(first, last)], None


def find_dates(
    scan: Scan, today: date, day_first: bool | None
) -> tuple[list[DateRange], list[TimeWindow]]:
    """The dates named in the free tokens (taking them) and the times they imply."""
    readers: list[Callable[[Scan, int], Found | None]] = [
        lambda s, i: _numeric(s, i, today, day_first),
        lambda s, i: _with_month(s, i, today),
        lambda s, i: _relative(s, i, today),
        lambda s, i: _in_days(s, i, today),
        lambda s, i: _weeks(s, i, today),
        lambda s, i: _month(s, i, today),
    ]
    dates: list[DateRange] = []
    times: list[TimeWindow] = []
    i = 0
    while i < len(scan):
        found = next((f for read in readers if (f := read(scan, i)) is not None), None)
        if found is None:
            i += 1
            continue
        end, readings, implied = found
        scan.take(range(i, end), by="date")
        dates += [r for r in readings if r not in dates]
        times += [implied] if implied is not None else []
        i = end
    return dates, times
