"""Periodic jobs (APScheduler), run by every ``serve`` and ``worker`` process.

Each job is idempotent and safe to run in several processes at once: they are conditional
``UPDATE`` statements, the waiting list's matching records each offer once (a unique row per
entry and time); the outbox dispatcher claims its rows with a lease
(:mod:`slotbot.core.notify.dispatcher`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.booking.service import complete_past, expire_holds
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.waitlist.matching import match

HOUSEKEEPING_SECONDS = 60
DISPATCH_SECONDS = 10


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


def build_scheduler(
    engine: AsyncEngine,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    interval_seconds: float = HOUSEKEEPING_SECONDS,
    dispatcher: Dispatcher | None = None,
    dispatch_seconds: float = DISPATCH_SECONDS,
) -> AsyncIOScheduler:
    """A scheduler with the housekeeping job, first run at start and then every
    ``interval_seconds``, and with ``dispatcher`` the outbox job (see :func:`add_dispatch`);
    call ``start()`` in a running loop."""

    async def run() -> None:
        await housekeeping(engine, now=clock())

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
        add_dispatch(scheduler, dispatcher, clock=clock, interval_seconds=dispatch_seconds)
    return scheduler


def add_dispatch(
    scheduler: AsyncIOScheduler,
    dispatcher: Dispatcher,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    interval_seconds: float = DISPATCH_SECONDS,
) -> None:
    """The outbox job: every ``interval_seconds`` it sends what is due; when a row falls due
    (or a retry comes up) before the next tick, the job is woken for that moment."""

    async def run() -> None:
        await dispatcher.drain(now=clock())
        due = await dispatcher.next_due()
        job = scheduler.get_job("dispatch")
        if due is None or job is None or job.next_run_time is None:
            return
        wake = datetime.now(UTC) + max(due - clock(), timedelta(0))
        if wake < job.next_run_time:
            job.modify(next_run_time=wake)

    scheduler.add_job(
        run,
        "interval",
        seconds=interval_seconds,
        id="dispatch",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )
