"""The action codec the dialog's steps use: the button format of :mod:`slotbot.core.actions`
(which the buttons of notifications share), re-exported here for the dialog."""

from __future__ import annotations

from slotbot.core.actions import (
    MAX_BYTES,
    NUMBER_MAX,
    OUT_OF_BAND,
    Action,
    decode,
    encode,
    from36,
    to36,
)

__all__ = [
    "MAX_BYTES", "NUMBER_MAX", "OUT_OF_BAND", "Action", "decode", "encode", "from36", "to36",
]  # fmt: skip
