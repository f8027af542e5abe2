"""Benchmark: importing one specialist with 10,000 schedule rows (issue 11.4).

Run: .venv/bin/python bench/import.py [--rows N] [--postgres URL]

The rows are the shape that used to cost O(N^2): one specialist, a rota of one-day rows
(each valid for one date, on that date's weekday, two shifts a day), so every row shares
hours and weekdays with many others and only the validity dates keep them apart. Prints
the time to read and check the file, to write it into a fresh SQLite database (or, with
``--postgres``, into a database of its own created on that server and dropped afterwards),
and to import it again unchanged. Target: a few seconds in all.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time as clock
from datetime import date, timedelta
from pathlib import Path

from databases import own_database

from slotbot.core.importing import apply_import, load_import_file
from slotbot.core.storage.db import create_engine
from slotbot.core.storage.schema import upgrade

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHIFTS = (("08:00", "12:00"), ("13:00", "17:30"))


def rota_yaml(rows: int) -> str:
    """An import file whose one specialist has ``rows`` schedule rows."""
    lines = [
        "timezone: Europe/Berlin",
        "services:",
        "  - {key: consultation, name: {en: Consultation}, duration: 30}",
        "specialists:",
        "  - key: rota",
        "    name: Dr Rota",
        "    services: [consultation]",
        "    schedule:",
    ]
    day = date(2030, 1, 1)
    for index in range(rows):
        start, end = SHIFTS[index % len(SHIFTS)]
        if index and index % len(SHIFTS) == 0:
            day += timedelta(days=1)
        lines.append(
            f'      - {{days: [{WEEKDAYS[day.weekday()]}], start: "{start}", end: "{end}",'
            f" slot: 30, valid_from: {day}, valid_until: {day}}}"
        )
    return "\n".join(lines) + "\n"


async def run(rows: int, server: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rota.yaml"
        path.write_text(rota_yaml(rows), encoding="utf-8")
        size = path.stat().st_size
        async with own_database(server, Path(folder)) as url:
            await measure(rows, path, size, url)


async def measure(rows: int, path: Path, size: int, url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        started = clock.perf_counter()
        spec = load_import_file(path)
        parsed = clock.perf_counter()
        first = await apply_import(engine, spec)
        written = clock.perf_counter()
        again = await apply_import(engine, load_import_file(path))
        repeated = clock.perf_counter()
    finally:
        await engine.dispose()
    assert len(spec.specialists[0].schedule) == rows
    assert not again.changed, again.summary()
    print(f"import of {rows:,} schedule rows ({size / 1e6:.1f} MB, {engine.dialect.name}):")
    print(f"  read and check: {parsed - started:6.2f} s")
    print(f"  write:          {written - parsed:6.2f} s  ({first.summary()})")
    print(f"  total:          {written - started:6.2f} s")
    print(f"  again, unchanged (read, check, compare): {repeated - written:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    asyncio.run(run(args.rows, args.postgres))


if __name__ == "__main__":
    main()
