"""The README's first command: the demo loads and availability answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_demo_loads_and_answers(tmp_path: Path) -> None:
    env = {**os.environ, "SLOTBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"}
    cli = [sys.executable, "-m", "slotbot.cli"]
    demo = subprocess.run(
        [*cli, "demo", "--no-serve"], env=env, capture_output=True, text=True, check=True
    )
    assert "demo data: imported" in demo.stdout
    assert "haircut: Haircut (60 min): next free" in demo.stdout
    again = subprocess.run(
        [*cli, "demo", "--no-serve"], env=env, capture_output=True, text=True, check=True
    )
    assert "already has" in again.stdout  # the demo can be run again safely, data kept
    soonest = subprocess.run(
        [*cli, "availability", "--service", "haircut", "--next", "--json",
         "--now", "2026-12-01T07:00:00Z"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    slot = json.loads(soonest.stdout)
    assert slot["start"].startswith("2026-12-01T") and slot["specialists"]
