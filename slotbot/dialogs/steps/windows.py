"""The times of day a typed message asked for ("after 5", "утром", "at 10:30"): kept with
the day they were asked for, so the time step shows those times first and a window is
described the same way wherever it is named."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from slotbot.dialogs.context import Context
from slotbot.dialogs.state import Flow
from slotbot.dialogs.understand import TimeWindow

__all__ = ["asked_window", "describe_window", "keep_window", "within"]


def keep_window(flow: Flow, day: date, window: TimeWindow | None) -> None:
    """Remember ``window`` for ``day`` (``None`` forgets any)."""
    if window is None:
        flow.window = {}
        return
    flow.window = {
        "day": day.isoformat(),
        "start": window.start.isoformat("minutes") if window.start else "",
        "end": window.end.isoformat("minutes") if window.end else "",
    }


def asked_window(flow: Flow) -> TimeWindow | None:
    """The window asked for on the flow's day, if any (a window of another day is over)."""
    if not flow.window or flow.window.get("day") != flow.day:
        return None
    try:
        start, end = (flow.window.get(k, "") for k in ("start", "end"))
        return TimeWindow(
            time.fromisoformat(start) if start else None, time.fromisoformat(end) if end else None
        )
    except ValueError:
        return None


def within(window: TimeWindow, start: datetime, zone: ZoneInfo) -> bool:
    """Whether a time starting at ``start`` is one ``window`` asks for (in ``zone``)."""
    return window.holds(start.astimezone(zone).time().replace(tzinfo=None))


def describe_window(ctx: Context, day: date, window: TimeWindow, zone: ZoneInfo) -> str:
    """``at 5:00 PM``, ``from 5:00 PM``, ``before 12:00 PM``, ``from 10:00 AM to 12:00 PM``."""
    _ = ctx.texts.gettext

    def clock(moment: time) -> str:
        return ctx.texts.time(datetime.combine(day, moment, zone), zone)

    if window.exact and window.start is not None:
        return _("at {time}").format(time=clock(window.start))
    if window.start is not None and window.end is not None:
        return _("from {start} to {end}").format(start=clock(window.start), end=clock(window.end))
    if window.start is not None:
        return _("from {time}").format(time=clock(window.start))
    if window.end is not None:
        return _("before {time}").format(time=clock(window.end))
    return ""
