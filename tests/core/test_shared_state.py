"""What the processes of one deployment share through the database: leases, Telegram update
ids seen, rate buckets, and the wake-up of the widget's streams (PostgreSQL's LISTEN).
Concurrent callers are separate engines (separate pools, as separate processes have)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.storage.db import create_engine, is_sqlite, write_transaction
from slotbot.core.storage.listen import Listener
from slotbot.core.storage.models import RateBucket, SeenUpdate, WebMessage
from slotbot.core.storage.shared import (
    SEEN_UPDATES_FOR,
    WEB_MESSAGES_CHANNEL,
    Deliveries,
    Rate,
    forget_stale,
    hand_back_leases,
    take_lease,
    take_token,
)

T0 = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
async def deliveries_of() -> AsyncIterator[Callable[[AsyncEngine], Deliveries]]:
    """``Deliveries`` for an engine, closed at the end (on PostgreSQL each has a connection
    of its own)."""
    made: list[Deliveries] = []

    def make(engine: AsyncEngine) -> Deliveries:
        made.append(Deliveries(engine))
        return made[-1]

    try:
        yield make
    finally:
        for deliveries in made:
            await deliveries.close()


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[list[AsyncEngine]]:
    """Four engines on the test database: four "processes"."""
    made = [create_engine(database_url) for _ in range(4)]
    try:
        yield made
    finally:
        for engine in made:
            await engine.dispose()


async def test_a_lease_has_one_holder_until_it_runs_out(engine: AsyncEngine) -> None:
    async def take(holder: str, now: datetime) -> bool:
        return await take_lease(engine, "job:x", holder=holder, ttl=MINUTE, now=now)

    assert await take("a", T0)
    assert not await take("b", T0 + timedelta(seconds=59))  # a has it
    assert await take("a", T0 + timedelta(seconds=50))  # a renews: until T0 + 110 s
    assert not await take("b", T0 + timedelta(seconds=109))
    assert await take("b", T0 + timedelta(seconds=110))  # a stopped renewing: b takes over
    assert not await take("a", T0 + timedelta(seconds=111))
    assert await take_lease(engine, "job:y", holder="a", ttl=MINUTE, now=T0)  # another lease
    assert await hand_back_leases(engine, holder="b") == 1
    assert await take("a", T0 + timedelta(seconds=112))  # handed back: no waiting


async def test_racing_processes_give_a_lease_to_one(engines: list[AsyncEngine]) -> None:
    for round_ in range(5):
        now = T0 + round_ * 2 * MINUTE  # each round, the last holder's lease has run out
        won = await asyncio.gather(*(
            take_lease(e, "job:race", holder=f"p{n}", ttl=MINUTE, now=now)
            for n, e in enumerate(engines)
        ))  # fmt: skip
        assert sum(won) == 1, won


async def test_an_update_is_taken_once_however_many_deliver_it(
    engines: list[AsyncEngine], deliveries_of: Callable[[AsyncEngine], Deliveries]
) -> None:
    processes = [deliveries_of(e) for e in engines]
    for update_id in range(100, 110):
        first = await asyncio.gather(*(p.first(update_id, now=T0) for p in processes))
        assert sum(first) == 1, (update_id, first)
    assert not await processes[0].first(105, now=T0 + MINUTE)


async def test_a_burst_of_updates_is_recorded_on_one_connection(
    engine: AsyncEngine, deliveries_of: Callable[[AsyncEngine], Deliveries]
) -> None:
    """200 updates at once (each sent twice, and some seen before) take one connection at
    a time, never one each: a pool does not run over and open connections by the hundred.
    On PostgreSQL that connection is the deliveries' own, outside the pool."""
    deliveries = deliveries_of(engine)
    assert await deliveries.first(7, now=T0)
    pool = engine.sync_engine.pool
    at_once = most = 0

    def checkout(*_: object) -> None:
        nonlocal at_once, most
        at_once += 1
        most = max(most, at_once)

    def checkin(*_: object) -> None:
        nonlocal at_once
        at_once -= 1

    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    try:
        ids = [n for n in range(200) for _ in range(2)]
        first = await asyncio.gather(*(deliveries.first(n, now=T0) for n in ids))
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)
    assert most == (1 if is_sqlite(engine) else 0)
    taken = [n for n, new in zip(ids, first, strict=True) if new]
    assert taken == [n for n in range(200) if n != 7]  # each once; 7 came before
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(SeenUpdate)) == 200
        if not is_sqlite(engine):
            own = "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"
            name = {"name": "slotbot update ids"}
            assert await connection.scalar(text(own), name) == 1


async def test_a_statement_the_server_refuses_goes_the_pools_way(
    engine: AsyncEngine, deliveries_of: Callable[[AsyncEngine], Deliveries]
) -> None:
    """On PostgreSQL, where the server refuses the prepared statement (a PgBouncer in
    transaction mode keeps none), the ids are recorded through the pool instead."""
    if is_sqlite(engine):
        pytest.skip("the statement of its own is PostgreSQL's")
    deliveries = deliveries_of(engine)
    assert deliveries._prepared is not None
    deliveries._prepared.statements["record"] = "INSERT INTO no_such_table VALUES ($1, $2)"
    assert await deliveries.first(1, now=T0)
    assert not await deliveries.first(1, now=T0)
    assert await deliveries.first(2, now=T0)
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(SeenUpdate)) == 2


async def test_a_failed_write_answers_every_waiting_update() -> None:
    """With the database away, every update waiting on the write gets the error (the
    webhook answers 500 and Telegram sends them again); none waits for ever, and the next
    update tries again."""
    away = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        deliveries = Deliveries(away)
        answers = await asyncio.gather(
            *(deliveries.first(n, now=T0) for n in range(3)), return_exceptions=True
        )
        assert all(isinstance(answer, OSError) for answer in answers), answers
        with pytest.raises(OSError):
            await deliveries.first(9, now=T0)
    finally:
        await away.dispose()


async def test_stale_update_ids_and_full_buckets_are_forgotten(
    engine: AsyncEngine, deliveries_of: Callable[[AsyncEngine], Deliveries]
) -> None:
    deliveries = deliveries_of(engine)
    assert await deliveries.first(1, now=T0)
    assert await deliveries.first(2, now=T0 + 30 * MINUTE)
    now = T0.timestamp()
    assert await take_token(engine, "a", Rate(burst=5, per_second=1), now=now) == 0  # full in 1 s
    for _ in range(5):
        await take_token(engine, "b", Rate(burst=5, per_second=0.1), now=now)  # full in 50 s
    done = await forget_stale(engine, now=T0 + SEEN_UPDATES_FOR + timedelta(seconds=10))
    assert (done.updates, done.buckets) == (1, 2)
    async with engine.connect() as connection:
        kept = await connection.scalars(select(SeenUpdate.update_id))
        assert list(kept) == [2]
        assert await connection.scalar(select(func.count()).select_from(RateBucket)) == 0
    assert await deliveries.first(1, now=T0 + 2 * SEEN_UPDATES_FOR)  # new again
    assert not await deliveries.first(2, now=T0 + 2 * SEEN_UPDATES_FOR)


async def test_a_bucket_gives_its_burst_then_its_rate(engine: AsyncEngine) -> None:
    rate = Rate(burst=3, per_second=0.5)  # 3 at once, then one every 2 s
    now = 1_000_000.0
    assert [await take_token(engine, "k", rate, now=now) for _ in range(3)] == [0, 0, 0]
    wait = await take_token(engine, "k", rate, now=now)
    assert wait == pytest.approx(2.0)
    assert await take_token(engine, "k", rate, now=now + 1.0) == pytest.approx(1.0)  # not taken
    assert await take_token(engine, "k", rate, now=now + 2.0) == 0
    assert await take_token(engine, "k", rate, now=now + 2.0) > 0
    assert await take_token(engine, "other", rate, now=now) == 0  # keys are apart
    # a long pause fills the bucket up to its burst, never beyond
    later = now + 3600
    assert [await take_token(engine, "k", rate, now=later) == 0 for _ in range(4)] == [
        True, True, True, False,
    ]  # fmt: skip


async def test_concurrent_requests_through_many_processes_get_the_burst_only(
    engines: list[AsyncEngine],
) -> None:
    rate = Rate(burst=20, per_second=0.001)
    now = time.time()
    waits = await asyncio.gather(*(
        take_token(engines[n % len(engines)], "address:203.0.113.9", rate, now=now)
        for n in range(60)
    ))  # fmt: skip
    assert sum(1 for w in waits if w == 0) == 20


async def test_a_new_widget_message_is_announced_to_every_listener(
    database_url: str, engines: list[AsyncEngine]
) -> None:
    """PostgreSQL only: the trigger of migration 0013 and LISTEN on connections of their own
    (SQLite is one process, whose hub is woken by the write itself)."""
    if is_sqlite(engines[0]):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite serves from one process")
    heard: list[list[str]] = [[], []]
    gaps = [0, 0]

    def gap(n: int) -> Callable[[], None]:
        return lambda: gaps.__setitem__(n, gaps[n] + 1)

    listeners = [
        Listener(engines[n].url, WEB_MESSAGES_CHANNEL, on_message=heard[n].append, on_gap=gap(n))
        for n in range(2)
    ]
    for listener in listeners:
        await listener.start()
    try:
        assert all(listener.listening for listener in listeners)
        assert gaps == [1, 1]  # "look once more" on connecting
        async with write_transaction(engines[2]) as connection:
            for session in ("s1", "s2", "s1"):
                await connection.execute(
                    insert(WebMessage).values(session_id=session, sender="bot", body={})
                )
            assert heard == [[], []]  # nothing before the commit
        for _ in range(1000):
            if all(len(h) >= 2 for h in heard):
                break
            await asyncio.sleep(0.005)
        assert [sorted(h) for h in heard] == [["s1", "s2"], ["s1", "s2"]]  # one per session
    finally:
        for listener in listeners:
            await listener.stop()
