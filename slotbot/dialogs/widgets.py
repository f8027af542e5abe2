"""Reusable pieces of screens, rendered the same way by every step and every channel:
the month calendar, the paged list and the time grid."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from slotbot.dialogs.context import Context
from slotbot.dialogs.i18n import texts
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
    rows: Rows = [_weekday_row(t.locale)]
    for week in _month_weeks(first):
        cells = []
        for cell in week:
            if cell is None:
                cells.append(_OUTSIDE)
            elif free.get(cell[0]):
                cells.append(Button(cell[1], ctx.act("d", cell[2])))
            else:
                cells.append(Button(cell[1], ctx.act("dx", cell[2]), disabled=True))
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


#: A calendar cell outside the month (buttons are immutable, so one serves every cell).
_OUTSIDE = Button(" ", disabled=True)


@lru_cache(maxsize=16)
def _weekday_row(locale: str) -> tuple[Button, ...]:
    return tuple(Button(name, disabled=True) for name in texts(locale).weekday_initials())


@lru_cache(maxsize=64)
def _month_weeks(first: date) -> tuple[tuple[tuple[date, str, str] | None, ...], ...]:
    """The weeks of ``first``'s month, Monday first: each day of the month as (the day, its
    label, its action argument), ``None`` for the days of the months around it."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return tuple(
        tuple(
            (day, str(day.day), day.strftime("%Y%m%d")) if day.month == first.month else None
            for day in week
        )
        for week in weeks
    )


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
