"""Reviews: one per booking, asked for a day after the visit.

By e-mail the request carries a link with a signed token (a JWT, HS256: booking id as
``sub``, a ``jti``, the audience :data:`AUDIENCE`, expiring after :data:`TOKEN_DAYS`). A
token is used once: its ``jti`` becomes the review's unique ``token_id``. In the chat the
dialog records a rating for the client's own booking with :func:`submit_for_client`.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import jwt
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.limits import check_comment
from slotbot.core.storage.models import Booking, BookingStatus, Review, Specialist
from slotbot.core.storage.unit_of_work import UnitOfWork, write_session

__all__ = [
    "AUDIENCE",
    "TOKEN_DAYS",
    "ReviewRefused",
    "SpecialistRatings",
    "TokenClaims",
    "TokenProblem",
    "issue_token",
    "ratings",
    "read_token",
    "submit",
    "submit_for_client",
]

AUDIENCE = "slotbot:review"
TOKEN_DAYS = 7
ALGORITHM = "HS256"


class TokenProblem(enum.StrEnum):
    """Why a review cannot be taken; each is said to the person plainly."""

    EXPIRED = "expired"
    INVALID = "invalid"  # forged, tampered, for another audience, malformed
    USED = "used"  # this link, or another for the same booking, was used already
    NOT_REVIEWABLE = "not_reviewable"  # the booking is gone or did not take place


class ReviewRefused(Exception):
    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class TokenClaims:
    booking_id: int
    jti: str


def issue_token(*, secret: str, booking_id: int, now: datetime) -> str:
    """A review link's token for ``booking_id``, valid for :data:`TOKEN_DAYS` from ``now``."""
    claims = {
        "sub": str(booking_id),
        "jti": uuid.uuid4().hex,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(days=TOKEN_DAYS)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, *, secret: str, now: datetime) -> TokenClaims:
    """The claims of a valid, unexpired token; :class:`ReviewRefused` otherwise.

    Only HS256 is accepted (never ``none`` or whatever the header asks for); expiry is
    checked against ``now``.
    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            # expiry against ``now``, not the wall clock; iat is informational
            options={
                "require": ["exp", "jti", "aud", "sub"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
        booking_id = int(claims["sub"])
        jti = str(claims["jti"])
        expires = int(claims["exp"])
    except (jwt.InvalidTokenError, ValueError, TypeError, KeyError):
        raise ReviewRefused(TokenProblem.INVALID) from None
    if not 0 < len(jti) <= 64:
        raise ReviewRefused(TokenProblem.INVALID)
    if expires <= now.timestamp():
        raise ReviewRefused(TokenProblem.EXPIRED)
    return TokenClaims(booking_id, jti)


def _reviewable(booking: Booking | None, now: datetime) -> bool:
    if booking is None:
        return False
    return booking.status == BookingStatus.COMPLETED or (
        booking.status == BookingStatus.CONFIRMED and booking.ends_at <= now
    )


async def _store(
    engine: AsyncEngine,
    *,
    booking_id: int,
    token_id: str,
    rating: int,
    comment: str | None,
    now: datetime,
    client_id: int | None = None,
    uow: UnitOfWork | None = None,
) -> Review:
    if not 1 <= rating <= 5:
        raise ValueError("a rating is 1 to 5 stars")
    comment = check_comment(comment)
    try:
        async with write_session(engine, uow) as session:
            booking = await session.get(Booking, booking_id)
            if not _reviewable(booking, now) or (
                client_id is not None and booking is not None and booking.client_id != client_id
            ):
                raise ReviewRefused(TokenProblem.NOT_REVIEWABLE)
            review = Review(
                booking_id=booking_id,
                rating=rating,
                comment=comment,
                token_id=token_id,
                created_at=now,
            )
            session.add(review)
            await session.flush()
            return review
    except IntegrityError:  # the token's jti, or the booking's one review, is taken
        raise ReviewRefused(TokenProblem.USED) from None


async def submit(
    engine: AsyncEngine,
    *,
    token: str,
    secret: str,
    rating: int,
    comment: str | None,
    now: datetime,
) -> Review:
    """Store the review a link's token allows; the token is spent."""
    claims = read_token(token, secret=secret, now=now)
    return await _store(
        engine,
        booking_id=claims.booking_id,
        token_id=claims.jti,
        rating=rating,
        comment=comment,
        now=now,
    )


async def submit_for_client(
    engine: AsyncEngine,
    *,
    booking_id: int,
    client_id: int,
    rating: int,
    comment: str | None,
    now: datetime,
    uow: UnitOfWork | None = None,
) -> Review:
    """Store a review given in the chat for the client's own past booking (once)."""
    return await _store(
        engine,
        booking_id=booking_id,
        token_id=f"chat-{booking_id}",
        rating=rating,
        comment=comment,
        now=now,
        client_id=client_id,
        uow=uow,
    )


async def is_used(session: AsyncSession, booking_id: int) -> bool:
    """Whether the booking already has its review."""
    found = await session.scalar(select(Review.id).where(Review.booking_id == booking_id))
    return found is not None


@dataclass(frozen=True, slots=True)
class SpecialistRatings:
    key: str
    name: str
    count: int
    average: Decimal | None  # rounded to two places; None without reviews
    stars: tuple[int, int, int, int, int]  # how many of 1..5


async def ratings(session: AsyncSession) -> list[SpecialistRatings]:
    """Every specialist's reviews: count, average and the spread of stars."""
    rows = await session.execute(
        select(Specialist.key, Specialist.name, Review.rating, func.count())
        .select_from(Specialist)
        .outerjoin(Booking, Booking.specialist_id == Specialist.id)
        .outerjoin(Review, Review.booking_id == Booking.id)
        .group_by(Specialist.key, Specialist.name, Review.rating)
        .order_by(Specialist.key)
    )
    spread: dict[tuple[str, str], list[int]] = {}
    for key, name, rating, count in rows:
        stars = spread.setdefault((key, name), [0] * 5)
        if rating is not None:
            stars[rating - 1] += count
    found = []
    for (key, name), stars in spread.items():
        total = sum(stars)
        average = None
        if total:
            mean = Decimal(sum((i + 1) * n for i, n in enumerate(stars))) / total
            average = mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        found.append(SpecialistRatings(key, name, total, average, tuple(stars)))  # type: ignore[arg-type]
    return found
