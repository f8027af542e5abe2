"""The action codec: what a button sends back, compact, versioned and validated.

An action is ``VERSION.CODE[.ARG...]``: the session version the screen was made at (base 36),
a short code naming what the button does and its arguments (base-36 numbers or short
words). Telegram's callback_data allows 1-64 bytes; an action never needs more than ~24.
Nothing here trusts the text it decodes: the dialog accepts an action only when the current
screen offered exactly that action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from slotbot.core.base36 import from36, to36

__all__ = ["MAX_BYTES", "Action", "decode", "encode", "from36", "to36"]

MAX_BYTES = 64
_SHAPE = re.compile(r"^[0-9a-z]{1,8}(\.[0-9a-z_-]{1,16}){1,4}$")


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
    """``encode(5, "svc", 12)`` -> ``"5.svc.c"``; numbers go in base 36."""
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
