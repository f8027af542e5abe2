"""The waiting list in the conversation (``core.waitlist``).

- Where nothing suits (a day's times, a day with none left, a booked-up day on the calendar,
  a specialist or a service with no free time soon) a button says "Tell me if something frees
  up": one press puts the client on the list for what the screen was about (that day, or the
  week ahead when no day was picked); a client the shop cannot reach yet (no chat of ours and
  no phone number) is asked for their number next.
- The "waiting" screen shows the entry and changes it: that day or the week, this specialist
  or anyone, a part of the day or hours typed in, or leaving the list.
- My bookings lists the entries, each opened or left with one press (:func:`waiting_rows`).
- A freed time arrives as a chat button (:func:`take_offer`) or an SMS or e-mail link
  (:func:`open_slot_link`): either holds the time under the same rules as any time picked in
  the chat; a time someone else took first is said in one line with the next free times.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from slotbot.core.clients import ClientDetails
from slotbot.core.waitlist import entries
from slotbot.core.waitlist.entries import WINDOWS, Waiting, WaitlistRefused, Why
from slotbot.core.waitlist.links import SlotLinkProblem, SlotLinkRefused, read_slot_token
from slotbot.core.waitlist.matching import offer_channels
from slotbot.core.waitlist.notice import entry_line
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Expect, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.picking import pick_time
from slotbot.dialogs.understand import read
from slotbot.dialogs.understand.vocabulary import vocabulary_of
from slotbot.dialogs.widgets import back_row

__all__ = [
    "WAITING",
    "join_button",
    "open_slot_link",
    "press_join",
    "take_offer",
    "waiting_press",
    "waiting_rows",
]

JOIN = "wl"


def join_button(
    ctx: Context, flow: Flow, day: date, *, week: bool = False, label: str = ""
) -> Button:
    """The button that puts the client on the waiting list for the flow's service and
    specialist (or anyone) on ``day``, or the week from it."""
    who: int | str = "a" if flow.any_specialist or flow.specialist is None else flow.specialist
    action = ctx.act(JOIN, who, day.strftime("%Y%m%d"), "w" if week else "d")
    return Button(label or ctx.texts.gettext("🔔 Tell me if something frees up"), action)


def _today(ctx: Context, ids: list[int]) -> date:
    return ctx.now.astimezone(ctx.directory.zone_of(ids)).date()


def refused_line(ctx: Context, refused: WaitlistRefused) -> str:
    t = ctx.texts
    if refused.why == Why.TOO_MANY:
        return t.ngettext(
            "You are already waiting for {count} time, the most we keep for one client. "
            "Leave it under My bookings to wait for another.",
            "You are already waiting for {count} times, the most we keep for one client. "
            "Leave one under My bookings to wait for another.",
            refused.limit,
        ).format(count=refused.limit)
    if refused.why == Why.PASSED:
        return t.gettext("That day has passed.")
    return t.gettext("Sorry, we cannot put you on the waiting list for this.")


async def press_join(ctx: Context, flow: Flow, action: Action) -> None:
    """ "Tell me if something frees up": join, then ask for a phone number if we could not
    reach the client otherwise."""
    if len(action.args) != 3 or action.args[2] not in ("d", "w") or flow.service is None:
        raise ValueError("join")
    service = flow.service
    providers = ctx.directory.providers(service)
    specialist = None if action.args[0] == "a" else action.number(0)
    if not providers or (specialist is not None and specialist not in providers):
        flow.note = ctx.texts.gettext("Sorry, we cannot put you on the waiting list for this.")
        return
    ids = providers if specialist is None else [specialist]
    day = max(datetime.strptime(action.args[1], "%Y%m%d").date(), _today(ctx, ids))
    last = day + timedelta(days=entries.MAX_DAYS - 1) if action.args[2] == "w" else day
    try:
        entry = await entries.join(
            ctx.engine, client_id=ctx.client_id, service_id=service, specialist_id=specialist,
            first_day=day, last_day=last, window=None, timezone=ctx.directory.zone_of(ids).key,
            channel=ctx.visitor.channel, now=ctx.now, uow=ctx.uow,
        )  # fmt: skip
    except WaitlistRefused as refused:
        flow.note = refused_line(ctx, refused)
        return
    flow.return_to = flow.step if flow.step != "waiting" else ""
    flow.step, flow.waiting = "waiting", entry.id
    client = await ctx.client()
    if not offer_channels(entry, client) or (
        ctx.visitor.channel != "telegram" and not client.phone
    ):
        flow.step, flow.return_to = "phone", "waiting"
        flow.note = ctx.texts.gettext(
            "You are on the waiting list. What phone number can we text you on when a time "
            "frees up?"
        )


def describe(ctx: Context, entry: Waiting) -> str:
    """What the entry waits for, in the client's words."""
    service = ctx.directory.services.get(entry.service_id)
    specialist = ctx.directory.specialists.get(entry.specialist_id or 0)
    return entry_line(
        ctx.texts, entry, service.name(ctx.locale) if service else "?",
        specialist.full_name if specialist else None,
    )  # fmt: skip


def _how(ctx: Context, entry: Waiting, client: ClientDetails) -> str:
    _ = ctx.texts.gettext
    channels = {channel for channel, _to in offer_channels(entry, client)}
    chat = bool(channels & {"telegram", "web"})
    if chat and "sms" in channels:
        return _("When a time frees up, I will send it here and by text message.")
    if chat and "email" in channels:
        return _("When a time frees up, I will send it here and by e-mail.")
    if chat:
        return _("When a time frees up, I will send it here.")
    if "sms" in channels:
        return _("When a time frees up, we will send it by text message.")
    if "email" in channels:
        return _("When a time frees up, we will send it by e-mail.")
    return _("Leave your phone number so that we can tell you when a time frees up.")


def _mark(label: str, chosen: bool) -> str:
    return f"✓ {label}" if chosen else label


async def render_waiting(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    t = ctx.texts
    entry = await entries.entry_of(ctx.session, flow.waiting or 0, ctx.client_id, ctx.now)
    if entry is None:
        gone = (back_row(ctx, Button(_("My bookings"), ctx.act("my"))),)
        return Screen(_("You are no longer on this waiting list."), gone)
    client = await ctx.client()
    text = "\n".join(
        [
            _("You are on the waiting list:"),
            describe(ctx, entry),
            _how(ctx, entry, client) + " " + _("Whoever takes it first gets it."),
            _("Change it below, or type the hours you can come (for example 10-13 or after 16)."),
        ]
    )
    day = entry.first_day
    single = entry.first_day == entry.last_day
    rows: list[tuple[Button, ...]] = [
        (
            Button(_mark(t.at_start(t.day(day)), single), ctx.act("wd")),
            Button(_mark(_("The week from {day}").format(day=t.day(day)), not single),
                   ctx.act("ww")),
        )
    ]  # fmt: skip
    providers = ctx.directory.providers(entry.service_id)
    named = entry.specialist_id or (flow.specialist if flow.specialist in providers else None)
    if len(providers) > 1 and named is not None and named in ctx.directory.specialists:
        name = ctx.directory.specialists[named].full_name
        rows.append(
            (
                Button(_mark(name, entry.specialist_id is not None), ctx.act("wsp", named)),
                Button(_mark(_("Anyone available"), entry.specialist_id is None), ctx.act("wany")),
            )
        )
    names = {"any": _("Any time"), "morning": _("Morning"), "afternoon": _("Afternoon"),
             "evening": _("Evening")}  # fmt: skip
    current = next(
        (n for n, w in WINDOWS.items() if w == entry.window), "any" if not entry.window else ""
    )
    hours = [
        Button(_mark(label, key == current), ctx.act("wh", key)) for key, label in names.items()
    ]
    rows += [tuple(hours[:2]), tuple(hours[2:])]
    rows.append((Button(_("✖ Leave the waiting list"), ctx.act("wx", entry.id)),))
    rows.append(back_row(ctx, Button(_("My bookings"), ctx.act("my"))))
    return Screen(text, tuple(rows), Expect.TEXT)


async def _change(ctx: Context, flow: Flow, **change: object) -> None:
    try:
        await entries.change(
            ctx.engine, entry_id=flow.waiting or 0, client_id=ctx.client_id, now=ctx.now,
            uow=ctx.uow,
            **change,  # type: ignore[arg-type]
        )  # fmt: skip
    except WaitlistRefused as refused:
        flow.note = refused_line(ctx, refused)


async def press_waiting(ctx: Context, flow: Flow, action: Action) -> None:
    entry = await entries.entry_of(ctx.session, flow.waiting or 0, ctx.client_id, ctx.now)
    if action.code == "back":
        flow.step, flow.return_to = flow.return_to or "menu", ""
        if flow.step not in ("time", "date", "specialist", "substitutes", "my"):
            flow.start_over(flow.step if flow.step == "my" else "menu")
    elif action.code in ("wx", "wv"):
        await waiting_press(ctx, flow, action)
    elif entry is None:
        flow.note = ctx.texts.gettext("You are no longer on this waiting list.")
    elif action.code == "wd":
        await _change(ctx, flow, first_day=entry.first_day, last_day=entry.first_day)
    elif action.code == "ww":
        last = entry.first_day + timedelta(days=entries.MAX_DAYS - 1)
        await _change(ctx, flow, first_day=entry.first_day, last_day=last)
    elif action.code == "wany":
        await _change(ctx, flow, specialist_id=None)
    elif action.code == "wsp":
        await _change(ctx, flow, specialist_id=action.number())
    elif (
        action.code == "wh"
        and action.args
        and (action.args[0] in WINDOWS or action.args[0] == "any")
    ):
        await _change(ctx, flow, window=WINDOWS.get(action.args[0]))


def _hours(ctx: Context, text: str, entry: Waiting) -> tuple[time, time] | None:
    """The window typed hours name ("10-13", "after 16:00", "morning"), if one."""
    reading = read(
        text, locale=ctx.locale, now=ctx.now, zone=entry.zone,
        vocabulary=vocabulary_of(ctx.directory),
    )  # fmt: skip
    window = reading.time
    if window is None or (window.start is None and window.end is None):
        return None
    start = window.start or time(0)
    end = window.end or time(23, 59)
    if window.exact:  # "at 10": times starting then
        end = (datetime.combine(entry.first_day, start) + timedelta(minutes=1)).time()
    return (start, end) if start < end else None


async def text_waiting(ctx: Context, flow: Flow, text: str) -> None:
    _ = ctx.texts.gettext
    entry = await entries.entry_of(ctx.session, flow.waiting or 0, ctx.client_id, ctx.now)
    if entry is None:
        flow.note = _("You are no longer on this waiting list.")
        return
    window = _hours(ctx, text, entry)
    if window is None:
        flow.note = _("I could not read those hours. For example: 10-13, after 16:00, morning.")
        return
    await _change(ctx, flow, window=window)


# --- My bookings --------------------------------------------------------------------------------


async def waiting_rows(ctx: Context) -> tuple[list[str], list[tuple[Button, ...]]]:
    """My bookings' lines and buttons for the client's entries: open one, or leave it."""
    _ = ctx.texts.gettext
    found = await entries.waiting_for(ctx.session, ctx.client_id, ctx.now)
    if not found:
        return [], []
    lines = [_("You are on the waiting list for:"), *(f"• {describe(ctx, e)}" for e in found)]
    rows: list[tuple[Button, ...]] = [
        (Button(f"⏳ {describe(ctx, e)}", ctx.act("wv", e.id)),
         Button(_("✖ Leave"), ctx.act("wx", e.id)))
        for e in found
    ]  # fmt: skip
    return lines, rows


async def waiting_press(ctx: Context, flow: Flow, action: Action) -> None:
    """Open (``wv``) or leave (``wx``) one of the client's own entries."""
    _ = ctx.texts.gettext
    entry = await entries.entry_of(ctx.session, action.number(), ctx.client_id, ctx.now)
    if entry is None:
        flow.note = _("You are no longer on this waiting list.")
        flow.start_over("my")
        return
    if action.code == "wv":
        flow.start_over("waiting")
        flow.waiting, flow.return_to = entry.id, "my"
        return
    what = describe(ctx, entry)
    await entries.leave(
        ctx.engine, entry_id=entry.id, client_id=ctx.client_id, now=ctx.now, uow=ctx.uow
    )
    flow.start_over("my")
    flow.note = _("You left the waiting list for {what}.").format(what=what)


# --- a freed time's button or link ----------------------------------------------------------------


def _gone(ctx: Context, start: datetime, specialist_id: int) -> str:
    zone = ctx.directory.zone_of([specialist_id])
    return ctx.texts.gettext(
        "{time} has gone: someone else took it first. You stay on the waiting list."
    ).format(time=ctx.texts.at_start(ctx.texts.when(start, zone)))


async def _hold(
    ctx: Context, flow: Flow, service_id: int, specialist_id: int, start: datetime
) -> None:
    """Hold a freed time as if picked on the day's times (same rules, same answers)."""
    if specialist_id not in ctx.directory.providers(service_id):
        flow.start_over()
        flow.note = ctx.texts.gettext("Sorry, that time can no longer be booked.")
        return
    flow.start_over("time")
    flow.service, flow.specialist = service_id, specialist_id
    zone = ctx.directory.zone_of([specialist_id])
    flow.day = start.astimezone(zone).date().isoformat()
    await pick_time(ctx, flow, start, gone=_gone(ctx, start, specialist_id))
    if flow.hold is not None and flow.step == "contact":  # say what is held before asking
        service = ctx.directory.services[service_id].name(ctx.locale)
        flow.note = ctx.texts.gettext("Held for you: {service} with {name}, {when}.").format(
            service=service,
            name=ctx.directory.specialists[specialist_id].full_name,
            when=ctx.texts.when(start, zone),
        )


async def take_offer(ctx: Context, flow: Flow, action: Action) -> None:
    """A freed time's chat button (``0.wo.OFFER``): only the client it was offered to."""
    offered = await entries.offered_time(ctx.session, action.number(), ctx.client_id)
    if offered is None:
        raise ValueError("not this client's offer")
    await _hold(ctx, flow, offered.entry.service_id, offered.specialist_id, offered.start)


async def open_slot_link(ctx: Context, flow: Flow, token: str) -> None:
    """An SMS or e-mail offer's link (``/start t-TOKEN``, the widget's ``?slot=``): holds the
    time it names for whoever opened it, or says in one line why not."""
    _ = ctx.texts.gettext
    try:
        link = read_slot_token(ctx.link_secret, token, ctx.now)
    except SlotLinkRefused as refused:
        flow.note = (
            _("This link has expired.")
            if refused.problem == SlotLinkProblem.EXPIRED
            else _("This link is not valid.")
        )
        return
    await _hold(ctx, flow, link.service_id, link.specialist_id, link.start)


WAITING = Step(render_waiting, press_waiting, text_waiting)
