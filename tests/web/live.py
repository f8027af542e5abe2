"""The real app served by uvicorn on a random loopback port, in a thread of the test process,
over a fresh SQLite file holding the demo clinic, with a fixed clock."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn

from slotbot.bootstrap import create_app
from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import import_file
from slotbot.core.settings import Settings
from slotbot.core.storage.db import create_engine
from slotbot.core.storage.schema import upgrade

#: Tuesday 2026-12-01, 08:00 in Berlin (as the dialog tests).
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


async def _demo_database(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        await import_file(engine, DEMO_FILE)
    finally:
        await engine.dispose()


def demo_database(directory: Path) -> str:
    """A new SQLite file with the demo clinic; its URL."""
    url = f"sqlite+aiosqlite:///{directory / 'live.db'}"
    # in a thread of its own: Playwright's sync API keeps an event loop running in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _demo_database(url)).result()
    return url


@contextmanager
def live_server(database_url: str, *, now: datetime = NOW, **app_options: Any) -> Iterator[str]:
    """Serve the app until the block ends; yields its base URL (``http://127.0.0.1:PORT``)."""
    settings = Settings(database_url=database_url, environment="test")
    app = create_app(settings, clock=lambda: now, jobs=False, **app_options)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, ws="none", log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
