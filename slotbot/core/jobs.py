"""Periodic jobs (APScheduler), scheduled by every ``serve``, ``worker`` and ``bot`` process
and run by one of them: each tick a job first takes or renews its lease
(:func:`slotbot.core.storage.shared.take_lease`), and only the process that has it does
the work. The holder keeps it while it ticks; if it dies, another process takes the job over
once the lease runs out (three intervals), and one that stops cleanly hands it back at once
(:func:`slotbot.core.storage.shared.hand_back_leases`).

The jobs would also be safe to run twice at once: housekeeping is conditional ``UPDATE``
statements, the waiting list's matching records each offer once (a unique row per entry and
time), and the outbox dispatcher claims its rows with a lease of their own
(:mod:`slotbot.core.notify.dispatcher`). One dispatcher at a time also keeps one pace
towards Telegram's limits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.booking.service import complete_past, expire_holds
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.storage.shared import (
    forget_stale,
    hand_back_leases,
    process_identity,
    take_lease,
)
from slotbot.core.waitlist.matching import match
from slotbot.core.waits import woken

log = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 60
DISPATCH_SECONDS = 10
#: A job's lease lasts this many of its intervals: a holder that misses a tick or two keeps
#: it; one that died hands it on after this long.
LEASE_INTERVALS = 3


@dataclass(frozen=True, slots=True)
class Housekeeping:
    expired_holds: int
    completed_bookings: int
    waitlist_offers: int = 0


async def housekeeping(engine: AsyncEngine, *, now: datetime) -> Housekeeping:
    """Flip holds that ran out to ``expired`` and ended bookings to ``completed``; then offer
    the time that freed up to the waiting list (``core.waitlist.matching``: its outbox rows
    go out with the dispatcher's next pass)."""
    expired = await expire_holds(engine, now=now)
    completed = await complete_past(engine, now=now)
    matched = await match(engine, now=now)
    return Housekeeping(expired, completed, matched.offers)


class JobLeases:
    """Runs each job only in the process that holds its lease (see the module's docstring),
    and hands this process's leases back when it stops (:meth:`stop`)."""

    def __init__(
        self,
        engine: AsyncEngine,
        holder: str | None = None,
        *,
        lease: timedelta | None = None,
    ) -> None:
        """``lease``: how long a lease lasts without renewal; by default
        :data:`LEASE_INTERVALS` of the job's interval."""
        self.engine = engine
        self.holder = holder or process_identity()
        self.lease = lease
        self._held: set[str] = set()
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = False

    def __call__(
        self, name: str, interval_seconds: float, job: Callable[[], Awaitable[None]]
    ) -> Callable[[], Awaitable[None]]:
        """``job`` as a scheduler's job that runs only while this process holds its lease."""
        ttl = self.lease or timedelta(seconds=interval_seconds * LEASE_INTERVALS)

        async def run() -> None:
            if self._stopping or not await self._take(name, ttl):
                return
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            done = asyncio.Event()
            renewing = asyncio.create_task(self._keep(name, ttl, interval_seconds, done))
            try:
                await job()
            finally:
                done.set()
                await renewing
                self._running.discard(task)

        return run

    async def stop(self, *, wait: float = 5.0) -> None:
        """Start no more runs; let the runs under way finish (at most ``wait`` seconds:
        cut short in the middle of a write, a run could leave its connection unusable),
        then hand the leases back so that another process takes the jobs at once."""
        self._stopping = True
        if self._running:
            await asyncio.wait(set(self._running), timeout=wait)
        await hand_back_leases(self.engine, holder=self.holder)

    async def _take(self, name: str, ttl: timedelta) -> bool:
        held = await take_lease(
            self.engine, f"job:{name}", holder=self.holder, ttl=ttl, now=datetime.now(UTC)
        )
        if held != (name in self._held):
            (self._held.add if held else self._held.discard)(name)
            where = "this process" if held else "another process"
            log.info("periodic job %s: runs in %s now", name, where)
        return held

    async def _keep(
        self, name: str, ttl: timedelta, interval_seconds: float, done: asyncio.Event
    ) -> None:
        """Renew the lease while a long run (a big outbox) outlasts it."""
        while not await woken(done, interval_seconds):
            await self._take(name, ttl)


def build_scheduler(
    engine: AsyncEngine,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    interval_seconds: float = HOUSEKEEPING_SECONDS,
    dispatcher: Dispatcher | None = None,
    dispatch_seconds: float = DISPATCH_SECONDS,
    leases: JobLeases | None = None,
) -> AsyncIOScheduler:
    """A scheduler with the housekeeping job, first run at start and then every
    ``interval_seconds``, and with ``dispatcher`` the outbox job (see :func:`add_dispatch`);
    call ``start()`` in a running loop. Each job runs under ``leases`` (one of this
    process's own by default); await ``leases.stop()`` before ``shutdown()``.

    Housekeeping also forgets the shared state that ran out (update ids, full rate
    buckets), by the wall clock: ``clock`` is the bookings' "now"."""
    leases = leases or JobLeases(engine)

    async def tidy() -> None:
        await housekeeping(engine, now=clock())
        await forget_stale(engine, now=datetime.now(UTC))

    run = leases("housekeeping", interval_seconds, tidy)

    scheduler = AsyncIOScheduler(timezone=UTC)
    # the scheduler keeps real time (first run at once); ``clock`` is the jobs' "now"
    scheduler.add_job(
        run,
        "interval",
        seconds=interval_seconds,
        id="housekeeping",
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),
    )
    if dispatcher is not None:
        add_dispatch(
            scheduler, dispatcher, clock=clock, interval_seconds=dispatch_seconds, leases=leases
        )
    return scheduler


def add_dispatch(
    scheduler: AsyncIOScheduler,
    dispatcher: Dispatcher,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    interval_seconds: float = DISPATCH_SECONDS,
    leases: JobLeases | None = None,
) -> None:
    """The outbox job: every ``interval_seconds`` it sends what is due; when a row falls due
    (or a retry comes up) before the next tick, the job is woken for that moment."""
    leases = leases or JobLeases(dispatcher.engine)

    async def send() -> None:
        await dispatcher.drain(now=clock())
        due = await dispatcher.next_due()
        job = scheduler.get_job("dispatch")
        if due is None or job is None or job.next_run_time is None:
            return
        wake = datetime.now(UTC) + max(due - clock(), timedelta(0))
        if wake < job.next_run_time:
            job.modify(next_run_time=wake)

    scheduler.add_job(
        leases("dispatch", interval_seconds, send),
        "interval",
        seconds=interval_seconds,
        id="dispatch",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )
