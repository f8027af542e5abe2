"""Real servers on loopback that the senders talk to: an SMTP server (aiosmtpd) and an SMS
API speaking the Twilio-compatible protocol (stdlib HTTP server in a thread)."""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import itertools
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import Message as MimeMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: MimeMessage

    def part(self, content_type: str) -> MimeMessage | None:
        return next((p for p in self.message.walk() if p.get_content_type() == content_type), None)

    def text(self) -> str:
        part = self.part("text/plain")
        assert part is not None
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode(part.get_content_charset() or "utf-8")

    def calendar(self) -> bytes | None:
        part = self.part("text/calendar")
        if part is None:
            return None
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload


class _Handler:
    def __init__(self, box: SmtpStandIn) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.box.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        with self.box.lock:
            self.box.mails.append(
                Mail(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    email.message_from_bytes(content, policy=email.policy.default),
                )
            )
        return "250 Message accepted"


@dataclass
class SmtpStandIn:
    """An SMTP server collecting mails; addresses in ``refuse`` get 550 at RCPT."""

    mails: list[Mail] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0
    controller: Controller | None = None

    def start(self) -> SmtpStandIn:
        with socket.socket() as probe:  # a free port: the controller checks it is serving
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def to(self, address: str) -> list[Mail]:
        with self.lock:
            return [m for m in self.mails if address in m.recipients]


class SmsStandIn:
    """The Messages API: checks basic auth and the form, answers like the real one.

    Numbers in ``unsubscribed`` get error 21610, malformed ones 21211; while ``down`` every
    request gets a 503; ``delay`` slows each answer down (seconds).
    """

    def __init__(self, sid: str = "AC123", token: str = "sms-token") -> None:
        self.sid = sid
        self.token = token
        self.messages: list[dict[str, str]] = []
        self.unsubscribed: set[str] = set()
        self.down = False
        self.delay = 0.0
        self.requests = 0
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real API

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                stand_in.requests += 1
                length = int(self.headers.get("Content-Length", 0))
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                status, body = stand_in.answer(self.path, self.headers.get("Authorization"), form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(ConnectionError):  # a client killed mid-request
                    self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # many senders at once (the default backlog is 5)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> SmsStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(
        self, path: str, authorization: str | None, form: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        if self.delay:
            time.sleep(self.delay)
        if self.down:
            return 503, {"code": 20500, "message": "Service unavailable", "status": 503}
        if path != f"/2010-04-01/Accounts/{self.sid}/Messages.json":
            return 404, {"code": 20404, "message": "not found", "status": 404}
        expected = "Basic " + base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        if authorization != expected:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        if not form.get("From") or not form.get("Body"):
            return 400, {"code": 21602, "message": "Message body is required", "status": 400}
        to = form.get("To", "")
        if not E164.match(to):
            return 400, {
                "code": 21211,
                "message": f"The 'To' number {to} is not valid",
                "status": 400,
            }
        if to in self.unsubscribed:
            message = "Attempt to send to unsubscribed recipient"
            return 400, {"code": 21610, "message": message, "status": 400}
        sid = f"SM{next(self._ids):032d}"
        with self.lock:
            self.messages.append({**form, "sid": sid})
        return 201, {"sid": sid, "status": "queued", "to": to, "body": form["Body"]}

    def to(self, number: str) -> list[dict[str, str]]:
        with self.lock:
            return [m for m in self.messages if m["To"] == number]
