"""Typed text as tokens: lower case, ``ё`` as ``е``, numbers and words apart, each word with
its Snowball stem (Russian for Cyrillic words, English for Latin ones), and the fixed word
lists the reader looks for, typo-tolerant through rapidfuzz.

Snowball (``snowballstemmer``, pure Python) rather than a dictionary morphology such as
pymorphy3: it folds the grammatical cases the reader meets ("стрижку", "пятницу",
"декабря") for about 3 MB per process instead of about 28 MB (``bench/understand.py``),
and stems are cached, so a warm message costs no stemming at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import snowballstemmer
from rapidfuzz import fuzz, process

__all__ = ["Token", "WordSet", "fold", "is_cyrillic", "stem", "tokenize"]

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_MERIDIEM = re.compile(r"\b([ap])\.\s?m\b\.?")
_INNER = re.compile(r"(?<=[^\W\d_])['’`-](?=[^\W\d_])")
_TOKEN = re.compile(
    r"(?P<iso>\d{4}-\d{1,2}-\d{1,2})"
    r"|(?P<numeric>\d{1,2}[:./]\d{1,2}(?:[./]\d{2,4})?)"
    r"|(?P<number>\d+)"
    r"|(?P<word>[^\W\d_]+)"
    r"|(?P<dash>[-–—])"
    r"|(?P<question>\?)"
    r"|(?P<stop>[,;.!])"
)
_KNOWN_MAX = 256  # typo answers a word set keeps: a message asks about one word often
_STEMMERS = {"ru": snowballstemmer.stemmer("russian"), "en": snowballstemmer.stemmer("english")}

Kind = Literal["iso", "numeric", "number", "word", "dash", "question", "stop"]


def fold(text: str) -> str:
    """Lower case, ``ё`` as ``е``, "a.m." as "am", and the hyphens and apostrophes inside
    words dropped ("check-up" -> "checkup", "can't" -> "cant", "по-русски" -> "порусски")."""
    text = text.lower().replace("ё", "е")
    text = _MERIDIEM.sub(r"\1m", text)
    return _INNER.sub("", text)


def is_cyrillic(word: str) -> bool:
    return bool(_CYRILLIC.search(word))


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """The Snowball stem of a folded word, in the stemmer of its script."""
    return str(_STEMMERS["ru" if is_cyrillic(word) else "en"].stemWord(word))


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a message: ``text`` folded, ``stem`` for words (else the text)."""

    text: str
    kind: Kind
    stem: str

    @property
    def word(self) -> bool:
        return self.kind == "word"

    @property
    def number(self) -> int | None:
        return int(self.text) if self.kind == "number" and len(self.text) <= 4 else None


def tokenize(text: str) -> tuple[Token, ...]:
    """The tokens of ``text``: words, numbers, dashes, question marks and the stops between
    clauses (``,;.!``); anything else (emoji, other punctuation) only separates them."""
    tokens = []
    for match in _TOKEN.finditer(fold(text)):
        kind: Kind = match.lastgroup  # type: ignore[assignment]
        value = match.group()
        tokens.append(Token(value, kind, stem(value) if kind == "word" else value))
    return tuple(tokens)


class WordSet:
    """Words the reader looks for, written folded: ``word`` matches exactly, ``word*`` as a
    prefix of the typed word. Typed words of ``typos_from`` letters or more also match a
    listed word (a prefix's letters) within one or two typos (rapidfuzz ratio >= 80)."""

    __slots__ = ("_exact", "_fuzzy", "_known", "_prefixes", "_typos_from")

    def __init__(self, words: Iterable[str], *, typos_from: int = 5) -> None:
        listed = [fold(w) for w in words]
        self._exact = frozenset(w for w in listed if not w.endswith("*"))
        self._prefixes = tuple(w[:-1] for w in listed if w.endswith("*"))
        self._fuzzy: Sequence[str] = sorted(
            {w.rstrip("*") for w in listed if len(w.rstrip("*")) >= typos_from - 1}
        )
        self._typos_from = typos_from
        self._known: dict[str, bool] = {}  # typo answers so far, at most _KNOWN_MAX

    def __contains__(self, word: str) -> bool:
        return self.has(word)

    def has(self, word: str) -> bool:
        return self.spelled(word) or self.typo_of(word)

    def spelled(self, word: str) -> bool:
        """Whether ``word`` is listed as typed (no typo)."""
        return word in self._exact or bool(self._prefixes and word.startswith(self._prefixes))

    def typo_of(self, word: str) -> bool:
        """Whether ``word`` is a listed word with a typo or two: ratio >= 80, or >= 85 for
        words of five letters or less, where one wrong letter makes another word ("вечер",
        "Вебер")."""
        if len(word) < self._typos_from or not self._fuzzy:
            return False
        known = self._known.get(word)
        if known is None:
            if len(self._known) >= _KNOWN_MAX:
                self._known.clear()
            cutoff = 85 if len(word) <= 5 else 80
            found = process.extractOne(word, self._fuzzy, scorer=fuzz.ratio, score_cutoff=cutoff)
            known = self._known[word] = found is not None
        return known
