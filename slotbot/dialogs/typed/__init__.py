"""Typed text at every step of the dialog (issue 17): what a message says is read
(``dialogs.understand``) and followed to the first step that still needs an answer, with a
question asked with buttons where it could mean two things."""

from slotbot.dialogs.typed.ask import ASK
from slotbot.dialogs.typed.understand import understand

__all__ = ["ASK", "understand"]
