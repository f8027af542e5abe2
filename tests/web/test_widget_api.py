"""The widget API over HTTP: sessions and tokens, events and screens, history after a reload,
the push stream, the origin allow-list, rate limits and size limits."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.bootstrap import create_app
from slotbot.core.settings import Settings
from slotbot.dialogs.commands import CLIENT_COMMANDS
from slotbot.web.guards import Rate, WidgetLimits
from tests.dialogs.chat import NOW, load_demo
from tests.web.widget_client import Visitor, book_haircut

SECRET = "a-test-secret-that-is-long-enough-0123456789"
SITE = "https://clinic.example"


@asynccontextmanager
async def serve(database_url: str, **options: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url, secret_key=SECRET, allowed_origins=[SITE], environment="test"
    )
    app = create_app(settings, clock=lambda: NOW, jobs=False, **options)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest.fixture
async def http(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await load_demo(engine)
    async with serve(database_url) as client:
        yield client


async def test_a_whole_booking_and_my_bookings(http: httpx.AsyncClient) -> None:
    visitor = Visitor(http)
    await visitor.open()
    await book_haircut(visitor)
    assert visitor.screen["text"].startswith("You are booked: Haircut with Anna Petrova")
    booking = visitor.events[-1]["booking"]
    assert [(e["type"], e["booking"]) for e in visitor.events] == [
        ("held", booking),
        ("booked", booking),
    ]
    # the visitor's own messages are in the log, as they pressed or typed them
    mine = [m["text"] for m in visitor.messages if m["from"] == "visitor"]
    assert mine[:2] == ["Hair studio", mine[1]] and mine[1].startswith("Haircut")
    assert "Jane Doe" in mine and mine[-1] == "✅ Confirm"
    await visitor.press("📅")
    ics = visitor.screen["attachments"][0]
    assert ics["mime_type"] == "text/calendar" and ics["filename"].endswith(".ics")
    assert b"BEGIN:VCALENDAR" in base64.b64decode(ics["data"])
    await visitor.start(command="my")
    assert visitor.screen["text"].startswith("Your upcoming bookings")
    assert any("Haircut" in b["label"] for row in visitor.screen["buttons"] for b in row)
    await visitor.press("Tue")
    await visitor.press("Cancel booking")
    await visitor.press("Yes")
    assert (visitor.events[-1]["type"], visitor.events[-1]["booking"]) == ("cancelled", booking)


async def test_the_calendar_is_marked_and_grey_days_say_why(http: httpx.AsyncClient) -> None:
    visitor = Visitor(http)
    await visitor.open()
    await visitor.start()
    await visitor.press("Hair studio")
    await visitor.press("Haircut")
    await visitor.press("Anna Petrova")
    calendar = visitor.screen
    assert calendar["layout"] == "calendar"
    header, *weeks = calendar["buttons"][:6]
    assert [b["label"] for b in header] == ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
    grey = [b for week in weeks for b in week if b.get("disabled") and b["label"].strip()]
    assert grey, "some days of December have no free time"
    assert all(b["action"] == "" for b in header)  # weekday headers are inert
    before = len(visitor.messages)
    response = await visitor.send({"type": "press", "action": grey[0]["action"]})
    assert response.status_code == 200
    assert visitor.notice == f"Anna Petrova is not working on Sun, Dec {grey[0]['label']}."
    assert visitor.messages[before:] == []  # the calendar stays as it is, still live


async def test_a_reload_mid_flow_restores_the_conversation(http: httpx.AsyncClient) -> None:
    visitor = Visitor(http)
    await visitor.open()
    await visitor.start()
    await visitor.press("Hair studio")
    await visitor.press("Haircut")
    await visitor.press("Anna Petrova")
    await visitor.press("Soonest")
    shown = visitor.messages
    # the page reloads: the widget opens its session again with the stored token
    reloaded = Visitor(http, token=visitor.token)
    await reloaded.open()
    assert reloaded.messages == shown
    assert reloaded.screen["expects"] == "text"
    await reloaded.type("Jane Doe")
    await reloaded.send({"type": "contact", "phone": "+49 151 23456789"})
    await reloaded.press("✅")
    assert reloaded.screen["text"].startswith("You are booked")


async def test_the_widget_opens_with_a_client_command_only(http: httpx.AsyncClient) -> None:
    """The widget's start takes the client's commands (``dialogs.commands``); its Help names
    none, since nothing typed in the widget is a command (its buttons do what they do)."""
    visitor = Visitor(http)
    await visitor.open()
    for command in CLIENT_COMMANDS:
        response = await visitor.start(command=command.name)
        assert response.status_code == 200, response.text
    assert visitor.screen["text"].startswith("I book appointments for you.")
    assert not any(f"/{c.name} " in visitor.screen["text"] for c in CLIENT_COMMANDS)
    assert (await visitor.start(command="today")).status_code == 422


async def test_the_host_page_can_open_at_a_service(http: httpx.AsyncClient) -> None:
    visitor = Visitor(http)
    await visitor.open()
    await visitor.start(service="haircut")
    assert "Who would you like to see?" in visitor.screen["text"]


async def test_stale_and_forged_buttons_get_a_notice(http: httpx.AsyncClient) -> None:
    visitor = Visitor(http)
    await visitor.open()
    await visitor.start()
    old = visitor.action("Hair studio")
    await visitor.press("Hair studio")
    for action in (old, "zz.svc.1", "not an action"):
        response = await visitor.send({"type": "press", "action": action})
        assert response.status_code == 200
        assert visitor.notice


async def test_the_push_stream_resumes_after_the_last_id(http: httpx.AsyncClient) -> None:
    visitor = Visitor(http)
    await visitor.open()
    await visitor.start()
    await visitor.press("Hair studio")
    await visitor.press("Haircut")
    auth = {"Authorization": f"Bearer {visitor.token}"}

    async def ids(**params: Any) -> list[int]:
        response = await http.get(
            "/api/v1/widget/stream", params={"wait": 0, **params}, headers=auth
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        found = [int(line[4:]) for line in response.text.splitlines() if line.startswith("id: ")]
        data = [json.loads(line[6:]) for line in response.text.splitlines() if line[:6] == "data: "]
        assert [m["id"] for m in data] == found
        return found

    everything = [m["id"] for m in visitor.messages]
    assert await ids() == everything
    assert await ids(after=everything[0]) == everything[1:]
    resumed = await http.get(
        "/api/v1/widget/stream",
        params={"wait": 0},
        headers={**auth, "Last-Event-ID": str(everything[-2])},
    )
    assert [ln for ln in resumed.text.splitlines() if ln.startswith("id: ")] == [
        f"id: {everything[-1]}"
    ]


def _token(claims: dict[str, Any], key: bytes | str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _real_key(secret: str) -> bytes:
    return hashlib.sha256(b"slotbot widget token\0" + secret.encode()).digest()


@pytest.mark.parametrize(
    "make",
    [
        # expired
        lambda now: _token(
            {
                "sub": "s1",
                "aud": "slotbot-widget",
                "iat": now - timedelta(days=40),
                "exp": now - timedelta(days=10),
            },
            _real_key(SECRET),
        ),
        # signed with another secret
        lambda now: _token(
            {"sub": "s1", "aud": "slotbot-widget", "iat": now, "exp": now + timedelta(days=1)},
            _real_key("another-secret-another-secret-another"),
        ),
        # for another audience
        lambda now: _token(
            {"sub": "s1", "aud": "someone-else", "iat": now, "exp": now + timedelta(days=1)},
            _real_key(SECRET),
        ),
        # unsigned ("alg": "none")
        lambda now: _token(
            {"sub": "s1", "aud": "slotbot-widget", "iat": now, "exp": now + timedelta(days=1)},
            "",
            "none",
        ),
        lambda now: "not-a-token",
    ],
    ids=["expired", "forged", "audience", "alg-none", "garbage"],
)
async def test_bad_tokens_are_refused(http: httpx.AsyncClient, make: Callable[..., str]) -> None:
    token = make(datetime.now(UTC))
    auth = {"Authorization": f"Bearer {token}"}
    response = await http.post("/api/v1/widget/events", json={"type": "start"}, headers=auth)
    assert response.status_code == 401
    assert "start a new session" in response.json()["detail"]
    # opening a session with it starts a new conversation instead of continuing s1's
    opened = await http.post("/api/v1/widget/sessions", json={}, headers=auth)
    assert opened.status_code == 201 and opened.json()["messages"] == []
    sub = jwt.decode(opened.json()["token"], options={"verify_signature": False})["sub"]
    assert sub != "s1"


async def test_no_token_is_a_401(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/v1/widget/events", json={"type": "start"})
    assert response.status_code == 401


async def test_origins(http: httpx.AsyncClient) -> None:
    foreign = await http.post(
        "/api/v1/widget/sessions", json={}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert "not allowed" in foreign.json()["detail"]
    allowed = await http.post("/api/v1/widget/sessions", json={}, headers={"Origin": SITE})
    assert allowed.status_code == 201
    assert allowed.headers["access-control-allow-origin"] == SITE
    assert "access-control-allow-credentials" not in allowed.headers
    same = await http.post("/api/v1/widget/sessions", json={}, headers={"Origin": "http://test"})
    assert same.status_code == 201
    preflight = await http.options(
        "/api/v1/widget/events",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


async def test_rate_limits(engine: AsyncEngine, database_url: str) -> None:
    await load_demo(engine)
    limits = WidgetLimits(
        per_session=Rate(burst=3, per_second=0.001),
        per_address=Rate(burst=100, per_second=0.001),
        new_sessions_per_address=Rate(burst=2, per_second=0.001),
    )
    async with serve(database_url, widget_limits=limits) as http:
        visitor = Visitor(http)
        await visitor.open()
        statuses = [(await visitor.start()).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = await visitor.start()
        assert int(refused.headers["retry-after"]) >= 1
        assert "too many requests" in refused.json()["detail"]
        # another session from the same address is not held back by this one's limit...
        other = Visitor(http)
        await other.open()
        assert (await other.start()).status_code == 200
        # ...but new sessions per address are
        third = await http.post("/api/v1/widget/sessions", json={})
        assert third.status_code == 429


async def test_size_limits(http: httpx.AsyncClient) -> None:
    visitor = Visitor(http)
    await visitor.open()
    long = await visitor.send({"type": "text", "text": "x" * 1001})
    assert long.status_code == 422
    assert "text" in long.json()["detail"] and "1000" in long.json()["detail"]
    huge = await visitor.send({"type": "text", "text": "x" * 20_000})
    assert huge.status_code == 413
    assert "too large" in huge.json()["detail"]

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 1024

    streamed = await http.post(
        "/api/v1/widget/events",
        content=chunks(),
        headers={"Authorization": f"Bearer {visitor.token}", "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    for body in (
        {"type": "press", "action": "a" * 65},
        {"type": "contact", "phone": "1" * 33},
        {"type": "launch"},
        {"type": "start", "command": "rm -rf"},
    ):
        response = await visitor.send(body)
        assert response.status_code == 422, body
        assert response.json()["detail"]
    malformed = await http.post(
        "/api/v1/widget/events",
        content=b"{not json",
        headers={"Authorization": f"Bearer {visitor.token}", "Content-Type": "application/json"},
    )
    assert malformed.status_code == 422


async def test_a_name_with_markup_is_kept_as_text(http: httpx.AsyncClient) -> None:
    visitor = Visitor(http)
    await visitor.open()
    await book_haircut(visitor, name="<script>alert(1)</script> Jane")
    assert any("<script>alert(1)</script> Jane" in m["text"] for m in visitor.messages)
