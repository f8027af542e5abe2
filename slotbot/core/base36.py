"""Base-36 numbers, the compact form of ids and minutes inside button actions (the dialog's
action codec and the buttons notifications carry share it)."""

from __future__ import annotations

import re

__all__ = ["NUMBER_MAX", "from36", "to36"]

_BASE36 = re.compile(r"^[0-9a-z]{1,13}$")
#: The largest number an action carries: ids, minutes since 1970 and versions all fit the
#: 32-bit integer columns they are looked up in (a forged larger one is refused here, never
#: passed to the database, which would fail on it).
NUMBER_MAX = 2**31 - 1


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
