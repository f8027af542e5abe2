"""The widget's visitor token: a signed JWT (HS256 with ``SLOTBOT_SECRET_KEY``) naming the
widget session. It travels in the ``Authorization`` header, not in a cookie, so the widget
works on any site without third-party cookies."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request

from slotbot.core.limits import LOCALE_MAX

AUDIENCE = "slotbot-widget"
ALGORITHM = "HS256"
LIFETIME = timedelta(days=30)
_SESSION_CHARS = 22  # secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class WidgetSession:
    """Who a request of the widget API comes from."""

    key: str  # the widget session id: the dialog's Visitor.key on the "web" channel
    language: str  # the browser's language when the session began
    expires_at: datetime


def _key(secret: str) -> bytes:
    """The signing key: derived from the process secret for this one use (a secret shared
    with other uses never signs widget tokens directly), and always 256 bits long."""
    return hashlib.sha256(b"slotbot widget token\0" + secret.encode()).digest()


def new_session_key() -> str:
    return secrets.token_urlsafe(16)


def issue_token(secret: str, key: str, language: str, *, now: datetime | None = None) -> str:
    """A token for widget session ``key`` valid for :data:`LIFETIME` from ``now``."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": key,
        "aud": AUDIENCE,
        "iat": issued,
        "exp": issued + LIFETIME,
        "lng": language[:LOCALE_MAX],
    }
    return jwt.encode(claims, _key(secret), algorithm=ALGORITHM)


def read_token(secret: str, token: str) -> WidgetSession:
    """The session a token names; ``jwt.InvalidTokenError`` for a forged, expired, foreign or
    malformed one. The algorithm is pinned: a token cannot choose how it is checked."""
    claims = jwt.decode(
        token,
        _key(secret),
        algorithms=[ALGORITHM],
        audience=AUDIENCE,
        options={"require": ["sub", "aud", "exp", "iat"]},
    )
    key, language = claims["sub"], claims.get("lng", "")
    if not isinstance(key, str) or not 1 <= len(key) <= _SESSION_CHARS + 10:
        raise jwt.InvalidTokenError("bad subject")
    if not isinstance(language, str):
        language = ""
    return WidgetSession(key, language, datetime.fromtimestamp(claims["exp"], UTC))


def bearer(request: Request) -> str | None:
    """The token in ``Authorization: Bearer ...``, if any."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 2048:
        return None
    return token.strip()


def optional_session(request: Request) -> WidgetSession | None:
    """The session of a valid token, or ``None`` when there is none or it is not valid."""
    token = bearer(request)
    if token is None:
        return None
    try:
        return read_token(request.app.state.settings.secret_key, token)
    except jwt.InvalidTokenError:
        return None


def required_session(request: Request) -> WidgetSession:
    """The session of the request's token; 401 (start a new session) otherwise."""
    token = bearer(request)
    if token is None:
        raise HTTPException(
            401, "a widget token is required (Authorization: Bearer ...)",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    try:
        return read_token(request.app.state.settings.secret_key, token)
    except jwt.ExpiredSignatureError:
        reason = "the widget token has expired: start a new session"
    except jwt.InvalidTokenError:
        reason = "the widget token is not valid: start a new session"
    raise HTTPException(401, reason, headers={"WWW-Authenticate": "Bearer"})


SessionToken = Annotated[WidgetSession, Depends(required_session)]
MaybeSessionToken = Annotated[WidgetSession | None, Depends(optional_session)]
