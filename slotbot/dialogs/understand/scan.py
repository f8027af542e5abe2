"""A message's tokens while it is read: which ones a finding has taken, and phrases to look
for in the rest."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from slotbot.dialogs.understand.words import Token, WordSet

__all__ = ["Phrase", "Scan", "phrases"]


class Phrase:
    """Words in order, each given as alternatives (``мои/моя запис*``); at most ``gap``
    other words may stand between two of them ("change *the* time")."""

    __slots__ = ("gap", "text", "words")

    def __init__(self, text: str, *, gap: int = 1, typos_from: int = 6) -> None:
        self.text = text
        self.words = tuple(WordSet(w.split("/"), typos_from=typos_from) for w in text.split())
        self.gap = gap


def phrases(*texts: str, gap: int = 1, typos_from: int = 6) -> tuple[Phrase, ...]:
    return tuple(Phrase(t, gap=gap, typos_from=typos_from) for t in texts)


class Scan:
    """The tokens of one message and which of them are taken, by what ("date", ...)."""

    __slots__ = ("taken", "tokens")

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tokens
        self.taken = [""] * len(tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    def free(self, index: int) -> Token | None:
        """The token at ``index`` if there is one and nothing took it."""
        if 0 <= index < len(self.tokens) and not self.taken[index]:
            return self.tokens[index]
        return None

    def word(self, index: int) -> str:
        """The free word at ``index``, else ``""``."""
        if 0 <= index < len(self.tokens) and not self.taken[index]:
            token = self.tokens[index]
            return token.text if token.kind == "word" else ""
        return ""

    def take(self, positions: Iterable[int], by: str = "word") -> None:
        for index in positions:
            self.taken[index] = by

    def taken_by(self, index: int) -> str:
        """What took the token at ``index`` (``""``: nothing, or no such token)."""
        return self.taken[index] if 0 <= index < len(self.tokens) else ""

    def at(self, index: int, words: Sequence[WordSet]) -> int | None:
        """Where the words end if they stand one after the other from ``index``."""
        for offset, choices in enumerate(words):
            if not self.word(index + offset) or self.word(index + offset) not in choices:
                return None
        return index + len(words)

    def find(self, phrase: Phrase) -> list[int] | None:
        """The positions of the first occurrence of ``phrase`` among the free words."""
        first, tokens, taken = phrase.words[0], self.tokens, self.taken
        for start, token in enumerate(tokens):
            if not taken[start] and token.kind == "word" and first.has(token.text):
                found = self._rest(phrase, start)
                if found is not None:
                    return found
        return None

    def _rest(self, phrase: Phrase, start: int) -> list[int] | None:
        positions = [start]
        for choices in phrase.words[1:]:
            last = positions[-1]
            for index in range(last + 1, min(last + 2 + phrase.gap, len(self.tokens))):
                if self.word(index) in choices:
                    positions.append(index)
                    break
            else:
                return None
        return positions
