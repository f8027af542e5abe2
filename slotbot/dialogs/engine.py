"""The entry point every channel calls: one event in, one :class:`Reply` out.

Per event, in one unit of work (:mod:`slotbot.core.storage.unit_of_work`): load the
conversation's session, check a pressed button against the screen the session last showed
(its version and its exact actions: a stale or forged button changes nothing), let the
current step handle the event, let go of a held time the flow no longer needs (before
rendering, so the time is offered again at once), render the step the flow is now at, and
save the session with a version check. What the turn wrote (a hold, a confirmation and its
outbox rows, a cancellation...) commits together with the saved session, or not at all: when
another process saved the session in between, the whole turn is rolled back and the event is
answered again on that newer state, as any stale button is.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core import booking
from slotbot.core.availability.busy import Versions
from slotbot.core.availability.cache import cache_of
from slotbot.core.availability.directory import (
    ClientBooking,
    Directory,
    client_booking,
    load_directory,
)
from slotbot.core.booking.service import BookingRefused
from slotbot.core.clients import LinkTokenRefused, set_contact
from slotbot.core.handover import issue_link_token
from slotbot.core.specialists import LINK_PREFIX, record_chat_locale, redeem_specialist_link
from slotbot.core.storage.db import turn_capacity
from slotbot.core.storage.sessions import SessionState, StaleSession, load_session, save_session
from slotbot.core.storage.unit_of_work import UnitOfWork
from slotbot.core.waitlist.links import SLOT_PREFIX
from slotbot.dialogs import commands
from slotbot.dialogs.actions import OUT_OF_BAND, decode
from slotbot.dialogs.context import Context
from slotbot.dialogs.events import Contact, Event, Press, Start, Text, Visitor
from slotbot.dialogs.i18n import pick_locale, texts
from slotbot.dialogs.identity import client_for
from slotbot.dialogs.screens import Reply, Screen
from slotbot.dialogs.state import SIDE_TRIPS, Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.agenda import AGENDA, REASON, S_BOOKING, S_CANCEL, WEEK
from slotbot.dialogs.steps.confirm import CONFIRM
from slotbot.dialogs.steps.contact import CONTACT, NAME, PHONE
from slotbot.dialogs.steps.date import DATE
from slotbot.dialogs.steps.from_chat import REVIEW, out_of_band
from slotbot.dialogs.steps.handover import HANDOVER, open_handover
from slotbot.dialogs.steps.menu import HELP, LANGUAGE, MENU, TELEGRAM, open_at_service
from slotbot.dialogs.steps.my_bookings import BOOKING, CANCEL, DONE, MY_BOOKINGS
from slotbot.dialogs.steps.phone import PHONE_CODE, PHONE_PICK, contact_shared
from slotbot.dialogs.steps.picking import TAKEN
from slotbot.dialogs.steps.specialist import SPECIALIST, SUBSTITUTES
from slotbot.dialogs.steps.time import TIME
from slotbot.dialogs.steps.time_off import (
    BLOCK_LENGTH,
    BLOCK_START,
    OFF_CONFIRM,
    OFF_PICK,
    begin,
    parse_span,
)
from slotbot.dialogs.steps.waitlist import WAITING, open_slot_link
from slotbot.dialogs.typed import ASK, understand

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
    "phone_pick": PHONE_PICK,
    "phone_code": PHONE_CODE,
    "confirm": CONFIRM,
    "done": DONE,
    "my": MY_BOOKINGS,
    "booking": BOOKING,
    "cancel": CANCEL,
    "handover": HANDOVER,
    "waiting": WAITING,
    "ask": ASK,
    # the specialist's side
    "telegram": TELEGRAM,
    "review": REVIEW,
    "agenda": AGENDA,
    "week": WEEK,
    "s_booking": S_BOOKING,
    "s_cancel": S_CANCEL,
    "reason": REASON,
    "off_pick": OFF_PICK,
    "block_start": BLOCK_START,
    "block_length": BLOCK_LENGTH,
    "off_confirm": OFF_CONFIRM,
}
SPECIALIST_STEPS = frozenset(
    ("agenda", "week", "s_booking", "s_cancel", "reason", "off_pick", "block_start",
     "block_length", "off_confirm")
)  # fmt: skip
#: The specialist's commands: /today, /tomorrow, /week, /dayoff, /vacation, /block.
SPECIALIST_COMMANDS = frozenset(c.name for c in commands.SPECIALIST_COMMANDS)
#: Buttons that mean the same on every screen: where they lead (a booking in progress ends).
EVERYWHERE = {"home": "menu", "my": "my", "agenda": "agenda"}
#: Buttons and commands that open a side trip over the current step, which they come back to.
SIDE_BUTTONS = {"lang": "language", "help": "help"}
#: Commands (/start, /book, ...) and the step each opens.
COMMANDS = {c.name: c.opens for c in commands.CLIENT_COMMANDS}


def _specialist_of(visitor: Visitor, directory: Directory) -> int | None:
    """The specialist this visitor is, when they come through their linked Telegram."""
    if visitor.channel != "telegram" or not visitor.key.isdigit():
        return None
    entry = directory.specialist_for_telegram(int(visitor.key))
    return entry.id if entry else None


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Dialogs:
    """The client conversation over one database.

    Channels call :meth:`respond` for each event; the state lives in ``dialog_sessions``,
    so any process can serve any event. Events of one conversation are handled one at a
    time within a process, and a version check keeps processes from overwriting each other.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Callable[[], datetime] = _utcnow,
        telegram_username: str = "",
        sms_ready: bool = False,
        link_secret: str = "",
    ) -> None:
        self.engine = engine
        self.clock = clock
        #: The bot's @username once known: web visitors are offered "Continue in Telegram".
        self.telegram_username = telegram_username
        #: Whether SMS can be sent: the widget's phone codes (``verify_web_phone``) need it.
        self.sms_ready = sms_ready
        #: ``SLOTBOT_SECRET_KEY``: checks the signed slot links of waiting-list offers.
        self.link_secret = link_secret
        #: Turns that may run at once: one pooled connection each, as the pool allows.
        self.turns_at_once = turn_capacity(engine)
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
        async with UnitOfWork(self.engine) as uow:
            return await self._turn_in(uow, visitor, event, now)

    async def _turn_in(
        self, uow: UnitOfWork, visitor: Visitor, event: Event, now: datetime
    ) -> Reply:
        known = cache_of(self.engine).known  # who changed since is read with the session
        loaded = await load_session(
            self.engine, channel=visitor.channel, conversation_id=visitor.key,
            locale=pick_locale(visitor.language), uow=uow,
            busy_since=known if known >= 0 else None,
        )  # fmt: skip
        flow = Flow.load(loaded.state)
        locale = loaded.locale
        client_id = loaded.state.get("client")
        link_note = ""
        if isinstance(event, Start) and event.payload.startswith(LINK_PREFIX):
            link_note = await self._link_specialist(uow, visitor, event.payload, now, locale)
        if not isinstance(client_id, int):
            client = await client_for(self.engine, visitor, locale, uow=uow)
            client_id = client.id
            if loaded.version == 0 and client.locale and client.locale != locale:
                locale = pick_locale(client.locale)
        held_before = flow.hold
        directory = await load_directory(uow.session, loaded.catalog_version)
        specialist_id = _specialist_of(visitor, directory)
        # a specialist's language: the import file's choice wins over the chat's
        entry = directory.specialists[specialist_id] if specialist_id else None
        chosen, recorded = (entry.locale, entry.chat_locale) if entry else (None, None)
        ctx = Context(
            self.engine, uow, now, visitor, client_id, chosen or locale, loaded.version + 1,
            directory, specialist_id=specialist_id, telegram_username=self.telegram_username,
            sms_ready=self.sms_ready, link_secret=self.link_secret,
            versions=None if link_note else Versions(
                loaded.catalog_version, loaded.bookings_version, loaded.busy_changed,
                loaded.busy_since,
            ),  # a link may have moved bookings since they were read
        )  # fmt: skip
        await self._handle(ctx, flow, event, loaded)
        if chosen and ctx.locale != chosen:  # pressed another language
            ctx.locale = chosen
            flow.note = ctx.texts.gettext("The shop has set your language.")
        if not ctx.redraw and flow.hold == held_before and not link_note:
            return Reply([], ctx.notice, ctx.locale, ctx.happened)  # the screen and the state stay
        flow.note = link_note or flow.note
        # a hold the client left is let go before the screen, which offers its time again
        left = held_before if held_before not in (None, flow.hold, flow.booking) else None
        if left is not None:  # a command (/start, /my...) that left the booking says so
            held = (
                await client_booking(uow.session, client_id, left)
                if isinstance(event, Start)
                else None
            )
            with suppress(BookingRefused):  # confirmed or gone meanwhile: nothing to let go
                await booking.release(
                    self.engine, booking_id=left, now=now, client_id=client_id, uow=uow
                )
                if held is not None:
                    flow.note = _let_go(ctx, held, flow.note)
        screen = await self._render(ctx, flow)
        flow.offered = [*screen.actions(), *(a for s in ctx.extra for a in s.actions())]
        state = {**flow.dump(), "client": client_id}
        if ctx.locale != loaded.locale:
            await set_contact(self.engine, client_id=client_id, locale=ctx.locale, uow=uow)
        if specialist_id is not None and not chosen and recorded != ctx.locale:
            await record_chat_locale(
                self.engine, specialist_id=specialist_id, locale=ctx.locale, uow=uow
            )
        # the turn's last write; when another process answered first, StaleSession rolls the
        # whole turn back
        await save_session(
            self.engine, loaded, state=state, locale=ctx.locale, now=now, uow=uow, last=True
        )
        return Reply([screen, *ctx.extra], ctx.notice, ctx.locale, ctx.happened)

    async def _handle(self, ctx: Context, flow: Flow, event: Event, loaded: SessionState) -> None:
        _ = ctx.texts.gettext
        if isinstance(event, Start) and (
            event.command in SPECIALIST_COMMANDS or event.payload.startswith(LINK_PREFIX)
        ):
            self._specialist_command(ctx, flow, event)
        elif isinstance(event, Start) and COMMANDS.get(event.command) in SIDE_TRIPS:
            flow.side_trip(COMMANDS[event.command])
        elif isinstance(event, Start):
            flow.start_over(COMMANDS.get(event.command, "menu"))
            if event.slot and event.command == "start":  # the widget's ?slot=
                await open_slot_link(ctx, flow, event.slot)
            elif event.payload.startswith(SLOT_PREFIX) and event.command == "start":
                await open_slot_link(ctx, flow, event.payload.removeprefix(SLOT_PREFIX))
            elif event.payload and event.command == "start":
                await open_handover(ctx, flow, event.payload)
            elif event.service:
                open_at_service(ctx, flow, event.service)
        elif isinstance(event, Press):
            action = decode(event.action)
            if action is not None and action.version == OUT_OF_BAND:  # a notification's button
                try:
                    await out_of_band(ctx, flow, action)
                except ValueError:
                    ctx.notice = _("That button does not work here. Here is the current menu.")
            elif action is None or action.version != loaded.version:
                ctx.notice = _("This menu is out of date. Here is the current one.")
            elif event.action not in flow.offered:
                ctx.notice = _("That button does not work here. Here is the current menu.")
            elif action.code in SIDE_BUTTONS:
                flow.side_trip(SIDE_BUTTONS[action.code])
            elif action.code == "tg":
                flow.start_over("telegram")
                if ctx.telegram_username and ctx.visitor.channel == "web":
                    flow.link = await issue_link_token(
                        ctx.engine, client_id=ctx.client_id, now=ctx.now, uow=ctx.uow
                    )
            elif action.code in EVERYWHERE and (
                action.code != "agenda" or ctx.specialist_id is not None
            ):
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
            if not event.text.strip() and step.text is not None:
                pass  # nothing typed: the screen again, nothing to complain about
            elif step.text is not None:
                await step.text(ctx, flow, event.text)  # a name, a phone number, a reason...
            elif flow.step in SPECIALIST_STEPS or flow.step == "handover":
                flow.note = _("Please choose one of the buttons below.")
            else:
                await understand(ctx, flow, event.text)

    async def _render(self, ctx: Context, flow: Flow) -> Screen:
        """The screen of the step the flow is at, with the one-off note above it; a step that
        cannot be shown any more (its service was withdrawn, say) starts over at the menu."""
        note, flow.note = flow.note, ""
        if flow.step in SPECIALIST_STEPS and ctx.specialist_id is None:
            flow.start_over()
            note = note or ctx.texts.gettext(
                "These commands are for the shop's specialists. If you are one, ask the "
                "shop for your personal link."
            )
        try:
            screen = await STEPS.get(flow.step, MENU).render(ctx, flow)
        except (AssertionError, KeyError, ValueError):
            log.info("step %s cannot be shown for %s; back to the menu", flow.step, flow)
            flow.start_over()
            note = ctx.texts.gettext("Something has changed meanwhile. Let us start again.")
            screen = await MENU.render(ctx, flow)
        if note:
            return dataclasses.replace(screen, text=f"{note}\n\n{screen.text}")
        return screen

    def _specialist_command(self, ctx: Context, flow: Flow, event: Start) -> None:
        """/today, /tomorrow, /week, /dayoff, /vacation, /block (with optional dates)."""
        _ = ctx.texts.gettext
        flow.start_over("agenda")
        if ctx.specialist_id is None:
            return  # the render says these commands are for specialists
        zone = ctx.directory.specialists[ctx.specialist_id].timezone
        today = ctx.now.astimezone(zone).date()
        if event.command == "tomorrow":
            flow.day = (today + timedelta(days=1)).isoformat()
        elif event.command == "week":
            flow.step = "week"
        elif event.command in ("dayoff", "vacation", "block"):
            kind = {"dayoff": "day_off", "vacation": "vacation", "block": "block"}[event.command]
            words = event.payload.split()
            span = parse_span(kind, words, zone) if words else None
            if words and span is None:
                flow.note = _(
                    "I could not read those dates. Examples: /dayoff 2026-12-24, "
                    "/vacation 2026-12-28 2027-01-05, /block 2026-12-01T13:00 2026-12-01T14:00. "
                    "Or pick them below."
                )
            begin(flow, kind, *(span or ("", "")))

    async def _link_specialist(
        self, uow: UnitOfWork, visitor: Visitor, payload: str, now: datetime, locale: str
    ) -> str:
        """Redeem a specialist's deep link; the line to say about it."""
        _ = texts(locale).gettext
        if visitor.channel != "telegram":
            return _("Please open this link in Telegram.")
        try:
            specialist = await redeem_specialist_link(
                self.engine, payload=payload[:128], telegram_user_id=int(visitor.key), now=now,
                chat_locale=locale, uow=uow,
            )  # fmt: skip
        except LinkTokenRefused:
            return _("This link has expired or was already used.")
        return _("Hello, {name}! Your Telegram is linked. /today shows your day.").format(
            name=specialist.name
        )


def _let_go(ctx: Context, held: ClientBooking, note: str) -> str:
    """``note`` with a line saying that the time the client was booking is free again (a
    command such as /start or /my left the booking half way)."""
    when = ctx.texts.when(held.starts_at, held.timezone)
    line = ctx.texts.at_start(
        ctx.texts.gettext("{when} is no longer held for you.").format(when=when)
    )
    return f"{line}\n{note}".strip()
