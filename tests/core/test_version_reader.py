"""The engine's version reader (slotbot.core.storage.version_reader): it reads what a session
would, sees at once what another engine (another process's pool) committed, says ``None``
rather than anything stale when it cannot read, and is closed with its engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking as bookings
from slotbot.core.availability.busy import busy_stretches, read_versions
from slotbot.core.availability.free import FreeTime
from slotbot.core.storage import version_reader
from slotbot.core.storage.db import create_engine, is_sqlite, session_factory, writer
from slotbot.core.storage.models import SpecialistBlock, SpecialistOverride
from slotbot.core.storage.version_reader import Committed, committed_versions
from tests.core.shop import NOW, TOMORROW, Shop, at, build_shop, new_client


@pytest.fixture
async def shop(engine: AsyncEngine) -> Shop:
    return await build_shop(engine)


@pytest.fixture
async def other(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Another engine on the same database: another process's pool."""
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def in_session(engine: AsyncEngine, since: int) -> Committed:
    """What a session reads, in the reader's terms."""
    async with session_factory(engine)() as session:
        versions, changed = await read_versions(session, since=since)
    return Committed(versions.catalog, versions.bookings, changed)


async def read(engine: AsyncEngine, since: int = -1) -> Committed:
    committed = await committed_versions(engine, since=since)
    assert committed is not None
    return committed


async def test_it_reads_what_a_session_reads_and_sees_other_engines_at_once(
    engine: AsyncEngine, other: AsyncEngine, shop: Shop
) -> None:
    first = await read(engine)
    assert first == await in_session(engine, -1)
    held = await bookings.hold(
        other, service_id=shop.haircut, specialist_id=shop.boris, start=at(TOMORROW, 10),
        client_id=await new_client(other), channel="web", now=NOW,
    )  # fmt: skip
    after = await read(engine, since=first.bookings)
    assert after.bookings > first.bookings and after.catalog == first.catalog
    assert after.changed == {shop.boris: after.bookings}
    assert after == await in_session(engine, first.bookings)
    await bookings.cancel(other, booking_id=held.id, by="client", now=NOW)
    assert (await read(engine, since=after.bookings)).changed.keys() == {shop.boris}
    async with writer(other) as session:  # a catalog change
        session.add(SpecialistOverride(specialist_id=shop.carl, starts_on=TOMORROW,
                                       ends_on=TOMORROW, kind="day_off"))  # fmt: skip
    last = await read(engine, since=2**62)
    assert last.catalog > first.catalog and last.changed == {}
    assert last == await in_session(engine, 2**62)


async def test_with_a_window_it_reads_the_changed_specialists_busy_time_as_a_session_would(
    engine: AsyncEngine, other: AsyncEngine, shop: Shop
) -> None:
    """The busy time read with the versions: the rows
    :func:`~slotbot.core.availability.busy.busy_stretches` reads (blocks, confirmed bookings
    and holds with their expiries), only for the few specialists that changed."""
    lo, hi = at(TOMORROW, 0) - timedelta(days=2), at(TOMORROW, 0) + timedelta(days=30)
    first = await read(engine)
    everyone = await committed_versions(engine, since=-1, busy_over=(lo, hi))
    assert everyone is not None and everyone.busy is None  # since not known: not read
    client = await new_client(other)
    held = await bookings.hold(
        other, service_id=shop.haircut, specialist_id=shop.boris, start=at(TOMORROW, 10),
        client_id=client, channel="web", now=NOW,
    )  # fmt: skip
    await bookings.hold(
        other, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 11),
        client_id=client, channel="web", now=NOW,
    )  # fmt: skip
    await bookings.confirm(other, booking_id=held.id, now=NOW)
    async with writer(other) as session:
        session.add(SpecialistBlock(specialist_id=shop.boris, starts_at=at(TOMORROW, 14),
                                    ends_at=at(TOMORROW, 15)))  # fmt: skip
    found = await committed_versions(engine, since=first.bookings, busy_over=(lo, hi))
    assert found is not None and found.changed.keys() == {shop.anna, shop.boris}
    assert found.busy is not None
    async with session_factory(engine)() as session:
        expected = await busy_stretches(session, [shop.anna, shop.boris], lo, hi)
    rows = {(sid, *s) for sid, stretches in expected.items() for s in stretches}
    assert {(sid, s, e, booking, x) for sid, booking, s, e, x in found.busy} == rows
    assert len(found.busy) == len(rows) >= 3  # a hold, a confirmed booking, a block
    assert all(s.tzinfo is not None and e.tzinfo is not None for _, _, s, e, _ in found.busy)
    assert await read(engine, since=first.bookings) == await in_session(engine, first.bookings)


async def test_it_is_closed_with_its_engine(database_url: str, engine: AsyncEngine) -> None:
    own = create_engine(database_url)
    await read(own)
    reader = version_reader._readers[own.sync_engine.pool]
    assert await postgres_readers(engine) == (0 if is_sqlite(engine) else 1)
    await own.dispose()
    assert not reader.connected
    assert await postgres_readers(engine) == 0
    version_reader.close_reader(engine)  # none yet: nothing to do
    await read(engine)
    version_reader.close_reader(engine)
    assert await read(engine) == await in_session(engine, -1)  # opened again


async def test_engines_with_options_share_their_pools_reader(database_url: str) -> None:
    """``execution_options`` (the writers' engine) makes an engine on the same pool: one
    reader, closed when the engine that owns the pool is disposed."""
    own = create_engine(database_url)
    await read(own.execution_options(logging_token="writer"))
    reader = version_reader._readers[own.sync_engine.pool]
    await read(own)
    assert version_reader._readers[own.sync_engine.pool] is reader
    await own.dispose()
    assert not reader.connected


async def postgres_readers(engine: AsyncEngine) -> int:
    """How many readers' connections PostgreSQL has to this database (0 on SQLite)."""
    if is_sqlite(engine):
        return 0
    async with engine.connect() as connection:
        for _ in range(50):  # a closed connection leaves the server's list soon after
            found = await connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = 'slotbot versions'"
            ))  # fmt: skip
            if found == 0:
                break
            await asyncio.sleep(0.02)
    return int(found or 0)


async def test_a_database_in_memory_has_no_reader() -> None:
    engine = create_engine("sqlite+aiosqlite://")
    try:
        assert await committed_versions(engine, since=-1) is None
    finally:
        await engine.dispose()


async def test_on_postgresql_one_read_at_a_time_the_others_say_none(engine: AsyncEngine) -> None:
    await read(engine)  # opened
    reads = await asyncio.gather(*(committed_versions(engine, since=-1) for _ in range(3)))
    truth = await in_session(engine, -1)
    assert all(r == truth for r in reads if r is not None) and reads[0] == truth
    assert reads.count(None) == (0 if is_sqlite(engine) else 2)


async def test_a_lost_or_cancelled_read_falls_back_then_reads_again(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server drops the reader's connection, or a question is cancelled in the middle
    of a read: questions read the versions in their sessions meanwhile (and see what
    another engine wrote), and the reader connects again after a while."""
    engine, other = create_engine(postgres_url), create_engine(postgres_url)
    try:
        shop = await build_shop(engine)
        day = (TOMORROW, TOMORROW + timedelta(days=6))

        async def week() -> dict[object, bool]:
            async with session_factory(engine)() as session:
                return await FreeTime(session, now=NOW).days(shop.haircut, [shop.anna], *day)

        assert (await week())[TOMORROW] is True
        async with other.connect() as connection:
            await connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = 'slotbot versions'"
            ))  # fmt: skip
        for hour in range(9, 18):
            await bookings.hold(
                other, service_id=shop.haircut, specialist_id=shop.anna,
                start=at(TOMORROW, hour), client_id=await new_client(other, hour), channel="web",
                now=NOW,
            )  # fmt: skip
        assert (await week())[TOMORROW] is False  # the read failed; the session's was used
        assert await committed_versions(engine, since=-1) is None  # waiting to try again
        monkeypatch.setattr(version_reader, "RETRY_AFTER_S", 0.0)
        reader = version_reader._readers[engine.sync_engine.pool]
        reader._retry_at = 0.0  # type: ignore[union-attr]
        assert await read(engine) == await in_session(engine, -1)

        asking = asyncio.create_task(committed_versions(engine, since=-1))
        await asyncio.sleep(0)  # the read is sent
        asking.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asking
        for _ in range(3):  # the connection may be dropped (None) and made again
            found = await committed_versions(engine, since=-1)
            assert found is None or found == await in_session(engine, -1)
        assert await read(engine) == await in_session(engine, -1)
    finally:
        await engine.dispose()
        await other.dispose()
