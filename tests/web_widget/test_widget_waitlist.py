"""A waiting-list offer's link in a real browser: the site's own page (not the demo's) opens
the booking chat at the time the link offers, holds it for whoever opened it, and drops the
token from the address bar."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from slotbot.core.waitlist.links import slot_token
from tests.web.live import NOW, demo_database, live_server
from tests.web_widget.conftest import open_page
from tests.web_widget.test_widget_browser import Widget

DEV_SECRET = "dev-secret-key"  # the test environment's default SLOTBOT_SECRET_KEY


@pytest.fixture
def plain_site(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The app's own bare page (as in production) over the demo clinic; (URL, database)."""
    url = demo_database(tmp_path)
    with live_server(url) as site:
        yield site, url.removeprefix("sqlite+aiosqlite:///")


def test_an_offer_link_opens_the_chat_holding_its_time(
    browser: Browser, plain_site: tuple[str, str], request: pytest.FixtureRequest
) -> None:
    site, database = plain_site
    with sqlite3.connect(database) as db:
        [(haircut,)] = db.execute("SELECT id FROM services WHERE key = 'haircut'").fetchall()
        [(anna,)] = db.execute("SELECT id FROM specialists WHERE key = 'anna'").fetchall()
    from datetime import datetime

    start = datetime(2026, 12, 2, 15, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    token = slot_token(DEV_SECRET, specialist_id=anna, service_id=haircut, start=start, now=NOW)
    page, shots = open_page(browser, request)
    page.goto(f"{site}/?slot={token}&utm=sms")
    widget = Widget(page, shots)
    expect(widget.panel).to_be_visible()  # opened by itself
    held = widget.log.locator(".msg.bot").last
    expect(held).to_contain_text("Held for you: Haircut with Anna Petrova, Wed, Dec 2, 3:00")
    expect(held).to_contain_text("What name should we book under?")
    shots("held")
    assert "slot=" not in page.url and "utm=sms" in page.url
    widget.type("Jane Doe", "name")
    widget.type("+49 151 23456789", "phone")
    expect(widget.log.locator(".msg.bot").last).to_contain_text("Wednesday, December 2, 2026, 3:00")
    widget.press("✅ Confirm", "booked")
    assert widget.last_text().startswith("You are booked: Haircut with Anna Petrova")
    page.reload()  # the token is gone from the address: nothing is held again
    expect(widget.panel).to_be_visible()
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT status FROM bookings WHERE status != 'expired'").fetchall()
    assert rows == [("confirmed",)]
