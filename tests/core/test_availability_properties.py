"""Property tests: the slot engine against a brute-force reference written here.

The reference shares no code with the engine. It works on plain tuples, steps through each
window minute by minute in local wall-clock time, turns wall-clock minutes into instants by
walking UTC minute by minute through the day and remembering the first instant that shows each
local time (so a time never shown is a DST gap and an ambiguous one gets its first occurrence),
and checks busy time with a plain ``any(...)`` over the raw list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
)

# Dates worth testing per zone: DST switches where there are any.
ZONE_DATES = {
    "Europe/Berlin": (date(2026, 3, 29), date(2026, 10, 25)),
    "America/New_York": (date(2026, 3, 8), date(2026, 11, 1)),
    "Asia/Kolkata": (date(2026, 6, 1), date(2026, 12, 31)),
    "UTC": (date(2026, 2, 28),),
}
ZONES = ("Europe/Berlin", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC")
KINDS = ("day_off", "vacation", "custom_hours")

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- plain model -------------------------------------------------------------------------------

# A window is (start_minute, end_minute, slot_minutes, break_minutes), minutes of the local day.
RawWindow = tuple[int, int, int, int]


@dataclass(frozen=True)
class RawSpec:
    specialist_id: int
    zone: str
    weekly: tuple[tuple[int, RawWindow, date | None, date | None], ...]  # weekday, window, range
    overrides: tuple[tuple[date, date, str, RawWindow | None], ...]  # first, last, kind, window
    busy: tuple[tuple[datetime, datetime], ...]


@dataclass(frozen=True)
class Case:
    specs: tuple[RawSpec, ...]
    day: date
    now: datetime
    duration: int | None
    min_notice: int
    horizon: int


# --- the reference -----------------------------------------------------------------------------


@cache
def first_instants(zone_key: str, day: date) -> dict[datetime, datetime]:
    """Naive local wall-clock minute of ``day`` -> the first UTC instant showing it."""
    zone = ZoneInfo(zone_key)
    instant = datetime.combine(day - timedelta(days=1), time(), tzinfo=UTC)
    stop = datetime.combine(day + timedelta(days=2), time(), tzinfo=UTC)
    shown: dict[datetime, datetime] = {}
    while instant < stop:
        wall = instant.astimezone(zone).replace(tzinfo=None)
        if wall.date() == day and wall not in shown:
            shown[wall] = instant
        instant += timedelta(minutes=1)
    return shown


def ref_windows(spec: RawSpec, day: date) -> list[RawWindow]:
    covering = [o for o in spec.overrides if o[0] <= day <= o[1]]
    if any(kind in ("day_off", "vacation") for _, _, kind, _ in covering):
        return []
    custom = [w for _, _, kind, w in covering if kind == "custom_hours" and w is not None]
    if custom:
        return custom
    return [
        w
        for weekday, w, valid_from, valid_until in spec.weekly
        if weekday == day.weekday()
        and (valid_from is None or valid_from <= day)
        and (valid_until is None or day <= valid_until)
    ]


def ref_slots(
    spec: RawSpec, day: date, now: datetime, duration: int | None, min_notice: int, horizon: int
) -> list[tuple[datetime, datetime]]:
    today = now.astimezone(ZoneInfo(spec.zone)).date()
    if (day - today).days > horizon:
        return []
    shown = first_instants(spec.zone, day)
    midnight = datetime.combine(day, time())
    found = []
    for first, last, slot, brk in ref_windows(spec, day):
        length = duration if duration is not None else slot
        for minute in range(first, last + 1):
            if (minute - first) % (slot + brk) != 0 or minute + length > last:
                continue
            start = shown.get(midnight + timedelta(minutes=minute))
            if start is None:  # a DST gap
                continue
            if start < now + timedelta(minutes=min_notice):
                continue
            end = start + timedelta(minutes=length)
            if any(b_start < end and start < b_end for b_start, b_end in spec.busy):
                continue
            found.append((start, end))
    return sorted(found)


# --- building the engine's inputs ----------------------------------------------------------------


def as_window(raw: RawWindow) -> Window:
    first, last, slot, brk = raw
    return Window(time(*divmod(first, 60)), time(*divmod(last, 60)), slot, brk)


def as_calendar(spec: RawSpec) -> SpecialistCalendar:
    return SpecialistCalendar(
        specialist_id=spec.specialist_id,
        key=f"s{spec.specialist_id}",
        timezone=ZoneInfo(spec.zone),
        weekly=tuple(
            WeeklyWindow(weekday, as_window(w), valid_from, valid_until)
            for weekday, w, valid_from, valid_until in spec.weekly
        ),
        overrides=tuple(
            DateOverride(first, last, OverrideKind(kind), as_window(w) if w else None)
            for first, last, kind, w in spec.overrides
        ),
        busy=BusyIndex(Busy(start, end) for start, end in spec.busy),
    )


def rules_of(case: Case) -> Rules:
    return Rules(min_notice_minutes=case.min_notice, horizon_days=case.horizon)


def engine_slots(case: Case, spec: RawSpec, day: date | None = None) -> list[Slot]:
    calendar, day = as_calendar(spec), case.day if day is None else day
    duration, now, rules = case.duration, case.now, rules_of(case)
    slots = slots_for_day(calendar, day, duration_minutes=duration, now=now, rules=rules)
    # whether there is one, and the first, as the month calendar asks them
    assert has_slot(calendar, day, duration_minutes=duration, now=now, rules=rules) == bool(slots)
    first = first_slot(calendar, day, duration_minutes=duration, now=now, rules=rules)
    assert first == (slots[0] if slots else None)
    return slots


def reference(
    case: Case, spec: RawSpec, day: date | None = None
) -> list[tuple[datetime, datetime]]:
    return ref_slots(
        spec,
        case.day if day is None else day,
        case.now,
        case.duration,
        case.min_notice,
        case.horizon,
    )


# --- strategies --------------------------------------------------------------------------------

# Hypothesis leans towards the first value of sampled_from / the first branch of one_of and towards
# small integers, so the common, interesting values are listed first and the rest are random.
first_starts = st.one_of(
    st.sampled_from([60, 540, 90, 0, 120, 150, 480, 600, 720]), st.integers(0, 23 * 60 + 59)
)  # often in the small hours, where DST switches happen
gaps = st.one_of(st.sampled_from([60, 0, 30, 120]), st.integers(0, 360))
lengths = st.one_of(st.sampled_from([540, 240, 120, 60, 480, 90, 30, 15]), st.integers(1, 720))
slot_lengths = st.one_of(st.sampled_from([60, 30, 45, 90, 15, 120, 20]), st.integers(15, 120))
breaks = st.one_of(st.sampled_from([0, 15, 10, 5, 30]), st.integers(0, 30))
LAST_MINUTE = 23 * 60 + 59


@st.composite
def disjoint_windows(
    draw: st.DrawFn, min_windows: int = 0, max_windows: int = 3
) -> list[RawWindow]:
    """Non-overlapping (possibly touching) windows with random slot lengths and breaks."""
    cursor = draw(first_starts)
    windows: list[RawWindow] = []
    shape = st.tuples(gaps, lengths)
    for gap, length in draw(st.lists(shape, min_size=min_windows, max_size=max_windows)):
        first = cursor + (gap if windows else 0)
        last = min(first + length, LAST_MINUTE)
        if first >= last:
            break
        windows.append((first, last, draw(slot_lengths), draw(breaks)))
        cursor = last
    return windows


@st.composite
def raw_specs(draw: st.DrawFn, specialist_id: int, zone: str, day: date) -> RawSpec:
    near = st.integers(-3, 3).map(lambda k: day + timedelta(days=k))
    maybe_near = st.one_of(st.none(), st.none(), near)  # open-ended validity is common
    weekly = []
    for weekday in range(7):
        # the tested weekday (and so the same weekday a week away) usually has some hours
        least = 1 if weekday == day.weekday() and draw(st.sampled_from([1, 1, 1, 0])) else 0
        for w in draw(disjoint_windows(min_windows=least)):
            weekly.append((weekday, w, draw(maybe_near), draw(maybe_near)))
    # custom-hours windows all come from one disjoint set, so a day never gets overlapping ones
    custom = draw(disjoint_windows(min_windows=2))
    overrides = []
    for kind in draw(st.lists(st.sampled_from(KINDS), max_size=2)):
        first = draw(near)
        last = first + timedelta(days=draw(st.integers(0, 3)))
        if kind == "custom_hours":
            if not custom:
                continue
            overrides.append((first, last, kind, custom.pop()))
        else:
            overrides.append((first, last, kind, None))
    # busy intervals mostly cluster around one instant near where windows tend to start (so they
    # overlap each other, merge, and hit slots), some anywhere
    midnight = datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    anchor = draw(st.one_of(st.sampled_from([540, 60, 600, 120, 720]), st.integers(-720, 2160)))
    offsets = st.one_of(st.integers(-120, 240).map(lambda k: anchor + k), st.integers(-720, 2160))
    busy = []
    for offset, length in draw(st.lists(st.tuples(offsets, st.integers(1, 180)), max_size=4)):
        start = midnight + timedelta(minutes=offset)
        busy.append((start, start + timedelta(minutes=length)))
    return RawSpec(specialist_id, zone, tuple(weekly), tuple(overrides), tuple(busy))


@st.composite
def cases(draw: st.DrawFn, max_specialists: int = 1) -> Case:
    zone = draw(st.sampled_from(ZONES))
    base = draw(st.sampled_from(ZONE_DATES[zone]))
    day = base + timedelta(days=draw(st.just(0) | st.integers(-2, 2)))
    count = draw(st.integers(1, max_specialists))
    zones = [zone] + [draw(st.sampled_from(ZONES)) for _ in range(count - 1)]
    ids = draw(st.lists(st.integers(1, 99), min_size=count, max_size=count, unique=True))
    specs = tuple(draw(raw_specs(i, z, day)) for i, z in zip(ids, zones, strict=True))
    midnight = datetime.combine(day, time(), tzinfo=UTC)
    days_before = draw(st.sampled_from([-1, 0, -2, -3, 1]))
    # on the half hour half the time, so now + min_notice often lands exactly on a slot start
    at = draw(st.one_of(st.sampled_from(range(0, 1440, 30)), st.integers(0, 1439)))
    now = midnight + timedelta(days=days_before, minutes=at)
    return Case(
        specs=specs,
        day=day,
        now=now,
        duration=draw(st.one_of(st.none(), st.sampled_from([60, 30, 90, 5]), st.integers(5, 180))),
        min_notice=draw(st.one_of(st.sampled_from([30, 0, 60, 120]), st.integers(0, 240))),
        horizon=draw(st.sampled_from([60, 3, 1, 0, 2, 5])),
    )


# --- properties --------------------------------------------------------------------------------


@PROPERTY
@given(cases())
def test_engine_matches_the_brute_force_reference(case: Case) -> None:
    (spec,) = case.specs
    slots = engine_slots(case, spec)
    assert [(s.start, s.end) for s in slots] == reference(case, spec)
    assert all(s.specialist_ids == (spec.specialist_id,) for s in slots)


@PROPERTY
@given(cases())
def test_no_slot_overlaps_anything_busy(case: Case) -> None:
    (spec,) = case.specs
    for slot in engine_slots(case, spec):
        assert not any(b_start < slot.end and slot.start < b_end for b_start, b_end in spec.busy)


@PROPERTY
@given(cases())
def test_every_slot_lies_in_a_window_of_its_day_and_respects_notice(case: Case) -> None:
    (spec,) = case.specs
    zone = ZoneInfo(spec.zone)
    earliest = case.now + timedelta(minutes=case.min_notice)
    today = case.now.astimezone(zone).date()
    windows = ref_windows(spec, case.day)
    for slot in engine_slots(case, spec):
        assert slot.start >= earliest
        assert slot.start.tzinfo is not None
        wall = slot.start.astimezone(zone).replace(tzinfo=None)
        assert wall.date() == case.day
        assert (case.day - today).days <= case.horizon
        minute = wall.hour * 60 + wall.minute
        length = (slot.end - slot.start) // timedelta(minutes=1)
        assert any(
            first <= minute
            and (minute - first) % (slot_len + brk) == 0
            and minute + length <= last
            and length == (case.duration if case.duration is not None else slot_len)
            for first, last, slot_len, brk in windows
        )


@PROPERTY
@given(cases(max_specialists=3))
def test_any_available_is_the_union_of_each_specialists_slots(case: Case) -> None:
    union: dict[tuple[datetime, datetime], list[int]] = {}
    for spec in case.specs:
        for slot in engine_slots(case, spec):
            union.setdefault((slot.start, slot.end), []).append(spec.specialist_id)
    expected = [Slot(start, end, tuple(sorted(ids))) for (start, end), ids in sorted(union.items())]

    calendars = [as_calendar(spec) for spec in case.specs]
    result = any_available(
        calendars, case.day, duration_minutes=case.duration, now=case.now, rules=rules_of(case)
    )
    assert result == expected
    assert [s.start for s in result] == sorted(s.start for s in result)


@settings(PROPERTY, max_examples=60)
@given(cases(max_specialists=3))
def test_days_with_slots_and_next_available_agree_with_the_reference(case: Case) -> None:
    calendars = [as_calendar(spec) for spec in case.specs]
    rules = rules_of(case)
    first, last = case.day - timedelta(days=2), case.day + timedelta(days=2)
    days = [first + timedelta(days=k) for k in range(5)]

    green = days_with_slots(
        calendars, first, last, duration_minutes=case.duration, now=case.now, rules=rules
    )
    assert green == {d: any(reference(case, spec, d) for spec in case.specs) for d in days}

    everything: list[tuple[datetime, int]] = []
    for spec in case.specs:
        today = case.now.astimezone(ZoneInfo(spec.zone)).date()
        for k in range(case.horizon + 1):
            for start, _ in reference(case, spec, today + timedelta(days=k)):
                everything.append((start, spec.specialist_id))
    found = next_available(calendars, duration_minutes=case.duration, now=case.now, rules=rules)
    if not everything:
        assert found is None
    else:
        earliest = min(start for start, _ in everything)
        assert found is not None
        assert found.start == earliest
        assert found.specialist_ids == tuple(
            sorted({sid for start, sid in everything if start == earliest})
        )


@PROPERTY
@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 60)), max_size=8),
    st.lists(st.tuples(st.integers(0, 260), st.integers(1, 60)), min_size=1, max_size=10),
)
def test_busy_index_agrees_with_a_plain_any(
    intervals: list[tuple[int, int]], queries: list[tuple[int, int]]
) -> None:
    base = datetime(2026, 3, 29, tzinfo=UTC)

    def at(minute: int) -> datetime:
        return base + timedelta(minutes=minute)

    busy = [(at(start), at(start + length)) for start, length in intervals]
    index = BusyIndex(Busy(start, end) for start, end in busy)
    for start, length in queries:
        q_start, q_end = at(start), at(start + length)
        # an empty interval [x, x) holds no instant, so it overlaps nothing
        expected = any(
            q_start < b_end and b_start < q_end and b_start < b_end for b_start, b_end in busy
        )
        assert index.overlaps(q_start, q_end) == expected
