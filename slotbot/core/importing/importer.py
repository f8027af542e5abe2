"""Applying an import file to the database (DESIGN.md section 8), idempotent by key.

One write transaction, all or nothing. Services and specialists are upserted by key (rows
that already match are not written); a specialist's service links, weekly rows, and the
overrides and blocks an import made (``source="import"``) are synced to the file: rows equal
to the file's keep their ids, the rest are deleted, the missing ones inserted. Rows staff
made (``source="staff"``) and services or specialists the file does not mention are left
alone. Reading and checking the file lives in :mod:`slotbot.core.importing.format` and
:mod:`slotbot.core.importing.spec`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.core.availability.engine import OverrideKind, local_instant
from slotbot.core.business import BUSINESS_KEY
from slotbot.core.importing.format import load_import_file, parse_import_data, parse_import_text
from slotbot.core.importing.spec import (
    WEEKDAYS,
    ImportFileError,
    ImportIssue,
    ImportSpec,
    Problem,
    SpecialistSpec,
    reference_problems,
    spec_problems,
)
from slotbot.core.limits import IMPORT_MAX_BYTES
from slotbot.core.storage.models import (
    BusinessSetting,
    Service,
    Source,
    Specialist,
    SpecialistBlock,
    SpecialistOverride,
    SpecialistSchedule,
    specialist_services,
)
from slotbot.core.storage.schema import schema_lock

__all__ = [
    "Counts",
    "ImportFileError",
    "ImportIssue",
    "ImportReport",
    "ImportSpec",
    "apply_import",
    "import_file",
    "load_import_file",
    "parse_import_data",
    "parse_import_text",
]

# The columns that make two rows "the same" when syncing the file's rows to the database.
SCHEDULE_FIELDS = (
    "specialist_id",
    "weekday",
    "start_time",
    "end_time",
    "slot_duration",
    "break_after",
    "valid_from",
    "valid_until",
)
OVERRIDE_FIELDS = (
    "specialist_id",
    "starts_on",
    "ends_on",
    "kind",
    "start_time",
    "end_time",
    "slot_duration",
    "break_after",
    "reason",
    "substitute_id",
)
BLOCK_FIELDS = ("specialist_id", "starts_at", "ends_at", "reason")


@dataclass(slots=True)
class Counts:
    """What an import did to one kind of row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def describe(self) -> str:
        parts = [(self.created, "created"), (self.updated, "updated"), (self.deleted, "deleted")]
        parts.append((self.unchanged, "unchanged"))
        return ", ".join(f"{count} {what}" for count, what in parts if count)


@dataclass(slots=True)
class ImportReport:
    """Counts per kind of row; ``changed`` is whether the import wrote anything."""

    services: Counts = field(default_factory=Counts)
    specialists: Counts = field(default_factory=Counts)
    service_links: Counts = field(default_factory=Counts)
    schedules: Counts = field(default_factory=Counts)
    overrides: Counts = field(default_factory=Counts)
    blocks: Counts = field(default_factory=Counts)
    settings: Counts = field(default_factory=Counts)
    business: Counts = field(default_factory=Counts)

    def kinds(self) -> dict[str, Counts]:
        """Each kind's counts by a readable name ("schedule rows", ...)."""
        names = {"service_links": "service links", "schedules": "schedule rows"}
        return {names.get(f.name, f.name): getattr(self, f.name) for f in fields(self)}

    @property
    def changed(self) -> bool:
        return any(counts.changed for counts in self.kinds().values())

    def summary(self) -> str:
        """One line, e.g. ``imported: services 1 updated, 5 unchanged; ...``."""
        parts = [f"{name} {c.describe()}" for name, c in self.kinds().items() if c.describe()]
        head = "imported" if self.changed else "nothing to change"
        return f"{head}: {'; '.join(parts)}" if parts else f"{head}: the file is empty"


async def import_file(
    engine: AsyncEngine, path: str | Path, *, max_bytes: int = IMPORT_MAX_BYTES
) -> ImportReport:
    """Read (at most ``max_bytes``), check and apply an import file; raises
    :class:`ImportFileError`."""
    return await apply_import(engine, load_import_file(path, max_bytes=max_bytes))


async def apply_import(engine: AsyncEngine, spec: ImportSpec) -> ImportReport:
    """Bring the database in line with ``spec`` in one transaction (see the module doc),
    taking turns with migrations and other imports (``schema.schema_lock``).

    Raises :class:`ImportFileError` (nothing written) when the file names a service or a
    substitute that exists neither in it nor in the database, or a Telegram id another
    specialist holds; a database error rolls everything back and propagates.
    """
    problems = spec_problems(spec)
    if problems:
        raise spec.error(problems)
    report = ImportReport()
    async with (
        schema_lock(engine) as connection,
        AsyncSession(bind=connection, expire_on_commit=False) as session,
    ):
        await _check_references(session, spec)
        service_ids = await _upsert_services(session, spec, report.services)
        specialist_ids = await _upsert_specialists(session, spec, report.specialists)
        await _sync_links(session, spec, specialist_ids, service_ids, report.service_links)
        await _sync_calendars(session, spec, specialist_ids, report)
        await _upsert_settings(session, spec, report.settings)
        await _upsert_business(session, spec, report.business)
        await session.flush()
    return report


async def _check_references(session: AsyncSession, spec: ImportSpec) -> None:
    wanted_services = {key for s in spec.specialists for key in s.services}
    wanted_substitutes = {o.substitute for s in spec.specialists for o in s.overrides}
    services = await session.scalars(select(Service.key).where(Service.key.in_(wanted_services)))
    specialists = await session.scalars(
        select(Specialist.key).where(Specialist.key.in_(wanted_substitutes - {None}))
    )
    problems: list[Problem] = reference_problems(
        spec, services=set(services), specialists=set(specialists)
    )
    telegram = {s.telegram_user_id: i for i, s in enumerate(spec.specialists) if s.telegram_user_id}
    in_file = {s.key for s in spec.specialists}
    holders = await session.execute(
        select(Specialist.key, Specialist.telegram_user_id).where(
            Specialist.telegram_user_id.in_(list(telegram))
        )
    )
    for key, user_id in holders:
        if key not in in_file and user_id is not None:
            problems.append(
                (
                    ("specialists", telegram[user_id], "telegram_user_id"),
                    f"telegram_user_id {user_id} already belongs to specialist {key!r}",
                )
            )
    if problems:
        raise spec.error(problems)


def _diff(row: object, values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if getattr(row, name) != value}


async def _upsert_services(
    session: AsyncSession, spec: ImportSpec, counts: Counts
) -> dict[str, int]:
    keys = {s.key for s in spec.services}
    existing = {
        s.key: s for s in await session.scalars(select(Service).where(Service.key.in_(keys)))
    }
    for item in spec.services:
        values = {
            "name": item.name,
            "duration_minutes": item.duration,
            "price": item.price,
            "currency": item.currency,
            "is_active": item.active,
            "synonyms": item.synonyms,
            "category": item.category,
        }
        row = existing.get(item.key)
        if row is None:
            session.add(Service(key=item.key, **values))
            counts.created += 1
        elif changes := _diff(row, values):
            for name, value in changes.items():
                setattr(row, name, value)
            counts.updated += 1
        else:
            counts.unchanged += 1
    await session.flush()
    keys |= {key for s in spec.specialists for key in s.services}
    rows = await session.execute(select(Service.key, Service.id).where(Service.key.in_(keys)))
    return dict(rows.all())


def _specialist_values(item: SpecialistSpec) -> dict[str, Any]:
    return {
        "name": item.name,
        "title": item.title,
        "timezone": item.timezone,
        "phone": item.phone,
        "email": item.email,
        "telegram_user_id": item.telegram_user_id,
        "is_active": item.active,
        "locale": item.locale,
    }


async def _upsert_specialists(
    session: AsyncSession, spec: ImportSpec, counts: Counts
) -> dict[str, int]:
    keys = {s.key for s in spec.specialists}
    existing = {
        s.key: s for s in await session.scalars(select(Specialist).where(Specialist.key.in_(keys)))
    }
    changed: list[tuple[Specialist, dict[str, Any]]] = []
    new: list[Specialist] = []
    for item in spec.specialists:
        values = _specialist_values(item)
        row = existing.get(item.key)
        if row is None:
            new.append(Specialist(key=item.key, **values))
        elif changes := _diff(row, values):
            changed.append((row, changes))
    counts.created = len(new)
    counts.updated = len(changed)
    counts.unchanged = len(existing) - len(changed)
    # Free Telegram ids that move between specialists before anyone takes them (unique).
    freed = [row for row, changes in changed if "telegram_user_id" in changes]
    if any(row.telegram_user_id is not None for row in freed):
        for row in freed:
            row.telegram_user_id = None
        await session.flush()
    for row, changes in changed:
        for name, value in changes.items():
            setattr(row, name, value)
    session.add_all(new)
    await session.flush()
    keys |= {o.substitute for s in spec.specialists for o in s.overrides if o.substitute}
    rows = await session.execute(
        select(Specialist.key, Specialist.id).where(Specialist.key.in_(keys))
    )
    return dict(rows.all())


async def _sync_links(
    session: AsyncSession,
    spec: ImportSpec,
    specialist_ids: Mapping[str, int],
    service_ids: Mapping[str, int],
    counts: Counts,
) -> None:
    table = specialist_services
    ids = [specialist_ids[s.key] for s in spec.specialists]
    rows = await session.execute(
        select(table.c.specialist_id, table.c.service_id).where(table.c.specialist_id.in_(ids))
    )
    current = {(specialist_id, service_id) for specialist_id, service_id in rows}
    wanted = {
        (specialist_ids[s.key], service_ids[key]) for s in spec.specialists for key in s.services
    }
    for specialist_id, service_id in sorted(current - wanted):
        await session.execute(
            delete(table).where(
                table.c.specialist_id == specialist_id, table.c.service_id == service_id
            )
        )
    if added := sorted(wanted - current):
        await session.execute(
            insert(table), [{"specialist_id": a, "service_id": b} for a, b in added]
        )
    counts.created, counts.deleted = len(added), len(current - wanted)
    counts.unchanged = len(wanted & current)


async def _sync_calendars(
    session: AsyncSession, spec: ImportSpec, specialist_ids: Mapping[str, int], report: ImportReport
) -> None:
    """Weekly rows, import-made overrides and import-made blocks of the file's specialists."""
    schedules: list[dict[str, Any]] = []
    overrides: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    for item in spec.specialists:
        specialist_id = specialist_ids[item.key]
        for row in item.schedule:
            for day in WEEKDAYS:
                if day in row.days:
                    schedules.append(
                        {
                            "specialist_id": specialist_id,
                            "weekday": WEEKDAYS.index(day),
                            "start_time": row.start,
                            "end_time": row.end,
                            "slot_duration": row.slot,
                            "break_after": row.break_after,
                            "valid_from": row.valid_from,
                            "valid_until": row.valid_until,
                        }
                    )
        for o in item.overrides:
            custom = o.kind == OverrideKind.CUSTOM_HOURS
            overrides.append(
                {
                    "specialist_id": specialist_id,
                    "starts_on": o.starts_on,
                    "ends_on": o.ends_on,
                    "kind": o.kind.value,
                    "start_time": o.start if custom else None,
                    "end_time": o.end if custom else None,
                    "slot_duration": (o.slot or 60) if custom else None,
                    "break_after": (o.break_after or 0) if custom else None,
                    "reason": o.reason,
                    "substitute_id": specialist_ids[o.substitute] if o.substitute else None,
                    "source": Source.IMPORT.value,
                }
            )
        for b in item.blocks:
            blocks.append(
                {
                    "specialist_id": specialist_id,
                    "starts_at": _instant(b.start, item),
                    "ends_at": _instant(b.end, item),
                    "reason": b.reason,
                    "source": Source.IMPORT.value,
                }
            )
    ids = [specialist_ids[s.key] for s in spec.specialists]
    imported = Source.IMPORT.value
    await _sync_rows(session, SpecialistSchedule, SCHEDULE_FIELDS, ids, schedules, report.schedules)
    await _sync_rows(
        session,
        SpecialistOverride,
        OVERRIDE_FIELDS,
        ids,
        overrides,
        report.overrides,
        only=SpecialistOverride.source == imported,
    )
    await _sync_rows(
        session,
        SpecialistBlock,
        BLOCK_FIELDS,
        ids,
        blocks,
        report.blocks,
        only=SpecialistBlock.source == imported,
    )


def _instant(local: datetime, specialist: SpecialistSpec) -> datetime:
    instant = local_instant(local, specialist.zone)
    if instant is None:  # spec_problems rejects these
        raise ValueError(f"{local} does not exist in {specialist.timezone}")
    return instant


Row = TypeVar("Row", SpecialistSchedule, SpecialistOverride, SpecialistBlock)

_CHUNK = 500
"""Ids per ``DELETE ... WHERE id IN (...)`` (SQLite allows 32,766 parameters)."""


async def _sync_rows(
    session: AsyncSession,
    model: type[Row],
    compared: Sequence[str],
    specialist_ids: Sequence[int],
    wanted: Sequence[dict[str, Any]],
    counts: Counts,
    *,
    only: ColumnElement[bool] | None = None,
) -> None:
    """Keep the rows equal to a wanted one, delete the others, insert the missing ones.

    ``only`` narrows the rows that take part (the import-made ones, for instance). Linear:
    the current rows are read as plain tuples and matched by hash, the changes written
    in bulk.
    """
    columns = [getattr(model, name) for name in compared]
    query = (
        select(model.id, *columns).where(model.specialist_id.in_(specialist_ids)).order_by(model.id)
    )
    if only is not None:
        query = query.where(only)
    pool: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for row_id, *stored in await session.execute(query):
        pool[tuple(stored)].append(row_id)
    added: list[dict[str, Any]] = []
    for values in wanted:
        same = pool.get(tuple(values[name] for name in compared))
        if same:
            same.pop()
            counts.unchanged += 1
        else:
            added.append(values)
    gone = [row_id for ids in pool.values() for row_id in ids]
    for start in range(0, len(gone), _CHUNK):
        await session.execute(
            delete(model).where(model.id.in_(gone[start : start + _CHUNK])),
            execution_options={"synchronize_session": False},
        )
    if added:
        await session.execute(insert(model), added)
    counts.created += len(added)
    counts.deleted += len(gone)


async def _upsert_settings(session: AsyncSession, spec: ImportSpec, counts: Counts) -> None:
    """The file's ``settings``, and its ``timezone`` as the shop's default time zone."""
    wanted: dict[str, Any] = spec.settings.model_dump(exclude_none=True)
    if spec.timezone is not None:
        wanted["timezone"] = spec.timezone
    existing = {
        s.key: s
        for s in await session.scalars(
            select(BusinessSetting).where(BusinessSetting.key.in_(wanted))
        )
    }
    for key, value in wanted.items():
        row = existing.get(key)
        if row is None:
            session.add(BusinessSetting(key=key, value=value))
            counts.created += 1
        elif row.value != value:
            row.value = value
            counts.updated += 1
        else:
            counts.unchanged += 1


async def _upsert_business(session: AsyncSession, spec: ImportSpec, counts: Counts) -> None:
    """The file's ``business`` block replaces the stored one as a whole; a file without one
    leaves the stored details alone (as with ``settings``)."""
    if spec.business is None:
        return
    wanted = spec.business.stored(spec.phone_region)
    row = await session.get(BusinessSetting, BUSINESS_KEY)
    if row is None:
        session.add(BusinessSetting(key=BUSINESS_KEY, value=wanted))
        counts.created += 1
    elif row.value != wanted:
        row.value = wanted
        counts.updated += 1
    else:
        counts.unchanged += 1
