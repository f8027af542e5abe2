"""The review page, signed SMS delivery callbacks, the /outbox page and `slotbot reviews`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import jwt
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.bootstrap import create_app
from slotbot.core.jobs import housekeeping
from slotbot.core.notify.dispatcher import Dispatcher
from slotbot.core.notify.render import Links
from slotbot.core.notify.reviews import AUDIENCE, issue_token
from slotbot.core.notify.senders import OUTBOX_PAGE, ShownOnOutboxPage
from slotbot.core.notify.sms import signature
from slotbot.core.settings import Settings
from slotbot.core.storage.db import create_engine, session_factory
from slotbot.core.storage.models import Notification, Review
from tests.cli.command import run
from tests.core.notify.test_dispatch import book
from tests.core.shop import NOW, TOMORROW, at, build_shop, new_client

SECRET = "q-G5MEftrWgobkxSdlhIPoTyvrJlnKh4at-E9Zdh9yI"  # strong enough for production
TOKEN = "sms-auth-token"
PUBLIC = "https://shop.test"
AFTER = at(TOMORROW, 11) + timedelta(hours=24)  # the review request's time


@pytest.fixture
async def booked(database_url: str) -> AsyncIterator[tuple[AsyncEngine, int]]:
    engine = create_engine(database_url)
    shop = await build_shop(engine)
    booking = await book(engine, shop, await new_client(engine, 1))
    yield engine, booking.id
    await engine.dispose()


@asynccontextmanager
async def browser(
    database_url: str, *, environment: str = "development", client: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """The app in ``environment``, asked from the address ``client``."""
    settings = Settings(
        database_url=database_url, secret_key=SECRET, sms_auth_token=TOKEN, public_url=PUBLIC,
        environment=environment,
    )  # fmt: skip
    app = create_app(settings, clock=lambda: AFTER, jobs=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(client, 40123))
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as http:
            yield http


@pytest.fixture
async def web(database_url: str, booked: object) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(database_url) as client:
        yield client


async def reviews(engine: AsyncEngine) -> list[Review]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(Review)))


async def test_review_link_used_once(
    web: httpx.AsyncClient, booked: tuple[AsyncEngine, int]
) -> None:
    engine, booking_id = booked
    await housekeeping(engine, now=AFTER)
    token = issue_token(secret=SECRET, booking_id=booking_id, now=AFTER)
    page = await web.get("/review", params={"token": token, "rating": "4"})
    assert page.status_code == 200
    assert "value='4' checked" in page.text
    form = {"token": token, "rating": "4", "comment": "Nice cut"}
    saved = await web.post("/review", data=form)
    assert saved.status_code == 200 and "Thank you" in saved.text
    (review,) = await reviews(engine)
    assert (review.booking_id, review.rating, review.comment) == (booking_id, 4, "Nice cut")
    again = await web.post("/review", data=form)
    assert again.status_code == 409 and "already given" in again.text
    other = issue_token(secret=SECRET, booking_id=booking_id, now=AFTER)  # a second link
    assert (await web.get("/review", params={"token": other})).status_code == 409
    assert len(await reviews(engine)) == 1


@pytest.mark.parametrize("problem", ["expired", "forged", "tampered", "none", "garbage"])
async def test_bad_review_links_get_a_clear_page(
    web: httpx.AsyncClient, booked: tuple[AsyncEngine, int], problem: str
) -> None:
    engine, booking_id = booked
    await housekeeping(engine, now=AFTER)
    good = issue_token(secret=SECRET, booking_id=booking_id, now=AFTER)
    claims = {"sub": str(booking_id), "jti": "x1", "aud": AUDIENCE,
              "exp": int((AFTER + timedelta(days=1)).timestamp())}  # fmt: skip
    token = {
        "expired": issue_token(secret=SECRET, booking_id=booking_id, now=AFTER - timedelta(days=8)),
        "forged": jwt.encode(claims, "another-secret-of-at-least-32-chars!!", algorithm="HS256"),
        "tampered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "none": jwt.encode(claims, None, algorithm="none"),  # type: ignore[arg-type]
        "garbage": "not.a.token",
    }[problem]
    for response in (
        await web.get("/review", params={"token": token}),
        await web.post("/review", data={"token": token, "rating": "5"}),
    ):
        assert response.status_code in (400, 410)
        assert "review link" in response.text
        assert "Traceback" not in response.text
    assert await reviews(engine) == []


async def test_sms_callback_needs_a_valid_signature(
    web: httpx.AsyncClient, booked: tuple[AsyncEngine, int]
) -> None:
    engine, _ = booked
    async with session_factory(engine)() as session:
        row = await session.scalar(select(Notification).where(Notification.channel == "sms"))
        assert row is not None
    async with engine.begin() as connection:
        await connection.execute(
            Notification.__table__.update()  # type: ignore[attr-defined]
            .where(Notification.id == row.id)
            .values(provider_id="SM1", status="sent")
        )
    form = {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    url = f"{PUBLIC}/sms/status"
    unsigned = await web.post("/sms/status", data=form)
    forged = await web.post(
        "/sms/status", data=form, headers={"X-Twilio-Signature": signature(url, form, "wrong")}
    )
    changed = {**form, "MessageStatus": "delivered"}
    replayed = await web.post(  # a signature of other values
        "/sms/status", data=changed, headers={"X-Twilio-Signature": signature(url, form, TOKEN)}
    )
    assert [r.status_code for r in (unsigned, forged, replayed)] == [403, 403, 403]
    signed = await web.post(
        "/sms/status", data=form, headers={"X-Twilio-Signature": signature(url, form, TOKEN)}
    )
    assert signed.status_code == 204
    async with session_factory(engine)() as session:
        found = await session.get(Notification, row.id)
        assert found is not None
        assert found.delivery_status == "undelivered"
        assert found.last_error == "SMS undelivered: error 30003"


async def test_outbox_page_shows_unconfigured_channels(
    web: httpx.AsyncClient, booked: tuple[AsyncEngine, int]
) -> None:
    engine, _ = booked
    senders = {c: ShownOnOutboxPage(c) for c in ("telegram", "sms", "email")}
    tally = await Dispatcher(engine, senders, links=Links()).drain(now=NOW)  # type: ignore[arg-type]
    assert tally.sent == 4
    page = await web.get("/outbox")
    assert page.status_code == 200
    assert page.text.count(f"<td>{OUTBOX_PAGE}</td>") == 4
    assert "Your booking is confirmed" in page.text and "New booking" in page.text


@pytest.mark.parametrize(
    ("environment", "client", "headers"),
    [
        ("development", "203.0.113.7", {}),  # another computer
        ("development", "10.0.0.8", {}),  # the office network is not this computer either
        ("development", "127.0.0.1", {"X-Forwarded-For": "203.0.113.7"}),  # via a proxy here
        ("development", "127.0.0.1", {"Forwarded": "for=203.0.113.7"}),
        ("test", "127.0.0.1", {}),
        ("production", "127.0.0.1", {}),
    ],
)
async def test_outbox_page_is_not_there_for_anyone_else(
    database_url: str, booked: object, environment: str, client: str, headers: dict[str, str]
) -> None:
    async with browser(database_url, environment=environment, client=client) as http:
        page = await http.get("/outbox", headers=headers)
        assert page.status_code == 404
        assert page.json() == (await http.get("/no-such-page")).json()  # nothing to tell apart
        assert "Outbox" not in page.text


async def test_reviews_command(
    booked: tuple[AsyncEngine, int], database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from slotbot.core.notify.reviews import submit
    from slotbot.core.settings import get_settings

    engine, booking_id = booked
    await housekeeping(engine, now=AFTER)
    token = issue_token(secret=SECRET, booking_id=booking_id, now=AFTER)
    await submit(engine, token=token, secret=SECRET, rating=4, comment=None, now=AFTER)
    monkeypatch.setenv("SLOTBOT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        status, out, _ = await _in_thread(lambda: run(capsys, "reviews"))
    finally:
        get_settings.cache_clear()
    assert status == 0
    lines = out.splitlines()
    assert lines[1].split()[:3] == ["Anna", "1", "4.00"]
    assert lines[2].split()[:3] == ["Boris", "0", "-"]


async def _in_thread(call):  # type: ignore[no-untyped-def]
    import asyncio

    return await asyncio.to_thread(call)
