"""A small, fully known shop for CLI and API tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from slotbot.core.settings import get_settings
from tests.bot.conftest import botapi
from tests.cli.command import run

__all__ = ["botapi", "shop", "shop_file", "use_database"]

SHOP_YAML = """\
timezone: Europe/Berlin
settings: {min_notice_minutes: 30, horizon_days: 60, hold_minutes: 10}
services:
  - {key: haircut, name: {en: Haircut, ru: Стрижка}, duration: 60, price: 30, currency: EUR}
  - {key: massage, name: {en: Massage}, duration: 30}
specialists:
  - key: anna
    name: Anna Petrova
    services: [haircut]
    schedule:
      - {days: [mon, tue, wed, thu, fri], start: "09:00", end: "12:00", slot: 60}
    overrides:
      - {date: 2026-12-02, type: day_off}
  - key: boris
    name: Boris Ivanov
    services: [haircut, massage]
    schedule:
      - {days: [tue], start: "10:00", end: "12:00", slot: 60}
"""


@pytest.fixture
def shop_file(tmp_path: Path) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP_YAML, encoding="utf-8")
    return path


@pytest.fixture
def use_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the process settings (as the CLI reads them) at the test database."""
    monkeypatch.setenv("SLOTBOT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


@pytest.fixture
def shop(use_database: str, shop_file: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The small shop, imported through the command line into a migrated database."""
    assert run(capsys, "init-db")[0] == 0
    status, out, _ = run(capsys, "import", str(shop_file))
    assert status == 0, out
    return use_database
