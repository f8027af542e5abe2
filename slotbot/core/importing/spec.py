"""The import file's content (DESIGN.md section 8): pydantic models of the format and the
checks that span several fields, with the errors they raise.

Pure: nothing here touches the database. Reading YAML (and line numbers) lives in
:mod:`.format`; checks against the database in :mod:`.importer` through :func:`reference_problems`.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from slotbot.core.availability.engine import OverrideKind, local_instant
from slotbot.core.clients import InvalidContact, parse_phone, region_of_zone
from slotbot.core.i18n import LANGUAGES
from slotbot.core.limits import INT64_MAX, bounded_date, bounded_instant, check_key

SYNONYM_MAX = 100
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]
"""A problem found in a file: where (a path of keys and indexes) and why."""


# --- errors -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One thing wrong with an import file."""

    path: str
    reason: str
    line: int | None = None

    def describe(self, filename: str) -> str:
        where = filename if self.line is None else f"{filename}:{self.line}"
        return f"{where}: {self.path}: {self.reason}" if self.path else f"{where}: {self.reason}"


class ImportFileError(Exception):
    """A rejected import file; ``errors`` holds every issue, the attributes the first one."""

    SHOWN = 5

    def __init__(self, filename: str, errors: Sequence[ImportIssue]) -> None:
        if not errors:
            raise ValueError("an ImportFileError needs at least one issue")
        self.filename = filename
        self.errors = sorted(errors, key=lambda e: (e.line is None, e.line or 0))
        first = self.errors[0]
        self.line: int | None = first.line
        self.path: str = first.path
        self.reason: str = first.reason
        lines = [issue.describe(filename) for issue in self.errors[: self.SHOWN]]
        if len(self.errors) > self.SHOWN:
            lines.append(f"... and {len(self.errors) - self.SHOWN} more")
        super().__init__("\n".join(lines))


def format_loc(loc: Loc) -> str:
    """``("specialists", 0, "start")`` -> ``"specialists[0].start"``."""
    path = ""
    for item in loc:
        path += f"[{item}]" if isinstance(item, int) else (f".{item}" if path else item)
    return path


# --- field types --------------------------------------------------------------------------


def _key(value: object) -> object:
    return check_key(value) if isinstance(value, str) else value


def _wall_time(value: object) -> object:
    if isinstance(value, time):
        return value
    match = TIME_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f'expected a time as "HH:MM", got {value!r}')
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{value!r} is not a time of day (00:00 to 23:59)")
    return time(hour, minute, second)


def _local_date(value: object) -> object:
    if isinstance(value, datetime):
        raise ValueError(f"expected a date as YYYY-MM-DD, got a date and time ({value})")
    if isinstance(value, date):
        return bounded_date(value)
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return bounded_date(day)
    raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")


def _local_datetime(value: object) -> object:
    moment: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if moment is None:
        raise ValueError(f'expected a local date and time as "YYYY-MM-DDTHH:MM", got {value!r}')
    if moment.tzinfo is not None:
        raise ValueError("give the specialist's local time, without a UTC offset")
    return bounded_instant(moment)


def _timezone(value: object) -> object:
    if isinstance(value, str):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
    return value


def _synonym(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError(f"expected a word or a few, got {value!r}")
    value = " ".join(value.split())
    if not any(c.isalpha() for c in value):
        raise ValueError(f"a synonym needs a word, got {value!r}")
    if len(value) > SYNONYM_MAX:
        raise ValueError(f"a synonym is at most {SYNONYM_MAX} characters, got {len(value)}")
    return value


def _phone(value: object) -> object:
    if isinstance(value, int):
        raise ValueError(f'write the phone number in quotes, e.g. "+{value}"')
    return value


def _web_address(value: object) -> object:
    if not isinstance(value, str):
        return value
    parts = urlsplit(value.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in value.strip())
    ):
        raise ValueError(f"expected a web address starting with https:// or http://, got {value!r}")
    return value.strip()


def _one_line(value: object) -> object:
    """An address written over several lines reads as one: ``street, city``."""
    if isinstance(value, str):
        return ", ".join(line.strip() for line in value.splitlines() if line.strip())
    return value


def _texts_language(value: object) -> object:
    if isinstance(value, str) and value not in LANGUAGES:
        known = ", ".join(LANGUAGES)
        raise ValueError(f"there are no texts in {value!r} yet; use one of: {known}")
    return value


def _everywhere(value: object) -> object:
    """A plain text where texts per locale are expected stands for every locale."""
    return {"en": value} if isinstance(value, str) else value


def _email(value: object) -> object:
    if isinstance(value, str) and not EMAIL_RE.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


Key = Annotated[str, BeforeValidator(_key)]
WallTime = Annotated[time, BeforeValidator(_wall_time)]
LocalDate = Annotated[date, BeforeValidator(_local_date)]
LocalDateTime = Annotated[datetime, BeforeValidator(_local_datetime)]
TimeZoneName = Annotated[str, BeforeValidator(_timezone)]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Locale = Annotated[str, Field(pattern=r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")]
Localized = Annotated[dict[Locale, Text], Field(min_length=1)]
Synonym = Annotated[str, BeforeValidator(_synonym)]
Synonyms = dict[Locale, Annotated[list[Synonym], Field(max_length=50)]]
#: Texts per locale, or one text for every locale.
AnyLocalized = Annotated[dict[Locale, Text], BeforeValidator(_everywhere), Field(min_length=1)]
Phone = Annotated[str, BeforeValidator(_phone), Field(max_length=32)]
WebAddress = Annotated[str, BeforeValidator(_web_address), Field(max_length=2000)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


# --- the file format ----------------------------------------------------------------------


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SettingsSpec(_Spec):
    min_notice_minutes: int | None = Field(default=None, ge=0, le=366 * 24 * 60)
    horizon_days: int | None = Field(default=None, ge=1, le=366)
    hold_minutes: int | None = Field(default=None, ge=1, le=120)
    substitute_after_days: int | None = Field(default=None, ge=0, le=366)
    # anonymous widget clients (core.web_limits)
    max_upcoming_per_client: int | None = Field(default=None, ge=1, le=100)
    max_bookings_per_phone_per_day: int | None = Field(default=None, ge=1, le=100)
    verify_web_phone: bool | None = None


class BusinessSpec(_Spec):
    """The shop's own details, shown to clients; all optional."""

    name: AnyLocalized | None = None
    address: (
        Annotated[str, BeforeValidator(_one_line), Field(min_length=1, max_length=300)] | None
    ) = None
    phone: Phone | None = None
    map_url: WebAddress | None = None

    def stored(self, region: str) -> dict[str, object]:
        """What ``business_settings`` keeps: the phone in E.164 (read in ``region``)."""
        value = self.model_dump(exclude_none=True)
        if self.phone is not None:
            value["phone"] = parse_phone(self.phone, region)
        return value


class ServiceSpec(_Spec):
    key: Key
    name: Localized
    category: AnyLocalized | None = None
    duration: int = Field(gt=0, le=24 * 60)
    price: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=2)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    active: bool = True
    synonyms: Synonyms = Field(default_factory=dict)
    """Other words people type for the service, per language (the name is read anyway)."""


class ScheduleRowSpec(_Spec):
    days: list[Weekday] = Field(min_length=1)
    start: WallTime
    end: WallTime
    slot: int = Field(default=60, gt=0, le=24 * 60)
    break_after: int = Field(default=0, ge=0, le=24 * 60)
    valid_from: LocalDate | None = None
    valid_until: LocalDate | None = None


class OverrideSpec(_Spec):
    on: LocalDate | None = Field(default=None, alias="date")
    from_: LocalDate | None = Field(default=None, alias="from")
    to: LocalDate | None = None
    kind: OverrideKind = Field(alias="type")
    start: WallTime | None = None
    end: WallTime | None = None
    slot: int | None = Field(default=None, gt=0, le=24 * 60)
    break_after: int | None = Field(default=None, ge=0, le=24 * 60)
    reason: str | None = Field(default=None, max_length=255)
    substitute: Key | None = None

    @property
    def starts_on(self) -> date:
        day = self.on or self.from_
        assert day is not None, "checked by spec_problems"
        return day

    @property
    def ends_on(self) -> date:
        day = self.on or self.to
        assert day is not None, "checked by spec_problems"
        return day


class BlockSpec(_Spec):
    start: LocalDateTime
    end: LocalDateTime
    reason: str | None = Field(default=None, max_length=100)


class SpecialistSpec(_Spec):
    key: Key
    name: Text
    title: dict[Locale, Text] = Field(default_factory=dict)
    timezone: TimeZoneName | None = None
    locale: Annotated[str, BeforeValidator(_texts_language)] | None = None
    telegram_user_id: int | None = Field(default=None, gt=0, le=INT64_MAX)
    phone: Phone | None = None
    email: Annotated[str, BeforeValidator(_email), Field(max_length=254)] | None = None
    services: list[Key] = Field(default_factory=list)
    active: bool = True
    schedule: list[ScheduleRowSpec] = Field(default_factory=list)
    overrides: list[OverrideSpec] = Field(default_factory=list)
    blocks: list[BlockSpec] = Field(default_factory=list)

    @property
    def zone(self) -> ZoneInfo:
        assert self.timezone is not None, "checked by spec_problems"
        return ZoneInfo(self.timezone)


class ImportSpec(_Spec):
    """A whole import file; a specialist without a time zone takes the top-level one."""

    timezone: TimeZoneName | None = None
    business: BusinessSpec | None = None
    settings: SettingsSpec = SettingsSpec()
    services: list[ServiceSpec] = Field(default_factory=list)
    specialists: list[SpecialistSpec] = Field(default_factory=list)

    _filename: str = PrivateAttr(default="<data>")
    _line_of: Callable[[Loc], int | None] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _default_timezone(self) -> ImportSpec:
        for specialist in self.specialists:
            if specialist.timezone is None:
                specialist.timezone = self.timezone
        return self

    def attach_source(self, filename: str, line_of: Callable[[Loc], int | None]) -> None:
        """Remember where this spec was read from, for line numbers in later errors."""
        self._filename, self._line_of = filename, line_of

    @property
    def filename(self) -> str:
        return self._filename

    @property
    def phone_region(self) -> str:
        """Where the business phone is read when written without a country code."""
        return region_of_zone(self.timezone or "UTC")

    def error(self, problems: Sequence[Problem]) -> ImportFileError:
        """The error for problems found in this spec, with lines when it came from a file."""
        line_of = self._line_of or (lambda loc: None)
        issues = [ImportIssue(format_loc(loc), why, line_of(loc)) for loc, why in problems]
        return ImportFileError(self._filename, issues)


# --- checks beyond single fields ----------------------------------------------------------


def _duplicates(keys: Sequence[str], at: Loc, what: str) -> list[Problem]:
    first: dict[str, int] = {}
    problems: list[Problem] = []
    for index, key in enumerate(keys):
        if key in first:
            problems.append(
                (
                    (*at, index),
                    f"duplicate {what} {key!r} (first at {format_loc((*at, first[key]))})",
                )
            )
        first.setdefault(key, index)
    return problems


def _schedule_problems(specialist: SpecialistSpec, at: Loc) -> list[Problem]:
    problems: list[Problem] = []
    sound: list[int] = []
    for index, row in enumerate(specialist.schedule):
        here = (*at, "schedule", index)
        if row.end <= row.start:
            problems.append(
                ((*here, "end"), f"end {row.end:%H:%M} is not after start {row.start:%H:%M}")
            )
            continue
        if row.valid_from and row.valid_until and row.valid_until < row.valid_from:
            problems.append(((*here, "valid_until"), "valid_until is before valid_from"))
            continue
        problems += _duplicates(row.days, (*here, "days"), "day")
        sound.append(index)
    clashes = _overlapping_rows(specialist.schedule, sound)
    for index, other in sorted(clashes):
        common = ", ".join(day for day in WEEKDAYS if day in clashes[index, other])
        problems.append(((*at, "schedule", index), f"overlaps schedule[{other}] on {common}"))
    return problems


def _overlapping_rows(
    rows: Sequence[ScheduleRowSpec], indexes: Sequence[int]
) -> dict[tuple[int, int], set[str]]:
    """Pairs (later row, earlier row) of ``rows[indexes]`` that share a weekday, hours and
    validity dates, with the weekdays they share.

    A sweep over the validity dates: rows enter in order of ``valid_from`` and leave after
    ``valid_until``; per weekday the rows in force are kept sorted by start time and, once
    a clash is reported, free of overlaps, so a newcomer is checked against its neighbours
    only. In a sound file that is O(N log N) for N rows; each clash costs one more step.
    """
    order = sorted(indexes, key=lambda i: (rows[i].valid_from or date.min, i))
    leaving: list[tuple[date, int]] = []  # (valid_until, index), a heap
    in_force: dict[str, list[tuple[time, time, int]]] = {day: [] for day in WEEKDAYS}
    clashes: dict[tuple[int, int], set[str]] = {}
    for index in order:
        row = rows[index]
        opens = row.valid_from or date.min
        while leaving and leaving[0][0] < opens:
            _, gone = heapq.heappop(leaving)
            for day in set(rows[gone].days):
                entry = (rows[gone].start, rows[gone].end, gone)
                day_rows = in_force[day]
                position = bisect.bisect_left(day_rows, entry)
                if position < len(day_rows) and day_rows[position] == entry:
                    del day_rows[position]
        for day in set(row.days):
            day_rows = in_force[day]
            position = bisect.bisect_left(day_rows, (row.start, row.end, index))
            clashed = False
            if position and day_rows[position - 1][1] > row.start:
                clashed = _note(clashes, index, day_rows[position - 1][2], day)
            after = position
            while after < len(day_rows) and day_rows[after][0] < row.end:
                clashed = _note(clashes, index, day_rows[after][2], day)
                after += 1
            if not clashed:
                day_rows.insert(position, (row.start, row.end, index))
        heapq.heappush(leaving, (row.valid_until or date.max, index))
    return clashes


def _note(clashes: dict[tuple[int, int], set[str]], one: int, other: int, day: str) -> bool:
    clashes.setdefault((max(one, other), min(one, other)), set()).add(day)
    return True


def _override_problems(specialist: SpecialistSpec, at: Loc) -> list[Problem]:
    problems: list[Problem] = []
    for index, item in enumerate(specialist.overrides):
        here = (*at, "overrides", index)
        if item.on is not None and (item.from_ or item.to):
            problems.append((here, "give either date or from/to, not both"))
        elif item.on is None and (item.from_ is None or item.to is None):
            problems.append((here, "give a date, or both from and to"))
        elif item.from_ and item.to and item.to < item.from_:
            problems.append(((*here, "to"), f"to {item.to} is before from {item.from_}"))
        if item.kind == OverrideKind.CUSTOM_HOURS:
            if item.start is None or item.end is None:
                missing = "start" if item.start is None else "end"
                problems.append((here, f"custom_hours needs start and end (missing {missing})"))
            elif item.end <= item.start:
                problems.append(((*here, "end"), "end is not after start"))
        else:
            given = [
                name
                for name in ("start", "end", "slot", "break_after")
                if getattr(item, name) is not None
            ]
            if given:
                problems.append(((*here, given[0]), f"{given[0]} only applies to custom_hours"))
        if item.substitute == specialist.key:
            problems.append(
                ((*here, "substitute"), "a specialist cannot substitute for themselves")
            )
    return problems


def _block_problems(specialist: SpecialistSpec, at: Loc) -> list[Problem]:
    problems: list[Problem] = []
    for index, block in enumerate(specialist.blocks):
        here = (*at, "blocks", index)
        instants = []
        for name in ("start", "end"):
            local: datetime = getattr(block, name)
            instant = local_instant(local, specialist.zone)
            if instant is None:
                problems.append(
                    (
                        (*here, name),
                        f"{local:%Y-%m-%dT%H:%M} does not exist in {specialist.timezone}"
                        " (the clocks skip it)",
                    )
                )
            instants.append(instant)
        start, end = instants
        if start and end and end <= start:
            problems.append(((*here, "end"), "end is not after start"))
    return problems


def _business_problems(spec: ImportSpec) -> list[Problem]:
    if spec.business is None or spec.business.phone is None:
        return []
    try:
        parse_phone(spec.business.phone, spec.phone_region)
    except InvalidContact as error:
        return [(("business", "phone"), str(error))]
    return []


def spec_problems(spec: ImportSpec) -> list[Problem]:
    """What is wrong with a file on its own (references to the database aside)."""
    duplicates = _duplicates([s.key for s in spec.services], ("services",), "service key")
    problems = _business_problems(spec)
    problems += [((*loc, "key"), reason) for loc, reason in duplicates]
    for index, service in enumerate(spec.services):
        if service.price is not None and service.currency is None:
            problems.append((("services", index, "price"), "a price needs a currency"))
        if service.price is None and service.currency is not None:
            problems.append((("services", index, "currency"), "a currency without a price"))
    keys = [s.key for s in spec.specialists]
    problems += [
        ((*loc, "key"), why) for loc, why in _duplicates(keys, ("specialists",), "specialist key")
    ]
    owners: dict[int, int] = {}
    for index, specialist in enumerate(spec.specialists):
        if specialist.telegram_user_id is None:
            continue
        if specialist.telegram_user_id in owners:
            first = owners[specialist.telegram_user_id]
            loc: Loc = ("specialists", index, "telegram_user_id")
            problems.append((loc, f"telegram_user_id also given to specialists[{first}]"))
        owners.setdefault(specialist.telegram_user_id, index)
    for index, specialist in enumerate(spec.specialists):
        at: Loc = ("specialists", index)
        problems += _duplicates(specialist.services, (*at, "services"), "service")
        if specialist.timezone is None:
            problems.append((at, "no timezone: give one here or a top-level default"))
            continue
        problems += _schedule_problems(specialist, at)
        problems += _override_problems(specialist, at)
        problems += _block_problems(specialist, at)
    return problems


def reference_problems(
    spec: ImportSpec, *, services: Collection[str] = (), specialists: Collection[str] = ()
) -> list[Problem]:
    """Service and substitute keys that name nothing in the file nor in ``services`` /
    ``specialists`` (the keys already in the database)."""
    known_services = {s.key for s in spec.services} | set(services)
    known_specialists = {s.key for s in spec.specialists} | set(specialists)
    problems: list[Problem] = []
    for index, specialist in enumerate(spec.specialists):
        for position, key in enumerate(specialist.services):
            if key not in known_services:
                problems.append(
                    (("specialists", index, "services", position), f"unknown service {key!r}")
                )
        for position, item in enumerate(specialist.overrides):
            if item.substitute is not None and item.substitute not in known_specialists:
                loc: Loc = ("specialists", index, "overrides", position, "substitute")
                problems.append((loc, f"unknown substitute {item.substitute!r}"))
    return problems
