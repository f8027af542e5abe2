"""How strong a secret is: what production (and ``serve`` on a public address) asks of
``SLOTBOT_SECRET_KEY`` and ``SLOTBOT_WEBHOOK_SECRET``.

Length alone lets ``aaaa...`` through, so a secret also needs variety: enough distinct
characters and enough *estimated* randomness. The estimate is the Shannon entropy of the
secret's own characters times the number of characters that do not merely continue a run
(the same character again, or the next or previous one: ``aaaa``, ``abcd``, ``4321``). It is
deliberately crude and errs low, and it is calibrated so that what the README tells people to
run always passes: over 200,000 draws the lowest estimate of ``secrets.token_urlsafe(32)`` was
148 bits (43 characters, threshold 120), of ``secrets.token_hex(32)`` 136 bits, and of a
16-character ``secrets.token_urlsafe(12)`` webhook secret 33 bits (threshold 24).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

__all__ = [
    "GENERATE",
    "PLACEHOLDERS",
    "SECRET_KEY",
    "TELEGRAM_SECRET_TOKEN",
    "WEBHOOK_SECRET",
    "SecretRule",
    "estimated_bits",
]

#: The command the messages suggest: 43 URL-safe characters, also valid for Telegram.
GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
#: Values that are nobody's secret: the development default and the usual stand-ins.
PLACEHOLDERS = frozenset({"", "changeme", "change-me", "secret", "dev-secret-key"})
#: What Telegram accepts as a webhook's ``secret_token`` (Bot API, setWebhook).
TELEGRAM_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def estimated_bits(value: str) -> float:
    """A low estimate of the randomness in ``value``, in bits (see the module's docstring)."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    per_character = -sum(c / n * math.log2(c / n) for c in counts.values())
    fresh = sum(1 for i, ch in enumerate(value) if i == 0 or abs(ord(ch) - ord(value[i - 1])) > 1)
    return per_character * fresh


@dataclass(frozen=True, slots=True)
class SecretRule:
    """What one secret must be in production."""

    variable: str
    min_length: int
    min_distinct: int
    min_bits: float

    def problem(self, value: str) -> str | None:
        """Why ``value`` will not do, on one line naming the variable; None when it will."""
        fix = f"set {self.variable} to a random value, e.g. the output of: {GENERATE}"
        if value.strip().lower() in PLACEHOLDERS:
            what = "is not set" if not value else "is a placeholder"
            return f"{self.variable} {what}: {fix}"
        if len(value) < self.min_length:
            return (
                f"{self.variable} is too short ({len(value)} characters, at least "
                f"{self.min_length} needed): {fix}"
            )
        if len(set(value)) < self.min_distinct or estimated_bits(value) < self.min_bits:
            return f"{self.variable} is too predictable (repeats or runs of characters): {fix}"
        return None


SECRET_KEY = SecretRule("SLOTBOT_SECRET_KEY", min_length=32, min_distinct=10, min_bits=120)
WEBHOOK_SECRET = SecretRule("SLOTBOT_WEBHOOK_SECRET", min_length=16, min_distinct=6, min_bits=24)
