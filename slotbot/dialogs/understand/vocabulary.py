"""The shop's catalog as the reader sees it: service names and synonyms, specialists'
names. Built once per catalog version (:func:`vocabulary_of`)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from slotbot.core.availability.directory import Directory, ServiceEntry, SpecialistEntry
from slotbot.dialogs.understand.people import NameIndex
from slotbot.dialogs.understand.services import ServiceIndex
from slotbot.dialogs.understand.words import WordSet

__all__ = ["FILLER", "Vocabulary", "vocabulary_of"]

FILLER = WordSet(
    [
        "a", "an", "the", "to", "at", "in", "on", "for", "of", "with", "w", "and", "or", "my",
        "me", "i", "im", "id", "is", "it", "its", "be", "please", "pls", "plz", "want",
        "like", "need", "would", "can", "could", "get", "have", "do", "you", "some", "also",
        "hi", "hello", "thanks", "thank", "ok", "okay", "yes", "no", "not", "what", "see",
        "any", "anytime", "every", "some", "time",
        "в", "во", "на", "к", "ко", "у", "с", "со", "о", "об", "от", "до", "по", "и", "или",
        "а", "но", "мне", "меня", "я", "мой", "моя", "хочу", "хотел", "хотела", "хотелось",
        "бы", "можно", "пожалуйста", "плиз", "нужно", "надо", "ли", "же", "ну", "это", "да",
        "нет", "не", "привет", "здравствуйте", "спасибо", "ок", "сделать", "будет",
    ],
    typos_from=99,
)  # fmt: skip
"""Words that name nothing in a catalog: never matched against names or services."""


class Vocabulary:
    """Services (their names in every language and the import file's synonyms) and
    specialists (their full names) to find in typed text."""

    __slots__ = ("names", "services")

    def __init__(
        self, *, services: Iterable[ServiceEntry], specialists: Iterable[SpecialistEntry]
    ) -> None:
        self.services = ServiceIndex(
            (
                (s.id, [*s.names.values(), *(w for ws in s.synonyms.values() for w in ws)])
                for s in services
            ),
            FILLER,
        )
        self.names = NameIndex((s.id, s.full_name) for s in specialists)


_recent: OrderedDict[int, tuple[Directory, Vocabulary]] = OrderedDict()


def vocabulary_of(directory: Directory) -> Vocabulary:
    """The vocabulary of a directory's active services and specialists, kept for the last
    few directories (a directory stands for one catalog version of one database)."""
    known = _recent.get(id(directory))
    if known is not None and known[0] is directory:
        _recent.move_to_end(id(directory))
        return known[1]
    vocabulary = Vocabulary(
        services=directory.services.values(), specialists=directory.specialists.values()
    )
    _recent[id(directory)] = (directory, vocabulary)
    while len(_recent) > 4:
        _recent.popitem(last=False)
    return vocabulary
