"""Catalogs to read typed text against, without a database: the demo clinic as the import
file has it, and a barbershop with two specialists called Anna."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

from slotbot.core.availability.directory import ServiceEntry, SpecialistEntry
from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import load_import_file
from slotbot.dialogs.understand import Reading, Vocabulary, read

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
"""Tuesday 2026-12-01, 10:00 in Berlin."""


class Catalog:
    """A vocabulary with the keys of its services and specialists."""

    def __init__(self, services: list[ServiceEntry], specialists: list[SpecialistEntry]) -> None:
        self.vocabulary = Vocabulary(services=services, specialists=specialists)
        self.service_key = {s.id: s.key for s in services}
        self.specialist_key = {s.id: s.key for s in specialists}
        self.service_id = {s.key: s.id for s in services}
        self.specialist_id = {s.key: s.id for s in specialists}

    def read(
        self, text: str, locale: str = "en", *, now: datetime = NOW, zone: ZoneInfo = BERLIN
    ) -> Reading:
        return read(text, locale=locale, now=now, zone=zone, vocabulary=self.vocabulary)


def demo_entries() -> tuple[list[ServiceEntry], list[SpecialistEntry]]:
    """The demo clinic's active services and specialists, numbered in file order."""
    spec = load_import_file(DEMO_FILE)
    services = [
        ServiceEntry(i, s.key, s.name, s.duration, s.price, s.currency, s.synonyms)
        for i, s in enumerate(spec.services, 1)
        if s.active
    ]
    specialists = [
        SpecialistEntry(i, p.key, p.name, p.title, ZoneInfo(p.timezone or "UTC"))
        for i, p in enumerate(spec.specialists, 1)
        if p.active
    ]
    return services, specialists


@cache
def demo() -> Catalog:
    """The demo clinic, as :func:`demo_entries`."""
    return Catalog(*demo_entries())


@cache
def two_annas() -> Catalog:
    """Anna Petrova and Анна Смирнова (written in Cyrillic), with Boris Klein."""
    haircut = ServiceEntry(1, "haircut", {"en": "Haircut", "ru": "Стрижка"}, 60, None, None)
    beard = ServiceEntry(
        2, "beard_trim", {"en": "Beard trim", "ru": "Стрижка бороды"}, 30, None, None
    )
    people = [("anna", "Anna Petrova"), ("smirnova", "Анна Смирнова"), ("boris", "Boris Klein")]
    specialists = [
        SpecialistEntry(i, key, name, {}, BERLIN) for i, (key, name) in enumerate(people, 1)
    ]
    return Catalog([haircut, beard], specialists)
