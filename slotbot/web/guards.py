"""What stands between the internet and the app: the origin allow-list, rate limits (token
buckets per session and per address, shared by every process on PostgreSQL), a cap on every
request body, and who counts as this computer itself.

The address a rate limit keys on is the client's as uvicorn gives it: the peer's, or, when
the peer is one of ``SLOTBOT_TRUSTED_PROXIES``, the one its ``X-Forwarded-For`` names
(``slotbot serve`` starts uvicorn with that list and no other)."""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slotbot.core.storage.db import is_sqlite
from slotbot.core.storage.shared import Rate, take_token
from slotbot.web.errors import problem

__all__ = [
    "BodyLimit",
    "Buckets",
    "Limiter",
    "LocalLimiter",
    "Rate",
    "SharedLimiter",
    "WidgetLimits",
    "check_origin",
    "from_this_computer",
    "is_loopback",
    "limiter_for",
    "origin_allowed",
    "take_or_429",
]


def origin_allowed(origin: str, host: str, allowed: list[str]) -> bool:
    """Whether a browser on ``origin`` may call us: the page is our own (same host), or the
    origin is on the allow-list (``*`` allows any; no cookies are used, so that is safe)."""
    if "*" in allowed or origin in allowed:
        return True
    return bool(host) and urlsplit(origin).netloc == host


def check_origin(request: Request) -> None:
    """403 for a browser calling from a page whose origin is not allowed. Requests without
    an Origin (not from a browser page) pass: they could claim any origin anyway."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    allowed = request.app.state.settings.allowed_origins
    if not origin_allowed(origin, request.headers.get("host", ""), allowed):
        raise HTTPException(403, f"origin {origin[:100]!r} is not allowed to use this widget")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is this computer alone."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def from_this_computer(request: Request) -> bool:
    """Whether a request comes from a program on this computer: a loopback peer that no proxy
    forwarded (a proxy on this computer passes on the internet's requests, and says so)."""
    if request.client is None or not is_loopback(request.client.host):
        return False
    return not any(name in request.headers for name in FORWARDING_HEADERS)


@dataclass(frozen=True, slots=True)
class WidgetLimits:
    """The widget API's rate limits; a person clicking through a booking stays far below."""

    per_session: Rate = Rate(burst=30, per_second=2)
    per_address: Rate = Rate(burst=240, per_second=20)
    new_sessions_per_address: Rate = Rate(burst=20, per_second=0.2)

    @classmethod
    def unlimited(cls) -> WidgetLimits:
        """For benchmarks: every client comes from one address."""
        endless = Rate(burst=1e12, per_second=1e12)
        return cls(endless, endless, endless)

    def rates(self) -> dict[str, Rate]:
        """The rate of each kind of bucket: ``session``, ``address``, ``new`` (sessions)."""
        return {
            "session": self.per_session,
            "address": self.per_address,
            "new": self.new_sessions_per_address,
        }


@dataclass(slots=True)
class Buckets:
    """Token buckets by key, in this process's memory, at most ``max_keys`` of them.

    The table keeps its keys in the order they were last used; when a new key finds it full,
    the least recently used bucket is dropped (it has had the longest to fill up again, so
    forgetting it forgives the least). A flood of new keys thus never frees a key that is
    being limited right now, as emptying the whole table would."""

    rate: Rate
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 50_000
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (self.rate.burst, now))
        return min(self.rate.burst, tokens + (now - last) * self.rate.per_second)

    def take(self, key: str) -> float:
        """Take one token: 0 when allowed, else the seconds until one is available."""
        now = self.clock()
        tokens = self._tokens(key, now)
        self._buckets.pop(key, None)
        while len(self._buckets) >= self.max_keys:
            self._buckets.popitem(last=False)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate.per_second
        self._buckets[key] = (tokens - 1, now)
        return 0.0

    def wait(self, key: str) -> float:
        """The seconds until ``key`` has a token (0: it has one now); nothing is taken."""
        tokens = self._tokens(key, self.clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate.per_second

    def __len__(self) -> int:
        return len(self._buckets)


class Limiter(Protocol):
    """Takes a token from the bucket of one kind (``WidgetLimits.rates``) and key."""

    async def take(self, kind: str, key: str) -> float:
        """0 when allowed, else the seconds until a token is there."""
        ...


class LocalLimiter:
    """The limits in this process's memory: enough where one process serves (SQLite)."""

    def __init__(self, limits: WidgetLimits) -> None:
        self.buckets = {kind: Buckets(rate) for kind, rate in limits.rates().items()}

    async def take(self, kind: str, key: str) -> float:
        return self.buckets[kind].take(key)


class SharedLimiter:
    """The limits in the database, one bucket per key for every process (PostgreSQL), so a
    client spreading its requests over N processes gets no more than from one.

    This process's own buckets stand in front, counting only the tokens the database
    granted here: the database has counted at least those, so a key that this process
    alone has emptied is refused without asking it (a flood costs the database about one
    write per key per period, not one per request)."""

    def __init__(
        self, engine: AsyncEngine, limits: WidgetLimits, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.rates = limits.rates()
        self.front = {kind: Buckets(rate) for kind, rate in self.rates.items()}

    async def take(self, kind: str, key: str) -> float:
        front = self.front[kind]
        wait = front.wait(key)
        if wait > 0:
            return wait
        wait = await take_token(self.engine, f"{kind}:{key}", self.rates[kind], now=self.clock())
        if wait == 0:
            front.take(key)
        return wait


def limiter_for(engine: AsyncEngine, limits: WidgetLimits) -> Limiter:
    """Shared limits where several processes can serve (PostgreSQL), local ones on SQLite."""
    return LocalLimiter(limits) if is_sqlite(engine) else SharedLimiter(engine, limits)


async def take_or_429(limiter: Limiter, kind: str, key: str, what: str) -> None:
    wait = await limiter.take(kind, key)
    if wait > 0:
        raise HTTPException(
            429,
            f"too many requests from this {what}: try again in {wait:.0f} s",
            headers={"Retry-After": str(max(1, round(wait)))},
        )


class BodyLimit:
    """Plain ASGI middleware: a request body over its path's limit gets a 413 before any
    handler reads it (by Content-Length; a streamed body is read up to the limit first)."""

    def __init__(self, app: ASGIApp, *, limits: dict[str, int], default: int) -> None:
        self.app = app
        self.limits = sorted(limits.items(), key=lambda item: -len(item[0]))
        self.default = default

    def _limit(self, path: str) -> int:
        return next((n for prefix, n in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(limit)(scope, receive, send)
            return
        if declared is not None or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        # A streamed body (no Content-Length): read it up to the limit, then replay it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await _too_large(limit)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


def _too_large(limit: int) -> JSONResponse:
    return problem(413, f"the request body is too large: at most {limit} bytes")
