"""Plain ASGI middleware that refuses request parameters no route should ever see."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from slotbot.core.limits import has_control
from slotbot.web.errors import problem


class RefuseControlCharacters:
    """Answer 400 to a path or query parameter holding NUL, another control character or
    bytes that are not UTF-8 (``?service=%00``): PostgreSQL cannot even compare such
    text, so it must not reach a query. One place for every route's parameters."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            wrong = _what_is_wrong(scope)
            if wrong is not None:
                await problem(400, wrong)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _what_is_wrong(scope: Scope) -> str | None:
    if has_control(scope.get("path", "")):
        return "the path contains control characters"
    query = scope.get("query_string", b"").decode("latin-1")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return "a query parameter is not valid UTF-8"
    for name, value in pairs:
        if has_control(name) or has_control(value):
            return f"the query parameter {name!a} contains control characters"
    return None
