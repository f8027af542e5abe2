"""Periodic jobs (APScheduler), run by every ``serve`` and ``worker`` process.

Each job is idempotent and safe to run in several processes at once: they are conditional
``UPDATE`` statements. The notification dispatcher joins them here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.booking import complete_past, expire_holds

HOUSEKEEPING_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Housekeeping:
    expired_holds: int
    completed_bookings: int


async def housekeeping(engine: AsyncEngine, *, now: datetime) -> Housekeeping:
    """Flip holds that ran out to ``expired`` and ended bookings to ``completed``."""
    return Housekeeping(
        expired_holds=await expire_holds(engine, now=now),
        completed_bookings=await complete_past(engine, now=now),
    )


def build_scheduler(
    engine: AsyncEngine,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    interval_seconds: float = HOUSEKEEPING_SECONDS,
) -> AsyncIOScheduler:
    """A scheduler with the housekeeping job, first run at start and then every
    ``interval_seconds``; call ``start()`` in a running loop."""

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
    return scheduler
