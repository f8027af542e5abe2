"""What each outbox row says (DESIGN.md section 6): texts from the catalogs in the
recipient's language, times in the specialist's zone, the .ics for e-mail, buttons for
the chat, and after a specialist's cancellation the next free times to book instead."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.availability.free import FreeTime
from slotbot.core.business import Business
from slotbot.core.clients import display_phone
from slotbot.core.i18n import Texts, specialist_language
from slotbot.core.notify import chat_actions
from slotbot.core.notify.ics import booking_ics
from slotbot.core.notify.message import Button, Message
from slotbot.core.notify.outbox import Kind
from slotbot.core.notify.reviews import issue_token
from slotbot.core.notify.texts import notify_texts, reminder_promise
from slotbot.core.storage.models import (
    Booking,
    Client,
    Notification,
    NotificationChannel,
    Service,
    Specialist,
)

__all__ = [
    "TO_SPECIALIST",
    "Facts",
    "Links",
    "Offer",
    "calendar_identity",
    "load_facts",
    "offers_after_cancel",
    "render",
]

#: Kinds addressed to the specialist; every other kind goes to the client.
TO_SPECIALIST = frozenset({Kind.NEW_BOOKING, Kind.CANCELLED_BY_CLIENT, Kind.CANCELLED_BY_STAFF})
#: Kinds that tell the client where to come: they carry the shop's address, phone and map.
WITH_ADDRESS = frozenset({Kind.CONFIRMATION, Kind.REMINDER_24H, Kind.REMINDER_2H})


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a row about one booking needs, loaded once per batch."""

    booking: Booking
    client: Client
    specialist: Specialist
    service: Service

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.specialist.timezone)


@dataclass(frozen=True, slots=True)
class Links:
    """Where links in messages point and how chat buttons are made."""

    public_url: str = ""
    secret_key: str = ""
    organizer: str = "slotbot@localhost"
    #: send the dialog's out-of-band buttons (chat_actions); off until the dialog takes them
    chat_buttons: bool = False

    def url(self, path: str, **query: str) -> str:
        base = self.public_url.rstrip("/")
        return f"{base}{path}?{urlencode(query)}" if query else f"{base}{path}"


@dataclass(frozen=True, slots=True)
class Offer:
    """A free time to book instead of a cancelled one."""

    specialist_id: int
    specialist_name: str
    start: datetime


async def load_facts(session: AsyncSession, booking_ids: Sequence[int]) -> dict[int, Facts]:
    """The booking, client, specialist and service of each id, in one query."""
    if not booking_ids:
        return {}
    rows = await session.execute(
        select(Booking, Client, Specialist, Service)
        .join(Client, Client.id == Booking.client_id)
        .join(Specialist, Specialist.id == Booking.specialist_id)
        .join(Service, Service.id == Booking.service_id)
        .where(Booking.id.in_(set(booking_ids)))
    )
    return {b.id: Facts(b, c, p, s) for b, c, p, s in rows}


async def calendar_identity(session: AsyncSession, booking_id: int) -> tuple[int, int]:
    """The calendar entry of a booking: the first booking of its chain of moves (whose id
    makes the UID) and how many times it was moved (the SEQUENCE)."""
    root, sequence = booking_id, 0
    for _hop in range(50):
        payloads = await session.scalars(
            select(Notification.payload)
            .where(
                Notification.booking_id == root,
                Notification.kind.in_([Kind.CONFIRMATION, Kind.NEW_BOOKING]),
            )
            .limit(1)
        )
        payload = payloads.first() or {}
        earlier = payload.get("rescheduled_from")
        if not isinstance(earlier, int):
            break
        root, sequence = earlier, sequence + 1
    return root, sequence


async def offers_after_cancel(session: AsyncSession, facts: Facts, now: datetime) -> list[Offer]:
    """The specialist's next free times (not the cancelled one) and the substitutes'
    first ones: what a client whose booking the specialist cancelled can take instead
    (none overlapping the client's other bookings)."""
    specialist, service = facts.specialist, facts.service
    free = FreeTime(session, now=now, client_id=facts.client.id)
    own = await free.upcoming(service.id, [specialist.id], after=now, limit=4)
    offers = [
        Offer(specialist.id, specialist.name, slot.start)
        for slot in own
        if slot.start != facts.booking.starts_at
    ][:3]
    others = await free.substitutes(specialist.id, service.id)
    names = {
        sid: name for sid, name in await session.execute(select(Specialist.id, Specialist.name))
    }
    offers += [
        Offer(sub.specialist_id, names.get(sub.specialist_id, ""), sub.first_slot.start)
        for sub in others
        if sub.first_slot is not None
    ][:3]
    return offers


def _locale(row: Notification, facts: Facts) -> str:
    if row.kind in TO_SPECIALIST:
        return specialist_language(facts.specialist.locale, facts.specialist.chat_locale)
    return facts.client.locale


def _service(facts: Facts, t: Texts) -> str:
    names: dict[str, str] = facts.service.name
    return names.get(t.locale) or names.get("en") or next(iter(names.values()), "")


def _lines(
    row: Notification, facts: Facts, t: Texts, offers: Sequence[Offer], business: Business
) -> list[str]:
    """The message's text, line by line (the first line doubles as the e-mail subject)."""
    _ = t.gettext
    fields = {
        "service": _service(facts, t),
        "specialist": facts.specialist.name,
        "client": facts.client.name or _("a client"),
        "when": t.when(facts.booking.starts_at, facts.zone),
        "zone": t.zone_name(facts.zone, facts.booking.starts_at),
    }
    payload: dict[str, Any] = row.payload or {}
    moved = bool(payload.get("rescheduled_from"))
    reason = payload.get("reason")
    kind = row.kind
    if kind == Kind.CONFIRMATION:
        first = _("Your booking is moved") if moved else _("Your booking is confirmed")
        lines = [first, _("{service} with {specialist}, {when} ({zone}).")]
        promise = reminder_promise(t, facts.booking.starts_at, facts.client, now=row.due_at)
        lines += [promise] if promise else []
    elif kind == Kind.NEW_BOOKING:
        first = _("A booking was moved") if moved else _("New booking")
        lines = [first, _("{service}, {client}, {when}.")]
        previous = _previous_start(payload)
        if moved and previous is not None:
            lines.append(_("Before: {when}.").format(when=t.when(previous, facts.zone)))
        if facts.client.phone:
            lines.append(_("Phone: {phone}").format(phone=display_phone(facts.client.phone)))
    elif kind == Kind.REMINDER_24H:
        lines = [_("Reminder: tomorrow"), _("{service} with {specialist}, {when} ({zone}).")]
    elif kind == Kind.REMINDER_2H:
        lines = [_("Reminder: in 2 hours"), _("{service} with {specialist}, {when} ({zone}).")]
    elif kind == Kind.REVIEW_REQUEST:
        lines = [
            _("How was your visit?"),
            _("{service} with {specialist}, {when}. Please rate it from 1 to 5 stars."),
        ]
    elif kind == Kind.CANCELLED_BY_CLIENT:
        lines = [_("A client cancelled"), _("{service}, {client}, {when}.")]
    elif kind == Kind.CANCELLED_BY_STAFF:
        lines = [_("A booking was cancelled by the staff"), _("{service}, {client}, {when}.")]
    elif kind == Kind.CANCELLED_BY_SPECIALIST:
        lines = [
            _("Your booking is cancelled"),
            _("{specialist} had to cancel {service}, {when}. We are sorry."),
        ]
        if offers:
            lines.append(_("Free times you can book instead:"))
            lines += [f"• {t.at_start(t.when(o.start, facts.zone))} · {o.specialist_name}"
                      for o in offers]  # fmt: skip
    else:
        lines = [kind]
    if reason and kind in (Kind.CANCELLED_BY_CLIENT, Kind.CANCELLED_BY_STAFF,
                           Kind.CANCELLED_BY_SPECIALIST) and reason != "rescheduled":  # fmt: skip
        lines.insert(2, _("Reason: {reason}").format(reason=reason))
    lines = [line.format(**fields) if "{" in line else line for line in lines]
    return lines + business.lines(t) if kind in WITH_ADDRESS else lines


def _previous_start(payload: dict[str, Any]) -> datetime | None:
    """The former start of a moved booking, as its confirmation's payload keeps it."""
    value = payload.get("previous_start")
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _links(
    row: Notification, facts: Facts, t: Texts, links: Links, now: datetime, business: Business
) -> list[tuple[str, str]]:
    """(label, url) pairs for e-mail (and SMS but the map): the review page, the booking
    widget, the way to the shop."""
    _ = t.gettext
    if row.kind in WITH_ADDRESS and business.map_url and row.channel == NotificationChannel.EMAIL:
        return [(_("Map"), business.map_url)]
    if not links.public_url:
        return []
    if row.kind == Kind.REVIEW_REQUEST and links.secret_key:
        token = issue_token(secret=links.secret_key, booking_id=facts.booking.id, now=now)
        return [(_("Leave a review"), links.url("/review", token=token))]
    if row.kind == Kind.CANCELLED_BY_SPECIALIST:
        return [(_("Book another time"), links.url("/", service=facts.service.key))]
    return []


def _buttons(
    row: Notification, facts: Facts, t: Texts, links: Links, offers: Sequence[Offer],
    now: datetime, business: Business,
) -> tuple[tuple[Button, ...], ...]:  # fmt: skip
    buttons = _chat_buttons(row, facts, t, links, offers, now)
    if row.kind in WITH_ADDRESS and business.map_url:
        buttons += ((Button(t.gettext("Map"), url=business.map_url),),)
    return buttons


def _chat_buttons(
    row: Notification, facts: Facts, t: Texts, links: Links, offers: Sequence[Offer],
    now: datetime,
) -> tuple[tuple[Button, ...], ...]:  # fmt: skip
    _ = t.gettext
    booking_id = facts.booking.id
    if row.kind in (Kind.REMINDER_24H, Kind.REMINDER_2H) and links.chat_buttons:
        return (
            (Button(_("I'll come"), chat_actions.come(booking_id)),),
            (
                Button(_("Reschedule"), chat_actions.reschedule(booking_id)),
                Button(_("Cancel booking"), chat_actions.cancel(booking_id)),
            ),
        )
    if row.kind == Kind.REVIEW_REQUEST:
        if links.chat_buttons:
            return (tuple(Button("★" * n, chat_actions.rate(booking_id, n)) for n in range(1, 6)),)
        if links.public_url and links.secret_key:
            token = issue_token(secret=links.secret_key, booking_id=booking_id, now=now)
            return (
                tuple(
                    Button("★" * n, url=links.url("/review", token=token, rating=str(n)))
                    for n in range(1, 6)
                ),
            )
    if row.kind == Kind.NEW_BOOKING and links.chat_buttons:
        return (
            (
                Button(_("Open"), chat_actions.specialist_booking(booking_id)),
                Button(_("Cancel booking"), chat_actions.specialist_cancel(booking_id)),
            ),
        )
    if row.kind == Kind.CANCELLED_BY_SPECIALIST and links.chat_buttons:
        return tuple(
            (
                Button(
                    f"{t.at_start(t.when(o.start, facts.zone))} · {o.specialist_name}",
                    chat_actions.book_slot(o.specialist_id, facts.service.id, o.start),
                ),
            )
            for o in offers
        )
    return ()


def _calendar(
    row: Notification, facts: Facts, t: Texts, identity: tuple[int, int], now: datetime,
    links: Links, business: Business,
) -> tuple[bytes | None, str]:  # fmt: skip
    """The .ics of an e-mail: an invitation for a confirmation, the specialist's copy of a
    new booking, a cancellation of the same entry otherwise."""
    if row.channel != NotificationChannel.EMAIL:
        return None, ""
    if row.kind == Kind.CONFIRMATION:
        method = "REQUEST"
    elif row.kind == Kind.NEW_BOOKING:
        method = "PUBLISH"
    elif row.kind in (Kind.CANCELLED_BY_CLIENT, Kind.CANCELLED_BY_STAFF,
                      Kind.CANCELLED_BY_SPECIALIST):  # fmt: skip
        method = "CANCEL"
    else:
        return None, ""
    root, sequence = identity
    booking = facts.booking
    data = booking_ics(
        booking_id=root,
        start=booking.starts_at,
        end=booking.ends_at,
        summary=f"{_service(facts, t)} · {facts.specialist.name}",
        now=now,
        method=method,
        sequence=sequence + (1 if method == "CANCEL" else 0),
        organizer=links.organizer,
        attendee=row.recipient if method == "REQUEST" else None,
        location=business.location(t.locale),
        description=business.details(t),
    )
    return data, method


def _html(lines: Sequence[str], links: Sequence[tuple[str, str]]) -> str:
    head, *rest = lines
    body = [f"<p><strong>{html.escape(head)}</strong></p>"]
    body += [f"<p>{html.escape(line)}</p>" for line in rest]
    body += [f'<p><a href="{html.escape(url)}">{html.escape(text)}</a></p>' for text, url in links]
    return "<!doctype html><html><body>" + "".join(body) + "</body></html>"


def render(
    row: Notification,
    facts: Facts,
    *,
    links: Links,
    now: datetime,
    offers: Sequence[Offer] = (),
    identity: tuple[int, int] | None = None,
    business: Business | None = None,
) -> Message:
    """The message an outbox row stands for, in its recipient's language."""
    business = business or Business()
    t = notify_texts(_locale(row, facts))
    lines = _lines(row, facts, t, offers, business)
    urls = (
        _links(row, facts, t, links, now, business)
        if row.channel != NotificationChannel.TELEGRAM
        else []
    )
    text_lines = [*lines, *(f"{label}: {url}" for label, url in urls)]
    identity = identity or (facts.booking.id, 0)
    calendar, method = _calendar(row, facts, t, identity, now, links, business)
    buttons = (
        _buttons(row, facts, t, links, offers, now, business)
        if row.channel == NotificationChannel.TELEGRAM
        else ()
    )
    separator = " " if row.channel == NotificationChannel.SMS else "\n"
    text = separator.join(text_lines)
    return Message(
        id=row.id,
        kind=row.kind,
        channel=row.channel,
        recipient=row.recipient,
        locale=t.locale,
        subject=lines[0],
        text=text,
        html=_html(lines, urls) if row.channel == NotificationChannel.EMAIL else "",
        buttons=buttons,
        calendar=calendar,
        calendar_method=method,
    )
