"""The button format: what a button sends back, compact, versioned and validated. Every
button is made and read here: the dialog's screens (``dialogs``, through ``ctx.act``) and the
buttons notifications carry (``core.notify.chat_actions``) alike.

An action is ``VERSION.CODE[.ARG...]``: the session version the screen was made at (base 36;
:data:`OUT_OF_BAND`, ``0``, for a notification's button, which no screen showed), a short
code naming what the button does and its arguments (base-36 numbers or short words).
Telegram's callback_data allows 1-64 bytes; an action never needs more than ~24. Nothing
here trusts the text it decodes: the dialog accepts an action only when the current screen
offered exactly that action (or, out of band, by its meaning alone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from slotbot.core.limits import ACTION_MAX

__all__ = [
    "MAX_BYTES", "NUMBER_MAX", "OUT_OF_BAND", "Action", "decode", "encode", "from36", "to36",
]  # fmt: skip

MAX_BYTES = ACTION_MAX
#: The version of a button sent in a notification rather than shown on a screen.
OUT_OF_BAND = 0
#: The largest number an action carries: ids, minutes since 1970 and versions all fit the
#: 32-bit integer columns they are looked up in (a forged larger one is refused here, never
#: passed to the database, which would fail on it).
NUMBER_MAX = 2**31 - 1

_SHAPE = re.compile(r"^[0-9a-z]{1,8}(\.[0-9a-z_-]{1,16}){1,4}$")
_BASE36 = re.compile(r"^[0-9a-z]{1,13}$")


def to36(number: int) -> str:
    """A non-negative integer in base 36 (``35`` -> ``z``)."""
    if number < 0:
        raise ValueError("negative")
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
        if number == 0:
            return digits


def from36(text: str) -> int:
    """The integer a base-36 argument stands for; ``ValueError`` when it is not one or is
    larger than :data:`NUMBER_MAX`."""
    if not _BASE36.fullmatch(text):
        raise ValueError(f"not a base-36 number: {text!r}")
    number = int(text, 36)
    if number > NUMBER_MAX:
        raise ValueError(f"base-36 number out of range: {text!r}")
    return number


@dataclass(frozen=True, slots=True)
class Action:
    version: int
    code: str
    args: tuple[str, ...]

    def number(self, index: int = 0) -> int:
        """Argument ``index`` as a number; ``ValueError`` when missing or malformed."""
        if index >= len(self.args):
            raise ValueError("missing argument")
        return from36(self.args[index])


def encode(version: int, code: str, *args: int | str) -> str:
    """``encode(5, "svc", 12)`` -> ``"5.svc.c"``; numbers go in base 36. A button that
    :func:`decode` would refuse is never made: ``ValueError``."""
    numbers = [version, *(a for a in args if isinstance(a, int))]
    if any(n > NUMBER_MAX for n in numbers):
        raise ValueError(f"a number above {NUMBER_MAX} in an action: {numbers}")
    parts = [to36(version), code, *(to36(a) if isinstance(a, int) else a for a in args)]
    data = ".".join(parts)
    if not _SHAPE.fullmatch(data) or len(data.encode()) > MAX_BYTES:
        raise ValueError(f"action does not fit the codec: {data!r}")
    return data


def decode(data: str) -> Action | None:
    """The action in ``data``, or ``None`` for anything malformed."""
    if len(data.encode("utf-8", "replace")) > MAX_BYTES or not _SHAPE.fullmatch(data):
        return None
    version, code, *args = data.split(".")
    return Action(int(version, 36), code, tuple(args))
