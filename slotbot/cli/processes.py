"""The ``slotbot`` command's long-running processes: serve (and demo's serving), worker, bot
and chat. Each checks what the command line asks for, then hands over to the bootstrap."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from slotbot import bootstrap
from slotbot.cli.arguments import UsageError
from slotbot.core.settings import ConfigError, get_settings
from slotbot.core.storage.db import is_sqlite
from slotbot.web.guards import is_loopback

__all__ = ["NO_TOKEN", "UNTIL_STOPPED", "bot", "chat", "check_serving", "serve", "worker"]

NO_TOKEN = (
    "slotbot: SLOTBOT_TELEGRAM_TOKEN is not set: create a bot with @BotFather in Telegram "
    "(https://t.me/BotFather, /newbot) and put the token it gives you in that variable"
)


def _say(text: str) -> None:
    print(text, flush=True)


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


def check_serving(args: argparse.Namespace) -> None:
    """What ``serve`` and the demo's serving refuse before anything is loaded."""
    _check_exposure(args)
    _check_workers(args)


async def _check_database() -> None:
    async with bootstrap.database(get_settings()):
        pass


def serve(args: argparse.Namespace) -> None:
    """Serve the web app (``serve``, or ``demo`` after loading the demo clinic)."""
    settings = get_settings()
    asyncio.run(_check_database())  # say what is wrong before serving
    host, port = args.host or settings.host, args.port or settings.port
    demo = args.command == "demo"
    if demo:
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
        _say(f"\nThe demo clinic: open http://{shown}:{port}/ and book in the chat "
             "(bottom right). Ctrl+C stops.\n")  # fmt: skip
    bootstrap.serve(settings, host=host, port=port, workers=getattr(args, "workers", 1), demo=demo)


def worker(args: argparse.Namespace) -> int:
    asyncio.run(bootstrap.run_worker(get_settings(), ready=_say))
    return 0


def bot(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.telegram_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    asyncio.run(bootstrap.run_bot(settings, ready=_say))
    return 0


def chat(args: argparse.Namespace) -> int:
    asyncio.run(bootstrap.run_chat(get_settings(), who=args.who, language=args.lang, now=args.now))
    return 0


#: The commands that run until stopped (Ctrl+C, or the end of the chat's input).
UNTIL_STOPPED: dict[str, Callable[[argparse.Namespace], int]] = {
    "worker": worker,
    "bot": bot,
    "chat": chat,
}
