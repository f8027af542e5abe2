"""The YAML import: the demo round-trips, re-imports change nothing, edits update in place,
staff rows survive, and a bad file is rejected whole with its line and reason."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.availability import catalog as catalogs
from slotbot.core.availability.directory import load_directory, resolve_offer
from slotbot.core.availability.engine import Rules, local_instant
from slotbot.core.availability.free import FreeTime
from slotbot.core.demo import DEMO_FILE
from slotbot.core.i18n import texts
from slotbot.core.importing import importer
from slotbot.core.importing.importer import (
    ImportFileError,
    ImportReport,
    import_file,
    load_import_file,
    parse_import_text,
)
from slotbot.core.importing.spec import WEEKDAYS, reference_problems
from slotbot.core.storage.db import session_factory, writer
from slotbot.core.storage.models import (
    Base,
    BusinessSetting,
    Service,
    Specialist,
    SpecialistBlock,
    SpecialistOverride,
    SpecialistSchedule,
    specialist_services,
)

BERLIN = ZoneInfo("Europe/Berlin")
DEMO = DEMO_FILE.read_text(encoding="utf-8")

Snapshot = dict[str, list[tuple[Any, ...]]]


async def snapshot(engine: AsyncEngine) -> Snapshot:
    """Every row of every table, ids included, in primary-key order."""
    tables: Snapshot = {}
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = await connection.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [tuple(row) for row in rows]
    return tables


def write(tmp_path: Path, text: str, name: str = "shop.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} should occur once"
    return text.replace(old, new)


async def import_text(engine: AsyncEngine, tmp_path: Path, text: str) -> ImportReport:
    return await import_file(engine, write(tmp_path, text))


# --- the demo file ------------------------------------------------------------------------


async def test_demo_round_trips(engine: AsyncEngine) -> None:
    spec = load_import_file(DEMO_FILE)
    report = await import_file(engine, DEMO_FILE)
    assert report.changed
    assert report.services.created == len(spec.services) >= 4
    assert report.specialists.created == len(spec.specialists) >= 5

    async with session_factory(engine)() as session:
        services = {s.key: s for s in await session.scalars(select(Service))}
        specialists = {s.key: s for s in await session.scalars(select(Specialist))}
        key_of = {s.id: s.key for s in specialists.values()}
        service_key = {s.id: s.key for s in services.values()}
        links = {
            (key_of[a], service_key[b])
            for a, b in await session.execute(select(specialist_services))
        }
        schedules = list(await session.scalars(select(SpecialistSchedule)))
        overrides = list(await session.scalars(select(SpecialistOverride)))
        blocks = list(await session.scalars(select(SpecialistBlock)))
        settings = {s.key: s.value for s in await session.scalars(select(BusinessSetting))}
        rules = (await catalogs.fresh(session)).rules

    assert set(services) == {s.key for s in spec.services}
    for item in spec.services:
        row = services[item.key]
        assert (row.name, row.duration_minutes, row.currency, row.is_active) == (
            item.name,
            item.duration,
            item.currency,
            item.active,
        )
        assert row.price == item.price
        assert row.synonyms == item.synonyms
    assert services["haircut"].synonyms["ru"][0] == "подстричься"
    assert services["teeth_whitening"].price == Decimal("249.90")
    assert not services["teeth_whitening"].is_active

    assert set(specialists) == {s.key for s in spec.specialists}
    for person in spec.specialists:
        row = specialists[person.key]
        assert (row.name, row.title, row.phone, row.email) == (
            person.name,
            person.title,
            person.phone,
            person.email,
        )
        assert (row.telegram_user_id, row.is_active) == (person.telegram_user_id, True)
        assert row.timezone == "Europe/Berlin"  # own or the file's default
        assert set(row.title) == {"en", "ru"}

    assert links == {(p.key, k) for p in spec.specialists for k in p.services}

    expected_weekly = Counter(
        (
            p.key,
            WEEKDAYS.index(d),
            r.start,
            r.end,
            r.slot,
            r.break_after,
            r.valid_from,
            r.valid_until,
        )
        for p in spec.specialists
        for r in p.schedule
        for d in r.days
    )
    assert expected_weekly == Counter(
        (
            key_of[s.specialist_id],
            s.weekday,
            s.start_time,
            s.end_time,
            s.slot_duration,
            s.break_after,
            s.valid_from,
            s.valid_until,
        )
        for s in schedules
    )
    weber_monday = sorted(
        (s.start_time, s.end_time)
        for s in schedules
        if key_of[s.specialist_id] == "weber" and s.weekday == 0
    )
    assert weber_monday == [(time(8), time(12)), (time(14), time(18))]

    assert all(o.source == "import" for o in overrides)
    by_kind = {(key_of[o.specialist_id], o.kind, o.starts_on, o.ends_on): o for o in overrides}
    assert len(by_kind) == sum(len(p.overrides) for p in spec.specialists)
    vacation = by_kind[("weber", "vacation", date(2026, 12, 28), date(2027, 1, 8))]
    assert vacation.substitute_id == specialists["sokolova"].id
    assert vacation.start_time is None and vacation.slot_duration is None
    assert ("weber", "day_off", date(2026, 12, 24), date(2026, 12, 24)) in by_kind
    custom = by_kind[("boris", "custom_hours", date(2026, 12, 31), date(2026, 12, 31))]
    assert (custom.start_time, custom.end_time, custom.slot_duration, custom.break_after) == (
        time(10),
        time(14),
        30,
        0,
    )

    assert all(b.source == "import" for b in blocks)
    expected_blocks = {
        (
            p.key,
            b.start.replace(tzinfo=BERLIN).astimezone(UTC),
            b.end.replace(tzinfo=BERLIN).astimezone(UTC),
            b.reason,
        )
        for p in spec.specialists
        for b in p.blocks
    }
    assert expected_blocks == {
        (key_of[b.specialist_id], b.starts_at, b.ends_at, b.reason) for b in blocks
    }
    lunch = next(b for b in blocks if b.reason == "lunch")
    assert lunch.starts_at == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # 13:00 CET

    assert settings == {
        "min_notice_minutes": 30,
        "horizon_days": 60,
        "hold_minutes": 10,
        "timezone": "Europe/Berlin",
        "business": {
            "name": {"en": "Riverside Clinic", "ru": "Клиника «Риверсайд»"},
            "address": "Flussstraße 1, 10115 Berlin",
            "phone": "+49301234567",  # as E.164
            "map_url": "https://www.openstreetmap.org/?mlat=52.5301&mlon=13.3806#map=17/52.5301/13.3806",
        },
    }
    assert rules == Rules(min_notice_minutes=30, horizon_days=60, hold_minutes=10)


async def test_demo_is_interesting_for_the_slot_engine(engine: AsyncEngine) -> None:
    await import_file(engine, DEMO_FILE)
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    async with session_factory(engine)() as session:
        directory = await load_directory(session)
        anyone = resolve_offer(directory, service_key="gp_consultation", specialist_key=None)
        weber = resolve_offer(directory, service_key="gp_consultation", specialist_key="weber")
        sokolova_id = next(i for i, k in anyone.keys.items() if k == "sokolova")
        free, gp = FreeTime(session, now=now), anyone.service.id
        normal_day = await free.slots(gp, anyone.specialist_ids, date(2026, 12, 2))
        christmas_eve = await free.slots(gp, weber.specialist_ids, date(2026, 12, 24))
        on_vacation = await free.slots(gp, anyone.specialist_ids, date(2026, 12, 29))
    assert len(normal_day) > 10
    assert christmas_eve == []
    assert on_vacation and all(s.specialist_ids == (sokolova_id,) for s in on_vacation)


async def test_second_import_changes_nothing(engine: AsyncEngine) -> None:
    await import_file(engine, DEMO_FILE)
    before = await snapshot(engine)
    report = await import_file(engine, DEMO_FILE)
    assert await snapshot(engine) == before
    assert not report.changed
    assert report.summary().startswith("nothing to change: services 8 unchanged")
    assert report.schedules.unchanged == len(before["specialist_schedules"])


async def test_edited_file_updates_in_place(engine: AsyncEngine, tmp_path: Path) -> None:
    await import_file(engine, DEMO_FILE)
    before = await snapshot(engine)
    text = edit(DEMO, "duration: 60\n    price: 35", "duration: 45\n    price: 35")
    text = edit(
        text, '      - {days: [mon, tue, thu, fri], start: "14:00", end: "18:00", slot: 30}\n', ""
    )
    text = edit(
        text,
        "      - {date: 2027-01-01, type: day_off, reason: New Year}\n    blocks:\n"
        '      - {start: "2026-12-09T12:00"',
        "      - {date: 2027-01-01, type: day_off, reason: New Year}\n"
        "      - {date: 2026-12-08, type: day_off, reason: Dentist}\n    blocks:\n"
        '      - {start: "2026-12-09T12:00"',
    )
    report = await import_text(engine, tmp_path, text)
    after = await snapshot(engine)

    assert report.changed
    assert (report.services.updated, report.services.unchanged) == (1, 7)
    assert (report.schedules.deleted, report.schedules.created) == (4, 0)
    assert (report.overrides.created, report.overrides.deleted) == (1, 0)
    assert not (report.specialists.changed or report.blocks.changed or report.settings.changed)

    haircut_before = next(r for r in before["services"] if r[1] == "haircut")
    haircut_after = next(r for r in after["services"] if r[1] == "haircut")
    assert haircut_after[0] == haircut_before[0] and haircut_after[3] == 45

    weber_id = next(r[0] for r in before["specialists"] if r[1] == "weber")
    gone = [r for r in before["specialist_schedules"] if r[1] == weber_id and r[3] == time(14)]
    assert len(gone) == 4
    assert after["specialist_schedules"] == [
        r for r in before["specialist_schedules"] if r not in gone
    ]
    assert after["specialist_overrides"][:-1] == before["specialist_overrides"]
    new = after["specialist_overrides"][-1]
    assert new[2:5] == (date(2026, 12, 8), date(2026, 12, 8), "day_off")
    for table in ("specialists", "specialist_services", "specialist_blocks", "business_settings"):
        assert after[table] == before[table]

    again = await import_text(engine, tmp_path, text)
    assert not again.changed
    assert await snapshot(engine) == after


async def test_business_categories_and_languages_reach_the_directory(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await import_file(engine, DEMO_FILE)
    async with session_factory(engine)() as session:
        directory = await load_directory(session)
    shop = directory.business
    assert (shop.name("ru"), shop.name("de")) == ("Клиника «Риверсайд»", "Riverside Clinic")
    assert shop.location("en") == "Riverside Clinic, Flussstraße 1, 10115 Berlin"
    assert shop.phone == "+49301234567" and shop.map_url.startswith("https://www.openstreetmap")
    haircut = next(s for s in directory.services.values() if s.key == "haircut")
    assert (haircut.category("en"), haircut.category("ru")) == ("Hair studio", "Парикмахерская")
    by_key = {s.key: s for s in directory.specialists.values()}
    assert (by_key["sokolova"].locale, by_key["sokolova"].language) == ("ru", "ru")
    assert (by_key["weber"].locale, by_key["weber"].language) == (None, "en")

    # one text for every locale, a national phone number read in the shop's country, an
    # address over two lines; the block replaces the stored one as a whole
    text = edit(DEMO, '  phone: "+49 30 1234567"\n', '  phone: "030 7654321"\n')
    text = edit(text, "  name: {en: Riverside Clinic, ru: Клиника «Риверсайд»}\n", "  name: Riva\n")
    text = edit(
        text, '  address: "Flussstraße 1, 10115 Berlin"\n', "  address: |\n    Ufer 2\n    Berlin\n"
    )
    text = edit(
        text,
        "{en: Haircut, ru: Стрижка}\n    category: {en: Hair studio, ru: Парикмахерская}\n",
        "{en: Haircut, ru: Стрижка}\n",
    )
    text = edit(text, "    locale: ru ", "    locale: en ")
    report = await import_text(engine, tmp_path, text)
    assert (report.business.updated, report.services.updated, report.specialists.updated) == (
        1, 1, 1,
    )  # fmt: skip
    async with session_factory(engine)() as session:
        directory = await load_directory(session)
    assert directory.business.names == {"en": "Riva"} and directory.business.name("ru") == "Riva"
    assert directory.business.phone == "+49307654321"
    assert directory.business.address == "Ufer 2, Berlin"
    haircut = directory.services[haircut.id]
    assert haircut.category("en") == "" and haircut.categories == {}
    assert directory.specialists[by_key["sokolova"].id].language == "en"
    assert not (await import_text(engine, tmp_path, text)).changed  # idempotent

    # a file without the block leaves the stored details alone; an empty block clears them
    bare = text[: text.index("business:")] + text[text.index("settings:") :]
    assert not (await import_text(engine, tmp_path, bare)).business.changed
    cleared = await import_text(
        engine, tmp_path, bare.replace("settings:", "business: {}\nsettings:")
    )
    assert cleared.business.updated == 1
    async with session_factory(engine)() as session:
        assert (await load_directory(session)).business.lines(texts("en")) == []


async def test_staff_rows_survive_a_reimport(engine: AsyncEngine, tmp_path: Path) -> None:
    await import_file(engine, DEMO_FILE)
    async with writer(engine) as session:
        weber = await session.scalar(select(Specialist).where(Specialist.key == "weber"))
        assert weber is not None
        session.add_all(
            [
                SpecialistOverride(
                    specialist_id=weber.id,
                    starts_on=date(2026, 12, 24),  # same as the file's, but made by staff
                    ends_on=date(2026, 12, 24),
                    kind="day_off",
                    reason="Christmas Eve",
                    source="staff",
                ),
                SpecialistBlock(
                    specialist_id=weber.id,
                    starts_at=datetime(2026, 12, 4, 9, tzinfo=UTC),
                    ends_at=datetime(2026, 12, 4, 10, tzinfo=UTC),
                    reason="Dentist",
                    source="staff",
                ),
            ]
        )
    before = await snapshot(engine)
    assert not (await import_file(engine, DEMO_FILE)).changed
    assert await snapshot(engine) == before

    # Weber's import-made overrides and blocks go; the staff ones stay.
    text = edit(
        DEMO,
        "    overrides:\n      - {date: 2026-12-24, type: day_off, reason: Christmas Eve}\n"
        "      - {from: 2026-12-28, to: 2027-01-08, type: vacation, substitute: sokolova,"
        " reason: Winter holidays}\n"
        "    blocks:\n"
        '      - {start: "2026-12-03T08:00", end: "2026-12-03T09:00", reason: Team meeting}\n'
        '      - {start: "2026-12-15T16:00", end: "2026-12-15T18:00", reason: Medical board}\n',
        "",
    )
    report = await import_text(engine, tmp_path, text)
    assert (report.overrides.deleted, report.blocks.deleted) == (2, 2)
    async with session_factory(engine)() as session:
        left = await session.execute(
            select(SpecialistOverride.source, SpecialistOverride.reason).where(
                SpecialistOverride.specialist_id == weber.id
            )
        )
        blocks = await session.execute(
            select(SpecialistBlock.source, SpecialistBlock.reason).where(
                SpecialistBlock.specialist_id == weber.id
            )
        )
        assert left.all() == [("staff", "Christmas Eve")]
        assert blocks.all() == [("staff", "Dentist")]


async def test_rows_absent_from_the_file_are_left_alone(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await import_file(engine, DEMO_FILE)
    before = await snapshot(engine)
    # A file that only adds a specialist using a service and a substitute from the database.
    report = await import_text(
        engine,
        tmp_path,
        """
specialists:
  - key: nina
    name: Nina Roth
    timezone: Europe/Vienna
    services: [haircut]
    schedule:
      - {days: [mon], start: 9:00, end: 12:00}
    overrides:
      - {from: 2026-12-21, to: 2026-12-23, type: vacation, substitute: boris}
""",
    )
    after = await snapshot(engine)
    assert (report.specialists.created, report.service_links.created) == (1, 1)
    for table, rows in before.items():
        if table != "catalog_state":  # the counter moves with every catalog change
            assert after[table][: len(rows)] == rows, table
    assert after["catalog_state"][0][1] > before["catalog_state"][0][1]
    assert after["specialists"][-1][1:5] == ("nina", "Nina Roth", {}, "Europe/Vienna")


async def test_telegram_ids_can_swap_between_specialists(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await import_file(engine, DEMO_FILE)
    text = edit(DEMO, "telegram_user_id: 1001", "telegram_user_id: 9999")
    text = edit(text, "telegram_user_id: 1002", "telegram_user_id: 1001")
    text = edit(text, "telegram_user_id: 9999", "telegram_user_id: 1002")
    report = await import_text(engine, tmp_path, text)
    assert report.specialists.updated == 2
    async with session_factory(engine)() as session:
        ids = dict(
            (await session.execute(select(Specialist.key, Specialist.telegram_user_id))).all()
        )
    assert (ids["weber"], ids["sokolova"]) == (1002, 1001)


async def test_a_database_error_rolls_everything_back(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await import_file(engine, DEMO_FILE)
    before = await snapshot(engine)

    async def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_upsert_settings", broken)
    text = edit(DEMO, "duration: 60\n    price: 35", "duration: 45\n    price: 35")
    with pytest.raises(RuntimeError, match="disk full"):
        await import_text(engine, tmp_path, text)
    assert await snapshot(engine) == before


# --- bad files ----------------------------------------------------------------------------

GOOD = """\
timezone: Europe/Berlin
services:
  - key: haircut
    name: {en: Haircut, ru: Стрижка}
    duration: 45
    price: 35
    currency: EUR
  - key: shave
    name: {en: Hot towel shave}
    duration: 30
specialists:
  - key: boris
    name: Boris Klein
    telegram_user_id: 1005
    services: [haircut, shave]
    schedule:
      - {days: [mon, tue], start: "09:00", end: "13:00"}
    overrides:
      - {date: 2026-12-31, type: custom_hours, start: "10:00", end: "14:00", slot: 30}
    blocks:
      - {start: "2026-12-09T12:00", end: "2026-12-09T13:00", reason: Supplier meeting}
"""

# (id, old, new with "# <-" on the line the error should name, path, reason, needs the database)
BAD = [
    (
        "yaml-syntax",
        "    name: Boris Klein\n",
        "   name: Boris Klein  # <-\n",
        "",
        "YAML: ",  # libyaml and PyYAML word the syntax error differently
        False,
    ),
    (
        "top-level-typo",
        "specialists:\n",
        "specialist:  # <-\n",
        "specialist",
        "did you mean 'specialists'?",
        False,
    ),
    (
        "unknown-service",
        "services: [haircut, shave]",
        "services: [haircut, shaving]  # <-",
        "specialists[0].services[1]",
        "unknown service 'shaving'",
        True,
    ),
    (
        "bad-time",
        'start: "09:00", end: "13:00"}',
        'start: "25:00", end: "13:00"}  # <-',
        "specialists[0].schedule[0].start",
        "'25:00' is not a time of day",
        False,
    ),
    (
        "end-before-start",
        'end: "13:00"}',
        'end: "08:00"}  # <-',
        "specialists[0].schedule[0].end",
        "end 08:00 is not after start 09:00",
        False,
    ),
    (
        "unknown-timezone",
        "timezone: Europe/Berlin\n",
        "timezone: Europe/Berlim  # <-\n",
        "timezone",
        "unknown time zone 'Europe/Berlim'",
        False,
    ),
    (
        "unknown-substitute",
        "    overrides:\n",
        "    overrides:\n      - {date: 2026-12-24, type: day_off, substitute: ghost}  # <-\n",
        "specialists[0].overrides[0].substitute",
        "unknown substitute 'ghost'",
        True,
    ),
    (
        "custom-hours-without-start",
        'custom_hours, start: "10:00", end',
        "custom_hours, end",
        "specialists[0].overrides[0]",
        "custom_hours needs start and end (missing start)",
        False,
    ),
    (
        "nonexistent-local-time",
        '{start: "2026-12-09T12:00"',
        '{start: "2026-03-29T02:30"',
        "specialists[0].blocks[0].start",
        "2026-03-29T02:30 does not exist in Europe/Berlin",
        False,
    ),
    (
        "duplicate-service-key",
        "  - key: shave\n",
        "  - key: haircut  # <-\n",
        "services[1].key",
        "duplicate service key 'haircut'",
        False,
    ),
    (
        "key-given-twice",
        "    duration: 45\n",
        "    duration: 45\n    duration: 50  # <-\n",
        "",
        "key 'duration' given twice",
        False,
    ),
    (
        "overlapping-rows",
        '"13:00"}\n',
        '"13:00"}\n      - {days: [sun, tue], start: "12:00", end: "15:00"}  # <-\n',
        "specialists[0].schedule[1]",
        "overlaps schedule[0] on tue",
        False,
    ),
    (
        "business-map-url",
        "timezone: Europe/Berlin\n",
        'timezone: Europe/Berlin\nbusiness: {map_url: "www.example.com/map"}  # <-\n',
        "business.map_url",
        "expected a web address starting with https:// or http://, got 'www.example.com/map'",
        False,
    ),
    (
        "business-map-url-scheme",
        "timezone: Europe/Berlin\n",
        'timezone: Europe/Berlin\nbusiness: {map_url: "javascript:alert(1)"}  # <-\n',
        "business.map_url",
        "expected a web address starting with https:// or http://",
        False,
    ),
    (
        "business-phone",
        "timezone: Europe/Berlin\n",
        'timezone: Europe/Berlin\nbusiness: {phone: "call us"}  # <-\n',
        "business.phone",
        "not a phone number: 'call us'",
        False,
    ),
    (
        "business-phone-unquoted",
        "timezone: Europe/Berlin\n",
        "timezone: Europe/Berlin\nbusiness: {phone: 4930123456}  # <-\n",
        "business.phone",
        'write the phone number in quotes, e.g. "+4930123456"',
        False,
    ),
    (
        "business-unknown-key",
        "timezone: Europe/Berlin\n",
        "timezone: Europe/Berlin\nbusiness: {adress: Main St 1}  # <-\n",
        "business.adress",
        "unknown key 'adress'; did you mean 'address'?",
        False,
    ),
    (
        "specialist-locale",
        "    telegram_user_id: 1005\n",
        "    telegram_user_id: 1005\n    locale: de  # <-\n",
        "specialists[0].locale",
        "there are no texts in 'de' yet; use one of: en, ru",
        False,
    ),
    (
        "category-empty",
        "    duration: 45\n",
        "    duration: 45\n    category: {}  # <-\n",
        "services[0].category",
        "should have at least 1 item",
        False,
    ),
    (
        "telegram-id-taken",
        "telegram_user_id: 1005",
        "telegram_user_id: 1001  # <-",
        "specialists[0].telegram_user_id",
        "telegram_user_id 1001 already belongs to specialist 'weber'",
        True,
    ),
]


def bad_text(old: str, new: str) -> tuple[str, int]:
    text = edit(GOOD, old, new)
    if "# <-" not in new:  # the edit keeps the line: mark the line it lands on
        line = text[: text.index(new)].count("\n") + 1
    else:
        line = text[: text.index("# <-")].count("\n") + 1
    return text, line


async def test_the_good_file_would_change_the_demo(engine: AsyncEngine, tmp_path: Path) -> None:
    await import_file(engine, DEMO_FILE)
    report = await import_text(engine, tmp_path, GOOD)
    assert report.services.updated == report.services.created == 1
    assert report.schedules.deleted and report.service_links.created == 1


@pytest.mark.parametrize(
    ("old", "new", "path", "reason", "needs_db"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
async def test_a_bad_file_is_rejected_whole(
    engine: AsyncEngine,
    tmp_path: Path,
    old: str,
    new: str,
    path: str,
    reason: str,
    needs_db: bool,
) -> None:
    await import_file(engine, DEMO_FILE)
    before = await snapshot(engine)
    text, line = bad_text(old, new)
    file = write(tmp_path, text)
    with pytest.raises(ImportFileError) as caught:
        await import_file(engine, file)
    error = caught.value
    assert (error.line, error.path) == (line, path), str(error)
    assert reason in error.reason
    assert str(error).startswith(f"{file}:{line}: {path + ': ' if path else ''}")
    assert await snapshot(engine) == before


# --- the parser alone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path", "reason"),
    [c[1:5] for c in BAD if not c[5]],
    ids=[c[0] for c in BAD if not c[5]],
)
def test_parser_names_the_line_and_reason(old: str, new: str, path: str, reason: str) -> None:
    text, line = bad_text(old, new)
    with pytest.raises(ImportFileError) as caught:
        parse_import_text(text, "shop.yaml")
    assert (caught.value.line, caught.value.path) == (line, path)
    assert reason in caught.value.reason
    assert caught.value.filename == "shop.yaml"


def test_references_are_checked_against_file_and_known_keys() -> None:
    spec = parse_import_text(bad_text("services: [haircut, shave]", "services: [haircut, wax]")[0])
    assert reference_problems(spec) == [
        (("specialists", 0, "services", 1), "unknown service 'wax'")
    ]
    assert reference_problems(spec, services={"wax"}) == []


def test_unquoted_times_and_dates_in_either_form() -> None:
    spec = parse_import_text(
        """
timezone: Europe/Berlin
specialists:
  - key: anna
    name: Anna
    schedule:
      - {days: [mon], start: 10:00, end: 18:30, valid_from: 2026-01-01, valid_until: "2026-06-30"}
      - days: [tue]
        start: 9:05
        end: "12:00"
    overrides:
      - {date: "2026-12-31", type: custom_hours, start: 10:00, end: 14:00}
"""
    )
    monday, tuesday = spec.specialists[0].schedule
    assert (monday.start, monday.end) == (time(10), time(18, 30))
    assert (monday.valid_from, monday.valid_until) == (date(2026, 1, 1), date(2026, 6, 30))
    assert (tuesday.start, tuesday.end, tuesday.slot, tuesday.break_after) == (
        time(9, 5),
        time(12),
        60,
        0,
    )
    override = spec.specialists[0].overrides[0]
    assert (override.starts_on, override.start, override.end) == (
        date(2026, 12, 31),
        time(10),
        time(14),
    )


async def test_unquoted_times_import(engine: AsyncEngine, tmp_path: Path) -> None:
    text = GOOD.replace('"09:00"', "9:00").replace('"13:00"', "13:00")
    assert "start: 9:00, end: 13:00" in text
    await import_text(engine, tmp_path, text)
    async with session_factory(engine)() as session:
        rows = (
            await session.execute(
                select(SpecialistSchedule.start_time, SpecialistSchedule.end_time)
            )
        ).all()
    assert {tuple(r) for r in rows} == {(time(9), time(13))}


def test_specialist_timezone_falls_back_to_the_file_default() -> None:
    text = "specialists:\n  - key: a\n    name: A\n"
    assert (
        parse_import_text("timezone: Asia/Tokyo\n" + text).specialists[0].timezone == "Asia/Tokyo"
    )
    with pytest.raises(ImportFileError) as caught:
        parse_import_text(text, "f.yaml")
    assert str(caught.value) == (
        "f.yaml:2: specialists[0]: no timezone: give one here or a top-level default"
    )


def test_local_times_around_dst() -> None:
    gap = local_instant(datetime(2026, 3, 29, 2, 30), BERLIN)
    twice = local_instant(datetime(2026, 10, 25, 2, 30), BERLIN)
    assert gap is None
    assert twice == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 02:30 (CEST)
    spec = parse_import_text(
        edit(
            GOOD,
            '{start: "2026-12-09T12:00", end: "2026-12-09T13:00"',
            '{start: "2026-10-25T02:30", end: "2026-10-25T03:30"',
        )
    )
    assert spec.specialists[0].blocks[0].start == datetime(2026, 10, 25, 2, 30)


def test_many_problems_are_collected_and_the_first_few_shown() -> None:
    rows = "".join(f'      - {{days: [mon], start: "1{i}:00", end: "0{i}:00"}}\n' for i in range(7))
    text = edit(GOOD, '      - {days: [mon, tue], start: "09:00", end: "13:00"}\n', rows)
    with pytest.raises(ImportFileError) as caught:
        parse_import_text(text, "f.yaml")
    error = caught.value
    assert len(error.errors) == 7
    assert [e.line for e in error.errors] == list(range(17, 24))
    lines = str(error).splitlines()
    assert (
        lines[0] == "f.yaml:17: specialists[0].schedule[0].end: end 00:00 is not after start 10:00"
    )
    assert lines[-1] == "... and 2 more" and len(lines) == 6


@pytest.mark.parametrize(
    ("snippet", "path", "reason"),
    [
        (
            "{date: 2026-12-24, from: 2026-12-24, to: 2026-12-25, type: day_off}",
            "specialists[0].overrides[1]",
            "either date or from/to",
        ),
        (
            "{from: 2026-12-24, to: 2026-12-20, type: vacation}",
            "specialists[0].overrides[1].to",
            "is before from",
        ),
        (
            "{date: 2026-12-24, type: day_off, start: '10:00'}",
            "specialists[0].overrides[1].start",
            "only applies to custom_hours",
        ),
        (
            "{date: 2026-12-24, type: holiday}",
            "specialists[0].overrides[1].type",
            "'day_off', 'vacation' or 'custom_hours'",
        ),
        (
            "{date: 2026-12-24, type: vacation, substitute: boris}",
            "specialists[0].overrides[1].substitute",
            "cannot substitute for themselves",
        ),
        (
            "{date: 24.12.2026, type: day_off}",
            "specialists[0].overrides[1].date",
            "expected a date as YYYY-MM-DD",
        ),
        (
            "{date: 2026-12-24, typ: day_off}",
            "specialists[0].overrides[1].typ",
            "did you mean 'type'?",
        ),
    ],
)
def test_override_rules(snippet: str, path: str, reason: str) -> None:
    text = edit(GOOD, "    blocks:\n", f"      - {snippet}\n    blocks:\n")
    with pytest.raises(ImportFileError) as caught:
        parse_import_text(text)
    messages = [(e.path, e.reason) for e in caught.value.errors]
    assert any(p == path and reason in r for p, r in messages), messages
    assert caught.value.line == 20


def test_validity_ranges_that_do_not_meet_may_share_a_weekday() -> None:
    text = edit(
        GOOD,
        '      - {days: [mon, tue], start: "09:00", end: "13:00"}\n',
        '      - {days: [sat], start: "09:00", end: "13:00", valid_until: 2026-06-30}\n'
        '      - {days: [sat], start: "10:00", end: "14:00", valid_from: 2026-07-01}\n',
    )
    assert len(parse_import_text(text).specialists[0].schedule) == 2
    clash = text.replace("valid_from: 2026-07-01", "valid_from: 2026-06-30")
    with pytest.raises(ImportFileError, match=r"schedule\[1\]: overlaps schedule\[0\] on sat"):
        parse_import_text(clash)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("duration: 45", "duration: 0", "greater than 0"),
        ("price: 35\n    currency: EUR\n", "price: 35\n", "a price needs a currency"),
        ("currency: EUR", "currency: eur", "should match pattern"),
        ("  - key: shave", "  - key: Shave!", "is not a key"),
        ("name: {en: Hot towel shave}", "name: {}", "at least 1 item"),
        ("telegram_user_id: 1005", "phone: +4915100000005", "write the phone number in quotes"),
        ('start: "09:00"', "start: 900", 'expected a time as "HH:MM"'),
        ("days: [mon, tue]", "days: [monday]", "'mon', 'tue'"),
    ],
)
def test_field_rules(old: str, new: str, reason: str) -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_import_text(edit(GOOD, old, new))
    assert reason in caught.value.reason, str(caught.value)


@pytest.mark.parametrize(
    ("synonyms", "path", "reason"),
    [
        ('{en: ["!!!"]}', "services[1].synonyms.en[0]", "a synonym needs a word"),
        ("{en: [" + "a" * 101 + "]}", "services[1].synonyms.en[0]", "at most 100 characters"),
        ("{en: shave}", "services[1].synonyms.en", "valid list"),
        ("{en: [12]}", "services[1].synonyms.en[0]", "expected a word"),
        ("{english: [shave]}", "services[1].synonyms.english.[key]", "should match pattern"),
        ("{en: [" + ", ".join(["x"] * 51) + "]}", "services[1].synonyms.en", "at most 50"),
    ],
)
def test_synonym_rules(synonyms: str, path: str, reason: str) -> None:
    text = edit(GOOD, "    name: {en: Hot towel shave}\n", "    name: {en: Hot towel shave}\n"
                f"    synonyms: {synonyms}\n")  # fmt: skip
    with pytest.raises(ImportFileError) as caught:
        parse_import_text(text)
    assert (caught.value.line, caught.value.path) == (10, path)
    assert reason in caught.value.reason, str(caught.value)


async def test_synonyms_are_stored_and_updated_in_place(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    text = edit(GOOD, "    name: {en: Hot towel shave}\n", "    name: {en: Hot towel shave}\n"
                "    synonyms: {en: [shave,  wet   shave], ru: [бритьё]}\n")  # fmt: skip
    await import_text(engine, tmp_path, text)
    async with session_factory(engine)() as session:
        directory = await load_directory(session)
    shave = next(s for s in directory.services.values() if s.key == "shave")
    haircut = next(s for s in directory.services.values() if s.key == "haircut")
    assert shave.synonyms == {"en": ("shave", "wet shave"), "ru": ("бритьё",)}
    assert haircut.synonyms == {}

    again = await import_text(engine, tmp_path, text)
    assert not again.changed
    edited = await import_text(engine, tmp_path, text.replace("бритьё", "бритьё, побриться"))
    assert (edited.services.updated, edited.services.unchanged) == (1, 1)
    async with session_factory(engine)() as session:
        fresh = await load_directory(session)  # the catalog version moved with the edit
    assert fresh is not directory
    shave = next(s for s in fresh.services.values() if s.key == "shave")
    assert shave.synonyms["ru"] == ("бритьё", "побриться")


def test_demo_file_parses_with_the_expected_shape() -> None:
    spec = load_import_file(DEMO_FILE)
    assert spec.settings.model_dump(exclude_none=True) == {
        "min_notice_minutes": 30,
        "horizon_days": 60,
        "hold_minutes": 10,
    }
    assert len(spec.services) >= 4 and len(spec.specialists) >= 5
    kinds = {o.kind.value for p in spec.specialists for o in p.overrides}
    assert kinds == {"day_off", "vacation", "custom_hours"}
    assert any(o.substitute for p in spec.specialists for o in p.overrides)
    assert any(r.break_after for p in spec.specialists for r in p.schedule)
    assert any(r.valid_from and r.valid_until for p in spec.specialists for r in p.schedule)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="cannot read the file"):
        load_import_file(tmp_path / "missing.yaml")
    with pytest.raises(ImportFileError, match="the file is empty"):
        parse_import_text("# nothing\n")
