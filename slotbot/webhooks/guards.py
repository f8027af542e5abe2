"""What stands between the internet and the app: the origin allow-list, rate limits (token
buckets per session and per address), a cap on every request body, and who counts as this
computer itself.

The address a rate limit keys on is the client's as uvicorn gives it: the peer's, or, when
the peer is one of ``SLOTBOT_TRUSTED_PROXIES``, the one its ``X-Forwarded-For`` names
(``slotbot serve`` starts uvicorn with that list and no other)."""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slotbot.webhooks.errors import problem


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
class Rate:
    """A token bucket's shape: ``burst`` requests at once, then ``per_second``."""

    burst: float
    per_second: float


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

    def take(self, key: str) -> float:
        """Take one token: 0 when allowed, else the seconds until one is available."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.rate.burst, now))
        tokens = min(self.rate.burst, tokens + (now - last) * self.rate.per_second)
        while len(self._buckets) >= self.max_keys:
            self._buckets.popitem(last=False)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate.per_second
        self._buckets[key] = (tokens - 1, now)
        return 0.0

    def __len__(self) -> int:
        return len(self._buckets)


def take_or_429(buckets: Buckets, key: str, what: str) -> None:
    wait = buckets.take(key)
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
