"""Bot API requests over aiohttp: python-telegram-bot's ``BaseRequest`` on a pooled session.

python-telegram-bot sends its requests with httpx by default. Measured on this project's
2-core machine, one Bot API POST cost the sending process about 2 ms of CPU through httpx
(httpcore's anyio locks, events and cancel scopes around every request) against 0.4 ms
through aiohttp, and a Telegram update makes one to three such requests: the request
transport was the largest part of the serve process's CPU per update.

A call's parameters go as one JSON body (the Bot API takes ``application/json``), or as
multipart form data when it sends files. python-telegram-bot's own transport url-encodes
each JSON-encoded parameter instead, which for a keyboard of 40 buttons is a JSON encoding
and a percent-encoding of the same text.

The contract is :class:`telegram.request.BaseRequest`'s: return the status and the body,
and let python-telegram-bot turn the status into its errors; a timeout is ``TimedOut``,
anything else that fails on the way is ``NetworkError``.
"""

from __future__ import annotations

import json

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a pool of ``connections`` kept-alive connections.

    The timeouts are python-telegram-bot's defaults (seconds); a request may pass its own.
    ``pool`` bounds the wait for a free connection together with ``connect``. aiohttp has no
    write timeout of its own: a request that cannot be written in time ends by its read
    timeout instead.
    """

    def __init__(
        self,
        *,
        connections: int = 256,
        read: float | None = 5.0,
        connect: float | None = 5.0,
        pool: float | None = 1.0,
    ) -> None:
        self._connections = connections
        self._read = read
        self._connect = connect
        self._pool = pool
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        read = _given(read_timeout, self._read)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)
        timeout = aiohttp.ClientTimeout(
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        body, headers = _encode(request_data)
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _given(value: float | object | None, default: float | None) -> float | None:
    """A timeout the request passed, or the default where it passed none."""
    if isinstance(value, int | float) or value is None:
        return value
    return default


JSON = {"Content-Type": "application/json"}


def _encode(
    request_data: RequestData | None,
) -> tuple[aiohttp.FormData | bytes | None, dict[str, str] | None]:
    """The body and its headers: the parameters as one JSON object, or as multipart form
    data when files are sent."""
    if request_data is None:
        return None, None
    files = request_data.multipart_data
    if not files:
        return json.dumps(request_data.parameters, ensure_ascii=False).encode(), JSON
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None
