"""The specialist's side: the day's agenda with free gaps and how many clients wait for the
day (the waiting list), the week, one booking (call the client, cancel with a reason, mark
a no-show)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from slotbot.core import booking
from slotbot.core.booking import BookingRefused
from slotbot.core.booking.agenda import AgendaDay, agenda
from slotbot.core.clients import display_phone
from slotbot.core.storage.models import Booking, BookingStatus, Client, Service
from slotbot.core.waitlist.entries import waiting_counts
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Expect, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.widgets import back_row

__all__ = ["AGENDA", "REASON", "S_BOOKING", "S_CANCEL", "WEEK", "agenda_day", "what_became_of"]


def agenda_day(ctx: Context, flow: Flow) -> date:
    """The day the agenda shows (today in the specialist's zone by default)."""
    return flow.picked_day() or ctx.now.astimezone(ctx.own_zone).date()


def _day_lines(ctx: Context, day: AgendaDay) -> list[str]:
    _ = ctx.texts.gettext
    t, zone = ctx.texts, ctx.own_zone
    statuses: dict[str, str] = {
        BookingStatus.COMPLETED: _("done"),
        BookingStatus.NO_SHOW: _("did not come"),
    }
    entries: list[tuple[datetime, str]] = []
    for item in day.items:
        service = item.service_names.get(ctx.locale) or item.service_names.get("en", "")
        who = item.client_name or _("a client")
        mark = f" ({statuses[item.status]})" if item.status in statuses else ""
        line = f"{t.time(item.starts_at, zone)}–{t.time(item.ends_at, zone)} {service}, {who}"
        entries.append((item.starts_at, line + mark))
    for gap in day.gaps:
        free = _("free")
        entries.append((gap.start, f"{t.time(gap.start, zone)}–{t.time(gap.end, zone)} · {free}"))
    entries.sort(key=lambda e: e[0])
    if not day.working and not day.items:
        return [_("Not working.")]
    return [line for _when, line in entries] or [_("Nothing booked.")]


async def _waiting(ctx: Context, first: date, last: date) -> dict[date, int]:
    """How many clients wait for each day with this specialist (the waiting list)."""
    calendar = ctx.directory.catalog.calendars.get(ctx.specialist_id or 0)
    return await waiting_counts(
        ctx.session, specialist_id=ctx.specialist_id or 0,
        service_ids=calendar.service_ids if calendar else frozenset(), first=first, last=last,
    )  # fmt: skip


def _waiting_line(ctx: Context, count: int) -> str:
    return ctx.texts.ngettext(
        "⏳ {count} client is waiting for time to free up this day.",
        "⏳ {count} clients are waiting for time to free up this day.",
        count,
    ).format(count=count)


async def render_agenda(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    day = agenda_day(ctx, flow)
    [shown] = await agenda(ctx.session, ctx.specialist_id or 0, day, day, zone=ctx.own_zone)
    title = _("{day} ({zone}):").format(
        day=ctx.texts.at_start(ctx.texts.long_day(day)), zone=ctx.own_zone.key
    )
    waiting = (await _waiting(ctx, day, day)).get(day, 0)
    if waiting:
        title = f"{title}\n{_waiting_line(ctx, waiting)}"
    rows: list[tuple[Button, ...]] = []
    for item in shown.items:
        if item.status == BookingStatus.CONFIRMED:
            label = f"{ctx.texts.time(item.starts_at, ctx.own_zone)} · {item.client_name or '?'}"
            rows.append((Button(label, ctx.act("ab", item.booking_id)),))
    previous, following, t = day - timedelta(days=1), day + timedelta(days=1), ctx.texts
    rows.append(
        (
            Button(f"‹ {t.at_start(t.day(previous))}", ctx.act("ad", f"{previous:%Y%m%d}")),
            Button(f"{t.at_start(t.day(following))} ›", ctx.act("ad", f"{following:%Y%m%d}")),
        )
    )
    rows.append((Button(_("Week"), ctx.act("wk")), Button(_("Day off"), ctx.act("off"))))
    rows.append((Button(_("Vacation"), ctx.act("vac")), Button(_("Block time"), ctx.act("blk"))))
    return Screen("\n".join([title, *_day_lines(ctx, shown)]), tuple(rows))


async def press_agenda(ctx: Context, flow: Flow, action: Action) -> None:
    from slotbot.dialogs.steps.time_off import begin

    if action.code == "ad":
        flow.day = _parse_day(action.args[0]).isoformat()
    elif action.code == "ab":
        flow.booking = action.number()
        flow.step = "s_booking"
    elif action.code == "wk":
        flow.step = "week"
    elif action.code in ("off", "vac", "blk"):
        begin(flow, {"off": "day_off", "vac": "vacation", "blk": "block"}[action.code])


def _parse_day(arg: str) -> date:
    return datetime.strptime(arg, "%Y%m%d").date()


async def render_week(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    first = agenda_day(ctx, flow)
    days = await agenda(
        ctx.session, ctx.specialist_id or 0, first, first + timedelta(days=6), zone=ctx.own_zone
    )
    rows: list[tuple[Button, ...]] = []
    waiting = await _waiting(ctx, first, first + timedelta(days=6))
    for day in days:
        booked = sum(1 for i in day.items if i.status == BookingStatus.CONFIRMED)
        named = ctx.texts.at_start(ctx.texts.day(day.day))
        if day.working or booked:
            label = ctx.texts.ngettext(
                "{day} · {count} booking", "{day} · {count} bookings", booked
            ).format(day=named, count=booked)
        else:
            label = _("{day} · not working").format(day=named)
        if waiting.get(day.day):
            label += " · " + ctx.texts.ngettext(
                "{count} waiting", "{count} waiting", waiting[day.day]
            ).format(count=waiting[day.day])
        rows.append((Button(label, ctx.act("ad", day.day.strftime("%Y%m%d"))),))
    rows.append(back_row(ctx))
    return Screen(_week_from(ctx, first), tuple(rows))


def _week_from(ctx: Context, first: date) -> str:
    """``The week from Sunday, December 6, 2026:``, a heading per weekday, as languages
    decline the day after "from" (Russian: "с воскресенья")."""
    _ = ctx.texts.gettext
    headings = (
        _("The week from Monday, {date}:"),
        _("The week from Tuesday, {date}:"),
        _("The week from Wednesday, {date}:"),
        _("The week from Thursday, {date}:"),
        _("The week from Friday, {date}:"),
        _("The week from Saturday, {date}:"),
        _("The week from Sunday, {date}:"),
    )
    return headings[first.weekday()].format(date=ctx.texts.long_date(first))


async def press_week(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "ad":
        flow.day = _parse_day(action.args[0]).isoformat()
    flow.step = "agenda"


async def _own(ctx: Context, flow: Flow) -> tuple[Booking, Client, Service] | None:
    found = await ctx.session.get(Booking, flow.booking or 0, populate_existing=True)
    if found is None or found.specialist_id != ctx.specialist_id:
        return None
    client = await ctx.session.get(Client, found.client_id)
    service = await ctx.session.get(Service, found.service_id)
    assert client is not None and service is not None
    return found, client, service


async def what_became_of(ctx: Context, found: Booking) -> tuple[Booking, str]:
    """The booking a notice about ``found`` stands for now (the one it was moved to, while it
    stays with this specialist) and one line on what became of it (``""``: nothing did)."""
    _ = ctx.texts.gettext
    current = found
    for _hop in range(50):  # a chain of moves
        if current.rescheduled_to is None:
            break
        moved = await ctx.session.get(Booking, current.rescheduled_to, populate_existing=True)
        if moved is None or moved.specialist_id != ctx.specialist_id:
            return current, _("This booking was moved to another specialist.")
        current = moved
    if current.status == BookingStatus.CANCELLED:
        if current.cancel_reason == "rescheduled":
            return current, _("This booking was moved.")
        line = {
            "client": _("The client cancelled this booking."),
            "specialist": _("You cancelled this booking."),
        }.get(current.cancelled_by or "", _("The staff cancelled this booking."))
        if current.cancel_reason:
            line += " " + _("Reason: {reason}").format(reason=current.cancel_reason)
        return current, line
    if current.id != found.id:
        when = ctx.texts.when(current.starts_at, ctx.own_zone)
        return current, _("This booking was moved to {when}.").format(when=when)
    return current, ""


async def render_s_booking(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    own = await _own(ctx, flow)
    if own is None:
        return Screen(_("This booking is no longer active."), (back_row(ctx),))
    found, client, service = own
    zone = ctx.own_zone
    lines = [
        f"{service.name.get(ctx.locale) or service.name.get('en', '')}",
        ctx.texts.at_start(ctx.texts.when(found.starts_at, zone)),
        _("Client: {name}").format(name=client.name or "—"),
        _("Phone: {phone}").format(phone=display_phone(client.phone) if client.phone else "—"),
    ]
    rows: list[tuple[Button, ...]] = []
    if found.status == BookingStatus.CONFIRMED and found.starts_at > ctx.now:
        rows.append((Button(_("Cancel booking"), ctx.act("sc")),))
    if found.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED) and (
        found.starts_at <= ctx.now
    ):
        rows.append((Button(_("Did not come"), ctx.act("ns")),))
    rows.append(back_row(ctx))
    return Screen("\n".join(lines), tuple(rows))


async def press_s_booking(ctx: Context, flow: Flow, action: Action) -> None:
    _ = ctx.texts.gettext
    if action.code == "back":
        flow.step = "agenda"
    elif action.code == "sc":
        flow.step = "s_cancel"
    elif action.code == "ns" and flow.booking is not None:
        try:
            await booking.mark_no_show(
                ctx.engine,
                booking_id=flow.booking,
                now=ctx.now,
                specialist_id=ctx.specialist_id,
                uow=ctx.uow,
            )
            flow.note = _("Marked: did not come.")
        except BookingRefused:
            flow.note = _("This booking can no longer be changed.")
        flow.step = "agenda"


def _reasons(ctx: Context) -> list[str]:
    """The short list of reasons to pick from, in the specialist's language."""
    _ = ctx.texts.gettext
    return [_("Illness"), _("Emergency"), _("Schedule change")]


async def render_s_cancel(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    rows: list[tuple[Button, ...]] = [
        (Button(r, ctx.act("rs", i)),) for i, r in enumerate(_reasons(ctx))
    ]
    rows.append((Button(_("Other reason (type it)"), ctx.act("ro")),))
    rows.append(back_row(ctx))
    text = _("Why is the appointment cancelled? The client will be told and offered other times.")
    return Screen(text, tuple(rows))


async def _cancel(ctx: Context, flow: Flow, reason: str) -> None:
    _ = ctx.texts.gettext
    try:
        await booking.cancel(
            ctx.engine, booking_id=flow.booking or 0, by="specialist", reason=reason,
            now=ctx.now, specialist_id=ctx.specialist_id, uow=ctx.uow,
        )  # fmt: skip
    except (BookingRefused, ValueError):
        flow.note = _("This booking can no longer be cancelled.")
    else:
        flow.note = _("Cancelled. The client is told and offered other times.")
    flow.step = "agenda"


async def press_s_cancel(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "back":
        flow.step = "s_booking"
    elif action.code == "rs" and action.number() < len(_reasons(ctx)):
        await _cancel(ctx, flow, _reasons(ctx)[action.number()])
    elif action.code == "ro":
        flow.step = "reason"


async def render_reason(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    return Screen(_("Type the reason:"), (back_row(ctx),), Expect.TEXT)


async def press_reason(ctx: Context, flow: Flow, action: Action) -> None:
    flow.step = "s_cancel"


async def text_reason(ctx: Context, flow: Flow, text: str) -> None:
    from slotbot.core.limits import REASON_MAX, InvalidInput, check_reason

    _ = ctx.texts.gettext
    try:
        reason = check_reason(" ".join(text.split()))
    except InvalidInput:
        flow.note = ctx.texts.ngettext(
            "Please type a reason of at most {limit} character.",
            "Please type a reason of at most {limit} characters.",
            REASON_MAX,
        ).format(limit=REASON_MAX)
        return
    await _cancel(ctx, flow, reason or "")


AGENDA = Step(render_agenda, press_agenda)
WEEK = Step(render_week, press_week)
S_BOOKING = Step(render_s_booking, press_s_booking)
S_CANCEL = Step(render_s_cancel, press_s_cancel)
REASON = Step(render_reason, press_reason, text_reason)
