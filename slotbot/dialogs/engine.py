"""The entry point every channel calls: one event in, one :class:`Reply` out.

Per event: load the conversation's session, check a pressed button against the screen the
session last showed (its version and its exact actions: a stale or forged button changes
nothing), let the current step handle the event, render the step the flow is now at, and
save the session with a version check. A held time the flow let go of is released.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking
from slotbot.core.booking import BookingRefused
from slotbot.core.clients import set_contact
from slotbot.core.db import session_factory
from slotbot.core.directory import load_directory
from slotbot.core.sessions import SessionState, StaleSession, load_session, save_session
from slotbot.dialogs.actions import decode
from slotbot.dialogs.context import Context
from slotbot.dialogs.events import Contact, Event, Press, Start, Text, Visitor
from slotbot.dialogs.i18n import pick_locale, texts
from slotbot.dialogs.identity import client_for, linked_client
from slotbot.dialogs.screens import Reply, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.confirm import CONFIRM
from slotbot.dialogs.steps.contact import CONTACT, NAME, PHONE, contact_shared
from slotbot.dialogs.steps.date import DATE
from slotbot.dialogs.steps.menu import HELP, LANGUAGE, MENU
from slotbot.dialogs.steps.my_bookings import BOOKING, CANCEL, DONE, MY_BOOKINGS
from slotbot.dialogs.steps.picking import TAKEN
from slotbot.dialogs.steps.specialist import SPECIALIST, SUBSTITUTES
from slotbot.dialogs.steps.time import TIME
from slotbot.dialogs.widgets import NOOP

__all__ = ["STEPS", "Dialogs"]

log = logging.getLogger(__name__)

STEPS: dict[str, Step] = {
    "menu": MENU,
    "language": LANGUAGE,
    "help": HELP,
    "specialist": SPECIALIST,
    "substitutes": SUBSTITUTES,
    "date": DATE,
    "time": TIME,
    "taken": TAKEN,
    "contact": CONTACT,
    "name": NAME,
    "phone": PHONE,
    "confirm": CONFIRM,
    "done": DONE,
    "my": MY_BOOKINGS,
    "booking": BOOKING,
    "cancel": CANCEL,
}
#: Buttons that mean the same on every screen: where they lead.
EVERYWHERE = {"home": "menu", "my": "my", "lang": "language", "help": "help"}
#: Commands (/start, /book, ...) and the step each opens.
COMMANDS = {"start": "menu", "book": "menu", "my": "my", "language": "language", "help": "help"}


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Dialogs:
    """The client conversation over one database.

    Channels call :meth:`respond` for each event; the state lives in ``dialog_sessions``,
    so any process can serve any event. Events of one conversation are handled one at a
    time within a process, and a version check keeps processes from overwriting each other.
    """

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self.clock = clock
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def _turn(self, conversation: str) -> AsyncIterator[None]:
        """Take this conversation's turn (the lock is dropped when nobody waits for it)."""
        lock, users = self._locks.get(conversation, (asyncio.Lock(), 0))
        self._locks[conversation] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[conversation]
            if users <= 1:
                del self._locks[conversation]
            else:
                self._locks[conversation] = (lock, users - 1)

    async def respond(
        self, visitor: Visitor, event: Event, *, now: datetime | None = None
    ) -> Reply:
        """Handle one event of ``visitor``'s conversation and return what to show."""
        async with self._turn(f"{visitor.channel}:{visitor.key}"):
            for _ in range(3):
                try:
                    return await self._respond(visitor, event, now or self.clock())
                except StaleSession:
                    continue  # another process answered in between: answer on its state
            raise RuntimeError("the session kept changing under us")

    async def _respond(self, visitor: Visitor, event: Event, now: datetime) -> Reply:
        loaded = await load_session(
            self.engine, channel=visitor.channel, conversation_id=visitor.key,
            locale=pick_locale(visitor.language),
        )  # fmt: skip
        flow = Flow.load(loaded.state)
        locale = loaded.locale
        client_id = loaded.state.get("client")
        link_note = ""
        if isinstance(event, Start) and event.payload:
            linked = await linked_client(self.engine, visitor, event.payload, now)
            _ = texts(locale).gettext
            if linked is not None:
                client_id = linked.id
                link_note = _("Welcome! Your bookings from our website are here too.")
            else:
                link_note = _("This link has expired or was already used.")
        if not isinstance(client_id, int):
            client = await client_for(self.engine, visitor, locale)
            client_id = client.id
            if loaded.version == 0 and client.locale and client.locale != locale:
                locale = pick_locale(client.locale)
        held_before = flow.hold
        async with session_factory(self.engine)() as session:
            directory = await load_directory(session)
            ctx = Context(
                self.engine, session, now, visitor, client_id, locale, loaded.version + 1,
                directory,
            )  # fmt: skip
            await self._handle(ctx, flow, event, loaded)
            flow.note = link_note or flow.note
            await ctx.refresh()
            screen = await self._render(ctx, flow)
        flow.offered = [*screen.actions(), *(a for s in ctx.extra for a in s.actions())]
        state = {**flow.dump(), "client": client_id}
        await save_session(self.engine, loaded, state=state, locale=ctx.locale, now=now)
        if ctx.locale != loaded.locale:
            await set_contact(self.engine, client_id=client_id, locale=ctx.locale)
        if held_before is not None and held_before not in (flow.hold, flow.booking):
            await self._release(held_before, client_id, now)
        return Reply([screen, *ctx.extra], ctx.notice)

    async def _handle(self, ctx: Context, flow: Flow, event: Event, loaded: SessionState) -> None:
        _ = ctx.texts.gettext
        if isinstance(event, Start):
            flow.start_over(COMMANDS.get(event.command, "menu"))
        elif isinstance(event, Press):
            action = decode(event.action)
            if action is None or action.version != loaded.version:
                ctx.notice = _("This menu is out of date. Here is the current one.")
            elif event.action not in flow.offered:
                ctx.notice = _("That button does not work here. Here is the current menu.")
            elif action.code == NOOP:
                pass
            elif action.code in EVERYWHERE:
                flow.start_over(EVERYWHERE[action.code])
            else:
                try:
                    await STEPS[flow.step].press(ctx, flow, action)
                except ValueError:
                    ctx.notice = _("That button does not work here. Here is the current menu.")
        elif isinstance(event, Contact):
            await contact_shared(ctx, flow, event.phone, event.own)
        elif isinstance(event, Text):
            step = STEPS[flow.step]
            if step.text is None:
                flow.note = _("Please choose one of the buttons below.")
            else:
                await step.text(ctx, flow, event.text)

    async def _render(self, ctx: Context, flow: Flow) -> Screen:
        """The screen of the step the flow is at, with the one-off note above it; a step that
        cannot be shown any more (its service was withdrawn, say) starts over at the menu."""
        note, flow.note = flow.note, ""
        try:
            screen = await STEPS.get(flow.step, MENU).render(ctx, flow)
        except (AssertionError, KeyError, ValueError):
            log.info("step %s cannot be shown for %s; back to the menu", flow.step, flow)
            flow.start_over()
            note = ctx.texts.gettext("Something has changed meanwhile. Let us start again.")
            screen = await MENU.render(ctx, flow)
        if note:
            return Screen(f"{note}\n\n{screen.text}", screen.buttons, screen.expects,
                          screen.attachments, screen.share_contact_label)  # fmt: skip
        return screen

    async def _release(self, booking_id: int, client_id: int, now: datetime) -> None:
        with suppress(BookingRefused):  # confirmed or gone meanwhile: nothing to let go
            await booking.release(self.engine, booking_id=booking_id, now=now, client_id=client_id)
