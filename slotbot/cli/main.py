"""The ``slotbot`` command: init-db, import, availability, bookings, book, cancel, demo, serve,
worker, bot (Telegram by long polling) and chat (the dialog in the terminal).

Arguments are parsed in ``arguments``; the one-off commands are in ``commands``, the processes
that run until stopped in ``processes`` (assembled by ``slotbot.bootstrap``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence

from slotbot.cli import commands, processes
from slotbot.cli.arguments import UsageError, build_parser
from slotbot.core.availability.directory import UnknownKey
from slotbot.core.limits import InvalidInput, check_unicode
from slotbot.core.settings import ConfigError
from slotbot.core.storage.schema import SchemaNotReady

__all__ = ["main"]


def _raw(argument: str) -> str:
    """An argument as the bytes it came as (Python keeps non-UTF-8 bytes as surrogates)."""
    try:
        return repr(argument.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return ascii(argument)


def _check_arguments(arguments: list[str]) -> None:
    for position, argument in enumerate(arguments):
        before = arguments[position - 1] if position else ""
        what = f"value of {before}" if before.startswith("--") else f"argument {position + 1}"
        check_unicode(argument, what=f"{what} ({_raw(argument)})")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``slotbot`` console script."""
    from slotbot.core.importing.importer import ImportFileError

    try:
        arguments = sys.argv[1:] if argv is None else list(argv)
        _check_arguments(arguments)
        args = build_parser().parse_args(arguments)
        if args.command in processes.UNTIL_STOPPED:
            with contextlib.suppress(KeyboardInterrupt):
                return processes.UNTIL_STOPPED[args.command](args)
            return 0
        serving = args.command == "serve" or (args.command == "demo" and not args.no_serve)
        if serving:
            processes.check_serving(args)  # before the demo loads anything
        if args.command != "serve":
            print(asyncio.run(commands.run(args)))
        if serving:
            processes.serve(args)
    except (UsageError, UnknownKey, SchemaNotReady, InvalidInput, ConfigError) as error:
        print(f"slotbot: error: {error}", file=sys.stderr)
        return 2
    except ImportFileError as error:
        print(f"slotbot: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`slotbot chat | head`): stop quietly
        _drop_stdout()
        return 1
    return 0


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit does not fail again on the
    closed pipe (the recipe of the ``signal`` module's documentation)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
