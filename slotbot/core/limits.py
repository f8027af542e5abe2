"""Bounds on what people send us: one limit per kind of text, and the dates we book.

Every text a client or staff member can type has its limit here and is checked where it
enters the core, raising an :class:`InvalidInput` whose message can be shown as is. The
columns that store these texts are at least as wide (``tests/core/test_limits.py`` checks).

Dates: bookings, availability and listings take local dates from
:data:`FIRST_DATE` to :data:`LAST_DATE` (2000-01-01..2100-12-31). Nobody books outside that
range on purpose, and keeping far from ``date.min``/``date.max`` means that adding a
horizon, a week of calendar or a time zone offset to a checked date can never overflow.
"""

from __future__ import annotations

import re
from datetime import date, datetime

NAME_MAX = 100
"""A person's name as they type it (Telegram's first and last name together are 129)."""
EMAIL_MAX = 254
"""An e-mail address (RFC 5321: a forward path is at most 256 octets with the brackets)."""
PHONE_INPUT_MAX = 32
"""A phone number as typed, with spaces and punctuation; stored in E.164 (at most 16)."""
REASON_MAX = 300
"""Why a booking was cancelled or a specialist is away."""
COMMENT_MAX = 1000
"""A review's comment."""
LOCALE_MAX = 16
"""A language tag such as ``en`` or ``pt-BR``."""
WEB_SESSION_ID_MAX = 64
"""The widget's session identifier."""
KEY_MAX = 64
"""A service or specialist key (a slug: ``a-z``, ``0-9``, ``_`` and ``-``)."""
INT64_MAX = 2**63 - 1
"""The largest integer a ``BIGINT`` column holds (Telegram ids, counts)."""
IMPORT_MAX_BYTES = 8 * 1024 * 1024
"""The default cap on an import file's size (``SLOTBOT_IMPORT_MAX_BYTES``)."""
IMPORT_MAX_DEPTH = 32
"""How deep lists and mappings may nest in an import file (the format needs 5)."""
MESSAGE_MAX = 1000
"""A message typed into the chat widget (the dialog bounds what it keeps further)."""
READ_MAX = 200
"""How much of a typed chat message the dialog reads for services, names, dates, times and
intents (:func:`readable`): a request to book fits in far less, and a longer text is cut
here before it is read, never parsed whole."""
ACTION_MAX = 64
"""A button's action as a channel sends it back (Telegram's callback_data: 1-64 bytes)."""
WEB_BODY_MAX = 8 * 1024
"""A request body of the widget's API, in bytes."""
TELEGRAM_BODY_MAX = 1024 * 1024
"""An update posted to the Telegram webhook, in bytes (a text is at most 4096 characters;
captions, entities and a reply's quoted message stay well under this)."""

FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2100, 12, 31)

# C0 controls and DEL; PostgreSQL refuses NUL in text outright. Tab and newline are
# allowed only in multi-line texts (reasons, comments). Lone surrogates (bytes that were
# not UTF-8, as Python decodes a command line) cannot be stored anywhere.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
KEY_PATTERN = "^[a-z0-9_-]+$"
"""What a key may hold (also published in the HTTP API's schema)."""
_KEY = re.compile(rf"[a-z0-9_-]{{1,{KEY_MAX}}}")
_LOCALE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")


class InvalidInput(ValueError):
    """Something a person sent that we cannot take; ``str()`` is the message for them."""


class TooLong(InvalidInput):
    """A text over its limit."""


class DateOutOfRange(InvalidInput):
    """A date outside :data:`FIRST_DATE`..:data:`LAST_DATE`."""


def bounded_text(value: str, *, what: str, limit: int, lines: bool = False) -> str:
    """``value`` without surrounding white space; raises :class:`InvalidInput` when it is
    longer than ``limit`` characters or holds control characters (``lines`` allows line
    breaks and tabs)."""
    value = value.strip()
    if len(value) > limit:
        raise TooLong(f"the {what} is too long: {len(value)} characters, at most {limit}")
    if (_CONTROL_BUT_LINES if lines else _CONTROL).search(value):
        raise InvalidInput(f"the {what} contains control characters")
    return value


def readable(value: str, limit: int = READ_MAX) -> tuple[str, bool]:
    """The part of a typed message that is read: all of it when it is at most ``limit``
    characters, else its first ``limit`` characters without the word cut in two; and
    whether it was cut."""
    if len(value) <= limit:
        return value, False
    head = value[:limit]
    if not value[limit].isspace() and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head, True


def has_control(value: str, *, lines: bool = False) -> bool:
    """Whether ``value`` holds characters no text of ours may hold: control characters
    (``lines`` allows line breaks and tabs) or lone surrogates."""
    return bool((_CONTROL_BUT_LINES if lines else _CONTROL).search(value))


def check_unicode(value: str, *, what: str) -> str:
    """``value`` if it is valid Unicode text; a command-line argument that was not UTF-8
    (Python keeps such bytes as lone surrogates) raises :class:`InvalidInput`."""
    if _SURROGATE.search(value):
        raise InvalidInput(f"the {what} is not valid UTF-8 text")
    return value


def check_key(value: str, *, what: str = "key") -> str:
    """A service or specialist key: 1 to :data:`KEY_MAX` of ``a-z``, ``0-9``, ``_``, ``-``."""
    if not _KEY.fullmatch(value):
        shown = ascii(value[: KEY_MAX + 1])
        raise InvalidInput(f"{shown} is not a {what}: use 1 to {KEY_MAX} of a-z, 0-9, '_' and '-'")
    return value


def check_port(value: int) -> int:
    """A TCP port: 1 to 65535."""
    if not 1 <= value <= 65535:
        raise InvalidInput(f"port {value} is out of range: 1 to 65535")
    return value


def bounded_int(value: int, *, what: str = "number") -> int:
    """``value`` if it fits a 64-bit signed integer (a ``BIGINT``), else :class:`InvalidInput`."""
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise InvalidInput(f"the {what} is out of range: at most 64 bits ({INT64_MAX})")
    return value


def check_name(value: str) -> str:
    """A person's name: not empty, at most :data:`NAME_MAX` characters."""
    value = bounded_text(value, what="name", limit=NAME_MAX)
    if not value:
        raise InvalidInput("the name is empty")
    return value


def check_reason(value: str | None) -> str | None:
    """A reason (may be left out): at most :data:`REASON_MAX` characters; blank is none."""
    if value is None:
        return None
    return bounded_text(value, what="reason", limit=REASON_MAX, lines=True) or None


def check_comment(value: str | None) -> str | None:
    """A review comment (may be left out): at most :data:`COMMENT_MAX` characters."""
    if value is None:
        return None
    return bounded_text(value, what="comment", limit=COMMENT_MAX, lines=True) or None


def check_locale(value: str) -> str:
    """A language tag such as ``en``, ``de`` or ``pt-BR``."""
    value = value.strip()
    if len(value) > LOCALE_MAX or not _LOCALE.match(value):
        raise InvalidInput(f"not a language code: {value[:LOCALE_MAX]!r} (e.g. en, de, pt-BR)")
    return value


def bounded_date(day: date) -> date:
    """``day`` if it lies within :data:`FIRST_DATE`..:data:`LAST_DATE`, else
    :class:`DateOutOfRange`. The one check for every date a person gives us."""
    if not FIRST_DATE <= day <= LAST_DATE:
        raise DateOutOfRange(
            f"{day.isoformat()} is out of range: dates from {FIRST_DATE.isoformat()}"
            f" to {LAST_DATE.isoformat()} only"
        )
    return day


def bounded_instant(moment: datetime) -> datetime:
    """An instant whose date (in its own offset) passes :func:`bounded_date`; checked
    before any conversion, which could overflow near the ends of the calendar."""
    bounded_date(moment.date())
    return moment


def bounded_range(first: date, last: date) -> tuple[date, date]:
    """Both ends of a date range pass :func:`bounded_date` and ``last`` is not before
    ``first``."""
    bounded_date(first)
    bounded_date(last)
    if last < first:
        raise InvalidInput(f"the range ends ({last}) before it starts ({first})")
    return first, last
