"""Specialists' names in typed text, in Latin or Cyrillic letters whichever the catalog
uses, in any grammatical case ("к Анне", "у Петровой", "with anna"), with typos, and a
first name's common short form ("к Ане", "Маша").

Every name is compared in Cyrillic: a Latin name is spelled in Cyrillic the way Russian
speakers write foreign names ("Weber" -> "вебер", "Schulz" -> "шулц"), and the case ending
is dropped from both sides ("Петровой" and "Petrova" -> "петров").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from slotbot.dialogs.understand.scan import Scan
from slotbot.dialogs.understand.words import WordSet, is_cyrillic, tokenize

__all__ = ["NameIndex"]

_LATIN = (
    ("shch", "щ"), ("tsch", "ч"), ("sch", "ш"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"),
    ("sh", "ш"), ("ts", "ц"), ("tz", "ц"), ("ck", "к"), ("ph", "ф"), ("th", "т"),
    ("ya", "я"), ("yu", "ю"), ("yo", "е"), ("ye", "е"), ("ei", "ай"), ("ie", "и"),
    ("eu", "ой"), ("ee", "и"), ("oo", "у"), ("x", "кс"), ("a", "а"), ("b", "б"), ("c", "к"),
    ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "х"), ("i", "и"), ("j", "й"),
    ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("q", "к"),
    ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("w", "в"), ("y", "и"),
    ("z", "ц"), ("ä", "е"), ("ö", "е"), ("ü", "ю"), ("ß", "сс"), ("é", "е"), ("è", "е"),
)  # fmt: skip
_ENDINGS = (
    "ами", "ями", "ого", "его", "ому", "ему", "ой", "ей", "ою", "ею", "ом", "ем", "ам", "ям",
    "ах", "ях", "ий", "ый", "ая", "яя", "ую", "юю", "ы", "и", "а", "я", "у", "ю", "е", "о",
    "ь", "й",
)  # fmt: skip
_SHORT_FORMS = {
    "анна": "аня анечка анюта", "мария": "маша маруся", "елена": "лена", "ольга": "оля",
    "екатерина": "катя", "александра": "саша", "александр": "саша", "борис": "боря",
    "максим": "макс", "дмитрий": "дима", "сергей": "сережа", "наталья": "наташа",
    "наталия": "наташа", "ирина": "ира", "татьяна": "таня", "юлия": "юля", "светлана": "света",
    "евгений": "женя", "евгения": "женя", "михаил": "миша", "владимир": "вова володя",
    "николай": "коля", "алексей": "леша", "андрей": "андрюша", "павел": "паша", "иван": "ваня",
    "анастасия": "настя", "виктория": "вика", "ксения": "ксюша", "дарья": "даша",
    "галина": "галя", "людмила": "люда", "валентина": "валя", "вера": "верочка",
    "надежда": "надя", "любовь": "люба", "полина": "поля", "софия": "соня", "софья": "соня",
    "елизавета": "лиза", "константин": "костя", "григорий": "гриша", "георгий": "гоша",
    "станислав": "стас", "вячеслав": "слава", "ярослав": "слава", "игорь": "игорек",
    "петр": "петя", "степан": "степа", "тимофей": "тима", "артем": "тема",
}  # fmt: skip
HONORIFICS = WordSet(
    ["dr", "doctor", "prof", "mr", "mrs", "ms", "miss", "frau", "herr", "доктор*", "др"],
    typos_from=99,
)


def cyrillic(word: str) -> str:
    """A folded word in Cyrillic letters (Latin ones spelled as Russian writes names)."""
    if is_cyrillic(word):
        return word
    if word.endswith("ia"):
        word = word[:-2] + "ия"
    for latin, letters in _LATIN:
        word = word.replace(latin, letters)
    return word


def base(word: str) -> str:
    """A Cyrillic name without its case ending ("петровой" -> "петров")."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 2:
            return word[: -len(ending)]
    return word


@dataclass(frozen=True, slots=True)
class _Part:
    """One word of a specialist's name."""

    specialist_id: int
    latin: str  # as written when written in Latin letters, else ""
    base: str
    short: frozenset[str]  # bases of a first name's short forms


def _score(latin: str, typed: str, part: _Part) -> float:
    if (latin and latin == part.latin) or typed == part.base:
        return 1.0
    if typed in part.short:
        return 0.85
    if len(typed) >= 4 and len(part.base) >= 4 and typed[0] == part.base[0]:
        ratio = fuzz.ratio(typed, part.base)
        if ratio >= 80:
            return 0.95 * ratio / 100
    return 0.0


class NameIndex:
    """The specialists' names, to find in a message."""

    __slots__ = ("_parts",)

    def __init__(self, names: Iterable[tuple[int, str]]) -> None:
        parts = []
        for specialist_id, full_name in names:
            words = [t.text for t in tokenize(full_name) if t.word and t.text not in HONORIFICS]
            for position, word in enumerate(words):
                spelled = cyrillic(word)
                short = _SHORT_FORMS.get(spelled, "") if position == 0 else ""
                parts.append(
                    _Part(
                        specialist_id,
                        "" if is_cyrillic(word) else word,
                        base(spelled),
                        frozenset(base(s) for s in short.split()),
                    )
                )
        self._parts: Sequence[_Part] = parts

    def find(self, scan: Scan, ignore: WordSet) -> list[tuple[int, float]]:
        """The specialists the free words name, best first (several when as good), taking
        their words and a title before them ("Dr.", "доктору")."""
        typed = [
            (i, "" if is_cyrillic(w) else w, base(cyrillic(w)))
            for i in range(len(scan))
            if len(w := scan.word(i)) >= 2 and w not in ignore and w not in HONORIFICS
        ]
        best: dict[int, dict[int, tuple[float, int]]] = {}  # specialist -> part -> (score, i)
        for number, part in enumerate(self._parts):
            for i, latin, word in typed:
                score = _score(latin, word, part)
                known = best.setdefault(part.specialist_id, {}).get(number)
                if score and (known is None or score > known[0]):
                    best[part.specialist_id][number] = (score, i)
        ranked = sorted(
            (-len(found), -sum(s for s, _ in found.values()), sid)
            for sid, found in best.items()
            if found
        )
        if not ranked:
            return []
        top_count, top_sum = -ranked[0][0], -ranked[0][1]
        chosen = [(sid, -total) for count, total, sid in ranked
                  if -count == top_count and -total >= top_sum - 0.05]  # fmt: skip
        for sid, _ in chosen:
            for _, i in best[sid].values():
                title = i - 2 if scan.tokens[i - 1].kind == "stop" and i > 1 else i - 1
                scan.take([i, title] if i > 0 and scan.word(title) in HONORIFICS else [i])
        return [(sid, round(total / top_count, 2)) for sid, total in chosen]
