"""The ``slotbot`` command's arguments: the parser and the converters that check each value
(a mistake is one line, exit status 2)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import NoReturn
from zoneinfo import ZoneInfo

from slotbot.core.availability.engine import local_instant
from slotbot.core.booking.service import CANCELLERS
from slotbot.core.limits import (
    InvalidInput,
    bounded_date,
    bounded_instant,
    bounded_int,
    check_key,
    check_port,
    check_reason,
)
from slotbot.core.storage.models import BookingStatus

__all__ = ["MAX_WORKERS", "UsageError", "build_parser", "local_start"]


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


def local_start(value: str, zone: ZoneInfo) -> datetime:
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
