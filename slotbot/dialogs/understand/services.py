"""Services in typed text: their names and the synonyms of the import file, in any
language of the catalog, in any grammatical case ("стрижку", "на массаж"), with typos
("harcut"), written apart or together ("hair cut", "haircut").

A name or synonym is a phrase of content words; a message names a service when it holds
all of a phrase's words (in any order, within one clause: "стрижка, борода" is two), or
some of them (less surely: "massage" for "Sports
massage"). The phrase that covers the most words wins: "стрижка бороды" is the beard trim,
not the haircut ("Стрижка") inside it. Services named as well as each other are all given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz import fuzz, process

from slotbot.dialogs.understand.scan import Scan
from slotbot.dialogs.understand.words import WordSet, stem, tokenize

__all__ = ["ServiceIndex"]

_TYPO = 80  # rapidfuzz ratio: a letter or two off in a word of six or more
_SHORT_TYPO = 85  # in shorter words a letter missing or extra, not a wrong one


@dataclass(frozen=True, slots=True)
class _Phrase:
    service_id: int
    words: tuple[int, ...]  # indexes into the index's words


def _content(text: str, ignore: WordSet) -> list[str]:
    return [t.text for t in tokenize(text) if t.word and t.text not in ignore]


class ServiceIndex:
    """The services' names and synonyms, to find in a message."""

    __slots__ = ("_by_stem", "_by_text", "_phrases", "_stems", "_texts")

    def __init__(self, services: Iterable[tuple[int, Sequence[str]]], ignore: WordSet) -> None:
        positions: dict[str, int] = {}
        phrases: list[_Phrase] = []
        for service_id, names in services:
            for name in names:
                words = _content(name, ignore)
                for variant in [words, ["".join(words)]] if len(words) > 1 else [words]:
                    if variant:
                        indexes = tuple(positions.setdefault(w, len(positions)) for w in variant)
                        phrases.append(_Phrase(service_id, indexes))
        self._texts = list(positions)
        self._stems = [stem(w) for w in self._texts]
        self._by_text: Mapping[str, int] = positions
        by_stem: dict[str, list[int]] = {}
        for index, word_stem in enumerate(self._stems):
            by_stem.setdefault(word_stem, []).append(index)
        self._by_stem: Mapping[str, list[int]] = by_stem
        self._phrases = tuple(dict.fromkeys(phrases))

    def _similar(self, word: str) -> dict[int, float]:
        """The index's words like ``word``: 1.0 for the word or its stem, less for a typo."""
        found: dict[int, float] = {}
        if len(word) >= 4:
            for choices, typed in ((self._texts, word), (self._stems, stem(word))):
                cutoff = _TYPO if len(typed) > 5 else _SHORT_TYPO
                for _, ratio, index in process.extract(
                    typed, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
                ):
                    found[index] = max(found.get(index, 0.0), min(ratio / 100, 0.95))
        for index in self._by_stem.get(stem(word), ()):
            found[index] = 1.0
        if word in self._by_text:
            found[self._by_text[word]] = 1.0
        return found

    def find(self, scan: Scan, ignore: WordSet) -> list[tuple[int, float]]:
        """The services the free words name, best first (several when as good), taking the
        words of the chosen ones."""
        free = [i for i in range(len(scan)) if scan.word(i) and scan.word(i) not in ignore]
        typed = [([i], scan.word(i)) for i in free] + [
            ([i, j], scan.word(i) + scan.word(j)) for i, j in pairwise(free) if j == i + 1
        ]
        clause = [sum(t.kind == "stop" for t in scan.tokens[:i]) for i in range(len(scan))]
        likeness = [(at, self._similar(word)) for at, word in typed]
        best: dict[int, tuple[tuple[bool, int, float], list[int]]] = {}
        for phrase in self._phrases:
            used: list[int] = []
            total, matched = 0.0, 0
            for word in phrase.words:
                options = [
                    (s[word], at)
                    for at, s in likeness
                    if word in s
                    and not set(at) & set(used)
                    and (not used or clause[at[0]] == clause[used[0]])  # one clause: "a, b"
                ]
                if options:
                    score, at = max(options)
                    used, total, matched = used + at, total + score, matched + 1
            full = matched == len(phrase.words)
            if not matched or (not full and total / matched < 0.9):
                continue  # a part of a name, and that one mistyped: too little to go on
            rank = (full, matched, total / len(phrase.words))
            if phrase.service_id not in best or rank > best[phrase.service_id][0]:
                best[phrase.service_id] = (rank, used)
        if not best:
            return []
        top = max(rank[:2] for rank, _ in best.values())
        tied = {sid: found for sid, found in best.items() if found[0][:2] == top}
        sure = max(rank[2] for rank, _ in tied.values())
        chosen = sorted(sid for sid, (rank, _) in tied.items() if rank[2] >= sure - 0.05)
        for sid in chosen:
            scan.take(tied[sid][1])
        return [(sid, round(tied[sid][0][2], 2)) for sid in chosen]
