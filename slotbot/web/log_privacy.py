"""Keep review links out of the access log.

A review link (``/review?token=...``) is a one-time credential: whoever reads it in a log can
review someone else's visit. uvicorn writes each request line to its access log from the
request's ASGI scope when the answer starts, so this middleware takes the ``token``
parameter out of the scope's query string before any route runs, and hands it to the review
page under :data:`REVIEW_TOKEN`. The log then shows ``GET /review?rating=5``.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

#: Where the review page finds the token taken out of its URL.
REVIEW_TOKEN = "slotbot.review_token"
PATHS = frozenset({"/review"})


def take_token(query: bytes) -> tuple[bytes, str | None]:
    """The query string without its ``token`` parameters, and the last token's value (as
    Starlette reads a repeated parameter)."""
    kept, token = [], None
    for part in query.split(b"&"):
        name, _, value = part.partition(b"=")
        if unquote_plus(name.decode("latin-1")) == "token":
            token = unquote_plus(value.decode("latin-1"))
        else:
            kept.append(part)
    return b"&".join(kept), token


def review_token(request: Request) -> str:
    """The token of the review link that opened this request ("" without one)."""
    token = request.scope.get(REVIEW_TOKEN)
    return token if isinstance(token, str) else ""


class HideReviewTokens:
    """Plain ASGI middleware: moves the review token from the URL into the scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") in PATHS:
            query, token = take_token(scope.get("query_string", b""))
            if token is not None:
                # The same dict the server logs from: changed in place, not copied.
                scope["query_string"] = query
                scope[REVIEW_TOKEN] = token
        await self.app(scope, receive, send)
