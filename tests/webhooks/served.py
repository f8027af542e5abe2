"""``slotbot serve`` as an operator starts it: a process of its own on a loopback port, with
uvicorn's access log on, its output kept in a file the test can read."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class Served:
    url: str
    log_file: Path

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def slotbot_serve(directory: Path, **settings: str) -> Iterator[Served]:
    """Run ``slotbot serve`` with ``SLOTBOT_*`` settings (names without the prefix) until the
    block ends."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLOTBOT_", "FORWARDED_"))}
    env |= {f"SLOTBOT_{name.upper()}": value for name, value in settings.items()}
    log_file = directory / f"serve-{port}.log"
    url = f"http://127.0.0.1:{port}"
    with log_file.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "slotbot.webhooks.cli", "serve", "--port", str(port)],
            env=env, cwd=directory, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    served = Served(url, log_file)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"slotbot serve stopped:\n{served.log()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"slotbot serve did not start:\n{served.log()}")
            time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
