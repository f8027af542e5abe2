"""Benchmark: the web processes over HTTP, uvicorn on loopback, the demo clinic.

Run: .venv/bin/python bench/web.py [--rate 100] [--event-rate 50] [--clients 50] [--seconds 10]
     .venv/bin/python bench/web.py --postgres [URL] --processes 2

Two loads on ``GET /api/v1/availability/days`` ("any" specialist, 31 days) and on widget
events (each visitor its own widget session, pressing through the menu: start, a category,
back):

- **open loop at a fixed rate**: ``--rate`` availability requests/s (default 100), then
  ``--event-rate`` widget events/s (default 50), each sent at its time whether or not the
  ones before have answered, the latency counted from that time (so a server falling behind
  shows as latency, not as a slower sender). Targets: p95 <= 50 ms for both.
- **saturation**: ``--clients`` clients each sending its next request as soon as the last
  answered; the most the server handles.

For each: requests/s, latency p50/p95/max, and the CPU time the server processes spent per
request (from /proc; it holds on a shared, noisy machine where requests/s and latency do
not). Also the size of widget.js gzipped and the time from the start of a page load to the
widget's launcher being clickable (Playwright with Debian's chromium).

The servers run in processes of their own, as ``slotbot serve`` runs the app, with the rate
limits lifted (still counted: shared buckets on PostgreSQL) and the clock fixed at
2026-12-01; each client connects from an address of its own (127.0.0.x). On SQLite one
process; with ``--postgres`` (the server's URL or SLOTBOT_TEST_POSTGRES_URL) one process,
then ``--processes N`` in the same run on a new database each, requests going to them in
turn, with the ratios of N to one.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.processes import cpu_seconds, demo_postgres, percentiles, ratio

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
CHROMIUM = "/usr/bin/chromium"
DAYS = {"service": "haircut", "specialist": "any", "from": "2026-12-01", "to": "2026-12-31"}
ADDRESSES = 100  # clients connect from 127.0.0.2 .. 127.0.0.101


def serve(database_url: str, port: int) -> None:
    """A server process: the app as ``slotbot serve`` runs it, limits lifted."""
    import uvicorn

    from slotbot.bootstrap import create_app
    from slotbot.core.settings import Settings
    from slotbot.web.guards import WidgetLimits

    settings = Settings(database_url=database_url, environment="test")
    app = create_app(
        settings, clock=lambda: NOW, jobs=False, widget_limits=WidgetLimits.unlimited(),
        demo_page=True,
    )  # fmt: skip
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ROOT = str(Path(__file__).resolve().parent.parent)


def _start(database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", database_url, "--port", str(port)],
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    return process, f"http://127.0.0.1:{port}"


@asynccontextmanager
async def servers(database_url: str, count: int) -> AsyncIterator[list[tuple[str, int]]]:
    """``count`` server processes on the database: (base URL, pid) each."""
    started = [_start(database_url) for _ in range(count)]
    try:
        async with httpx.AsyncClient() as http:
            for process, base in started:
                for _ in range(600):
                    if process.poll() is not None:
                        raise RuntimeError("a server process stopped")
                    try:
                        if (await http.get(f"{base}/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.1)
        yield [(base, process.pid) for process, base in started]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            process.wait(10)


def _client(n: int, connections: int) -> httpx.AsyncClient:
    """A client connecting from an address of its own (so rate buckets are per client)."""
    transport = httpx.AsyncHTTPTransport(
        local_address=f"127.0.0.{2 + n % ADDRESSES}",
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )
    return httpx.AsyncClient(transport=transport, timeout=30)


class Visitor:
    """A widget session pressing through the menu (start, a service, back), one event at a
    time, each to the next server in turn."""

    def __init__(self, http: httpx.AsyncClient, bases: list[str]) -> None:
        self.http = http
        self.bases = itertools.cycle(bases)
        self.messages: list[dict[str, Any]] = []
        self.position = 0
        self.turn = asyncio.Lock()

    async def open(self) -> Visitor:
        opened = await self.http.post(
            f"{next(self.bases)}/api/v1/widget/sessions", json={"language": "en"}
        )
        self.http.headers["Authorization"] = f"Bearer {opened.json()['token']}"
        return self

    def _action(self, prefix: str) -> str:
        for message in reversed(self.messages):
            for row in message.get("buttons", []):
                for button in row:
                    if str(button["label"]).startswith(prefix) and not button.get("disabled"):
                        return str(button["action"])
        raise AssertionError(prefix)

    async def step(self) -> None:
        async with self.turn:
            kind = self.position % 3
            self.position += 1
            if kind == 0:
                body: dict[str, Any] = {"type": "start"}
            else:
                label = "Hair studio" if kind == 1 else "‹"
                body = {"type": "press", "action": self._action(label)}
            answer = await self.http.post(f"{next(self.bases)}/api/v1/widget/events", json=body)
            assert answer.status_code == 200, answer.text
            self.messages = answer.json()["messages"]


@dataclass
class Figures:
    requests: int
    seconds: float
    cpu_seconds: float
    latencies: list[float]  # ms

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / self.requests * 1000

    def line(self, label: str) -> str:
        p50, p95, top = percentiles(self.latencies)
        return (
            f"  {label}: {self.requests} in {self.seconds:.1f} s = {self.rate:.0f}/s; "
            f"CPU {self.cpu_ms:.2f} ms per request; p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
            f"max {top:.0f} ms"
        )


Step = Callable[[int], Awaitable[None]]


async def _measured(
    pids: list[int], run: Callable[[], Awaitable[tuple[int, list[float]]]]
) -> Figures:
    spent, began = cpu_seconds(pids), time.perf_counter()
    requests, latencies = await run()
    return Figures(requests, time.perf_counter() - began, cpu_seconds(pids) - spent, latencies)


async def open_loop(pids: list[int], step: Step, rate: float, seconds: float) -> Figures:
    """Request ``k`` is sent at ``k / rate`` s whatever the others do; its latency counts
    from that moment."""

    async def run() -> tuple[int, list[float]]:
        loop = asyncio.get_running_loop()
        latencies: list[float] = []
        start = loop.time() + 0.05
        total = int(rate * seconds)

        async def one(k: int, due: float) -> None:
            await step(k)
            latencies.append((loop.time() - due) * 1000)

        tasks = []
        for k in range(total):
            due = start + k / rate
            await asyncio.sleep(max(0.0, due - loop.time()))
            tasks.append(asyncio.create_task(one(k, due)))
        await asyncio.gather(*tasks)
        return total, latencies

    return await _measured(pids, run)


async def saturation(pids: list[int], step: Step, clients: int, seconds: float) -> Figures:
    """``clients`` loops, each sending its next request when the last answered."""

    async def run() -> tuple[int, list[float]]:
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds

        async def client(n: int) -> None:
            k = n
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await step(k)
                latencies.append((time.perf_counter() - started) * 1000)
                k += clients

        await asyncio.gather(*(client(n) for n in range(clients)))
        return len(latencies), latencies

    return await _measured(pids, run)


@dataclass
class Configuration:
    days_paced: Figures
    days_saturated: Figures
    events_paced: Figures
    events_saturated: Figures


async def measure(served: list[tuple[str, int]], args: argparse.Namespace) -> Configuration:
    bases = [base for base, _ in served]
    pids = [pid for _, pid in served]
    https = [_client(n, 8) for n in range(ADDRESSES)]
    try:

        async def days(k: int) -> None:
            answer = await https[k % len(https)].get(
                f"{bases[k % len(bases)]}/api/v1/availability/days", params=DAYS
            )
            assert answer.status_code == 200 and len(answer.json()) == 31

        for k in range(2 * len(bases)):  # warm: catalogs, pools
            await days(k)
        days_paced = await open_loop(pids, days, args.rate, args.seconds)
        days_saturated = await saturation(pids, days, args.clients, args.seconds)

        visitors = [
            await Visitor(_client(n, 2), bases).open()
            for n in range(max(args.clients, int(args.event_rate * 2)))
        ]
        try:
            for visitor in visitors[: 2 * len(bases)]:
                await visitor.step()

            async def event(k: int) -> None:
                await visitors[k % len(visitors)].step()

            events_paced = await open_loop(pids, event, args.event_rate, args.seconds)
            events_saturated = await saturation(pids, event, args.clients, args.seconds)
        finally:
            for visitor in visitors:
                await visitor.http.aclose()
    finally:
        for http in https:
            await http.aclose()
    return Configuration(days_paced, days_saturated, events_paced, events_saturated)


def report(label: str, figures: Configuration, args: argparse.Namespace) -> None:
    print(f"{label}:")
    print(figures.days_paced.line(f"availability days at {args.rate:.0f}/s"))
    print(figures.days_saturated.line(f"availability days, {args.clients} clients at once"))
    print(figures.events_paced.line(f"widget events at {args.event_rate:.0f}/s"))
    print(figures.events_saturated.line(f"widget events, {args.clients} clients at once"))


def compare(count: int, many: Configuration, one: Configuration) -> None:
    def p95(figures: Figures) -> float:
        return percentiles(figures.latencies)[1]

    print(f"{count} processes against 1: availability days/s at saturation "
          f"{ratio(many.days_saturated.rate, one.days_saturated.rate)}, CPU per request "
          f"{ratio(many.days_saturated.cpu_ms, one.days_saturated.cpu_ms)}, p95 at "
          f"{ratio(p95(many.days_paced), p95(one.days_paced))}; widget events/s at saturation "
          f"{ratio(many.events_saturated.rate, one.events_saturated.rate)}, CPU per event "
          f"{ratio(many.events_saturated.cpu_ms, one.events_saturated.cpu_ms)}, p95 at rate "
          f"{ratio(p95(many.events_paced), p95(one.events_paced))}")  # fmt: skip


def _launcher_ms(base: str, runs: int = 5) -> list[float]:
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for _ in range(runs):
            page = browser.new_page()
            page.goto(base + "/", wait_until="commit")
            page.locator("#slotbot-widget .launcher").wait_for(state="visible")
            found.append(float(page.evaluate("performance.now()")))
            page.close()
        browser.close()
    return found


def page_figures(base: str) -> None:
    script = httpx.get(f"{base}/widget.js").content
    print(f"widget.js: {len(script)} bytes, {len(gzip.compress(script, 9))} bytes gzipped")
    if Path(CHROMIUM).exists():
        loads = _launcher_ms(base)
        print(f"page load to launcher clickable: median {statistics.median(loads):.0f} ms "
              f"(runs: {', '.join(f'{x:.0f}' for x in loads)})")  # fmt: skip
    else:
        print(f"page load to launcher clickable: skipped, no {CHROMIUM}")


async def on_postgres(args: argparse.Namespace) -> None:
    results: dict[int, Configuration] = {}
    for count in sorted({1, args.processes}):
        async with demo_postgres(args.postgres) as url, servers(url, count) as served:
            results[count] = await measure(served, args)
            if count == 1:
                await asyncio.to_thread(page_figures, served[0][0])
        report(f"{count} process{'es' if count > 1 else ''}", results[count], args)
    if args.processes > 1:
        compare(args.processes, results[args.processes], results[1])


async def on_sqlite(args: argparse.Namespace) -> None:
    from tests.web.live import demo_database

    with tempfile.TemporaryDirectory() as folder:
        url = demo_database(Path(folder))
        async with servers(url, 1) as served:
            figures = await measure(served, args)
            await asyncio.to_thread(page_figures, served[0][0])
    report("1 process", figures, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100, help="availability requests/s")
    parser.add_argument("--event-rate", type=float, default=50, help="widget events/s")
    parser.add_argument("--clients", type=int, default=50, help="clients at saturation")
    parser.add_argument("--seconds", type=float, default=10, help="each load lasts this long")
    parser.add_argument(
        "--postgres", nargs="?", const=os.environ.get("SLOTBOT_TEST_POSTGRES_URL", ""),
        help="on this PostgreSQL server (default: SQLite, one process)",
    )  # fmt: skip
    parser.add_argument("--processes", type=int, default=2, help="with --postgres: how many")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
    elif args.postgres == "":
        parser.error("--postgres needs a server URL (or SLOTBOT_TEST_POSTGRES_URL)")
    else:
        print(f"{os.cpu_count()} CPUs; uvicorn on loopback, "
              f"{'PostgreSQL' if args.postgres else 'SQLite'}")  # fmt: skip
        asyncio.run(on_postgres(args) if args.postgres else on_sqlite(args))
