"""The Procfile runs every process in production, so a deployment that follows it refuses the
development secrets instead of serving with them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = dict(
    line.split(": ", 1)
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    if line.strip()
)


def test_the_procfile_runs_the_web_app_and_the_worker() -> None:
    assert set(PROCESSES) == {"web", "worker"}


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_each_process_refuses_the_development_secrets(process: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLOTBOT_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # slotbot
    env["PORT"] = "8765"
    env["SLOTBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    done = subprocess.run(
        ["bash", "-c", PROCESSES[process]],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done
    assert done.stderr.startswith("slotbot: error: SLOTBOT_SECRET_KEY is a placeholder: set ")


def test_the_web_process_runs_two_processes_unless_told_otherwise(tmp_path: Path) -> None:
    """Two by default (``WEB_CONCURRENCY`` sets how many): PostgreSQL's; on SQLite the
    command says in one line that it serves from one process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLOTBOT_")}
    env.pop("WEB_CONCURRENCY", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["SLOTBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    env["SLOTBOT_SECRET_KEY"] = "Zq8-vR2pLx7TnW4kYc9Hs3JdFb6MgA1uEo5iKt0N"
    for concurrency, workers in ((None, "2"), ("3", "3")):
        if concurrency is not None:
            env["WEB_CONCURRENCY"] = concurrency
        done = subprocess.run(
            ["bash", "-c", PROCESSES["web"]],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2, done
        assert done.stderr == (
            f"slotbot: error: --workers {workers}: SQLite is served by one process; use "
            "--workers 1, or PostgreSQL (SLOTBOT_DATABASE_URL=postgresql+asyncpg://...) for more\n"
        )
