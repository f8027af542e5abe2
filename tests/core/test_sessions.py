"""The dialog session store: load, save with a version check, concurrent first saves."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from slotbot.core import booking
from slotbot.core.availability.busy import read_versions
from slotbot.core.storage.db import create_engine, session_factory
from slotbot.core.storage.models import Booking, DialogSession
from slotbot.core.storage.sessions import (
    SessionState,
    StaleSession,
    load_session,
    save_session,
    save_session_in,
)
from slotbot.core.storage.unit_of_work import UnitOfWork
from tests.core.shop import NOW, TOMORROW, at, build_shop, new_client


async def test_new_session_is_empty_and_saves(engine: AsyncEngine) -> None:
    loaded = await load_session(engine, channel="telegram", conversation_id="7", locale="ru")
    assert (loaded.version, loaded.state, loaded.locale) == (0, {}, "ru")
    saved = await save_session(engine, loaded, state={"step": "date"}, locale="ru", now=NOW)
    again = await load_session(engine, channel="telegram", conversation_id="7")
    assert again == saved and again.version == 1 and again.state == {"step": "date"}


async def test_stale_save_is_refused_not_overwritten(engine: AsyncEngine) -> None:
    first = await load_session(engine, channel="web", conversation_id="s")
    first = await save_session(engine, first, state={"n": 1}, locale="en", now=NOW)
    a = await load_session(engine, channel="web", conversation_id="s")
    b = await load_session(engine, channel="web", conversation_id="s")
    await save_session(engine, a, state={"n": "a"}, locale="en", now=NOW)
    with pytest.raises(StaleSession):
        await save_session(engine, b, state={"n": "b"}, locale="en", now=NOW)
    assert (await load_session(engine, channel="web", conversation_id="s")).state == {"n": "a"}


async def test_concurrent_first_saves_from_separate_connections(database_url: str) -> None:
    engines = [create_engine(database_url) for _ in range(4)]
    try:
        loaded = [
            await load_session(e, channel="telegram", conversation_id="race") for e in engines
        ]
        results = await asyncio.gather(
            *(
                save_session(e, s, state={"by": i}, locale="en", now=NOW)
                for i, (e, s) in enumerate(zip(engines, loaded, strict=True))
            ),
            return_exceptions=True,
        )
    finally:
        for e in engines:
            await e.dispose()
    wins = [r for r in results if not isinstance(r, BaseException)]
    assert len(wins) == 1
    assert all(isinstance(r, StaleSession) for r in results if isinstance(r, BaseException))


async def test_a_hold_and_the_session_pointing_at_it_commit_together(engine: AsyncEngine) -> None:
    shop = await build_shop(engine)
    client = await new_client(engine)
    loaded = await load_session(engine, channel="telegram", conversation_id="h")
    stale = await load_session(engine, channel="telegram", conversation_id="h")

    async def save(session_state: SessionState, connection: AsyncConnection, held: Booking) -> None:
        await save_session_in(
            connection, session_state, state={"hold": held.id}, locale="en", now=NOW
        )

    held = await booking.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 10),
        client_id=client, channel="telegram", now=NOW,
        within=lambda connection, held: save(loaded, connection, held),
    )  # fmt: skip
    saved = await load_session(engine, channel="telegram", conversation_id="h")
    assert saved.state == {"hold": held.id} and saved.version == 1
    with pytest.raises(StaleSession):
        await booking.hold(
            engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 12),
            client_id=client, channel="telegram", now=NOW,
            within=lambda connection, held: save(stale, connection, held),
        )  # fmt: skip
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 1


async def test_a_turns_load_and_lone_save_in_a_unit_of_work(engine: AsyncEngine) -> None:
    """A turn's session load and its save as the unit's one write (on PostgreSQL both sent
    straight to asyncpg, ``storage.direct``) store and read what the engine's own path does,
    the JSON state, the time and the versions included; a stale lone save is refused."""
    first = await load_session(engine, channel="telegram", conversation_id="9")
    first = await save_session(engine, first, state={"n": 1}, locale="en", now=NOW)
    state = {"step": "date", "offered": ["v2:d:2026-12-03"], "client": 5, "note": "Ёлка \u2728"}
    async with UnitOfWork(engine) as uow:  # the busy time that changed read too, or not
        asked = await load_session(
            engine, channel="telegram", conversation_id="9", uow=uow, busy_since=0
        )
        assert asked == await load_session(
            engine, channel="telegram", conversation_id="9", busy_since=0
        )
        assert asked.busy_changed == {} and asked.busy_since == 0
        loaded = await load_session(engine, channel="telegram", conversation_id="9", uow=uow)
        assert loaded == first
        saved = await save_session(
            engine, loaded, state=state, locale="ru", now=NOW, uow=uow, last=True
        )
    assert await load_session(engine, channel="telegram", conversation_id="9") == saved
    async with session_factory(engine)() as session:
        stored = await session.scalar(
            select(DialogSession).where(DialogSession.conversation_id == "9")
        )
    assert stored is not None and (stored.state, stored.locale, stored.version) == (state, "ru", 2)
    assert stored.updated_at.replace(tzinfo=NOW.tzinfo) == NOW
    with pytest.raises(StaleSession):  # ``loaded`` is version 1; 2 is stored
        async with UnitOfWork(engine) as uow:
            await save_session(engine, loaded, state={}, locale="en", now=NOW, uow=uow, last=True)
    assert (await load_session(engine, channel="telegram", conversation_id="9")).state == state


async def test_a_connection_lost_under_a_unit_is_not_handed_out_again(database_url: str) -> None:
    """The server ends a unit's connection between its load and its save: the save fails,
    and the next unit on the same pool gets a working connection (the lost one was
    invalidated, not put back)."""
    if database_url.startswith("sqlite"):
        pytest.skip("a SQLite connection cannot be ended from outside")
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        saved = await save_session(
            engine, await load_session(engine, channel="web", conversation_id="x"),
            state={}, locale="en", now=NOW,
        )  # fmt: skip
        with pytest.raises(Exception):  # noqa: B017 (whatever the driver raises)
            async with UnitOfWork(engine) as uow:
                loaded = await load_session(engine, channel="web", conversation_id="x", uow=uow)
                other = create_engine(database_url)
                try:
                    async with other.connect() as connection:
                        await connection.execute(
                            text(
                                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                            )
                        )
                finally:
                    await other.dispose()
                await save_session(
                    engine, loaded, state={"n": 1}, locale="en", now=NOW, uow=uow, last=True
                )
        async with UnitOfWork(engine) as uow:
            again = await load_session(engine, channel="web", conversation_id="x", uow=uow)
            await save_session(engine, again, state={"n": 2}, locale="en", now=NOW, uow=uow,
                               last=True)  # fmt: skip
        assert again == saved
        assert (await load_session(engine, channel="web", conversation_id="x")).state == {"n": 2}
    finally:
        await engine.dispose()


async def test_the_load_reads_whose_busy_time_changed_since_a_version(engine: AsyncEngine) -> None:
    """Asked with ``busy_since``, the session's one query also says which specialists' busy
    time changed after that bookings version (the dialog's free time then reads only theirs),
    as :func:`~slotbot.core.availability.busy.read_versions` says it."""
    shop = await build_shop(engine)
    client = await new_client(engine)
    key = {"channel": "telegram", "conversation_id": "u"}
    before = await load_session(engine, **key, busy_since=0)
    assert before.busy_changed is not None and before.busy_since == 0
    for specialist in (shop.anna, shop.boris):
        await booking.hold(
            engine, service_id=shop.haircut, specialist_id=specialist, start=at(TOMORROW, 10),
            client_id=await new_client(engine, specialist + 10), channel="telegram", now=NOW,
        )  # fmt: skip
    await booking.hold(
        engine, service_id=shop.haircut, specialist_id=shop.anna, start=at(TOMORROW, 12),
        client_id=client, channel="telegram", now=NOW,
    )  # fmt: skip
    since = before.bookings_version
    after = await load_session(engine, **key, busy_since=since)
    async with UnitOfWork(engine) as uow:  # through asyncpg on PostgreSQL (storage.direct)
        assert await load_session(engine, **key, busy_since=since, uow=uow) == after
    async with session_factory(engine)() as session:
        versions, changed = await read_versions(session, since=since)
    assert after.bookings_version == versions.bookings > since
    assert after.busy_changed == changed and set(changed) == {shop.anna, shop.boris}
    assert (await load_session(engine, **key, busy_since=versions.bookings)).busy_changed == {}
    assert (await load_session(engine, **key)).busy_changed is None  # not asked
