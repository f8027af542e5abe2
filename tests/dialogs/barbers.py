"""A barbershop with two specialists called Anna (one written in Latin letters, one in
Cyrillic), in a time zone of no one country (UTC), so "1.12" can be read both ways."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.importing.importer import import_file

BARBERS = """\
timezone: UTC
settings: {min_notice_minutes: 30, horizon_days: 60, hold_minutes: 10}
services:
  - key: haircut
    name: {en: Haircut, ru: Стрижка}
    synonyms: {ru: [стрижку, подстричься]}
    duration: 60
    price: 30
    currency: EUR
  - key: beard_trim
    name: {en: Beard trim, ru: Стрижка бороды}
    duration: 30
specialists:
  - key: petrova
    name: Anna Petrova
    services: [haircut, beard_trim]
    schedule:
      - {days: [mon, tue, wed, thu, fri], start: "10:00", end: "18:00", slot: 60}
  - key: smirnova
    name: Анна Смирнова
    services: [haircut]
    schedule:
      - {days: [tue, wed, thu, fri, sat], start: "09:00", end: "15:00", slot: 60}
  - key: boris
    name: Boris Klein
    services: [haircut, beard_trim]
    schedule:
      - {days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00", slot: 60}
"""


async def load_barbers(engine: AsyncEngine, folder: Path) -> None:
    path = folder / "barbers.yaml"
    path.write_text(BARBERS, encoding="utf-8")
    await import_file(engine, path)
