"""Benchmark: the web process over HTTP, uvicorn on loopback, SQLite with the demo clinic.

Run: .venv/bin/python bench/web.py [--clients 50] [--seconds 10]

Prints requests per second and p50/p95 latency at ``--clients`` concurrent clients (httpx
AsyncClient, one connection each) for ``GET /api/v1/availability/days`` ("any" specialist,
31 days) and for widget events (each client its own widget session, pressing through the
menu: start, a service, back); the size of widget.js gzipped; and the time from the start of
a page load to the widget's launcher being clickable (Playwright with Debian's chromium).
Targets: p95 <= 50 ms for both at 50 clients; widget.js <= 15 KB gzipped.
The server runs in a process of its own (one uvicorn worker, as ``slotbot serve``), with the
rate limits lifted (every client comes from 127.0.0.1) and the clock fixed at 2026-12-01.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
CHROMIUM = "/usr/bin/chromium"


def serve(database_url: str, port: int) -> None:
    """The server process: the app as ``slotbot serve`` runs it, limits lifted."""
    import uvicorn

    from slotbot.core.settings import Settings
    from slotbot.webhooks.app import create_app
    from slotbot.webhooks.guards import WidgetLimits

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


Step = Callable[[], Awaitable[None]]


async def _load(
    clients: int, seconds: float, make: Callable[[httpx.AsyncClient], Awaitable[Step]], base: str
) -> tuple[float, list[float]]:
    """Run ``clients`` loops for ``seconds``; returns requests/s and latencies (ms)."""
    latencies: list[float] = []
    deadline = 0.0

    async def client() -> None:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
            step = await make(http)
            await ready.wait()
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await step()
                latencies.append((time.perf_counter() - started) * 1000)

    ready = asyncio.Event()
    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await asyncio.sleep(1.0)  # sessions opened, connections warm
    began = time.perf_counter()
    deadline = began + seconds
    ready.set()
    await asyncio.gather(*tasks)
    return len(latencies) / (time.perf_counter() - began), latencies


def _figures(name: str, rps: float, latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return (
        f"{name}: {rps:.0f} requests/s, p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms, "
        f"max {max(latencies):.1f} ms ({len(latencies)} requests)"
    )


async def _days(http: httpx.AsyncClient) -> Callable[[], Awaitable[None]]:
    params = {"service": "haircut", "specialist": "any", "from": "2026-12-01", "to": "2026-12-31"}

    async def step() -> None:
        response = await http.get("/api/v1/availability/days", params=params)
        assert response.status_code == 200 and len(response.json()) == 31

    return step


async def _widget(http: httpx.AsyncClient) -> Callable[[], Awaitable[None]]:
    opened = await http.post("/api/v1/widget/sessions", json={"language": "en"})
    http.headers["Authorization"] = f"Bearer {opened.json()['token']}"
    state: dict[str, list[dict[str, object]]] = {"messages": []}

    async def send(body: dict[str, object]) -> None:
        response = await http.post("/api/v1/widget/events", json=body)
        assert response.status_code == 200, response.text
        state["messages"] = response.json()["messages"]

    def first_action(prefix: str) -> str:
        for message in reversed(state["messages"]):
            for row in message.get("buttons", []):  # type: ignore[attr-defined]
                for button in row:
                    if str(button["label"]).startswith(prefix) and not button.get("disabled"):
                        return str(button["action"])
        raise AssertionError(prefix)

    cycle = [lambda: send({"type": "start"}), lambda: send(
        {"type": "press", "action": first_action("Haircut")}
    ), lambda: send({"type": "press", "action": first_action("‹ Back")})]  # fmt: skip
    position = 0

    async def step() -> None:
        nonlocal position
        await cycle[position % 3]()
        position += 1

    return step


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


def main(clients: int, seconds: float) -> None:
    from tests.webhooks.live import demo_database

    with tempfile.TemporaryDirectory() as folder:
        url = demo_database(Path(folder))
        port = _free_port()
        root = str(Path(__file__).resolve().parent.parent)
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", url, "--port", str(port)],
            env={**os.environ, "PYTHONPATH": root},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            print(f"uvicorn on loopback, SQLite, {clients} concurrent clients, {seconds:.0f} s")
            days = asyncio.run(_load(clients, seconds, _days, base))
            print(_figures("availability days (any, 31 days)", *days))
            print(_figures("widget events", *asyncio.run(_load(clients, seconds, _widget, base))))
            script = httpx.get(f"{base}/widget.js").content
            gzipped = len(gzip.compress(script, 9))
            print(f"widget.js: {len(script)} bytes, {gzipped} bytes gzipped")
            if Path(CHROMIUM).exists():
                loads = _launcher_ms(base)
                print(f"page load to launcher clickable: median {statistics.median(loads):.0f} ms "
                      f"(runs: {', '.join(f'{x:.0f}' for x in loads)})")  # fmt: skip
            else:
                print(f"page load to launcher clickable: skipped, no {CHROMIUM}")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
    else:
        main(args.clients, args.seconds)
