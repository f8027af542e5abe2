"""What the dialog shows: channel-neutral screens with rows of buttons.

Telegram renders a :class:`Screen` as a message with an inline keyboard, the widget as a
bubble with buttons, the terminal chat as numbered lines; tests read it directly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from slotbot.dialogs.events import Event, Outcome, Visitor

__all__ = ["Attachment", "Button", "Expect", "Reply", "Screen"]


class Expect(enum.StrEnum):
    """What input a screen waits for besides its buttons."""

    NONE = "none"  # buttons only (typed text gets a gentle hint and the screen again)
    TEXT = "text"  # free text, e.g. a name
    PHONE = "phone"  # a phone number, typed or shared (Telegram's "share my contact")


@dataclass(frozen=True, slots=True)
class Button:
    """A button: what it says and the compact action it sends back (at most 64 bytes).

    ``url`` makes it a link instead of an action (``action`` is then empty).
    ``disabled`` buttons are shown greyed (the calendar's days without slots); pressing
    one gets a short answer and changes nothing. A disabled button without an action (a
    weekday header, a cell outside the month) is inert: a channel sends nothing for it.
    ``starts`` is the time a time button picks, in the zone its label shows it in: a
    channel that knows the viewer's own zone (the widget) may add their own time.
    """

    label: str
    action: str = ""
    url: str = ""
    disabled: bool = False
    starts: datetime | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a screen, e.g. the booking's .ics for "Add to calendar"."""

    filename: str
    mime_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Screen:
    """One message of the conversation."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    expects: Expect = Expect.NONE
    attachments: tuple[Attachment, ...] = ()
    #: For Expect.PHONE: label of the "share my contact" button a channel may offer.
    share_contact_label: str = ""
    #: The appointment the screen is about (Confirm, Done), in the zone the text names.
    starts: datetime | None = None

    def actions(self) -> list[str]:
        """Every action a button of this screen can send."""
        return [b.action for row in self.buttons for b in row if b.action]


@dataclass(frozen=True, slots=True)
class Reply:
    """The dialog's answer to one event.

    ``notice`` is a short line for the channel to show as a toast (Telegram's
    answerCallbackQuery text), e.g. "This menu is out of date". ``screens`` replace the
    current screen: a channel answering a button press edits the pressed message with the
    first screen and sends the rest as new messages; typed input gets new messages. No
    screens (a grey day's reason, say) means the current screen stays as it is.
    ``locale`` is the language the screens are in, for a channel's own words around them.
    ``events`` say what the event did to the client's bookings (held, booked, moved,
    cancelled), in order: a channel reports them without looking at the database.
    """

    screens: list[Screen] = field(default_factory=list)
    notice: str = ""
    locale: str = "en"
    events: list[Outcome] = field(default_factory=list)


class Conversation(Protocol):
    """What a channel needs of the dialog (:class:`slotbot.dialogs.engine.Dialogs`)."""

    @property
    def turns_at_once(self) -> int:
        """How many events it can take at once (its database pool's share)."""
        ...

    async def respond(
        self, visitor: Visitor, event: Event, *, now: datetime | None = None
    ) -> Reply: ...
