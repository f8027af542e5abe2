"""The ``slotbot`` command: init-db, import, availability, demo, serve."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import NoReturn

from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.availability_view import days_json, slot_json
from slotbot.core.calendars import UnknownKey, calendar_days, day_slots, first_slot, resolve_offer
from slotbot.core.db import create_engine, session_factory
from slotbot.core.schema import SchemaNotReady, ensure_current, upgrade
from slotbot.core.settings import get_settings
from slotbot.webhooks.availability_text import days_table, next_line, slots_table


class UsageError(Exception):
    """A mistake on the command line: printed on one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _instant(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="slotbot", description="Conversational booking of specialists.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    commands.add_parser("init-db", help="create or upgrade the database schema")

    importing = commands.add_parser("import", help="import services and specialists from YAML")
    importing.add_argument("file")

    avail = commands.add_parser("availability", help="free slots, calendar days or next slot")
    avail.add_argument("--service", required=True, help="service key")
    avail.add_argument("--specialist", default="any", help="specialist key or 'any'")
    when = avail.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=_date, help="slots of one local date")
    when.add_argument("--days", action="store_true", help="which dates of --from..--to have slots")
    when.add_argument("--next", action="store_true", help="the first free slot")
    avail.add_argument("--from", dest="first", type=_date)
    avail.add_argument("--to", dest="last", type=_date)
    avail.add_argument("--now", type=_instant, help="pretend it is this instant (ISO)")
    avail.add_argument("--json", action="store_true", help="machine-readable output")

    demo = commands.add_parser("demo", help="load the demo clinic into the database, then serve")
    demo.add_argument("--no-serve", action="store_true", help="load and show, do not serve")
    for sub in (demo, commands.add_parser("serve", help="run the web app")):
        sub.add_argument("--host", default=None)
        sub.add_argument("--port", type=int, default=None)
    return parser


async def _init_db(engine: AsyncEngine) -> str:
    await upgrade(engine)
    return "database is at the newest schema"


async def _import(engine: AsyncEngine, path: str) -> str:
    from slotbot.core.importer import import_file

    await ensure_current(engine)
    report = await import_file(engine, path)
    return report.summary()


async def _availability(engine: AsyncEngine, args: argparse.Namespace) -> str:
    await ensure_current(engine)
    now = args.now or datetime.now(UTC)
    async with session_factory(engine)() as session:
        offer = await resolve_offer(
            session, service_key=args.service, specialist_key=args.specialist
        )
        if args.date is not None:
            slots = await day_slots(session, offer, args.date, now=now)
            if args.json:
                return json.dumps([slot_json(s, offer) for s in slots])
            return slots_table(offer, args.date, slots)
        if args.days:
            if args.first is None or args.last is None:
                raise UsageError("--days needs --from and --to")
            if args.last < args.first:
                raise UsageError("--to is before --from")
            if (args.last - args.first).days > 366:
                raise UsageError("--from..--to spans more than a year")
            days = await calendar_days(session, offer, args.first, args.last, now=now)
            return json.dumps(days_json(days)) if args.json else days_table(offer, days)
        slot = await first_slot(session, offer, now=now)
        if args.json:
            return json.dumps(slot_json(slot, offer) if slot else None)
        return next_line(offer, slot)


async def _demo(engine: AsyncEngine) -> str:
    from slotbot.core.demo import DEMO_FILE
    from slotbot.core.importer import import_file

    await upgrade(engine)
    report = await import_file(engine, DEMO_FILE)
    lines = [f"demo data: {report.summary()}"]
    async with session_factory(engine)() as session:
        for service_key in ("gp_consultation", "haircut", "personal_training"):
            try:
                offer = await resolve_offer(session, service_key=service_key, specialist_key="any")
            except UnknownKey:
                continue
            slot = await first_slot(session, offer, now=datetime.now(UTC))
            lines.append(f"{service_key}: {next_line(offer, slot)}")
    lines.append("try: slotbot availability --service haircut --specialist any --next")
    return "\n".join(lines)


async def _run(args: argparse.Namespace) -> str:
    settings = get_settings()
    engine = create_engine(settings.database_url, echo=settings.database_echo)
    try:
        if args.command == "init-db":
            return await _init_db(engine)
        if args.command == "import":
            return await _import(engine, args.file)
        if args.command == "availability":
            return await _availability(engine, args)
        if args.command == "demo":
            return await _demo(engine)
        raise AssertionError(args.command)
    finally:
        await engine.dispose()


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from slotbot.webhooks.app import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level="info",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``slotbot`` console script."""
    from slotbot.core.importer import ImportFileError

    try:
        args = build_parser().parse_args(argv)
        if args.command != "serve":
            print(asyncio.run(_run(args)))
        if args.command == "serve" or (args.command == "demo" and not args.no_serve):
            _serve(args)
    except (UsageError, UnknownKey, SchemaNotReady) as error:
        print(f"slotbot: error: {error}", file=sys.stderr)
        return 2
    except ImportFileError as error:
        print(f"slotbot: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
