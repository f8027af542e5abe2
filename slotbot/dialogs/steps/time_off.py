"""The specialist's time off from the chat: a day off, a vacation or a blocked stretch,
picked on the calendar and a time list; bookings in the way are shown first, to keep or to
cancel, one by one or all at once (their clients are told and offered other times)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from slotbot.core.availability.engine import local_instant, windows_for_day
from slotbot.core.booking import timeoff
from slotbot.core.storage.models import Booking, Client
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.widgets import back_row, minutes_of, month_calendar, month_of

__all__ = ["BLOCK_LENGTH", "BLOCK_START", "OFF_CONFIRM", "OFF_PICK", "begin", "parse_span"]

PLANNING_DAYS = 365
LENGTHS = (30, 60, 120, 240)


def begin(flow: Flow, kind: str, first: str = "", last: str = "") -> None:
    """Start entering time off of ``kind`` (``day_off``, ``vacation``, ``block``)."""
    flow.span_kind, flow.span_first, flow.span_last, flow.month = kind, first, last, ""
    flow.span_cancel = []
    flow.step = "off_confirm" if first and last else "off_pick"


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.own_zone).date()


def parse_span(kind: str, words: Sequence[str], zone: ZoneInfo) -> tuple[str, str] | None:
    """``/dayoff 2026-12-24``, ``/vacation 2026-12-28 2027-01-05``, ``/block
    2026-12-01T13:00 2026-12-01T14:00`` (local times) as the flow's span, or ``None``."""
    try:
        if kind == "day_off" and len(words) == 1:
            day = date.fromisoformat(words[0])
            return day.isoformat(), day.isoformat()
        if kind == "vacation" and len(words) == 2:
            first, last = (date.fromisoformat(w) for w in words)
            return (first.isoformat(), last.isoformat()) if first <= last else None
        if kind == "block" and len(words) == 2:
            start, end = (local_instant(datetime.fromisoformat(w), zone) for w in words)
            if start is None or end is None or start >= end:
                return None
            return start.isoformat(), end.isoformat()
    except ValueError:
        return None
    return None


def _title(ctx: Context, flow: Flow) -> str:
    _ = ctx.texts.gettext
    if flow.span_kind == "day_off":
        return _("Which day do you take off?")
    if flow.span_kind == "vacation" and not flow.span_first:
        return _("Your vacation: the first day?")
    if flow.span_kind == "vacation":
        first = date.fromisoformat(flow.span_first)
        return _("Your vacation from {day}: the last day?").format(day=ctx.texts.day(first))
    return _("Which day do you block time on?")


async def render_off_pick(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    today = _today(ctx)
    earliest = date.fromisoformat(flow.span_first) if flow.span_first else today
    month = date.fromisoformat(flow.month + "-01") if flow.month else month_of(earliest)
    latest = today + timedelta(days=PLANNING_DAYS)
    free = {today + timedelta(days=n): True for n in range(PLANNING_DAYS + 1)}
    free = {d: ok for d, ok in free.items() if d >= earliest}
    rows = month_calendar(ctx, month, free, earliest=today, latest=latest)
    rows.append(back_row(ctx))
    return Screen(f"{_title(ctx, flow)}\n{ctx.texts.month(month)}", tuple(rows))


async def press_off_pick(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "back":
        flow.step, flow.span_first = "agenda", ""
    elif action.code == "m":
        flow.month = f"{action.args[0][:4]}-{action.args[0][4:6]}"
    elif action.code == "d":
        day = datetime.strptime(action.args[0], "%Y%m%d").date().isoformat()
        if flow.span_kind == "block":
            flow.day, flow.step = day, "block_start"
        elif flow.span_kind == "vacation" and not flow.span_first:
            flow.span_first, flow.month = day, ""
        else:
            flow.span_first = flow.span_first or day
            flow.span_last, flow.step = day, "off_confirm"


def _working(ctx: Context, day: date) -> list[tuple[datetime, datetime]]:
    """The working windows of ``day`` as instants (08:00-20:00 when not working)."""
    zone = ctx.own_zone
    calendar = ctx.directory.catalog.calendars.get(ctx.specialist_id or 0)
    spans = []
    for window in windows_for_day(calendar, day) if calendar else []:
        start = local_instant(datetime.combine(day, window.start), zone)
        end = local_instant(datetime.combine(day, window.end), zone)
        if start is not None and end is not None:
            spans.append((start, end))
    if spans:
        return spans
    morning = datetime.combine(day, datetime.min.time().replace(hour=8), zone)
    return [(morning.astimezone(UTC), (morning + timedelta(hours=12)).astimezone(UTC))]


async def render_block_start(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    day = flow.picked_day()
    assert day is not None
    zone, starts = ctx.own_zone, []
    for start, end in _working(ctx, day):
        moment = start
        while moment < end:
            if moment > ctx.now:
                starts.append(moment)
            moment += timedelta(minutes=30)
    buttons = [Button(ctx.texts.time(s, zone), ctx.act("t", minutes_of(s))) for s in starts]
    rows: list[tuple[Button, ...]] = [tuple(buttons[i : i + 4]) for i in range(0, len(buttons), 4)]
    rows.append(back_row(ctx))
    named = ctx.texts.at_start(ctx.texts.day(day))
    text = _("{day}: block from what time?").format(day=named)
    if not starts:
        text = _("{day}: no time left to block. Please pick another day.").format(day=named)
    return Screen(text, tuple(rows))


async def press_block_start(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "back":
        flow.step = "off_pick"
    elif action.code == "t":
        flow.span_first = datetime.fromtimestamp(action.number() * 60, UTC).isoformat()
        flow.step = "block_length"


async def render_block_length(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    start = datetime.fromisoformat(flow.span_first)
    rows: list[tuple[Button, ...]] = [
        tuple(Button(ctx.texts.duration(m), ctx.act("len", m)) for m in LENGTHS)
    ]
    ends = [end for s, end in _working(ctx, start.astimezone(ctx.own_zone).date()) if end > start]
    if ends:
        label = _("Until {time}").format(time=ctx.texts.time(ends[-1], ctx.own_zone))
        rows.append((Button(label, ctx.act("len", int((ends[-1] - start).total_seconds() // 60))),))
    rows.append(back_row(ctx))
    text = _("Block from {when} for how long?").format(when=ctx.texts.when(start, ctx.own_zone))
    return Screen(text, tuple(rows))


async def press_block_length(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "back":
        flow.step = "block_start"
    elif action.code == "len" and 0 < action.number() <= 24 * 60:
        start = datetime.fromisoformat(flow.span_first)
        flow.span_last = (start + timedelta(minutes=action.number())).isoformat()
        flow.step = "off_confirm"


async def _conflicts(ctx: Context, flow: Flow) -> list[Booking]:
    specialist_id = ctx.specialist_id or 0
    if flow.span_kind == "block":
        return await timeoff.block_conflicts(
            ctx.engine, specialist_id=specialist_id, start=datetime.fromisoformat(flow.span_first),
            end=datetime.fromisoformat(flow.span_last), now=ctx.now, uow=ctx.uow,
        )  # fmt: skip
    first, last = date.fromisoformat(flow.span_first), date.fromisoformat(flow.span_last)
    if flow.span_kind == "day_off":
        return await timeoff.day_off_conflicts(
            ctx.engine, specialist_id=specialist_id, day=first, now=ctx.now, uow=ctx.uow
        )
    return await timeoff.vacation_conflicts(
        ctx.engine, specialist_id=specialist_id, first=first, last=last, now=ctx.now, uow=ctx.uow
    )


def _span_text(ctx: Context, flow: Flow) -> str:
    _ = ctx.texts.gettext
    zone = ctx.own_zone
    if flow.span_kind == "block":
        start, end = (datetime.fromisoformat(v) for v in (flow.span_first, flow.span_last))
        return _("Block {when}–{end}?").format(
            when=ctx.texts.when(start, zone), end=ctx.texts.time(end, zone)
        )
    first, last = date.fromisoformat(flow.span_first), date.fromisoformat(flow.span_last)
    if flow.span_kind == "day_off":
        return _("Take {day} off?").format(day=ctx.texts.long_day(first))
    return _("Vacation from {first} to {last}?").format(
        first=ctx.texts.day(first), last=ctx.texts.day(last)
    )


def _in_the_way(ctx: Context, found: Booking, who: str) -> str:
    return f"{ctx.texts.at_start(ctx.texts.when(found.starts_at, ctx.own_zone))}, {who}"


async def render_off_confirm(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    conflicts = await _conflicts(ctx, flow)
    lines = [_span_text(ctx, flow)]
    rows: list[tuple[Button, ...]] = []
    if not conflicts:
        rows.append((Button(_("Yes"), ctx.act("keep")),))
    else:
        lines.append(_("These bookings stand in the way:"))
        marked = [b for b in conflicts if b.id in flow.span_cancel]
        for found in conflicts:
            client = await ctx.session.get(Client, found.client_id)
            booking = _in_the_way(ctx, found, client.name if client and client.name else "?")
            lines.append(f"• {booking}")
            if len(conflicts) > 1:  # each on its own: pressing switches keep / cancel
                label = (
                    "✖ " + _("Cancel: {booking}")
                    if found in marked
                    else "✔ " + _("Keep: {booking}")
                ).format(booking=booking)
                rows.append((Button(label, ctx.act("ob", found.id)),))
        if len(conflicts) > 1:
            lines.append(_("Tap a booking to keep or cancel it, or choose for all of them."))
        if 0 < len(marked) < len(conflicts):
            label = ctx.texts.ngettext(
                "Save: cancel {count} booking, keep the rest",
                "Save: cancel {count} bookings, keep the rest",
                len(marked),
            ).format(count=len(marked))
            rows.append((Button(label, ctx.act("some")),))
        one = len(conflicts) == 1
        keep = _("Keep it") if one else _("Keep them all")
        drop = (
            _("Cancel it and tell the client") if one else _("Cancel them all and tell the clients")
        )
        rows += [(Button(keep, ctx.act("keep")),), (Button(drop, ctx.act("drop")),)]
    rows.append(back_row(ctx))
    return Screen("\n".join(lines), tuple(rows))


async def _write(ctx: Context, flow: Flow, cancel: bool) -> timeoff.TimeOff:
    """Save the time off, cancelling every booking in its way (``cancel``) or those marked."""
    _ = ctx.texts.gettext
    sid, now = ctx.specialist_id or 0, ctx.now
    reason = {"day_off": _("Day off"), "vacation": _("Vacation"), "block": _("Time blocked")}[
        flow.span_kind
    ]
    if flow.span_kind == "block":
        start, end = (datetime.fromisoformat(v) for v in (flow.span_first, flow.span_last))
        return await timeoff.add_block(
            ctx.engine, specialist_id=sid, start=start, end=end, reason=reason, now=now,
            cancel_conflicts=cancel, cancel_ids=flow.span_cancel, cancel_reason=reason, uow=ctx.uow,
        )  # fmt: skip
    first, last = date.fromisoformat(flow.span_first), date.fromisoformat(flow.span_last)
    if flow.span_kind == "day_off":
        return await timeoff.add_day_off(
            ctx.engine, specialist_id=sid, day=first, reason=reason, now=now,
            cancel_conflicts=cancel, cancel_ids=flow.span_cancel, cancel_reason=reason, uow=ctx.uow,
        )  # fmt: skip
    return await timeoff.add_vacation(
        ctx.engine, specialist_id=sid, first=first, last=last, reason=reason, now=now,
        cancel_conflicts=cancel, cancel_ids=flow.span_cancel, cancel_reason=reason, uow=ctx.uow,
    )  # fmt: skip


async def press_off_confirm(ctx: Context, flow: Flow, action: Action) -> None:
    _ = ctx.texts.gettext
    if action.code == "back":
        flow.step = "block_length" if flow.span_kind == "block" else "off_pick"
        if flow.span_kind != "block":
            flow.span_first = flow.span_first if flow.span_kind == "vacation" else ""
            flow.span_last = ""
        flow.span_cancel = []
        return
    if action.code == "ob":  # keep <-> cancel for one booking in the way
        chosen = action.number()
        marked = set(flow.span_cancel) ^ {chosen}
        flow.span_cancel = sorted(marked)
        return
    if action.code not in ("keep", "drop", "some"):
        return
    if action.code == "keep":
        flow.span_cancel = []
    try:
        done = await _write(ctx, flow, cancel=action.code == "drop")
    except (ValueError, LookupError):
        flow.note = _("That time off could not be saved. Please check the dates.")
        return
    flow.note = " ".join([_("Saved."), *_outcome(ctx, done)])
    flow.day = (flow.span_first[:10] if flow.span_kind != "block" else flow.day) or flow.day
    flow.span_kind = flow.span_first = flow.span_last = ""
    flow.span_cancel = []
    flow.step = "agenda"


def _outcome(ctx: Context, done: timeoff.TimeOff) -> list[str]:
    """What became of the bookings in the way: how many were cancelled, how many kept."""
    t = ctx.texts
    said = []
    if done.cancelled:
        said.append(
            t.ngettext(
                "{count} booking was cancelled; the client is told.",
                "{count} bookings were cancelled; the clients are told.",
                len(done.cancelled),
            ).format(count=len(done.cancelled))
        )
    kept = len(done.conflicts) - len(done.cancelled)
    if kept and done.cancelled:
        said.append(
            t.ngettext("{count} booking is kept.", "{count} bookings are kept.", kept).format(
                count=kept
            )
        )
    return said


OFF_PICK = Step(render_off_pick, press_off_pick)
BLOCK_START = Step(render_block_start, press_block_start)
BLOCK_LENGTH = Step(render_block_length, press_block_length)
OFF_CONFIRM = Step(render_off_confirm, press_off_confirm)
