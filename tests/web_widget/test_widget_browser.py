"""The widget in a real browser: booking on a desktop and a phone, a reload mid-flow, markup
in a name, grey days, keyboard only, and the host page's styles kept out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.web_widget.conftest import Shots, open_page

BOOKED_EVENTS = """
window.__slotbot_events = [];
for (const kind of ["held", "booked", "moved", "cancelled"]) {
  document.addEventListener("slotbot:" + kind, (e) =>
    window.__slotbot_events.push([kind, e.detail]));
}
"""


class Widget:
    """The widget on a page, used as a person would: by what the buttons say."""

    def __init__(self, page: Page, shots: Shots) -> None:
        self.page, self.shot, self.presses = page, shots, 0
        self.panel = page.locator("#slotbot-widget .panel")
        self.log = page.locator("#slotbot-widget .log")
        self.input = page.locator("#slotbot-widget #slotbot-input")

    def launcher(self) -> Locator:
        return self.page.locator("#slotbot-widget .launcher")

    def open(self) -> None:
        self.launcher().click()
        expect(self.panel).to_be_visible()
        expect(self.log.locator(".msg.bot").first).to_be_visible()

    def live(self) -> Locator:
        """Enabled buttons of the newest messages."""
        return self.log.locator("button:not([disabled])")

    def press(self, label: str, step: str) -> None:
        count = self.log.locator(".msg").count()
        self.live().filter(has_text=re.compile("^" + re.escape(label))).first.click()
        self.presses += 1
        expect(self.log.locator(".msg")).not_to_have_count(count)
        self.wait_idle()
        self.shot(step)

    def type(self, text: str, step: str) -> None:
        count = self.log.locator(".msg").count()
        self.input.fill(text)
        self.input.press("Enter")
        expect(self.log.locator(".msg")).not_to_have_count(count)
        self.wait_idle()
        self.shot(step)

    def wait_idle(self) -> None:
        expect(self.page.locator("#slotbot-widget .typing")).to_be_hidden()

    def last_text(self) -> str:
        return self.log.locator(".msg.bot").last.locator(".txt").inner_text()


def book(
    widget: Widget, *, category: str, service: str, specialist: str, soonest: str, confirm: str,
    name: str = "Jane Doe", phone: str = "+49 151 23456789",
) -> None:  # fmt: skip
    widget.press(category, "category")
    widget.press(service, "service")
    widget.press(specialist, "specialist")
    widget.press(soonest, "soonest")
    expect(widget.input).to_be_focused()
    widget.type(name, "name")
    expect(widget.input).to_have_attribute("type", "tel")
    widget.type(phone, "phone")
    widget.press(confirm, "confirmed")


def test_booking_on_a_desktop(browser: Browser, site: str, request: pytest.FixtureRequest) -> None:
    page, shots = open_page(browser, request)
    page.add_init_script(BOOKED_EVENTS)
    page.goto(site)
    shots("page")
    widget = Widget(page, shots)
    expect(widget.launcher()).to_have_accessible_name("Book an appointment")
    widget.open()
    shots("menu")
    book(widget, category="Hair studio", service="Haircut", specialist="Anna Petrova",
         soonest="Soonest", confirm="✅ Confirm")  # fmt: skip
    assert widget.last_text().startswith("You are booked: Haircut with Anna Petrova")
    assert widget.presses == 5  # category, service, specialist, soonest, confirm (+ typed)
    events = page.evaluate("window.__slotbot_events")
    assert [kind for kind, _ in events] == ["held", "booked"]
    booked = events[1][1]
    assert booked["booking"] == events[0][1]["booking"]
    assert (booked["service"], booked["specialist"]) == ("haircut", "anna")
    assert booked["starts"].endswith("Z") and "type" not in booked
    expect(page.locator("#news")).to_contain_text("Booked: booking #")
    # My bookings shows it, in the widget
    widget.press("My bookings", "my-bookings")
    expect(widget.log.locator(".msg.bot").last).to_contain_text("Your upcoming bookings")
    expect(widget.live().filter(has_text="Haircut")).to_have_count(1)


def test_booking_on_a_phone_in_russian(
    browser: Browser, site: str, request: pytest.FixtureRequest
) -> None:
    page, shots = open_page(
        browser, request, viewport={"width": 390, "height": 844}, device_scale_factor=2,
        is_mobile=True, has_touch=True, locale="ru-RU",
    )  # fmt: skip
    page.goto(site)
    shots("page")
    widget = Widget(page, shots)
    expect(widget.launcher()).to_have_accessible_name("Записаться на приём")
    widget.launcher().tap()
    expect(widget.panel).to_be_visible()
    box = widget.panel.bounding_box()
    assert box and (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 844)
    expect(widget.log.locator(".msg.bot").first).to_contain_text("На что вы хотите записаться")
    shots("menu")
    book(widget, category="Парикмахерская", service="Стрижка", specialist="Anna",
         soonest="Ближайшее", confirm="✅ Подтвердить", name="Анна Иванова",
         phone="+7 912 345-67-89")  # fmt: skip
    assert widget.last_text().startswith("Вы записаны")
    assert widget.presses == 5


def test_a_reload_mid_flow_continues(
    browser: Browser, site: str, request: pytest.FixtureRequest
) -> None:
    page, shots = open_page(browser, request)
    page.goto(site)
    widget = Widget(page, shots)
    widget.open()
    widget.press("Hair studio", "category")
    widget.press("Haircut", "service")
    widget.press("Boris", "specialist")
    widget.press("Soonest", "soonest")
    before = widget.log.locator(".msg").all_inner_texts()
    page.reload()
    widget = Widget(page, shots)
    expect(widget.panel).to_be_visible()  # it was open: it opens again, with the history
    expect(widget.log.locator(".msg")).to_have_count(len(before))
    assert widget.log.locator(".msg").all_inner_texts() == before
    shots("reloaded")
    expect(widget.input).to_be_visible()
    widget.type("Jane Doe", "name")
    widget.type("+49 151 23456789", "phone")
    widget.press("✅ Confirm", "confirmed")
    assert widget.last_text().startswith("You are booked: Haircut with Boris")
    # nothing was shown twice after the reload (the push stream resumed after the last id)
    page.wait_for_timeout(300)
    ids = page.eval_on_selector_all(
        "#slotbot-widget .msg.bot", "(nodes) => nodes.map((n) => n.dataset.id)"
    )
    assert len(ids) == len(set(ids))


def test_a_name_with_markup_is_shown_as_text(
    browser: Browser, site: str, request: pytest.FixtureRequest
) -> None:
    page, shots = open_page(browser, request)
    page.goto(site)
    widget = Widget(page, shots)
    widget.open()
    name = "<script>window.__pwned = 1</script><img src=x onerror=window.__pwned=2>"
    widget.press("Hair studio", "category")
    widget.press("Haircut", "service")
    widget.press("Anna", "specialist")
    widget.press("Soonest", "soonest")
    widget.type(name, "name")
    expect(widget.log.locator(".msg.bot").last).to_contain_text("<script>window.__pwned = 1")
    assert page.evaluate("window.__pwned") is None
    assert widget.log.locator("script, img").count() == 0


def test_grey_days_say_why_and_cannot_be_picked(
    browser: Browser, site: str, request: pytest.FixtureRequest
) -> None:
    page, shots = open_page(browser, request)
    page.goto(site)
    widget = Widget(page, shots)
    widget.open()
    widget.press("Hair studio", "category")
    widget.press("Haircut", "service")
    widget.press("Anna", "specialist")
    calendar = widget.log.locator(".cal").last
    grey, green = calendar.locator("button.day.off"), calendar.locator("button.day:not(.off)")
    assert grey.count() > 0 and green.count() > 0
    assert "no free time" in (grey.first.get_attribute("aria-label") or "")
    colours = {b.evaluate("(n) => getComputedStyle(n).backgroundColor") for b in (grey.first,
               green.first)}  # fmt: skip
    assert colours == {"rgb(228, 232, 231)", "rgb(46, 157, 110)"}
    count = widget.log.locator(".msg").count()
    calendar.locator("button.day.off", has_text=re.compile("^6$")).click()
    expect(page.locator("#slotbot-widget .toast")).to_have_text(
        "Anna Petrova is not working on Sun, Dec 6."
    )
    widget.wait_idle()
    assert widget.log.locator(".msg").count() == count  # the calendar stays, still live
    shots("grey-day-said")
    green.first.click()
    expect(widget.log.locator(".msg")).not_to_have_count(count)
    shots("day-picked")


def test_booking_with_the_keyboard_only(
    browser: Browser, site: str, request: pytest.FixtureRequest
) -> None:
    page, shots = open_page(browser, request)
    page.goto(site)
    widget = Widget(page, shots)
    focused = (
        "() => { const a = document.activeElement;"
        " return (a && a.shadowRoot && a.shadowRoot.activeElement || a).textContent; }"
    )
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate(focused).strip() == "Book an appointment":
            break
    else:
        pytest.fail("the launcher is not reachable with Tab")
    page.keyboard.press("Enter")
    expect(widget.log.locator(".msg.bot").first).to_be_visible()

    def choose(label: str, step: str) -> None:
        count = widget.log.locator(".msg").count()
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate(focused).startswith(label):
                break
        else:
            pytest.fail(f"no button {label!r} reached with Tab")
        page.keyboard.press("Enter")
        expect(widget.log.locator(".msg")).not_to_have_count(count)
        widget.wait_idle()
        shots(step)

    choose("Hair studio", "category")
    choose("Haircut", "service")
    choose("Anna", "specialist")
    choose("Soonest", "soonest")
    expect(widget.input).to_be_focused()
    page.keyboard.type("Jane Doe")
    page.keyboard.press("Enter")
    expect(widget.input).to_have_attribute("type", "tel")
    expect(widget.input).to_be_focused()
    page.keyboard.type("12")
    page.keyboard.press("Enter")
    expect(page.locator("#slotbot-widget .err")).to_contain_text("7 to 15 digits")
    expect(widget.input).to_have_attribute("aria-invalid", "true")
    shots("phone-refused")
    page.keyboard.press("Control+A")
    page.keyboard.type("+49 151 23456789")
    page.keyboard.press("Enter")
    expect(widget.log.locator(".msg.bot").last).to_contain_text("Please check your booking")
    choose("✅ Confirm", "confirmed")
    assert widget.last_text().startswith("You are booked")
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher()).to_be_focused()


HOSTILE = """<!doctype html><html><head><style>
* { font-family: "Comic Sans MS", cursive !important; color: red !important; }
button { background: purple !important; border-radius: 0 !important; padding: 40px !important; }
div { border: 5px dashed orange !important; }
body { font-size: 30px; line-height: 3; }
</style></head><body>
<p>A page with loud styles.</p><button class="b launcher day" id="own">Their button</button>
<script async src="/widget.js"></script></body></html>"""


def test_the_host_page_styles_do_not_leak_in_or_out(
    browser: Browser, site: str, request: pytest.FixtureRequest
) -> None:
    page, shots = open_page(browser, request)
    page.route(
        f"{site}/hostile", lambda route: route.fulfill(body=HOSTILE, content_type="text/html")
    )
    page.goto(f"{site}/hostile")
    widget = Widget(page, shots)
    launcher = widget.launcher()
    expect(launcher).to_be_visible()
    style = launcher.evaluate(
        "(n) => { const s = getComputedStyle(n); "
        "return [s.backgroundColor, s.color, s.fontFamily, s.paddingTop, s.fontSize]; }"
    )
    assert style[0] == "rgb(11, 110, 79)" and style[1] == "rgb(255, 255, 255)"
    assert "Comic" not in style[2] and style[3] == "14px" and style[4] == "16px"
    widget.open()
    bubble = widget.log.locator(".msg.bot").first
    assert "dashed" not in bubble.evaluate("(n) => getComputedStyle(n).borderStyle")
    assert bubble.evaluate("(n) => getComputedStyle(n).lineHeight") != "90px"
    shots("hostile-page")
    host = page.locator("#slotbot-widget").evaluate(
        "(n) => { const s = getComputedStyle(n); return [s.borderTopStyle, s.color]; }"
    )
    assert host == ["none", "rgb(0, 0, 0)"]  # the page's "div"/"*" rules miss the host too
    # and the widget's classes (.b, .launcher, .day) do nothing to the page's own button
    own = page.locator("#own").evaluate(
        "(n) => { const s = getComputedStyle(n); return [s.position, s.backgroundColor]; }"
    )
    assert own == ["static", "rgb(128, 0, 128)"]


def test_widget_js_is_cached_and_small(site: str) -> None:
    import gzip

    import httpx

    response = httpx.get(f"{site}/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert "max-age" in response.headers["cache-control"]
    again = httpx.get(f"{site}/widget.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert len(gzip.compress(response.content)) <= 15 * 1024
    assert "innerHTML" not in response.text and "insertAdjacentHTML" not in response.text


def test_typing_what_you_need(browser: Browser, site: str, request: pytest.FixtureRequest) -> None:
    """The field is there on every screen: a typed request is read as in every channel."""
    page, shots = open_page(browser, request)
    page.goto(site)
    widget = Widget(page, shots)
    widget.open()
    expect(widget.input).to_be_visible()
    expect(widget.input).to_have_attribute("placeholder", "Or type what you need")
    widget.type("haircut with Anna on Wednesday after 5", "typed")
    said = widget.last_text().replace("\u202f", " ")  # Babel's narrow no-break space
    assert said.startswith("Haircut with Anna Petrova\nWed, Dec 2, from 5:00 PM: pick a time.")
    widget.press("5:00\u202fPM", "held")
    expect(widget.input).to_be_focused()  # the name, now asked for
    expect(widget.input).to_have_attribute("placeholder", "Type your answer")
