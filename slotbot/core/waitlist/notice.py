"""What a waiting-list offer says, decided when it is sent.

The matching job records which freed times an entry is offered; the dispatcher asks here, at
send time, which of them are still free for the client (free in the shop, clear of the
client's own bookings, the entry still live and the service not booked meanwhile). A row with
none left is cancelled, never sent: a time already taken again is never offered. The times
left are buttons that hold them in the chat (Telegram, the widget's log) and signed links
(:mod:`.links`) by SMS and e-mail.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from slotbot.core.i18n import Texts
from slotbot.core.notify import chat_actions
from slotbot.core.notify.message import Button, Message
from slotbot.core.notify.texts import notify_texts
from slotbot.core.storage.models import (
    Client,
    Notification,
    NotificationChannel,
    Service,
    Specialist,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOfferStatus,
)
from slotbot.core.waitlist.entries import WINDOWS, Waiting, waiting
from slotbot.core.waitlist.free import clear_of, free_slots, own_time
from slotbot.core.waitlist.links import slot_token

__all__ = ["OfferNotice", "OfferTime", "entry_line", "load_notices", "render_offer"]

#: Times an SMS carries a link for (each link is long).
SMS_LINKS = 2


@dataclass(frozen=True, slots=True)
class OfferTime:
    offer_id: int
    specialist_id: int
    specialist_name: str
    start: datetime


@dataclass(frozen=True, slots=True)
class OfferNotice:
    """An offer row's entry, client and service, and its times still free at send time."""

    entry: Waiting
    client: Client
    service: Service
    times: tuple[OfferTime, ...]


def _service_name(service: Service, locale: str) -> str:
    names: dict[str, str] = service.name
    return names.get(locale) or names.get("en") or next(iter(names.values()), "")


def entry_line(t: Texts, entry: Waiting, service: str, specialist: str | None) -> str:
    """``Haircut with Anna Petrova · Fri, Dec 4 · mornings``: what an entry waits for."""
    _ = t.gettext
    who = (
        _("{service} with {name}").format(service=service, name=specialist)
        if specialist
        else _("{service} with anyone available").format(service=service)
    )
    if entry.first_day == entry.last_day:
        days = t.day(entry.first_day)
    else:
        days = _("{first} to {last}").format(
            first=t.day(entry.first_day), last=t.day(entry.last_day)
        )
    if entry.window is None:
        hours = _("any time")
    else:
        named = {window: name for name, window in WINDOWS.items()}.get(entry.window)
        hours = {
            "morning": _("mornings"),
            "afternoon": _("afternoons"),
            "evening": _("evenings"),
        }.get(named or "", "")
        if not hours:
            zone = entry.zone
            start, end = (datetime.combine(entry.first_day, w, zone) for w in entry.window)
            opened, closed = t.time(start, zone), t.time(end, zone)
            if entry.window[1] >= time(23, 59):
                hours = _("from {start}").format(start=opened)
            elif entry.window[0] == time(0):
                hours = _("until {end}").format(end=closed)
            else:
                hours = _("from {start} to {end}").format(start=opened, end=closed)
    return " · ".join([who, t.at_start(days), hours])


async def load_notices(
    session: AsyncSession, rows: Sequence[Notification], now: datetime
) -> dict[int, OfferNotice | str]:
    """For each offer row, its notice with the times still free, or why it is not sent."""
    found: dict[int, OfferNotice | str] = {}
    by_entry: dict[int, OfferNotice | str] = {}
    for row in rows:
        payload = row.payload or {}
        entry_id, offer_ids = payload.get("entry"), payload.get("offers")
        if not isinstance(entry_id, int) or not isinstance(offer_ids, list):
            found[row.id] = "not a waiting-list offer"
            continue
        if entry_id not in by_entry:
            by_entry[entry_id] = await _notice(session, entry_id, now)
        notice = by_entry[entry_id]
        if isinstance(notice, str):
            found[row.id] = notice
            continue
        times = tuple(t for t in notice.times if t.offer_id in offer_ids)
        found[row.id] = (
            OfferNotice(notice.entry, notice.client, notice.service, times)
            if times
            else "the times offered were taken meanwhile"
        )
    return found


async def _notice(session: AsyncSession, entry_id: int, now: datetime) -> OfferNotice | str:
    row = await session.get(WaitlistEntry, entry_id)
    if row is None or row.ended_at is not None:
        return f"the entry ended ({row.end_reason if row else 'gone'})"
    entry = waiting(row)
    if entry.passed(now):
        return "the entry's range is over"
    client = await session.get(Client, entry.client_id)
    service = await session.get(Service, entry.service_id)
    assert client is not None and service is not None  # foreign keys
    offers = (
        await session.scalars(
            select(WaitlistOffer)
            .where(
                WaitlistOffer.entry_id == entry.id,
                WaitlistOffer.status == WaitlistOfferStatus.OFFERED,
                WaitlistOffer.starts_at > now,
            )
            .order_by(WaitlistOffer.starts_at)
        )
    ).all()
    if not offers:
        return "the times offered have passed"
    slots = await free_slots(
        session, service_id=entry.service_id, specialist_id=entry.specialist_id,
        first=entry.first_day, last=entry.last_day, now=now,
    )  # fmt: skip
    free = {s.start: s for s in clear_of(slots, await own_time(session, client.id, now))}
    names = dict((await session.execute(select(Specialist.id, Specialist.name))).all())
    times = tuple(
        OfferTime(o.id, o.specialist_id, names.get(o.specialist_id, ""), o.starts_at)
        for o in offers
        if o.starts_at in free and o.specialist_id in free[o.starts_at].specialist_ids
    )
    return OfferNotice(entry, client, service, times)


def render_offer(
    row: Notification, notice: OfferNotice, *, public_url: str, secret_key: str, now: datetime
) -> Message:
    """The offer in the client's language: buttons in a chat, links by SMS and e-mail."""
    t = notify_texts(notice.client.locale)
    _ = t.gettext
    zone: ZoneInfo = notice.entry.zone
    service = _service_name(notice.service, t.locale)
    times = notice.times
    head = t.ngettext("A time has freed up", "Times have freed up", len(times))
    chat = row.channel in (NotificationChannel.TELEGRAM, NotificationChannel.WEB)
    intro = [
        head,
        _("You are on the waiting list for {service}. Whoever takes a time first gets it.")
        .format(service=service),
    ]  # fmt: skip
    listed: list[str] = []  # times without a link (SMS keeps to a few links)
    links: list[tuple[str, str]] = []
    if not chat:
        for time_ in times:
            label = f"{t.at_start(t.when(time_.start, zone))} · {time_.specialist_name}"
            url = _link(public_url, secret_key, notice, time_, now)
            if url and (row.channel != NotificationChannel.SMS or len(links) < SMS_LINKS):
                links.append((label, url))
            else:
                listed.append(f"• {label}")
        if not public_url:
            listed.append(_("Open our booking chat to take it."))
    outro = [
        _("Time zone: {zone}.").format(zone=t.zone_name(zone, times[0].start)),
        _("To stop these messages, leave the waiting list under My bookings."),
    ]
    lines = [*intro, *listed, *outro]
    text_lines = [*intro, *(f"{label}: {url}" for label, url in links), *listed, *outro]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if chat:
        buttons = tuple(
            (
                Button(
                    f"{t.at_start(t.when(x.start, zone))} · {x.specialist_name}",
                    chat_actions.waitlist_offer(x.offer_id),
                ),
            )
            for x in times
        )
    separator = " " if row.channel == NotificationChannel.SMS else "\n"
    return Message(
        id=row.id, kind=row.kind, channel=row.channel, recipient=row.recipient, locale=t.locale,
        subject=head, text=separator.join(text_lines),
        html=_html(lines, links) if row.channel == NotificationChannel.EMAIL else "",
        buttons=buttons,
    )  # fmt: skip


def _link(
    public_url: str, secret_key: str, notice: OfferNotice, time_: OfferTime, now: datetime
) -> str:
    if not public_url or not secret_key:
        return ""
    token = slot_token(
        secret_key, specialist_id=time_.specialist_id, service_id=notice.service.id,
        start=time_.start, now=now,
    )  # fmt: skip
    return f"{public_url.rstrip('/')}/?slot={token}"


def _html(lines: Sequence[str], links: Sequence[tuple[str, str]]) -> str:
    head, *rest = lines
    body = [f"<p><strong>{html.escape(head)}</strong></p>"]
    body += [f"<p>{html.escape(line)}</p>" for line in rest]
    body += [
        f'<p><a href="{html.escape(url)}">{html.escape(label)}</a></p>' for label, url in links
    ]
    return "<!doctype html><html><body>" + "".join(body) + "</body></html>"
