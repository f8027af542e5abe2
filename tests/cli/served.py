"""``slotbot serve`` as an operator starts it: a process of its own on a loopback port, with
uvicorn's access log on, its output kept in a file the test can read."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class Served:
    url: str
    log_file: Path
    pid: int = 0

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(
    directory: Path, args: tuple[str, ...], settings: dict[str, str]
) -> tuple[subprocess.Popen[bytes], Served]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOTBOT_", "FORWARDED_"))}
    env |= {f"SLOTBOT_{name.upper()}": value for name, value in settings.items()}
    log_file = directory / f"serve-{port}.log"
    with log_file.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "slotbot.cli", "serve", "--port", str(port), *args],
            env=env, cwd=directory, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return process, Served(f"http://127.0.0.1:{port}", log_file, process.pid)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _check(process: subprocess.Popen[bytes], served: Served, deadline: float) -> None:
    if process.poll() is not None:
        raise RuntimeError(f"slotbot serve stopped:\n{served.log()}")
    if time.monotonic() > deadline:
        raise RuntimeError(f"slotbot serve did not start:\n{served.log()}")


@contextmanager
def slotbot_serve(directory: Path, *args: str, **settings: str) -> Iterator[Served]:
    """Run ``slotbot serve ARGS`` with ``SLOTBOT_*`` settings (names without the prefix)
    until the block ends."""
    process, served = _start(directory, args, settings)
    try:
        deadline = time.monotonic() + 60
        while True:
            _check(process, served, deadline)
            try:
                if httpx.get(f"{served.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield served
    finally:
        _stop(process)


@asynccontextmanager
async def serving(directory: Path, *args: str, **settings: str) -> AsyncIterator[Served]:
    """:func:`slotbot_serve` for async tests: the event loop runs while the server starts
    (a stand-in it calls at start, such as the Bot API's, may live on that loop)."""
    process, served = _start(directory, args, settings)
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                _check(process, served, deadline)
                try:
                    if (await http.get(f"{served.url}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        yield served
    finally:
        await asyncio.to_thread(_stop, process)
