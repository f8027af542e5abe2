"""The ``slotbot`` command: init-db, import, availability, bookings, book, cancel, demo, serve,
worker, bot (Telegram by long polling) and chat (the dialog in the terminal)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from slotbot.cli.availability_text import days_table, next_line, slots_table
from slotbot.cli.bookings_text import booking_line, bookings_table, refusal_text
from slotbot.core import booking
from slotbot.core.availability.directory import Offer, UnknownKey, load_directory, resolve_offer
from slotbot.core.availability.engine import local_instant
from slotbot.core.availability.free import FreeTime
from slotbot.core.booking.queries import BookingLine, list_bookings
from slotbot.core.booking.service import CANCELLERS, BookingRefused, Refusal
from slotbot.core.clients import client_for_staff, discard_unused_staff_client, set_contact
from slotbot.core.jobs import JobLeases, build_scheduler
from slotbot.core.limits import (
    LAST_DATE,
    InvalidInput,
    bounded_date,
    bounded_instant,
    bounded_int,
    bounded_range,
    check_key,
    check_port,
    check_reason,
    check_unicode,
)
from slotbot.core.settings import ConfigError, get_settings
from slotbot.core.storage.db import check_database, create_engine, is_sqlite, session_factory
from slotbot.core.storage.models import Booking, BookingStatus, Channel, Service
from slotbot.core.storage.schema import SchemaNotReady, ensure_current, upgrade
from slotbot.core.storage.shop import shop_timezone
from slotbot.web.guards import is_loopback
from slotbot.web.notifications import dispatching
from slotbot.web.views import booking_json, days_json, slot_json


class UsageError(Exception):
    """A mistake on the command line: printed on one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _date(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None
    try:
        return bounded_date(day)
    except InvalidInput as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _instant(value: str) -> datetime:
    try:
        moment = bounded_instant(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except InvalidInput as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _statuses(value: str) -> tuple[str, ...]:
    statuses = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in statuses if v not in set(BookingStatus)]
    if unknown:
        known = ", ".join(BookingStatus)
        raise argparse.ArgumentTypeError(f"unknown status {unknown[0]!r} (one of {known})")
    return statuses


def _reason(value: str) -> str | None:
    try:
        return check_reason(value)
    except InvalidInput as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _booking_id(value: str) -> int:
    digits = value.removeprefix("#")
    if not (digits.isascii() and digits.isdigit()):
        raise argparse.ArgumentTypeError(f"not a booking number: {value!r}")
    try:
        return bounded_int(int(digits), what="booking number")
    except InvalidInput as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _checked(check: Callable[[str], object]) -> Callable[[str], str]:
    """An argparse type from a ``limits`` check: its message on one line, exit status 2."""

    def parse(value: str) -> str:
        try:
            check(value)
        except InvalidInput as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return value

    return parse


_service_key = _checked(lambda value: check_key(value, what="service key"))
_specialist_key = _checked(lambda value: check_key(value, what="specialist key"))


def _port(value: str) -> int:
    try:
        return check_port(int(value))
    except ValueError as error:  # InvalidInput is a ValueError too
        message = str(error) if isinstance(error, InvalidInput) else f"not a port: {value!r}"
        raise argparse.ArgumentTypeError(message) from None


MAX_WORKERS = 64


def _workers(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"not a number of processes from 1 to {MAX_WORKERS}: {value!r}"
        )
    return int(value)


def _local_start(value: str, zone: ZoneInfo) -> datetime:
    """A start given as local wall-clock time in ``zone``, or as an ISO instant with offset."""
    try:
        moment = bounded_instant(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except InvalidInput as error:
        raise UsageError(str(error)) from None
    except ValueError:
        raise UsageError(f"not a date-time: {value!r} (e.g. 2026-12-01T10:00)") from None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    instant = local_instant(moment, zone)
    if instant is None:
        raise UsageError(f"{value} does not exist in {zone.key} (the clocks jump forward)")
    return instant


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="slotbot", description="Conversational booking of specialists.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    commands.add_parser("init-db", help="create or upgrade the database schema")

    importing = commands.add_parser("import", help="import services and specialists from YAML")
    importing.add_argument("file")

    avail = commands.add_parser("availability", help="free slots, calendar days or next slot")
    avail.add_argument("--service", required=True, type=_service_key, help="service key")
    avail.add_argument(
        "--specialist", default="any", type=_specialist_key, help="specialist key or 'any'"
    )
    when = avail.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=_date, help="slots of one local date")
    when.add_argument("--days", action="store_true", help="which dates of --from..--to have slots")
    when.add_argument("--next", action="store_true", help="the first free slot")
    avail.add_argument("--from", dest="first", type=_date)
    avail.add_argument("--to", dest="last", type=_date)
    avail.add_argument("--now", type=_instant, help="pretend it is this instant (ISO)")
    avail.add_argument("--json", action="store_true", help="machine-readable output")

    listing = commands.add_parser("bookings", help="list bookings")
    listing.add_argument("--date", type=_date, help="one local date (default: from today)")
    listing.add_argument("--from", dest="first", type=_date)
    listing.add_argument("--to", dest="last", type=_date)
    listing.add_argument("--specialist", type=_specialist_key, help="specialist key")
    listing.add_argument(
        "--status", type=_statuses, default=(), help="comma-separated, e.g. held,confirmed"
    )
    listing.add_argument("--now", type=_instant, help="pretend it is this instant (ISO)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    book = commands.add_parser("book", help="book a time for a client (hold and confirm)")
    book.add_argument("--service", required=True, type=_service_key, help="service key")
    book.add_argument(
        "--specialist", default="any", type=_specialist_key, help="specialist key or 'any'"
    )
    book.add_argument(
        "--start", required=True, help="local wall-clock time (2026-12-01T10:00) or ISO with offset"
    )
    book.add_argument("--name", required=True, help="client's name")
    book.add_argument("--phone", required=True, help="client's phone number")
    book.add_argument("--email", help="client's e-mail address")
    book.add_argument("--now", type=_instant, help="pretend it is this instant (ISO)")
    book.add_argument("--json", action="store_true", help="machine-readable output")

    cancelling = commands.add_parser("cancel", help="cancel a booking")
    cancelling.add_argument("booking", type=_booking_id, help="booking number")
    cancelling.add_argument("--by", choices=CANCELLERS, default="staff")
    cancelling.add_argument("--reason", type=_reason, help="told to the other side")
    cancelling.add_argument("--now", type=_instant, help="pretend it is this instant (ISO)")
    cancelling.add_argument("--json", action="store_true", help="machine-readable output")

    reviewing = commands.add_parser("reviews", help="ratings per specialist with the average")
    reviewing.add_argument("--json", action="store_true", help="machine-readable output")

    commands.add_parser("worker", help="run the periodic jobs only (no web app)")
    commands.add_parser("bot", help="run the Telegram bot by long polling, with the periodic jobs")

    chat = commands.add_parser("chat", help="talk to the booking dialog in the terminal")
    chat.add_argument("--now", type=_instant, help="pretend it is this instant (ISO)")
    chat.add_argument("--lang", default="en", help="the language you speak (en, ru)")
    chat.add_argument("--as", dest="who", default="terminal", help="your name (who is booking)")

    link = commands.add_parser(
        "specialist-link", help="print a one-time link that links a specialist's Telegram"
    )
    link.add_argument("key", help="the specialist's key in the import file")
    link.add_argument("--now", type=_instant, help="pretend it is this instant (ISO)")

    demo = commands.add_parser("demo", help="load the demo clinic into the database, then serve")
    demo.add_argument("--no-serve", action="store_true", help="load and show, do not serve")
    serve = commands.add_parser("serve", help="run the web app")
    for sub in (demo, serve):
        sub.add_argument("--host", default=None)
        sub.add_argument("--port", type=_port, default=None, help="1 to 65535")
    serve.add_argument(
        "--workers", type=_workers, default=1,
        help=f"processes serving (1 to {MAX_WORKERS}; more than 1 needs PostgreSQL)",
    )  # fmt: skip
    return parser


async def _init_db(engine: AsyncEngine) -> str:
    await upgrade(engine)
    return "database is at the newest schema"


async def _import(engine: AsyncEngine, path: str) -> str:
    from slotbot.core.importing.importer import import_file

    await ensure_current(engine)
    report = await import_file(engine, path, max_bytes=get_settings().import_max_bytes)
    return report.summary()


async def _offer(session: AsyncSession, service_key: str, specialist_key: str | None) -> Offer:
    directory = await load_directory(session)
    return resolve_offer(directory, service_key=service_key, specialist_key=specialist_key)


async def _availability(engine: AsyncEngine, args: argparse.Namespace) -> str:
    await ensure_current(engine)
    now = args.now or datetime.now(UTC)
    async with session_factory(engine)() as session:
        offer = await _offer(session, args.service, args.specialist)
        free, ids = FreeTime(session, now=now), offer.specialist_ids
        if args.date is not None:
            slots = await free.slots(offer.service.id, ids, args.date)
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
            days = await free.days(offer.service.id, ids, args.first, args.last)
            return json.dumps(days_json(days)) if args.json else days_table(offer, days)
        slot = await free.soonest(offer.service.id, ids)
        if args.json:
            return json.dumps(slot_json(slot, offer) if slot else None)
        return next_line(offer, slot)


async def _bookings(engine: AsyncEngine, args: argparse.Namespace) -> str:
    await ensure_current(engine)
    now = args.now or datetime.now(UTC)
    async with session_factory(engine)() as session:
        zone = await shop_timezone(session)
        if args.date is not None:
            first = last = args.date
        else:
            first = args.first or now.astimezone(zone).date()
            last = args.last or min(first + timedelta(days=30), max(first, LAST_DATE))
        if last < first:
            raise UsageError("--to is before --from")
        bounded_range(first, last)
        lines = await list_bookings(
            session, first=first, last=last, zone=zone, now=now,
            specialist_key=args.specialist, statuses=args.status,
        )  # fmt: skip
    if args.json:
        return json.dumps([booking_json(line) for line in lines])
    return bookings_table(lines)


async def _line(engine: AsyncEngine, booking_id: int, now: datetime) -> BookingLine:
    async with session_factory(engine)() as session:
        found = await session.get(Booking, booking_id)
        assert found is not None
        zone = await shop_timezone(session)
        day = found.starts_at.astimezone(zone).date()
        lines = await list_bookings(session, first=day, last=day, zone=zone, now=now)
    return next(line for line in lines if line.booking.id == booking_id)


async def _book(engine: AsyncEngine, args: argparse.Namespace) -> str:
    await ensure_current(engine)
    now = args.now or datetime.now(UTC)
    async with session_factory(engine)() as session:
        offer = await _offer(session, args.service, args.specialist)
    start = _local_start(args.start, offer.timezone)
    anyone = args.specialist in (None, "any")
    for attempt in range(3):
        client = await client_for_staff(engine, name=args.name, phone=args.phone, email=args.email)
        try:
            held = await booking.hold(
                engine, service_id=offer.service.id,
                specialist_id=None if anyone else offer.specialist_ids[0], start=start,
                client_id=client.id, channel=Channel.STAFF, now=now,
            )  # fmt: skip
        except BookingRefused as refusal:
            # A refused booking leaves no trace: not even the client made for it. (A client
            # another booking of this phone found and removed meanwhile: make it again.)
            await discard_unused_staff_client(engine, client.id)
            if refusal.reason == Refusal.NOT_FOUND and attempt < 2:
                continue
            raise UsageError(refusal_text(refusal, offer.timezone)) from None
        break
    try:
        booked = await booking.confirm(engine, booking_id=held.id, now=now)
    except BookingRefused as refusal:
        await booking.release(engine, booking_id=held.id, now=now)
        raise UsageError(refusal_text(refusal, offer.timezone)) from None
    await set_contact(engine, client_id=client.id, name=args.name, email=args.email)
    line = await _line(engine, booked.id, now)
    return json.dumps(booking_json(line)) if args.json else booking_line(line)


async def _cancel(engine: AsyncEngine, args: argparse.Namespace) -> str:
    await ensure_current(engine)
    now = args.now or datetime.now(UTC)
    try:
        await booking.cancel(
            engine, booking_id=args.booking, by=args.by, reason=args.reason, now=now
        )
    except BookingRefused as refusal:
        raise UsageError(f"booking #{args.booking}: {refusal}") from None
    line = await _line(engine, args.booking, now)
    return json.dumps(booking_json(line)) if args.json else booking_line(line)


async def _reviews(engine: AsyncEngine, args: argparse.Namespace) -> str:
    from slotbot.core.notify.reviews import ratings

    await ensure_current(engine)
    async with session_factory(engine)() as session:
        found = await ratings(session)
    if args.json:
        return json.dumps([
            {"specialist": r.key, "name": r.name, "reviews": r.count,
             "average": str(r.average) if r.average is not None else None,
             "stars": list(r.stars)}
            for r in found
        ])  # fmt: skip
    lines = [f"{'specialist':<24} {'reviews':>7} {'average':>7}  1* 2* 3* 4* 5*"]
    for r in found:
        average = f"{r.average:.2f}" if r.average is not None else "-"
        stars = " ".join(f"{n:>2}" for n in r.stars)
        lines.append(f"{r.name[:24]:<24} {r.count:>7} {average:>7}  {stars}")
    return "\n".join(lines)


async def _demo(engine: AsyncEngine) -> str:
    from slotbot.core.demo import DEMO_FILE
    from slotbot.core.importing.importer import import_file

    await upgrade(engine)
    async with session_factory(engine)() as session:
        services = await session.scalar(select(func.count()).select_from(Service))
    if services:
        lines = [f"demo data: the database already has {services} services; left as it is"]
    else:
        report = await import_file(engine, DEMO_FILE)
        lines = [f"demo data: {report.summary()}"]
    async with session_factory(engine)() as session:
        for service_key in ("gp_consultation", "haircut", "personal_training"):
            try:
                offer = await _offer(session, service_key, "any")
            except UnknownKey:
                continue
            free = FreeTime(session, now=datetime.now(UTC))
            slot = await free.soonest(offer.service.id, offer.specialist_ids)
            lines.append(f"{service_key}: {next_line(offer, slot)}")
    lines.append("try: slotbot availability --service haircut --specialist any --next")
    return "\n".join(lines)


async def _run(args: argparse.Namespace) -> str:
    settings = get_settings()
    engine = create_engine(settings.database_url, echo=settings.database_echo)
    try:
        await check_database(engine)
        if args.command == "init-db":
            return await _init_db(engine)
        if args.command == "import":
            return await _import(engine, args.file)
        if args.command == "availability":
            return await _availability(engine, args)
        if args.command == "bookings":
            return await _bookings(engine, args)
        if args.command == "book":
            return await _book(engine, args)
        if args.command == "cancel":
            return await _cancel(engine, args)
        if args.command == "demo":
            return await _demo(engine)
        if args.command == "reviews":
            return await _reviews(engine, args)
        if args.command == "specialist-link":
            return await _specialist_link(engine, args)
        raise AssertionError(args.command)
    finally:
        await engine.dispose()


async def _bot_username() -> str:
    """The bot's @username from getMe, or "" without a token or an answer."""
    import httpx

    settings = get_settings()
    if not settings.telegram_token:
        return ""
    url = f"{settings.telegram_api_url}{settings.telegram_token}/getMe"
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = (await client.get(url)).json()
    except (httpx.HTTPError, ValueError):
        return ""
    return str(answer.get("result", {}).get("username", "")) if answer.get("ok") else ""


async def _specialist_link(engine: AsyncEngine, args: argparse.Namespace) -> str:
    from slotbot.core.specialists import LINK_TTL, issue_specialist_link

    await ensure_current(engine)
    now = args.now or datetime.now(UTC)
    try:
        payload = await issue_specialist_link(engine, key=args.key, now=now)
    except LookupError as error:
        raise UsageError(f"unknown specialist {args.key!r}") from error
    until = (now + LINK_TTL).strftime("%Y-%m-%d %H:%M UTC")
    username = await _bot_username()
    if username:
        return (
            f"https://t.me/{username}?start={payload}\n"
            f"(open it in the specialist's Telegram; works once, until {until})"
        )
    return (
        f"/start {payload}\n(send this to the bot from the specialist's Telegram; works once, "
        f"until {until}; set SLOTBOT_TELEGRAM_TOKEN to get a t.me link)"
    )


def _check_exposure(args: argparse.Namespace) -> None:
    """Refuse to serve beyond this computer with development or weak secrets."""
    settings = get_settings()
    host = args.host or settings.host
    problems = [] if is_loopback(host) else settings.secret_problems()
    if problems:
        raise ConfigError(
            f"serving on {host}, where other computers can reach it, needs real secrets: "
            + "; ".join(problems)
        )


def _check_workers(args: argparse.Namespace) -> None:
    """More than one process needs a database that processes can share, and Telegram's
    updates by webhook (one bot may have one long poll at a time)."""
    workers = getattr(args, "workers", 1)
    settings = get_settings()
    if workers > 1 and is_sqlite(settings.database_url):
        raise UsageError(
            f"--workers {workers}: SQLite is served by one process; use --workers 1, "
            "or PostgreSQL (SLOTBOT_DATABASE_URL=postgresql+asyncpg://...) for more"
        )
    if workers > 1 and settings.telegram_token and not settings.public_url:
        raise UsageError(
            f"--workers {workers}: Telegram allows one process to poll for updates; set "
            "SLOTBOT_PUBLIC_URL so that Telegram posts them to the webhook, or use --workers 1"
        )


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, with slotbot's own messages (INFO and up) on its console."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["slotbot"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from slotbot.web.app import create_app

    settings = get_settings()
    asyncio.run(_check_database(settings.database_url))  # say what is wrong before serving
    host, port = args.host or settings.host, args.port or settings.port
    workers: int = getattr(args, "workers", 1)
    demo = args.command == "demo"
    if demo:
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
        print(f"\nThe demo clinic: open http://{shown}:{port}/ and book in the chat "
              "(bottom right). Ctrl+C stops.\n", flush=True)  # fmt: skip
    trusted = settings.trusted_proxies
    # With several processes uvicorn starts each one, and each builds its own app from the
    # settings in the environment (slotbot.web.app.serve_app).
    app: Any = "slotbot.web.app:serve_app" if workers > 1 else create_app(settings, demo_page=demo)
    uvicorn.run(
        app, factory=workers > 1, workers=workers, host=host, port=port, log_level="info",
        log_config=_log_config(),
        # X-Forwarded-For is believed from SLOTBOT_TRUSTED_PROXIES alone (uvicorn's own
        # default would believe any process on this computer, and FORWARDED_ALLOW_IPS).
        proxy_headers=bool(trusted), forwarded_allow_ips=trusted or [],
    )  # fmt: skip


async def _check_database(url: str) -> None:
    engine = create_engine(url)
    try:
        await check_database(engine)
        await ensure_current(engine)
    finally:
        await engine.dispose()


async def _worker() -> None:
    settings = get_settings()
    engine = create_engine(settings.database_url, echo=settings.database_echo)
    scheduler = None
    leases = JobLeases(engine)
    try:
        await check_database(engine)
        await ensure_current(engine)
        async with dispatching(engine, settings) as dispatcher:
            scheduler = build_scheduler(engine, dispatcher=dispatcher, leases=leases)
            scheduler.start()
            print("slotbot worker: running periodic jobs and notifications; Ctrl+C stops",
                  flush=True)  # fmt: skip
            await asyncio.Event().wait()
    finally:
        if scheduler is not None and scheduler.running:
            await leases.stop()
            scheduler.shutdown(wait=False)
        await engine.dispose()


NO_TOKEN = (
    "slotbot: SLOTBOT_TELEGRAM_TOKEN is not set: create a bot with @BotFather in Telegram "
    "(https://t.me/BotFather, /newbot) and put the token it gives you in that variable"
)


async def _bot() -> int:
    from telegram.error import InvalidToken

    from slotbot.bot import build_application, running
    from slotbot.dialogs.engine import Dialogs

    settings = get_settings()
    if not settings.telegram_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    engine = create_engine(settings.database_url, echo=settings.database_echo)
    scheduler = None
    leases = JobLeases(engine)
    try:
        await check_database(engine)
        await ensure_current(engine)
        application = build_application(settings, Dialogs(engine, link_secret=settings.secret_key))
        async with (
            running(application),
            dispatching(engine, settings, bot=application.bot) as dispatcher,
        ):
            scheduler = build_scheduler(engine, dispatcher=dispatcher, leases=leases)
            scheduler.start()
            name = application.bot.username
            print(f"slotbot bot: @{name} is polling for updates; Ctrl+C stops", flush=True)
            await asyncio.Event().wait()
    except InvalidToken as error:
        print(f"slotbot: error: Telegram refused the token: {error}", file=sys.stderr)
        return 2
    finally:
        if scheduler is not None and scheduler.running:
            await leases.stop()
            scheduler.shutdown(wait=False)
        await engine.dispose()
    return 0


async def _chat(args: argparse.Namespace) -> None:
    from slotbot.dialogs.engine import Dialogs
    from slotbot.dialogs.events import Visitor
    from slotbot.terminal.chat import TerminalChat

    settings = get_settings()
    engine = create_engine(settings.database_url, echo=settings.database_echo)
    try:
        await check_database(engine)
        await ensure_current(engine)
        fixed: datetime | None = args.now
        dialogs = Dialogs(
            engine, clock=(lambda: fixed) if fixed else lambda: datetime.now(UTC),
            link_secret=settings.secret_key,
        )  # fmt: skip
        visitor = Visitor("terminal", args.who, name=args.who, language=args.lang)
        await TerminalChat(dialogs, visitor).run(echo=not sys.stdin.isatty())
    finally:
        await engine.dispose()


def _raw(argument: str) -> str:
    """An argument as the bytes it came as (Python keeps non-UTF-8 bytes as surrogates)."""
    try:
        return repr(argument.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return ascii(argument)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``slotbot`` console script."""
    from slotbot.core.importing.importer import ImportFileError

    try:
        arguments = sys.argv[1:] if argv is None else list(argv)
        for position, argument in enumerate(arguments):
            before = arguments[position - 1] if position else ""
            what = f"value of {before}" if before.startswith("--") else f"argument {position + 1}"
            check_unicode(argument, what=f"{what} ({_raw(argument)})")
        args = build_parser().parse_args(arguments)
        if args.command == "worker":
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_worker())
            return 0
        if args.command == "bot":
            with contextlib.suppress(KeyboardInterrupt):
                return asyncio.run(_bot())
            return 0
        if args.command == "chat":
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_chat(args))
            return 0
        if args.command == "serve" or (args.command == "demo" and not args.no_serve):
            _check_exposure(args)  # before the demo loads anything
            _check_workers(args)
        if args.command != "serve":
            print(asyncio.run(_run(args)))
        if args.command == "serve" or (args.command == "demo" and not args.no_serve):
            _serve(args)
    except (UsageError, UnknownKey, SchemaNotReady, InvalidInput, ConfigError) as error:
        print(f"slotbot: error: {error}", file=sys.stderr)
        return 2
    except ImportFileError as error:
        print(f"slotbot: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
