"""Calendar words in English and Russian: weekday and month names from Babel (CLDR), in
every grammatical case through their stems, and the few number words people type."""

from __future__ import annotations

from babel.dates import get_day_names, get_month_names

from slotbot.dialogs.understand.words import WordSet, fold, stem

__all__ = ["MONTHS", "NUMBER_WORDS", "WEEKDAYS", "count"]

_LANGUAGES = ("en", "ru")
_WIDTHS = ("wide", "abbreviated")
_CONTEXTS = ("format", "stand-alone")


def _forms(name: str) -> set[str]:
    """How a weekday or month name may be typed: English as its prefixes of three letters
    or more ("fri", "thurs", "dec") and plurals; Russian in any case, through its stem
    ("пятницу", "декабря"); short stems only as written ("мая")."""
    word = fold(name).rstrip(".")
    if not word:
        return set()
    if not any("\u0400" <= c <= "\u04ff" for c in word):
        return {word[:k] for k in range(3, len(word) + 1)} | {word + "s"}
    root = stem(word)
    return {f"{root}*"} if len(root) >= 3 else {word}


def _names(kind: str, count: int, extra: dict[int, tuple[str, ...]]) -> tuple[WordSet, ...]:
    table = get_day_names if kind == "day" else get_month_names
    sets = []
    for index in range(count):
        key = index + (0 if kind == "day" else 1)
        forms: set[str] = set(extra.get(index, ()))
        for language in _LANGUAGES:
            for width in _WIDTHS:
                for context in _CONTEXTS:
                    name = table(width, context, language)[key]  # type: ignore[arg-type]
                    forms |= _forms(name) if width == "wide" else {fold(name).rstrip(".")}
        sets.append(WordSet(sorted(forms)))
    return tuple(sets)


WEEKDAYS = _names("day", 7, {2: ("weds", "wensday"), 4: ("пятн*",)})
"""Monday (0) to Sunday (6)."""

MONTHS = _names("month", 12, {4: ("мае", "мая", "май"), 8: ("sept",)})
"""January (0) to December (11)."""

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "один": 1, "одного": 1, "одну": 1, "два": 2, "две": 2, "двух": 2, "три": 3, "трех": 3,
    "четыре": 4, "четырех": 4, "пять": 5, "пяти": 5, "шесть": 6, "шести": 6, "семь": 7,
    "семи": 7, "восемь": 8, "восьми": 8, "девять": 9, "девяти": 9, "десять": 10,
    "десяти": 10, "одиннадцать": 11, "одиннадцати": 11, "двенадцать": 12, "двенадцати": 12,
}  # fmt: skip
"""Numbers people spell out for hours and counts ("after five", "после шести")."""


def count(word: str) -> int | None:
    """A count typed as a number or a word ("3", "three", "три", "a")."""
    if word.isdecimal() and len(word) <= 3:
        return int(word)
    if word in ("a", "an"):
        return 1
    return NUMBER_WORDS.get(word)
