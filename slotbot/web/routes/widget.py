"""The chat widget's API: a visitor session with a signed token, events in and the dialog's
screens out, the conversation's history, and a push stream of messages (server-sent events).

Every route checks the page's origin against ``SLOTBOT_ALLOWED_ORIGINS`` and takes a token
from the session's and the address's rate limits; bodies are capped by ``guards.BodyLimit``.
"""

from __future__ import annotations

import asyncio
import enum
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from slotbot.core.limits import ACTION_MAX, LOCALE_MAX, MESSAGE_MAX, PHONE_INPUT_MAX
from slotbot.core.waits import woken
from slotbot.dialogs.commands import CLIENT_COMMANDS
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import (
    Booked,
    Cancelled,
    Event,
    Held,
    Moved,
    Outcome,
    Press,
    Start,
    Text,
    Visitor,
)
from slotbot.web import widget_log
from slotbot.web.deps import NowDep
from slotbot.web.guards import check_origin, take_or_429
from slotbot.web.schemas import Problem
from slotbot.web.views import iso_utc
from slotbot.web.widget_auth import (
    MaybeSessionToken,
    SessionToken,
    WidgetSession,
    issue_token,
    new_session_key,
)

PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": what}
    for status, what in (
        (400, "a parameter holds control characters or is not UTF-8"),
        (401, "no token, or an expired or forged one: start a new session"),
        (403, "the page's origin is not allowed"),
        (413, "the request body is too large"),
        (422, "a field is missing, malformed or too long"),
        (429, "too many requests: wait Retry-After seconds"),
    )
}
router = APIRouter(
    prefix="/api/v1/widget",
    tags=["widget"],
    dependencies=[Depends(check_origin)],
    responses=PROBLEMS,
)

STREAM_WAIT = 25.0  # seconds a push stream stays open (the widget reconnects at once)
#: How often an open stream looks for messages itself while the database does not announce
#: them (SQLite; PostgreSQL while the listening connection is down).
STREAM_POLL = 2.0


def _address(request: Request) -> str:
    return request.client.host if request.client else "-"


async def _limit_address(request: Request) -> None:
    await take_or_429(request.app.state.widget_limiter, "address", _address(request), "address")


async def _limit_session(request: Request, session: WidgetSession) -> None:
    await take_or_429(request.app.state.widget_limiter, "session", session.key, "session")


class SessionIn(BaseModel):
    language: str = Field("", max_length=LOCALE_MAX, description="the browser's language")


class SessionOut(BaseModel):
    token: str = Field(description="send as `Authorization: Bearer <token>`")
    expires_at: str
    messages: list[dict[str, Any]] = Field(description="the conversation so far, oldest first")


#: The client's commands (``dialogs.commands``): the widget opens with one of them. Built
#: from that list, so mypy cannot name its members (the schema and pydantic can).
ClientCommand = enum.StrEnum(  # type: ignore[misc]
    "ClientCommand", [(c.name, c.name) for c in CLIENT_COMMANDS]
)


class StartIn(BaseModel):
    type: Literal["start"]
    command: ClientCommand = ClientCommand("start")
    service: str | None = Field(
        None, max_length=64, pattern=r"^[a-z0-9_-]+$", description="open at this service"
    )
    slot: str | None = Field(
        None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
        description="a waiting-list offer's signed link (`?slot=` on the page): hold that time",
    )  # fmt: skip


class PressIn(BaseModel):
    type: Literal["press"]
    action: str = Field(min_length=1, max_length=ACTION_MAX)


class TextIn(BaseModel):
    type: Literal["text"]
    text: str = Field(min_length=1, max_length=MESSAGE_MAX)


class ContactIn(BaseModel):
    """A phone number from the widget's contact form. The web cannot prove a number is the
    visitor's own (Telegram can), so it goes to the dialog as typed text."""

    type: Literal["contact"]
    phone: str = Field(min_length=1, max_length=PHONE_INPUT_MAX)


EventIn = Annotated[StartIn | PressIn | TextIn | ContactIn, Field(discriminator="type")]


class BookingEvent(BaseModel):
    """What the visitor's event did to one of their bookings (the widget fires it on the
    host page as ``slotbot:<type>``, with these fields as the detail)."""

    type: Literal["held", "booked", "moved", "cancelled"]
    booking: int = Field(description="the booking (for `moved`, the one that replaces it)")
    starts: str = Field(description="when it starts (UTC, ISO 8601)")
    service: str = Field(description="the service's key")
    specialist: str = Field(description="the specialist's key")
    was_booking: int | None = Field(None, description="`moved`: the booking moved away from")
    was: str | None = Field(None, description="`moved`: its old start (UTC, ISO 8601)")


_KINDS: dict[type[Outcome], Literal["held", "booked", "moved", "cancelled"]] = {
    Held: "held", Booked: "booked", Moved: "moved", Cancelled: "cancelled",
}  # fmt: skip


class EventOut(BaseModel):
    messages: list[dict[str, Any]] = Field(description="new messages, oldest first")
    notice: str = Field("", description="a short line to show briefly (e.g. a stale button)")
    events: list[BookingEvent] = Field(
        default_factory=list, description="what happened to the visitor's bookings"
    )


class MessagesOut(BaseModel):
    messages: list[dict[str, Any]]


@router.post("/sessions", status_code=201)
async def open_session(
    request: Request, body: SessionIn, current: MaybeSessionToken, now: NowDep
) -> SessionOut:
    """A visitor's session: a valid token is renewed for the same conversation (with its
    history); otherwise a new conversation begins."""
    await _limit_address(request)
    engine = request.app.state.engine
    if current is None:
        await take_or_429(request.app.state.widget_limiter, "new", _address(request), "address")
        key, language, messages = new_session_key(), body.language, []
    else:
        key, language = current.key, current.language or body.language
        messages = await widget_log.history(engine, key)
    token = issue_token(request.app.state.settings.secret_key, key, language)
    expires = datetime.now(UTC) + timedelta(days=30)
    return SessionOut(token=token, expires_at=iso_utc(expires), messages=messages)


@router.get("/messages")
async def messages(
    request: Request,
    session: SessionToken,
    after: Annotated[int, Query(ge=0, le=2**62, description="only messages after this id")] = 0,
) -> MessagesOut:
    """The conversation's messages after ``after`` (all of the last 100 with 0)."""
    await _limit_address(request)
    await _limit_session(request, session)
    engine = request.app.state.engine
    if after == 0:
        return MessagesOut(messages=await widget_log.history(engine, session.key))
    return MessagesOut(messages=await widget_log.after(engine, session.key, after))


@asynccontextmanager
async def _turn(request: Request, key: str) -> AsyncIterator[None]:
    """One event of a conversation at a time in this process, so its log stays in order."""
    locks: dict[str, tuple[asyncio.Lock, int]] = request.app.state.widget_turns
    lock, users = locks.get(key, (asyncio.Lock(), 0))
    locks[key] = (lock, users + 1)
    try:
        async with lock:
            yield
    finally:
        lock, users = locks[key]
        if users <= 1:
            del locks[key]
        else:
            locks[key] = (lock, users - 1)


def _happened(outcome: Outcome) -> BookingEvent:
    moved = outcome if isinstance(outcome, Moved) else None
    return BookingEvent(
        type=_KINDS[type(outcome)], booking=outcome.booking,
        starts=iso_utc(outcome.starts), service=outcome.service,
        specialist=outcome.specialist, was_booking=moved.was_booking if moved else None,
        was=iso_utc(moved.was) if moved else None,
    )  # fmt: skip


def _event(body: EventIn) -> Event:
    if isinstance(body, StartIn):
        return Start(str(body.command), service=body.service or "", slot=body.slot or "")
    if isinstance(body, PressIn):
        return Press(body.action)
    if isinstance(body, TextIn):
        return Text(body.text)
    return Text(body.phone)


@router.post("/events")
async def event(request: Request, body: EventIn, session: SessionToken, now: NowDep) -> EventOut:
    """One thing the visitor did (start, press a button, type, send a phone number); the
    answer carries the new messages, a notice and what happened to their bookings."""
    await _limit_address(request)
    await _limit_session(request, session)
    engine = request.app.state.engine
    dialogs: Dialogs = request.app.state.dialogs
    visitor = Visitor("web", session.key, language=session.language)
    async with _turn(request, session.key):
        echo: str | None = None
        if isinstance(body, TextIn):
            echo = body.text
        elif isinstance(body, ContactIn):
            echo = body.phone
        elif isinstance(body, PressIn):
            echo = (await widget_log.last_bot_buttons(engine, session.key)).get(body.action)
        reply = await dialogs.respond(visitor, _event(body), now=now)
        log: list[tuple[str, dict[str, Any]]] = []
        if echo is not None and not reply.notice:
            log.append(("visitor", {"text": echo}))
        turn = secrets.token_hex(4)  # the screens of one reply: only the newest turn is live
        log += [
            ("bot", {**widget_log.screen_body(s), "turn": turn, "lang": reply.locale})
            for s in reply.screens
        ]
        stored = await widget_log.append(
            engine, session.key, log, now=now, hub=request.app.state.widget_hub
        )
    events = [_happened(outcome) for outcome in reply.events]
    return EventOut(messages=stored, notice=reply.notice, events=events)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def stream(
    request: Request,
    session: SessionToken,
    after: Annotated[int, Query(ge=0, le=2**62, description="resume after this id")] = 0,
    wait: Annotated[float, Query(ge=0, le=STREAM_WAIT, description="seconds to stay open")] = (
        STREAM_WAIT
    ),
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Server-sent events: each message after ``after`` (or ``Last-Event-ID``) as one
    ``message`` event whose id is the message's id, so a reconnect resumes without loss or
    repeats. The stream closes after ``wait`` seconds; the widget reconnects."""
    await _limit_address(request)
    await _limit_session(request, session)
    if last_event_id is not None and last_event_id.isdigit():
        after = max(after, int(last_event_id))
    engine = request.app.state.engine
    hub: widget_log.Hub = request.app.state.widget_hub

    async def events() -> AsyncIterator[str]:
        last = after
        loop = asyncio.get_running_loop()
        until = loop.time() + wait
        yield "retry: 1000\n\n"
        while True:
            with hub.watching(session.key) as written:  # before looking: nothing slips by
                for message in await widget_log.after(engine, session.key, last):
                    last = message["id"]
                    yield f"id: {last}\nevent: message\ndata: {json.dumps(message)}\n\n"
                left = until - loop.time()
                if left <= 0 or await request.is_disconnected():
                    return
                # with every process's messages announced, wait for one; else look now and then
                step = left if hub.complete else min(left, STREAM_POLL)
                if not await woken(written, step):
                    yield ": keep-alive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
