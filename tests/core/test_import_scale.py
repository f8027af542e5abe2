"""Issue 11.4: checking and syncing a file grows linearly with its schedule rows."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from datetime import time as wall
from itertools import combinations

from slotbot.core.importing.spec import WEEKDAYS, ScheduleRowSpec, _overlapping_rows


def row(
    days: list[str], start: int, end: int, first: date | None, last: date | None
) -> ScheduleRowSpec:
    return ScheduleRowSpec.model_validate(
        {"days": days, "start": wall(start), "end": wall(end), "valid_from": first,
         "valid_until": last}
    )  # fmt: skip


def brute_force(rows: list[ScheduleRowSpec]) -> set[tuple[int, int]]:
    """The quadratic definition: every pair sharing a weekday, hours and validity dates."""
    found = set()
    for (i, a), (j, b) in combinations(enumerate(rows), 2):
        if (
            set(a.days) & set(b.days)
            and a.start < b.end
            and b.start < a.end
            and (a.valid_until or date.max) >= (b.valid_from or date.min)
            and (b.valid_until or date.max) >= (a.valid_from or date.min)
        ):
            found.add((j, i))
    return found


def test_the_sweep_finds_a_clash_exactly_when_there_is_one() -> None:
    """On random files the sweep and the quadratic definition agree on whether a file
    has a clash, and every clash the sweep reports is a real one."""
    chance = random.Random(11)
    for _ in range(400):
        rows = []
        for _ in range(chance.randint(1, 8)):
            start = chance.randint(6, 20)
            first = date(2026, 1, 1) + timedelta(days=chance.randint(0, 30))
            rows.append(
                row(
                    chance.sample(WEEKDAYS, chance.randint(1, 3)),
                    start,
                    chance.randint(start + 1, 23),
                    chance.choice([None, first]),
                    chance.choice([None, first + timedelta(days=chance.randint(0, 20))]),
                )
            )
        expected = brute_force(rows)
        found = _overlapping_rows(rows, range(len(rows)))
        assert set(found) <= expected
        assert bool(found) == bool(expected), (rows, expected)
        for (later, earlier), days in found.items():
            assert days <= set(rows[later].days) & set(rows[earlier].days)


def test_twenty_thousand_rows_are_checked_quickly() -> None:
    """One row per day for 20,000 days... of two shifts: 20,000 rows that all share hours
    with thousands of others, told apart by their dates only (the old check compared
    every pair: 200 million comparisons)."""
    rows = []
    day = date(2030, 1, 1)
    for index in range(20_000):
        if index % 2 == 0 and index:
            day += timedelta(days=1)
        start, end = ((8, 12), (13, 17))[index % 2]
        rows.append(row([WEEKDAYS[day.weekday()]], start, end, day, day))
    started = time.perf_counter()
    assert _overlapping_rows(rows, range(len(rows))) == {}
    assert time.perf_counter() - started < 10  # ~0.1 s; quadratic took minutes
    rows.append(row(["mon", "tue"], 11, 14, date(2030, 1, 1), None))
    clash = _overlapping_rows(rows, range(len(rows)))
    assert clash and all(later == 20_000 for later, _ in clash)
