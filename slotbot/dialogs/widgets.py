"""Reusable pieces of screens, rendered the same way by every step and every channel:
the month calendar, the paged list and the time grid."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button

__all__ = ["back_row", "month_calendar", "month_of", "paged", "time_grid"]

Rows = list[tuple[Button, ...]]


def month_of(day: date) -> date:
    return day.replace(day=1)


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_calendar(
    ctx: Context, first: date, free: dict[date, bool], *, earliest: date, latest: date
) -> Rows:
    """A month as rows of seven day buttons, Monday first: free days pick the day, the rest
    are greyed and answer why; then the previous / next month buttons. The weekday headers and
    the cells outside the month are inert: disabled, with no action to send."""
    t = ctx.texts
    rows: Rows = [tuple(Button(name, disabled=True) for name in t.weekday_initials())]
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        cells = []
        for day in week:
            if day.month != first.month:
                cells.append(Button(" ", disabled=True))
            elif free.get(day):
                cells.append(Button(str(day.day), ctx.act("d", day.strftime("%Y%m%d"))))
            else:
                cells.append(
                    Button(str(day.day), ctx.act("dx", day.strftime("%Y%m%d")), disabled=True)
                )
        rows.append(tuple(cells))
    nav = []
    previous, following = _add_months(first, -1), _add_months(first, 1)
    if previous >= month_of(earliest):
        nav.append(Button(f"‹ {t.short_month(previous)}", ctx.act("m", previous.strftime("%Y%m"))))
    if following <= latest:
        nav.append(
            Button(f"{t.short_month(following)} ›", ctx.act("m", following.strftime("%Y%m")))
        )
    if nav:
        rows.append(tuple(nav))
    return rows


def month_days(first: date) -> tuple[date, date]:
    """The first and last date of a month."""
    return first, _add_months(first, 1) - timedelta(days=1)


def time_grid(
    ctx: Context, starts: Sequence[datetime], zone: ZoneInfo, *, per_row: int = 4
) -> Rows:
    """Free times as buttons, ``per_row`` a row, each picking its instant."""
    buttons = [
        Button(ctx.texts.time(s, zone), ctx.act("t", minutes_of(s)), starts=s.astimezone(zone))
        for s in starts
    ]
    return [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def minutes_of(instant: datetime) -> int:
    """An instant as whole minutes since the epoch (what a time button carries)."""
    return int(instant.timestamp()) // 60


def paged(
    ctx: Context,
    items: Sequence[Button],
    page: int,
    *,
    per_page: int = 6,
    code: str = "pg",
) -> tuple[Rows, int]:
    """One button a row for the items of ``page``, with previous / next page buttons.

    Returns the rows and the page actually shown (clamped to the pages there are).
    """
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 0), pages - 1)
    rows: Rows = [(b,) for b in items[page * per_page : (page + 1) * per_page]]
    _ = ctx.texts.gettext
    nav = []
    if page > 0:
        nav.append(Button(_("‹ Previous"), ctx.act(code, page - 1)))
    if page < pages - 1:
        nav.append(Button(_("More ›"), ctx.act(code, page + 1)))
    if nav:
        rows.append(tuple(nav))
    return rows, page


def back_row(ctx: Context, *extra: Button) -> tuple[Button, ...]:
    """The ‹ Back button (plus any others on the same row)."""
    _ = ctx.texts.gettext
    return (Button(_("‹ Back"), ctx.act("back")), *extra)
