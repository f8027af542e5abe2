"""The widget in a real browser adds the visitor's own time where their browser's zone differs
from the shop's: on the times list, the confirm and done screens; and the demo page has an
icon (no request of the page fails)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from tests.web_widget.conftest import open_page
from tests.web_widget.test_widget_browser import Widget


def haircut_with_anna(widget: Widget, words: dict[str, str]) -> None:
    """The haircut (under its category when Start shows categories), Anna, Wednesday."""
    if widget.live().filter(has_text=re.compile("^" + words["haircut"])).count() == 0:
        widget.press(words["category"], "category")
    widget.press(words["haircut"], "service")
    widget.press("Anna", "specialist")
    widget.press("2", "day")


def plain(text: str) -> str:
    """As a reader sees it: the narrow no-break spaces of Babel and Intl read as spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def failures(page: Page) -> list[str]:
    failed: list[str] = []

    def seen(response: Response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    page.on("response", seen)
    page.on("console", lambda m: failed.append(m.text) if m.type == "error" else None)
    return failed


@pytest.mark.parametrize(
    ("locale", "zone", "words"),
    [
        ("en-US", "Europe/London", {
            "haircut": "Haircut", "category": "Hair studio", "time": "10:00",
            "label": "10:00 AM (9:00 AM your time)", "name": "Jane Doe", "confirm": "✅ Confirm",
            "own": "Your time: Wed, Dec 2, 9:00 AM"}),
        ("ru-RU", "Asia/Yekaterinburg", {
            "haircut": "Стрижка", "category": "Парикмахерская", "time": "10:00",
            "label": "10:00 (14:00 по вашему времени)", "name": "Анна", "confirm": "✅ Подтвердить",
            "own": "По вашему времени: ср, 2 дек., 14:00"}),
    ],
)  # fmt: skip
def test_a_visitor_elsewhere_sees_their_own_time_too(
    browser: Browser, site: str, request: pytest.FixtureRequest, locale: str, zone: str,
    words: dict[str, str],
) -> None:  # fmt: skip
    page, shots = open_page(browser, request, locale=locale, timezone_id=zone)
    failed = failures(page)
    page.goto(site)
    widget = Widget(page, shots)
    widget.open()
    haircut_with_anna(widget, words)
    shown = widget.log.locator(".msg.bot").last.locator("button").all_inner_texts()
    assert words["label"] in [plain(label) for label in shown], shown
    widget.press(words["time"], "times-with-own-time")
    widget.type(words["name"], "name")
    widget.type("+49 151 23456789", "confirm")
    confirm = widget.log.locator(".msg.bot").last
    assert plain(confirm.locator(".own").inner_text()) == words["own"]
    assert words["own"] not in plain(widget.last_text())  # beside the text, not in it
    widget.press(words["confirm"], "done")
    assert plain(widget.log.locator(".msg.bot").last.locator(".own").inner_text()) == words["own"]
    assert failed == []


def test_a_visitor_in_the_shops_zone_sees_one_time(
    browser: Browser, site: str, request: pytest.FixtureRequest
) -> None:
    page, shots = open_page(browser, request, timezone_id="Europe/Berlin")
    page.goto(site)
    widget = Widget(page, shots)
    widget.open()
    haircut_with_anna(widget, {"haircut": "Haircut", "category": "Hair studio"})
    widget.press("10:00", "times")
    widget.type("Jane Doe", "name")
    widget.type("+49 151 23456789", "confirm")
    expect(widget.log.locator(".own")).to_have_count(0)
    assert "your time" not in widget.log.inner_text()


def test_the_demo_page_has_an_icon_and_no_request_fails(
    browser: Browser, site: str, request: pytest.FixtureRequest
) -> None:
    page, shots = open_page(browser, request)
    failed = failures(page)
    page.goto(site)
    Widget(page, shots).open()
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon == "/favicon.svg"
    for path in (icon, "/favicon.ico"):
        answer = page.request.get(site + path)
        assert answer.status == 200 and answer.headers["content-type"] == "image/svg+xml"
        assert answer.body().startswith(b"<svg")
    page.goto(site + "/favicon.ico")  # what a browser asks for on a page without a link
    assert failed == []
