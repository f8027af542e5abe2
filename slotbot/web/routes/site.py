"""Static pieces of the website: the embeddable widget script, the demo clinic's page and
the site's icon."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=4)
def _asset(name: str) -> tuple[bytes, str]:
    data = files("slotbot.web_widget").joinpath(name).read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:20] + '"'


@router.api_route("/widget.js", methods=["GET", "HEAD"])
async def widget_js(request: Request) -> Response:
    """The widget: cached for an hour, then revalidated by its ETag (304 when unchanged)."""
    data, etag = _asset("widget.js")
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=3600, stale-while-revalidate=86400",
        "Access-Control-Allow-Origin": "*",  # a script any page may load
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/javascript; charset=utf-8", headers=headers)


@router.api_route("/favicon.svg", methods=["GET", "HEAD"])
@router.api_route("/favicon.ico", methods=["GET", "HEAD"])
async def favicon() -> Response:
    """The site's icon (an SVG, which browsers take at either address): pages link it, and a
    browser asking for ``/favicon.ico`` on its own gets it too, never a 404."""
    data, etag = _asset("favicon.svg")
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400"}
    return Response(data, media_type="image/svg+xml", headers=headers)


@router.get("/")
async def demo_page(request: Request) -> Response:
    """The demo clinic's website with the widget on it (``slotbot demo``); elsewhere a short
    pointer to the API, with the booking chat on it too: a waiting-list offer's link
    (``/?slot=TOKEN``, by SMS or e-mail) opens the chat here at the time it offers."""
    if not getattr(request.app.state, "demo_page", False):
        return HTMLResponse(
            '<!doctype html><html lang="en"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>slotbot</title><p>slotbot is running. "
            '<a href="/docs">API documentation</a></p>'
            '<script async src="/widget.js"></script></html>',
            headers={"Cache-Control": "no-cache"},
        )
    data, _ = _asset("demo.html")
    return HTMLResponse(data, headers={"Cache-Control": "no-cache"})
