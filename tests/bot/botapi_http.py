"""The HTTP side of the Bot API stand-in: a plain ASGI app under uvicorn on the running loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Awaitable, Callable, Iterator
from email.message import Message as MimeMessage
from email.parser import BytesParser
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import uvicorn

from tests.bot.botapi_schema import UPLOADED

#: (method, token, params, form) -> (HTTP status, JSON body)
Dispatch = Callable[[str, str, dict[str, Any], bool], Awaitable[tuple[int, dict[str, Any]]]]
Scope = dict[str, Any]


class Upload(NamedTuple):
    """A file part of a multipart body."""

    filename: str
    mime_type: str
    data: bytes


Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], bool]:
    """The call's parameters and whether they came as a form (values JSON-encoded strings)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        return (json.loads(body) if body else {}), False
    if kind == "multipart/form-data":
        return _multipart(content_type, body), True
    return dict(parse_qsl(body.decode(), keep_blank_values=True)), True


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser().parsebytes(head + body)
    params: dict[str, Any] = {}
    files: dict[str, Upload] = {}
    for part in message.get_payload():
        assert isinstance(part, MimeMessage)
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(payload, bytes)
        filename = part.get_param("filename", header="content-disposition")
        if isinstance(filename, str):
            files[name] = Upload(filename, part.get_content_type(), payload)
        else:
            params[name] = payload.decode()
    attached = {v.removeprefix("attach://") for v in params.values() if v.startswith("attach://")}
    for name in files:
        if name not in attached:
            params[name] = UPLOADED
    params["__files__"] = files
    return params


class _Quiet(uvicorn.Server):
    """uvicorn that leaves the process's signal handlers alone (it runs inside tests)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpFront:
    """Serves ``POST /bot<TOKEN>/<method>`` on 127.0.0.1 at a random port."""

    def __init__(self, dispatch: Dispatch) -> None:
        self._dispatch = dispatch
        self._server: _Quiet | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The base URL in python-telegram-bot's form (the token is appended)."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self, log_level="warning", access_log=False, lifespan="off", ws="none",
            timeout_graceful_shutdown=1,
        )  # fmt: skip
        self._server = _Quiet(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        path: str = scope["path"]
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        token, _, method = path.removeprefix("/bot").partition("/")
        if not path.startswith("/bot") or not method:
            status, answer = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        else:
            try:
                params, form = parse_body(headers.get("content-type", ""), body)
            except ValueError as error:
                params, form = {"__unparsable__": str(error)}, False
            status, answer = await self._dispatch(method, token, params, form)
        data = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"%d" % len(data)),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})
