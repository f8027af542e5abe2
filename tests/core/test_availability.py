"""The slot engine (DESIGN.md section 3): pure unit tests, no database, ``now`` always explicit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from slotbot.core.availability.engine import (
    Busy,
    BusyIndex,
    DateOverride,
    OverrideKind,
    Rules,
    Slot,
    SpecialistCalendar,
    WeeklyWindow,
    Window,
    any_available,
    days_with_slots,
    first_slot,
    has_slot,
    next_available,
    slots_for_day,
    substitutes,
    windows_for_day,
)

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")

MONDAY = date(2026, 6, 1)  # a plain summer Monday in Berlin (UTC+2)
TUESDAY = MONDAY + timedelta(days=1)
NOW = datetime(2026, 5, 25, 8, 0, tzinfo=UTC)  # a week before: nothing is too soon
NO_NOTICE = Rules(min_notice_minutes=0, horizon_days=60)


def t(text: str) -> time:
    return time.fromisoformat(text)


def local(day: date, text: str, zone: ZoneInfo = BERLIN) -> datetime:
    """An aware local datetime (fold=0); compares to UTC instants by instant."""
    return datetime.combine(day, t(text), tzinfo=zone)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def window(start: str, end: str, slot: int = 60, brk: int = 0) -> Window:
    return Window(t(start), t(end), slot_minutes=slot, break_minutes=brk)


def weekly(
    weekday: int, start: str, end: str, slot: int = 60, brk: int = 0, **kw: date
) -> WeeklyWindow:
    return WeeklyWindow(weekday, window(start, end, slot, brk), **kw)


def calendar(
    *weekly_rows: WeeklyWindow,
    specialist_id: int = 1,
    zone: ZoneInfo = BERLIN,
    overrides: tuple[DateOverride, ...] = (),
    busy: tuple[Busy, ...] = (),
    service_ids: frozenset[int] = frozenset(),
) -> SpecialistCalendar:
    return SpecialistCalendar(
        specialist_id=specialist_id,
        key=f"s{specialist_id}",
        timezone=zone,
        weekly=weekly_rows,
        overrides=overrides,
        busy=BusyIndex(busy),
        service_ids=service_ids,
    )


def every_day(start: str = "09:00", end: str = "18:00", slot: int = 60, brk: int = 0) -> tuple:
    return tuple(weekly(d, start, end, slot, brk) for d in range(7))


def starts(slots: list[Slot], zone: ZoneInfo = BERLIN) -> list[str]:
    return [s.start.astimezone(zone).strftime("%H:%M") for s in slots]


def week_before(day: date) -> datetime:
    return datetime.combine(day - timedelta(days=7), time(12), tzinfo=UTC)


def day_slots(
    cal: SpecialistCalendar,
    day: date = MONDAY,
    *,
    duration: int | None = None,
    now: datetime = NOW,
    rules: Rules = NO_NOTICE,
) -> list[Slot]:
    slots = slots_for_day(cal, day, duration_minutes=duration, now=now, rules=rules)
    # whether there is one, and the first, as the month calendar asks them
    assert has_slot(cal, day, duration_minutes=duration, now=now, rules=rules) == bool(slots)
    first = first_slot(cal, day, duration_minutes=duration, now=now, rules=rules)
    assert first == (slots[0] if slots else None)
    return slots


# --- the seed's cases: slot lengths, breaks, service duration ---------------------------------


def test_seed_window_with_break_after_steps_by_slot_plus_break() -> None:
    cal = calendar(weekly(0, "09:00", "18:00", slot=60, brk=15))
    assert starts(day_slots(cal)) == [
        "09:00",
        "10:15",
        "11:30",
        "12:45",
        "14:00",
        "15:15",
        "16:30",
    ]  # 17:45 + 60 min would end at 18:45 > 18:00


def test_last_slot_may_end_exactly_at_window_end() -> None:
    cal = calendar(weekly(0, "09:00", "12:00", slot=60, brk=0))
    slots = day_slots(cal)
    assert starts(slots) == ["09:00", "10:00", "11:00"]
    assert slots[-1].end == local(MONDAY, "12:00")


def test_zero_break_gives_back_to_back_slots() -> None:
    slots = day_slots(calendar(weekly(0, "09:00", "11:00", slot=30, brk=0)))
    assert starts(slots) == ["09:00", "09:30", "10:00", "10:30"]
    assert all(a.end == b.start for a, b in pairwise(slots))


def test_slot_carries_instants_and_specialist_id() -> None:
    (slot,) = day_slots(calendar(weekly(0, "09:00", "10:00"), specialist_id=7))
    assert slot == Slot(utc(2026, 6, 1, 7, 0), utc(2026, 6, 1, 8, 0), (7,))
    assert slot.start.tzinfo is not None


def test_duration_none_defaults_to_window_slot_length() -> None:
    slots = day_slots(calendar(weekly(0, "09:00", "11:00", slot=45, brk=15)), duration=None)
    assert starts(slots) == ["09:00", "10:00"]
    assert all(s.end - s.start == timedelta(minutes=45) for s in slots)


def test_service_shorter_than_slot_keeps_the_grid_and_ends_early() -> None:
    slots = day_slots(calendar(weekly(0, "09:00", "12:00", slot=60)), duration=30)
    assert starts(slots) == ["09:00", "10:00", "11:00"]
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


def test_service_shorter_than_slot_can_fit_after_the_last_full_slot() -> None:
    # 09:00, 10:15, 11:30; with a 30-min service 11:30 ends 12:00, still inside 09:00-12:10
    cal = calendar(weekly(0, "09:00", "12:10", slot=60, brk=15))
    assert starts(day_slots(cal, duration=None)) == ["09:00", "10:15"]
    assert starts(day_slots(cal, duration=30)) == ["09:00", "10:15", "11:30"]


def test_service_longer_than_slot_drops_starts_that_would_overrun_the_window() -> None:
    slots = day_slots(calendar(weekly(0, "09:00", "12:00", slot=60)), duration=90)
    assert starts(slots) == ["09:00", "10:00"]  # 11:00 + 90 min = 12:30 > 12:00
    assert all(s.end - s.start == timedelta(minutes=90) for s in slots)


def test_service_longer_than_whole_window_gives_nothing() -> None:
    assert day_slots(calendar(weekly(0, "09:00", "10:00", slot=30)), duration=61) == []


# --- weekly template: split shifts, weekdays, validity ----------------------------------------


def test_split_shift_two_rows_on_one_weekday() -> None:
    cal = calendar(weekly(0, "14:00", "16:00"), weekly(0, "09:00", "11:00"))
    assert starts(day_slots(cal)) == ["09:00", "10:00", "14:00", "15:00"]
    assert [w.start for w in windows_for_day(cal, MONDAY)] == [t("09:00"), t("14:00")]


def test_weekday_must_match() -> None:
    cal = calendar(weekly(1, "09:00", "11:00"))  # Tuesdays only
    assert day_slots(cal, MONDAY) == []
    assert starts(day_slots(cal, TUESDAY)) == ["09:00", "10:00"]


def test_sunday_is_weekday_six() -> None:
    cal = calendar(weekly(6, "10:00", "11:00"))
    assert starts(day_slots(cal, MONDAY - timedelta(days=1))) == ["10:00"]


def test_valid_from_is_inclusive() -> None:
    cal = calendar(weekly(0, "09:00", "10:00", valid_from=MONDAY))
    assert starts(day_slots(cal, MONDAY)) == ["09:00"]
    assert day_slots(cal, MONDAY - timedelta(days=7)) == []


def test_valid_until_is_inclusive() -> None:
    cal = calendar(weekly(0, "09:00", "10:00", valid_until=MONDAY))
    assert starts(day_slots(cal, MONDAY)) == ["09:00"]
    assert day_slots(cal, MONDAY + timedelta(days=7)) == []


def test_validity_ranges_switch_between_templates() -> None:
    switch = MONDAY + timedelta(days=7)
    cal = calendar(
        weekly(0, "09:00", "10:00", valid_until=switch - timedelta(days=1)),
        weekly(0, "15:00", "16:00", valid_from=switch),
    )
    assert starts(day_slots(cal, MONDAY)) == ["09:00"]
    assert starts(day_slots(cal, switch)) == ["15:00"]


# --- overrides ----------------------------------------------------------------------------------


def test_day_off_gives_no_slots() -> None:
    off = DateOverride(MONDAY, MONDAY, OverrideKind.DAY_OFF)
    cal = calendar(*every_day(), overrides=(off,))
    assert day_slots(cal, MONDAY) == []
    assert day_slots(cal, TUESDAY) != []


def test_vacation_range_is_inclusive_at_both_ends() -> None:
    first, last = MONDAY, MONDAY + timedelta(days=4)
    cal = calendar(*every_day(), overrides=(DateOverride(first, last, OverrideKind.VACATION),))
    assert day_slots(cal, first - timedelta(days=1)) != []
    for offset in range(5):
        assert day_slots(cal, first + timedelta(days=offset)) == []
    assert day_slots(cal, last + timedelta(days=1)) != []


def test_custom_hours_replace_the_days_windows() -> None:
    custom = DateOverride(MONDAY, MONDAY, OverrideKind.CUSTOM_HOURS, window("12:00", "14:00", 30))
    cal = calendar(weekly(0, "09:00", "18:00"), overrides=(custom,))
    assert starts(day_slots(cal, MONDAY)) == ["12:00", "12:30", "13:00", "13:30"]
    assert starts(day_slots(cal, MONDAY + timedelta(days=7)))[0] == "09:00"


def test_custom_hours_apply_on_a_day_without_weekly_rows() -> None:
    custom = DateOverride(MONDAY, MONDAY, OverrideKind.CUSTOM_HOURS, window("10:00", "11:00"))
    assert starts(day_slots(calendar(overrides=(custom,)), MONDAY)) == ["10:00"]


def test_two_custom_hours_on_one_date_make_a_split_day() -> None:
    afternoon = DateOverride(MONDAY, MONDAY, OverrideKind.CUSTOM_HOURS, window("15:00", "16:00"))
    morning = DateOverride(MONDAY, MONDAY, OverrideKind.CUSTOM_HOURS, window("08:00", "09:00"))
    cal = calendar(weekly(0, "09:00", "18:00"), overrides=(afternoon, morning))
    assert starts(day_slots(cal, MONDAY)) == ["08:00", "15:00"]


def test_day_off_beats_custom_hours_on_the_same_date() -> None:
    custom = DateOverride(MONDAY, MONDAY, OverrideKind.CUSTOM_HOURS, window("10:00", "12:00"))
    off = DateOverride(MONDAY, MONDAY, OverrideKind.DAY_OFF)
    for overrides in ((custom, off), (off, custom)):
        cal = calendar(weekly(0, "09:00", "18:00"), overrides=overrides)
        assert windows_for_day(cal, MONDAY) == []
        assert day_slots(cal, MONDAY) == []


def test_vacation_beats_custom_hours_inside_its_range() -> None:
    vacation = DateOverride(MONDAY, TUESDAY, OverrideKind.VACATION)
    custom = DateOverride(TUESDAY, TUESDAY, OverrideKind.CUSTOM_HOURS, window("10:00", "11:00"))
    cal = calendar(*every_day(), overrides=(custom, vacation))
    assert day_slots(cal, TUESDAY) == []


# --- busy time: blocks, bookings, holds --------------------------------------------------------


def test_overlapping_block_removes_the_slot() -> None:
    lunch = Busy(local(MONDAY, "10:30"), local(MONDAY, "10:45"))
    cal = calendar(weekly(0, "09:00", "12:00"), busy=(lunch,))
    assert starts(day_slots(cal)) == ["09:00", "11:00"]


def test_busy_touching_slot_end_does_not_remove_it() -> None:
    booking = Busy(local(MONDAY, "10:00"), local(MONDAY, "11:00"))  # starts as 09:00 ends
    cal = calendar(weekly(0, "09:00", "12:00"), busy=(booking,))
    assert starts(day_slots(cal)) == ["09:00", "11:00"]


def test_busy_ending_at_slot_start_does_not_remove_it() -> None:
    hold = Busy(local(MONDAY, "08:00"), local(MONDAY, "09:00"))
    cal = calendar(weekly(0, "09:00", "10:00"), busy=(hold,))
    assert starts(day_slots(cal)) == ["09:00"]


def test_busy_one_minute_into_the_slot_removes_it() -> None:
    busy = Busy(local(MONDAY, "08:00"), local(MONDAY, "09:01"))
    cal = calendar(weekly(0, "09:00", "11:00"), busy=(busy,))
    assert starts(day_slots(cal)) == ["10:00"]


def test_busy_covering_several_slots_removes_them_all() -> None:
    busy = Busy(local(MONDAY, "09:30"), local(MONDAY, "11:30"))
    cal = calendar(weekly(0, "09:00", "13:00"), busy=(busy,))
    assert starts(day_slots(cal)) == ["12:00"]


def test_busy_index_merges_overlapping_and_touching_intervals() -> None:
    a = Busy(utc(2026, 6, 1, 9), utc(2026, 6, 1, 10))
    b = Busy(utc(2026, 6, 1, 9, 30), utc(2026, 6, 1, 11))
    c = Busy(utc(2026, 6, 1, 11), utc(2026, 6, 1, 12))  # touches b
    d = Busy(utc(2026, 6, 1, 14), utc(2026, 6, 1, 15))
    index = BusyIndex([d, c, a, b])
    assert len(index) == 2
    assert index.overlaps(utc(2026, 6, 1, 11, 59), utc(2026, 6, 1, 13))
    assert not index.overlaps(utc(2026, 6, 1, 12), utc(2026, 6, 1, 14))
    assert index.overlaps(utc(2026, 6, 1, 13), utc(2026, 6, 1, 14, 1))
    assert not index.overlaps(utc(2026, 6, 1, 15), utc(2026, 6, 1, 16))
    assert not index.overlaps(utc(2026, 6, 1, 8), utc(2026, 6, 1, 9))


def test_busy_index_interval_inside_another_does_not_shrink_it() -> None:
    outer = Busy(utc(2026, 6, 1, 9), utc(2026, 6, 1, 17))
    inner = Busy(utc(2026, 6, 1, 10), utc(2026, 6, 1, 11))
    index = BusyIndex([outer, inner])
    assert len(index) == 1
    assert index.overlaps(utc(2026, 6, 1, 16), utc(2026, 6, 1, 16, 30))


def test_busy_index_ignores_empty_intervals() -> None:
    index = BusyIndex([Busy(utc(2026, 6, 1, 10), utc(2026, 6, 1, 10))])
    assert len(index) == 0
    assert not index.overlaps(utc(2026, 6, 1, 9), utc(2026, 6, 1, 11))


def test_merged_busy_intervals_remove_the_slots_under_their_union() -> None:
    busy = (
        Busy(local(MONDAY, "09:10"), local(MONDAY, "09:50")),
        Busy(local(MONDAY, "09:40"), local(MONDAY, "11:20")),
    )
    cal = calendar(weekly(0, "09:00", "13:00"), busy=busy)
    assert starts(day_slots(cal)) == ["12:00"]


# --- min notice and horizon -------------------------------------------------------------------


def test_min_notice_defaults_to_thirty_minutes() -> None:
    assert Rules().min_notice_minutes == 30
    cal = calendar(weekly(0, "09:00", "12:00"))
    now = local(MONDAY, "08:30").astimezone(UTC)
    assert starts(slots_for_day(cal, MONDAY, duration_minutes=None, now=now)) == [
        "09:00",
        "10:00",
        "11:00",
    ]
    later = now + timedelta(minutes=1)
    assert starts(slots_for_day(cal, MONDAY, duration_minutes=None, now=later)) == [
        "10:00",
        "11:00",
    ]


def test_slot_exactly_at_now_plus_min_notice_stays_one_minute_earlier_goes() -> None:
    rules = Rules(min_notice_minutes=120, horizon_days=60)
    cal = calendar(weekly(0, "09:00", "12:00", slot=30))
    now = local(MONDAY, "08:00").astimezone(UTC)  # earliest start: 10:00
    assert starts(day_slots(cal, now=now, rules=rules))[0] == "10:00"
    assert starts(day_slots(cal, now=now + timedelta(minutes=1), rules=rules))[0] == "10:30"


def test_zero_min_notice_allows_a_slot_starting_now() -> None:
    cal = calendar(weekly(0, "09:00", "10:00"))
    now = local(MONDAY, "09:00").astimezone(UTC)
    assert starts(day_slots(cal, now=now, rules=NO_NOTICE)) == ["09:00"]


def test_horizon_last_bookable_date_is_today_plus_horizon_days() -> None:
    rules = Rules(min_notice_minutes=30, horizon_days=3)
    cal = calendar(*every_day())
    now = local(MONDAY, "07:00").astimezone(UTC)
    assert day_slots(cal, MONDAY + timedelta(days=3), now=now, rules=rules) != []
    assert day_slots(cal, MONDAY + timedelta(days=4), now=now, rules=rules) == []


def test_horizon_is_date_based_not_a_rolling_instant() -> None:
    # at 23:30 local on Monday, the whole Thursday (today + 3) is bookable, late slots included
    rules = Rules(min_notice_minutes=30, horizon_days=3)
    cal = calendar(*every_day("00:00", "23:59"))
    now = local(MONDAY, "00:30").astimezone(UTC)
    thursday = day_slots(cal, MONDAY + timedelta(days=3), now=now, rules=rules)
    assert starts(thursday)[-1] == "22:00"


def test_horizon_uses_the_specialists_local_date() -> None:
    rules = Rules(min_notice_minutes=0, horizon_days=1)
    cal = calendar(*every_day(), zone=KOLKATA)
    now = utc(2026, 5, 31, 20, 0)  # already 01:30 on 1 June in Kolkata
    assert day_slots(cal, MONDAY + timedelta(days=1), now=now, rules=rules) != []
    assert day_slots(cal, MONDAY + timedelta(days=2), now=now, rules=rules) == []


def test_horizon_zero_means_today_only() -> None:
    rules = Rules(min_notice_minutes=0, horizon_days=0)
    cal = calendar(*every_day())
    now = local(MONDAY, "06:00").astimezone(UTC)
    assert day_slots(cal, MONDAY, now=now, rules=rules) != []
    assert day_slots(cal, TUESDAY, now=now, rules=rules) == []


# --- DST and odd offsets ----------------------------------------------------------------------


def test_berlin_spring_forward_skips_the_missing_hour() -> None:
    day = date(2026, 3, 29)  # 02:00 -> 03:00 local
    cal = calendar(weekly(6, "01:00", "05:00", slot=60))
    slots = day_slots(cal, day, now=week_before(day))
    assert starts(slots) == ["01:00", "03:00", "04:00"]
    assert [s.start for s in slots] == [
        utc(2026, 3, 29, 0, 0),  # 01:00 CET (+01:00)
        utc(2026, 3, 29, 1, 0),  # 03:00 CEST (+02:00)
        utc(2026, 3, 29, 2, 0),
    ]
    assert [s.end - s.start for s in slots] == [timedelta(hours=1)] * 3


def test_berlin_spring_forward_a_start_inside_the_gap_gives_no_slot() -> None:
    day = date(2026, 3, 29)
    cal = calendar(weekly(6, "02:00", "03:30", slot=30))
    assert starts(day_slots(cal, day, now=week_before(day))) == ["03:00"]


def test_berlin_fall_back_ambiguous_start_takes_the_first_occurrence() -> None:
    day = date(2026, 10, 25)  # 03:00 -> 02:00 local, 02:00-03:00 happens twice
    cal = calendar(weekly(6, "01:00", "04:00", slot=60))
    slots = day_slots(cal, day, now=week_before(day))
    assert [s.start for s in slots] == [
        utc(2026, 10, 24, 23, 0),  # 01:00 CEST
        utc(2026, 10, 25, 0, 0),  # 02:00 CEST: the first 02:00
        utc(2026, 10, 25, 2, 0),  # 03:00 CET
    ]
    assert starts(slots) == ["01:00", "02:00", "03:00"]


def test_kolkata_half_hour_offset() -> None:
    cal = calendar(weekly(0, "09:00", "11:00"), zone=KOLKATA)
    slots = day_slots(cal, MONDAY)
    assert [s.start for s in slots] == [utc(2026, 6, 1, 3, 30), utc(2026, 6, 1, 4, 30)]
    assert starts(slots, KOLKATA) == ["09:00", "10:00"]


def test_kolkata_slots_belong_to_the_local_date() -> None:
    # 00:00-06:00 local on 1 June is 18:30 UTC on 31 May to 00:30 UTC on 1 June
    cal = calendar(weekly(0, "00:00", "06:00", slot=120), zone=KOLKATA)
    slots = day_slots(cal, MONDAY)
    assert [s.start for s in slots] == [
        utc(2026, 5, 31, 18, 30),
        utc(2026, 5, 31, 20, 30),
        utc(2026, 5, 31, 22, 30),
    ]
    assert {s.start.astimezone(KOLKATA).date() for s in slots} == {MONDAY}
    assert day_slots(cal, MONDAY - timedelta(days=1)) == []  # Sunday has no rows


# --- any available -----------------------------------------------------------------------------


def test_any_available_is_the_union_and_a_shared_start_lists_both_ids_sorted() -> None:
    anna = calendar(weekly(0, "09:00", "11:00"), specialist_id=5)
    ben = calendar(weekly(0, "10:00", "12:00"), specialist_id=2)
    slots = any_available([anna, ben], MONDAY, duration_minutes=None, now=NOW, rules=NO_NOTICE)
    assert [(s.start.astimezone(BERLIN).strftime("%H:%M"), s.specialist_ids) for s in slots] == [
        ("09:00", (5,)),
        ("10:00", (2, 5)),
        ("11:00", (2,)),
    ]


def test_any_available_lists_different_starts_separately_sorted_by_start() -> None:
    anna = calendar(weekly(0, "09:30", "11:30"), specialist_id=1)
    ben = calendar(weekly(0, "09:00", "11:00"), specialist_id=2)
    slots = any_available([anna, ben], MONDAY, duration_minutes=None, now=NOW, rules=NO_NOTICE)
    assert starts(slots) == ["09:00", "09:30", "10:00", "10:30"]
    assert [s.specialist_ids for s in slots] == [(2,), (1,), (2,), (1,)]


def test_any_available_skips_a_busy_specialist_for_that_start() -> None:
    anna = calendar(
        weekly(0, "09:00", "10:00"),
        specialist_id=1,
        busy=(Busy(local(MONDAY, "09:00"), local(MONDAY, "10:00")),),
    )
    ben = calendar(weekly(0, "09:00", "10:00"), specialist_id=2)
    slots = any_available([anna, ben], MONDAY, duration_minutes=None, now=NOW, rules=NO_NOTICE)
    assert [s.specialist_ids for s in slots] == [(2,)]


def test_any_available_with_nobody_working_is_empty() -> None:
    assert any_available([], MONDAY, duration_minutes=None, now=NOW) == []
    cal = calendar(weekly(1, "09:00", "10:00"))
    assert any_available([cal], MONDAY, duration_minutes=None, now=NOW) == []


# --- days with slots (the month calendar) -----------------------------------------------------


def test_days_with_slots_over_a_month_marks_green_and_grey() -> None:
    first, last = date(2026, 6, 1), date(2026, 6, 30)
    vacation = DateOverride(date(2026, 6, 15), date(2026, 6, 19), OverrideKind.VACATION)
    day_off = DateOverride(date(2026, 6, 3), date(2026, 6, 3), OverrideKind.DAY_OFF)
    workdays = tuple(weekly(d, "09:00", "17:00") for d in range(5))  # Mon-Fri
    cal = calendar(*workdays, overrides=(vacation, day_off))
    now = local(date(2026, 6, 10), "12:00").astimezone(UTC)
    rules = Rules(min_notice_minutes=30, horizon_days=60)

    green = days_with_slots([cal], first, last, duration_minutes=None, now=now, rules=rules)

    assert list(green) == [first + timedelta(days=i) for i in range(30)]
    expected = {
        day: (
            day.weekday() < 5
            and day >= date(2026, 6, 10)  # earlier days are past
            and not date(2026, 6, 15) <= day <= date(2026, 6, 19)
        )
        for day in green
    }
    assert green == expected
    assert green[date(2026, 6, 10)] is True  # 13:00 and later still free today
    assert green[date(2026, 6, 9)] is False  # past
    assert green[date(2026, 6, 3)] is False  # day off (and past)


def test_days_with_slots_today_turns_grey_once_the_last_slot_is_too_soon() -> None:
    cal = calendar(weekly(0, "09:00", "12:00"))
    rules = Rules(min_notice_minutes=30, horizon_days=60)
    early = local(MONDAY, "10:30").astimezone(UTC)
    late = early + timedelta(minutes=1)
    assert days_with_slots([cal], MONDAY, MONDAY, duration_minutes=None, now=early, rules=rules)
    assert days_with_slots([cal], MONDAY, MONDAY, duration_minutes=None, now=late, rules=rules) == {
        MONDAY: False
    }


def test_days_with_slots_is_green_when_any_specialist_is_free() -> None:
    anna = calendar(weekly(0, "09:00", "10:00"), specialist_id=1)
    ben = calendar(weekly(1, "09:00", "10:00"), specialist_id=2)
    result = days_with_slots(
        [anna, ben],
        MONDAY,
        MONDAY + timedelta(days=2),
        duration_minutes=None,
        now=NOW,
        rules=NO_NOTICE,
    )
    assert result == {MONDAY: True, TUESDAY: True, TUESDAY + timedelta(days=1): False}


def test_days_with_slots_beyond_the_horizon_are_grey() -> None:
    rules = Rules(min_notice_minutes=0, horizon_days=2)
    cal = calendar(*every_day())
    now = local(MONDAY, "06:00").astimezone(UTC)
    result = days_with_slots(
        [cal], MONDAY, MONDAY + timedelta(days=4), duration_minutes=None, now=now, rules=rules
    )
    assert list(result.values()) == [True, True, True, False, False]


# --- next available ---------------------------------------------------------------------------


def test_next_available_finds_the_earliest_over_specialists() -> None:
    anna = calendar(weekly(2, "09:00", "10:00"), specialist_id=1)  # Wednesdays
    ben = calendar(weekly(1, "15:00", "16:00"), specialist_id=2)  # Tuesdays
    now = local(MONDAY, "12:00").astimezone(UTC)
    slot = next_available([anna, ben], duration_minutes=None, now=now, rules=NO_NOTICE)
    assert slot == Slot(local(TUESDAY, "15:00"), local(TUESDAY, "16:00"), (2,))


def test_next_available_skips_today_slots_that_are_too_soon() -> None:
    cal = calendar(*every_day("09:00", "12:00"))
    rules = Rules(min_notice_minutes=60, horizon_days=60)
    now = local(MONDAY, "10:30").astimezone(UTC)  # earliest 11:30 -> Tuesday 09:00
    slot = next_available([cal], duration_minutes=None, now=now, rules=rules)
    assert slot is not None
    assert slot.start == local(TUESDAY, "09:00")


def test_next_available_honours_the_horizon() -> None:
    cal = calendar(weekly(4, "09:00", "10:00"))  # Fridays; MONDAY + 4
    now = local(MONDAY, "06:00").astimezone(UTC)
    inside = Rules(min_notice_minutes=0, horizon_days=4)
    outside = Rules(min_notice_minutes=0, horizon_days=3)
    assert next_available([cal], duration_minutes=None, now=now, rules=inside) is not None
    assert next_available([cal], duration_minutes=None, now=now, rules=outside) is None


def test_next_available_with_no_schedule_is_none() -> None:
    assert next_available([calendar()], duration_minutes=None, now=NOW) is None
    assert next_available([], duration_minutes=None, now=NOW) is None


def test_next_available_tie_merges_specialist_ids() -> None:
    anna = calendar(weekly(1, "09:00", "10:00"), specialist_id=4)
    ben = calendar(weekly(1, "09:00", "10:00"), specialist_id=3)
    carl = calendar(weekly(1, "11:00", "12:00"), specialist_id=1)
    now = local(MONDAY, "12:00").astimezone(UTC)
    slot = next_available([anna, carl, ben], duration_minutes=None, now=now, rules=NO_NOTICE)
    assert slot == Slot(local(TUESDAY, "09:00"), local(TUESDAY, "10:00"), (3, 4))


def test_next_available_from_a_first_date() -> None:
    cal = calendar(*every_day("09:00", "10:00"))
    now = local(MONDAY, "06:00").astimezone(UTC)
    later = MONDAY + timedelta(days=3)
    slot = next_available([cal], duration_minutes=None, now=now, rules=NO_NOTICE, first=later)
    assert slot is not None
    assert slot.start == local(later, "09:00")


def test_next_available_compares_instants_across_time_zones() -> None:
    # 09:00 in Kolkata (03:30 UTC) beats 09:00 in Berlin (07:00 UTC) on the same date
    berlin = calendar(weekly(1, "09:00", "10:00"), specialist_id=1)
    kolkata = calendar(weekly(1, "09:00", "10:00"), specialist_id=2, zone=KOLKATA)
    now = local(MONDAY, "12:00").astimezone(UTC)
    slot = next_available([berlin, kolkata], duration_minutes=None, now=now, rules=NO_NOTICE)
    assert slot is not None
    assert slot.start == utc(2026, 6, 2, 3, 30)
    assert slot.specialist_ids == (2,)


# --- substitutes --------------------------------------------------------------------------------


def test_substitutes_share_the_service_and_are_ordered_by_earliest_slot() -> None:
    now = local(MONDAY, "06:00").astimezone(UTC)
    me = calendar(*every_day(), specialist_id=1, service_ids=frozenset({10}))
    late = calendar(weekly(3, "09:00", "10:00"), specialist_id=2, service_ids=frozenset({10}))
    early = calendar(weekly(1, "09:00", "10:00"), specialist_id=3, service_ids=frozenset({10, 11}))
    other = calendar(*every_day(), specialist_id=4, service_ids=frozenset({11}))
    idle = calendar(specialist_id=5, service_ids=frozenset({10}))

    result = substitutes(
        1,
        [me, late, early, other, idle],
        service_id=10,
        duration_minutes=None,
        now=now,
        rules=NO_NOTICE,
    )

    assert [s.specialist_id for s in result] == [3, 2, 5]
    assert result[0].first_slot == Slot(local(TUESDAY, "09:00"), local(TUESDAY, "10:00"), (3,))
    assert result[1].first_slot is not None
    assert result[1].first_slot.start == local(MONDAY + timedelta(days=3), "09:00")
    assert result[2].first_slot is None


def test_substitutes_without_slots_come_last_by_id() -> None:
    me = calendar(specialist_id=1, service_ids=frozenset({10}))
    nine = calendar(specialist_id=9, service_ids=frozenset({10}))
    seven = calendar(specialist_id=7, service_ids=frozenset({10}))
    free = calendar(*every_day(), specialist_id=8, service_ids=frozenset({10}))
    result = substitutes(1, [nine, me, seven, free], service_id=10, duration_minutes=None, now=NOW)
    assert [s.specialist_id for s in result] == [8, 7, 9]
    assert [s.first_slot is None for s in result] == [False, True, True]


def test_substitutes_without_service_id_use_the_specialists_own_services() -> None:
    me = calendar(specialist_id=1, service_ids=frozenset({10, 12}))
    shares = calendar(*every_day(), specialist_id=2, service_ids=frozenset({12}))
    does_not = calendar(*every_day(), specialist_id=3, service_ids=frozenset({11}))
    result = substitutes(1, [me, shares, does_not], service_id=None, duration_minutes=None, now=NOW)
    assert [s.specialist_id for s in result] == [2]


def test_the_named_substitute_comes_first_when_free() -> None:
    """Issue 6.8: the substitute named on a vacation leads, though others are free sooner."""
    now = local(MONDAY, "06:00").astimezone(UTC)
    week = (MONDAY, MONDAY + timedelta(days=6))
    away = DateOverride(*week, OverrideKind.VACATION, substitute_id=3)
    over = DateOverride(MONDAY - timedelta(days=7), MONDAY - timedelta(days=1),
                        OverrideKind.VACATION, substitute_id=3)  # fmt: skip
    early = calendar(*every_day(), specialist_id=2, service_ids=frozenset({10}))
    named = calendar(weekly(3, "09:00", "10:00"), specialist_id=3, service_ids=frozenset({10}))
    idle = calendar(specialist_id=3, service_ids=frozenset({10}))  # named, but never free

    def order(overrides: tuple[DateOverride, ...], substitute: SpecialistCalendar) -> list[int]:
        me = calendar(*every_day(), specialist_id=1, service_ids=frozenset({10}),
                      overrides=overrides)  # fmt: skip
        found = substitutes(
            1, [me, early, substitute], service_id=10, duration_minutes=None, now=now,
            rules=NO_NOTICE,
        )  # fmt: skip
        return [s.specialist_id for s in found]

    assert order((away,), named) == [3, 2]
    assert order((), named) == [2, 3]
    assert order((away,), idle) == [2, 3]  # without a free slot: the usual order
    assert order((over,), named) == [2, 3]  # a vacation that is over names nobody


def test_substitutes_exclude_the_specialist_themself() -> None:
    me = calendar(*every_day(), specialist_id=1, service_ids=frozenset({10}))
    result = substitutes(1, [me], service_id=10, duration_minutes=None, now=NOW)
    assert result == []


def test_overlapping_windows_give_each_start_once() -> None:
    both = calendar(weekly(0, "09:00", "11:00"), weekly(0, "10:00", "12:00"))
    slots = day_slots(both)
    assert starts(slots) == ["09:00", "10:00", "11:00"]
    union = any_available([both], MONDAY, duration_minutes=None, now=NOW, rules=NO_NOTICE)
    assert all(slot.specialist_ids == (both.specialist_id,) for slot in union)
