"""Browser tests: Debian's chromium driven by Playwright against the real app served by
uvicorn on loopback (a fresh SQLite file with the demo clinic, a fixed clock).

Screenshots of every step go to ``tests/web_widget/artifacts/<test>/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.web.live import demo_database, live_server

CHROMIUM = os.environ.get("SLOTBOT_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no chromium at {CHROMIUM}: apt-get install -y chromium (.ci/run does)",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium per module: Playwright's sync API keeps an event loop running in the main
    thread while it is open, which async tests of later modules cannot share."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The demo clinic's site with the widget, on a fresh database."""
    with live_server(demo_database(tmp_path), demo_page=True) as url:
        yield url


@dataclass
class Shots:
    """Numbered screenshots of one test's steps."""

    page: Page
    folder: Path
    count: int = 0

    def __call__(self, step: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{step}.png"))


def _folder(request: pytest.FixtureRequest) -> Path:
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def open_page(
    browser: Browser, request: pytest.FixtureRequest, **context: Any
) -> tuple[Page, Shots]:
    # the visitor sits in the shop's zone unless a test moves them
    options = {
        "viewport": {"width": 1280, "height": 800}, "locale": "en-US",
        "timezone_id": "Europe/Berlin", **context,
    }  # fmt: skip
    ctx = browser.new_context(**options)
    request.addfinalizer(ctx.close)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    request.addfinalizer(lambda: _no_errors(errors))
    return page, Shots(page, _folder(request))


def _no_errors(errors: list[str]) -> None:
    assert not errors, f"JavaScript errors on the page: {errors}"
