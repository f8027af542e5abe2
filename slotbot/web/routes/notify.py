"""Notification pages: the review form behind an e-mailed link, signed SMS delivery
callbacks, and in development the ``/outbox`` page of every message the system sent or
would send."""

from __future__ import annotations

import html
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from slotbot.core.limits import InvalidInput
from slotbot.core.notify.reviews import ReviewRefused, TokenProblem, read_token, submit
from slotbot.core.notify.sms import record_status, valid_signature
from slotbot.core.settings import Settings
from slotbot.core.storage.models import Booking, Notification, Review, Specialist
from slotbot.web.deps import NowDep, SessionDep
from slotbot.web.guards import from_this_computer
from slotbot.web.log_privacy import review_token

router = APIRouter()

PROBLEMS = {
    TokenProblem.EXPIRED: (410, "This review link has expired", "Review links work for 7 days."),
    TokenProblem.INVALID: (400, "This review link is not valid", "Please use the link exactly as "
                           "it came in the e-mail."),
    TokenProblem.USED: (409, "This review was already given", "Thank you: we have your review."),
    TokenProblem.NOT_REVIEWABLE: (404, "This visit cannot be reviewed",
                                  "The booking was cancelled or has not taken place."),
}  # fmt: skip


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title></head><body style='font-family:sans-serif;"
        f"max-width:40em;margin:2em auto'><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


def _problem(problem: TokenProblem) -> HTMLResponse:
    status, title, text = PROBLEMS[problem]
    return _page(title, f"<p>{html.escape(text)}</p>", status)


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body())[:20_000]
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


@router.get("/review", response_class=HTMLResponse)
async def review_form(
    request: Request, session: SessionDep, now: NowDep, rating: str = ""
) -> HTMLResponse:
    """The review form a link (``/review?token=...``) opens; a bad or spent link gets a page
    saying so. The token never reaches the access log (``log_privacy``)."""
    settings: Settings = request.app.state.settings
    token = review_token(request)
    try:
        claims = read_token(token, secret=settings.secret_key, now=now)
    except ReviewRefused as refused:
        return _problem(refused.problem)
    if await session.scalar(select(Review.id).where(Review.booking_id == claims.booking_id)):
        return _problem(TokenProblem.USED)
    found = await session.execute(
        select(Booking.starts_at, Specialist.name)
        .join(Specialist, Specialist.id == Booking.specialist_id)
        .where(Booking.id == claims.booking_id)
    )
    visit = found.first()
    if visit is None:
        return _problem(TokenProblem.NOT_REVIEWABLE)
    chosen = int(rating) if rating in {"1", "2", "3", "4", "5"} else 5
    stars = "".join(
        f"<label><input type='radio' name='rating' value='{n}'"
        f"{' checked' if n == chosen else ''}> {'★' * n}</label><br>"
        for n in range(5, 0, -1)
    )
    return _page(
        "How was your visit?",
        f"<p>Your visit to {html.escape(visit.name)}.</p>"
        "<form method='post' action='review'>"
        f"<input type='hidden' name='token' value='{html.escape(token)}'>{stars}"
        "<p><label>Comment (optional)<br><textarea name='comment' rows='4' cols='40' "
        "maxlength='1000'></textarea></label></p><button type='submit'>Send</button></form>",
    )


@router.post("/review", response_class=HTMLResponse)
async def review_submit(request: Request, now: NowDep) -> HTMLResponse:
    """Store a review once; every refusal is a page, never an error trace."""
    settings: Settings = request.app.state.settings
    form = await _form(request)
    rating = form.get("rating", "")
    if rating not in {"1", "2", "3", "4", "5"}:
        return _page("Please choose 1 to 5 stars", "<p>Go back and pick a rating.</p>", 422)
    try:
        await submit(
            request.app.state.engine, token=form.get("token", ""), secret=settings.secret_key,
            rating=int(rating), comment=form.get("comment") or None, now=now,
        )  # fmt: skip
    except ReviewRefused as refused:
        return _problem(refused.problem)
    except InvalidInput as error:
        return _page("Please shorten your comment", f"<p>{html.escape(str(error))}</p>", 422)
    return _page("Thank you!", "<p>Your review has been saved.</p>")


@router.post("/sms/status")
async def sms_status(request: Request) -> Response:
    """A delivery status from the SMS provider, taken only with a valid signature."""
    settings: Settings = request.app.state.settings
    form = await _form(request)
    if settings.public_url:
        url = settings.public_url.rstrip("/") + request.url.path
        if request.url.query:
            url += "?" + request.url.query
    else:
        url = str(request.url)
    given = request.headers.get("X-Twilio-Signature", "")
    if not valid_signature(url, form, settings.sms_auth_token, given):
        return Response("invalid signature", status_code=403, media_type="text/plain")
    sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
    if sid and status:
        await record_status(
            request.app.state.engine, provider_id=sid, status=status,
            error_code=form.get("ErrorCode") or None,
        )  # fmt: skip
    return Response(status_code=204)


@router.get("/outbox", response_class=HTMLResponse, include_in_schema=False)
async def outbox(request: Request, session: SessionDep) -> HTMLResponse:
    """The newest 300 outbox rows with the text each one carried: in development, for a
    browser on this computer only; anyone else gets the 404 of a page that is not there."""
    settings: Settings = request.app.state.settings
    if settings.environment != "development" or not from_this_computer(request):
        raise HTTPException(404, "Not Found")
    rows = await session.scalars(select(Notification).order_by(Notification.id.desc()).limit(300))
    cells = []
    for row in rows:
        values = (
            row.id, row.due_at.isoformat(timespec="minutes"), row.kind, row.channel,
            row.recipient, row.status, row.delivery_status or "", row.body or "",
            row.last_error or "",
        )  # fmt: skip
        cells.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in values) + "</tr>")
    head = "".join(
        f"<th>{h}</th>"
        for h in ("#", "due", "kind", "channel", "to", "status", "delivery", "text", "error")
    )
    return _page(
        "Outbox",
        "<p>Every message the system sent or would send; a channel that is not configured "
        "shows its messages here (delivery: outbox page).</p>"
        f"<table border='1' cellpadding='4' style='border-collapse:collapse;white-space:pre-wrap'>"
        f"<tr>{head}</tr>{''.join(cells)}</table>",
    )
