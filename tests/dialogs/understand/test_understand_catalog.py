"""The reader against the catalog as the dialog loads it: the imported demo's services with
their synonyms and its specialists, from the database."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.availability.directory import load_directory
from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import import_file
from slotbot.core.storage.db import session_factory
from slotbot.dialogs.understand import read, vocabulary_of
from tests.dialogs.understand.catalogs import BERLIN, NOW


async def test_the_directorys_vocabulary_reads_synonyms(engine: AsyncEngine) -> None:
    await import_file(engine, DEMO_FILE)
    async with session_factory(engine)() as session:
        directory = await load_directory(session)
    vocabulary = vocabulary_of(directory)
    assert vocabulary_of(directory) is vocabulary  # built once per directory
    ids = {s.key: s.id for s in directory.services.values()}
    people = {s.key: s.id for s in directory.specialists.values()}

    reading = read("хочу подстричься у Петровой", locale="ru", now=NOW, zone=BERLIN,
                   vocabulary=vocabulary)  # fmt: skip
    assert reading.service_id == ids["haircut"]  # a synonym from the import file
    assert reading.specialist_id == people["anna"]
    workout = read("workout", locale="en", now=NOW, zone=BERLIN, vocabulary=vocabulary)
    assert workout.service_id == ids["personal_training"]
    whitening = read("whitening", locale="en", now=NOW, zone=BERLIN, vocabulary=vocabulary)
    assert whitening.services == ()  # not offered this season: not in the directory
