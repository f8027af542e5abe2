"""Benchmark: reading typed text (slotbot.dialogs.understand), per message and per process.

Run: .venv/bin/python bench/understand.py [--rounds 5] [--alternatives]

Per message: the reader is warmed up on a few messages of its own (both languages, every
kind), then reads each message of the test corpus (tests/dialogs/understand/corpus.py,
about 370 messages, half Russian) once as a new message and then again; it prints p50 and
p95 of both, and the time to read a message over the input limit (cut first), in wall-clock
time and in the thread's CPU time (the cost of a read on a machine others are loading).
Target: p95 <= 10 ms.

Per process (what every ``serve`` worker pays): in fresh interpreters that have already
imported the dialog engine and the directory and shown dates in English and Russian (a
worker has all that anyway), and have read the demo catalog's entries: the time to import
the reader, to build the catalog's vocabulary (once per catalog version) and to read a first
message, and the resident memory all that adds (VmRSS); medians over ``--rounds`` processes.

``--alternatives`` measures the same for the libraries the reader does not use, where they
are installed: dateparser (dates) and pymorphy3 with its Russian dictionaries (word forms).

Per typed turn (``--turns N``, default 60): the whole dialog turn for a typed message on a
SQLite file with the demo clinic (``Dialogs.respond``: session, reading, following it to a
screen of times, saving the session), new visitors each typing one request at Start, beside
the turns of the same booking by presses (category, service, specialist, a day); wall-clock
and CPU time, p50 and p95.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WARM_UP = [
    ("en", "could I book a beard trim with Boris on Monday at 9am?"),
    ("ru", "запишите на массаж к Лене в четверг после обеда"),
    ("en", "cancel my appointment next week"),
    ("ru", "перенести запись на 15 декабря в 10:30"),
    ("en", "anyone, the 3rd, between 2 and 4"),
    ("ru", "к Ивановой, любое время 5.12"),
]

PROCESS = """
import json, time
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024
import slotbot.dialogs.engine, slotbot.core.availability.directory
from datetime import UTC, datetime
from zoneinfo import ZoneInfo
from slotbot.core.i18n import texts
for language in ("en", "ru"):  # a worker that has answered in both languages
    texts(language).long_day(datetime.now().date())
{setup}
before, start = rss(), time.perf_counter()
{imports}
imported = time.perf_counter()
{build}
built = time.perf_counter()
{first}
done = time.perf_counter()
print(json.dumps({{"import_ms": 1000 * (imported - start), "build_ms": 1000 * (built - imported),
                  "first_ms": 1000 * (done - built), "rss_mb": rss() - before}}))
"""

OURS = {
    "setup": "from slotbot.core.demo import DEMO_FILE\n"
    "from slotbot.core.importing.importer import load_import_file\n"
    "from slotbot.core.availability.directory import ServiceEntry, SpecialistEntry\n"
    "spec = load_import_file(DEMO_FILE)\n"
    "services = [ServiceEntry(i, s.key, s.name, s.duration, s.price, s.currency, s.synonyms)"
    " for i, s in enumerate(spec.services, 1) if s.active]\n"
    "specialists = [SpecialistEntry(i, p.key, p.name, p.title, ZoneInfo('Europe/Berlin'))"
    " for i, p in enumerate(spec.specialists, 1)]",
    "imports": "from slotbot.dialogs.understand import Vocabulary, read",
    "build": "vocabulary = Vocabulary(services=services, specialists=specialists)",
    "first": "read('стрижка к Анне завтра после 5', locale='ru', now=datetime.now(UTC),"
    " zone=ZoneInfo('Europe/Berlin'), vocabulary=vocabulary)",
}
ALTERNATIVES = {
    "dateparser": {
        "setup": "",
        "imports": "import dateparser",
        "build": "",
        "first": "dateparser.parse('завтра в 10', languages=['ru', 'en'],"
        " settings={'RELATIVE_BASE': datetime(2026, 12, 1, 10)})",
    },
    "pymorphy3": {
        "setup": "",
        "imports": "import pymorphy3",
        "build": "morph = pymorphy3.MorphAnalyzer()",
        "first": "morph.parse('стрижку')[0].normal_form",
    },
}


def per_process(parts: dict[str, str], rounds: int) -> dict[str, float] | None:
    code = PROCESS.format(**parts)
    runs = []
    for _ in range(rounds):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            return None
        runs.append(json.loads(done.stdout))
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2] * 1000
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000
    return f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {ordered[-1] * 1000:.2f} ms"


def timed(read: Callable[[], object], wall: list[float], cpu: list[float]) -> None:
    """One read's wall-clock time and this thread's CPU time (which a loaded machine's other
    processes do not add to)."""
    started, started_cpu = time.perf_counter(), time.thread_time()
    read()
    wall.append(time.perf_counter() - started)
    cpu.append(time.thread_time() - started_cpu)


def per_message() -> None:
    from tests.dialogs.understand.catalogs import demo
    from tests.dialogs.understand.corpus import DEMO, DEMO_LATER, TWO_ANNAS

    catalog = demo()
    for locale, text in WARM_UP:
        catalog.read(text, locale)
    messages = [(locale, text) for locale, text, _ in DEMO + DEMO_LATER + TWO_ANNAS]
    long = "хочу записаться к Анне на стрижку в пятницу после 5, если можно " * 400
    cases = [
        ("new messages", [(locale, text) for locale, text in messages]),
        ("seen before", messages * 5),
        (f"{len(long)} characters, cut to the limit", [("ru", f"{n} {long}") for n in range(50)]),
    ]
    for label, reads in cases:
        wall: list[float] = []
        cpu: list[float] = []
        for locale, text in reads:
            timed(lambda: catalog.read(text, locale), wall, cpu)  # noqa: B023
        print(f"  {label} ({len(reads)} reads): wall {percentiles(wall)}")
        print(f"  {' ' * len(label)}{' ' * (len(str(len(reads))) + 9)}cpu  {percentiles(cpu)}")


TYPED = [
    ("en", "haircut with Anna tomorrow after 5"),
    ("ru", "стрижка к Анне в пятницу"),
    ("en", "beard trim, anyone, Thursday morning"),
    ("ru", "массаж у Лены на следующей неделе после обеда"),
    ("en", "GP consultation with Dr Weber on Friday at 11"),
    ("ru", "хочу к стоматологу 10 декабря до 12"),
]
PRESSED = ["Hair studio", "Haircut", "Anna Petrova", "3"]


async def _turns(count: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall-clock and CPU seconds of typed turns and of pressed turns."""
    import tempfile
    from datetime import UTC, datetime

    from slotbot.core.demo import DEMO_FILE
    from slotbot.core.importing.importer import import_file
    from slotbot.core.storage.db import create_engine
    from slotbot.core.storage.schema import upgrade
    from slotbot.dialogs.engine import Dialogs
    from slotbot.dialogs.events import Event, Press, Start, Text, Visitor
    from slotbot.dialogs.screens import Reply

    wall: dict[str, list[float]] = {"typed": [], "pressed": []}
    cpu: dict[str, list[float]] = {"typed": [], "pressed": []}
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
        await upgrade(engine)
        await import_file(engine, DEMO_FILE)
        dialogs = Dialogs(engine, clock=lambda: datetime(2026, 12, 1, 7, 0, tzinfo=UTC))

        async def turn(kind: str, visitor: Visitor, event: Event, keep: bool) -> Reply:
            started, started_cpu = time.perf_counter(), time.thread_time()
            reply = await dialogs.respond(visitor, event)
            if keep:
                wall[kind].append(time.perf_counter() - started)
                cpu[kind].append(time.thread_time() - started_cpu)
            return reply

        for n in range(count + 5):  # the first five warm up
            keep = n >= 5
            locale, message = TYPED[n % len(TYPED)]
            visitor = Visitor("terminal", f"typed{n}", language=locale)
            await dialogs.respond(visitor, Start())
            await turn("typed", visitor, Text(message), keep)
            visitor = Visitor("terminal", f"pressed{n}", language="en")
            reply = await dialogs.respond(visitor, Start())
            for label in PRESSED:
                screen = reply.screens[0]
                action = next(
                    b.action for row in screen.buttons for b in row
                    if b.label.startswith(label) and not b.disabled
                )  # fmt: skip
                reply = await turn("pressed", visitor, Press(action), keep)
        await engine.dispose()
    return wall, cpu


def per_turn(count: int) -> None:
    import asyncio

    wall, cpu = asyncio.run(_turns(count))
    for kind, what in (("typed", "a typed request at Start"), ("pressed", "a press")):
        print(f"  {what} ({len(wall[kind])} turns): wall {percentiles(wall[kind])}")
        print(f"  {' ' * len(what)}{' ' * (len(str(len(wall[kind]))) + 9)}cpu  "
              f"{percentiles(cpu[kind])}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="processes to start per figure")
    parser.add_argument("--alternatives", action="store_true", help="measure dateparser etc.")
    parser.add_argument("--turns", type=int, default=60, help="typed turns through the dialog")
    args = parser.parse_args()
    print(
        f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
    )
    print("reading one message, warm:")
    per_message()
    if args.turns:
        print("one dialog turn (SQLite, the demo clinic):")
        per_turn(args.turns)
    print(f"per process (median of {args.rounds}), over a worker's imports:")
    candidates = {"slotbot.dialogs.understand": OURS}
    if args.alternatives:
        candidates |= ALTERNATIVES
    for name, parts in candidates.items():
        figures = per_process(parts, args.rounds)
        if figures is None:
            print(f"  {name}: not installed")
            continue
        print(
            f"  {name}: import {figures['import_ms']:.0f} ms, build {figures['build_ms']:.0f} ms,"
            f" first read {figures['first_ms']:.0f} ms, +{figures['rss_mb']:.1f} MB resident"
        )


if __name__ == "__main__":
    main()
