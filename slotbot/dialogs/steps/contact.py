"""Contact details: the name (from the channel's profile when it has one, editable) and a
phone number, typed or shared; a returning client is not asked again.

A shared contact's number is international, with or without its ``+``. A typed number that
reads validly two ways (``4915123456789`` as a German national number or as +49 1512...)
is not guessed: the client picks one of the readings, each shown with its country."""

from __future__ import annotations

from slotbot.core.clients import (
    display_phone,
    parse_shared_phone,
    phone_readings,
    phone_region,
    phone_region_of,
    set_contact,
)
from slotbot.core.limits import NAME_MAX, InvalidInput, check_name
from slotbot.core.storage.models import Client
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Expect, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.widgets import back_row

__all__ = ["CONTACT", "NAME", "PHONE", "PHONE_PICK", "contact_shared"]


async def _client(ctx: Context) -> Client:
    await ctx.refresh()
    client = await ctx.session.get(Client, ctx.client_id, populate_existing=True)
    assert client is not None
    return client


async def render_contact(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    client = await _client(ctx)
    if not client.name:
        return Screen(_("What name should we book under?"), (back_row(ctx),), Expect.TEXT)
    text = _("Thank you, {name}. What phone number can we reach you on?").format(name=client.name)
    return Screen(
        text, (back_row(ctx),), Expect.PHONE, share_contact_label=_("Share my phone number")
    )


async def _next(ctx: Context, flow: Flow) -> None:
    client = await _client(ctx)
    if client.name and client.phone:
        flow.step = flow.return_to or "confirm"
        flow.return_to = ""


def _name(text: str) -> str | None:
    """A typed name with its white space tidied, or ``None`` when it cannot be a name."""
    try:
        return check_name(" ".join(text.split()))
    except InvalidInput:
        return None


async def text_contact(ctx: Context, flow: Flow, text: str) -> None:
    _ = ctx.texts.gettext
    client = await _client(ctx)
    if not client.name or flow.step == "name":
        name = _name(text)
        if name is None:
            flow.note = _("Please type a name of at most {limit} characters.").format(
                limit=NAME_MAX
            )
            return
        await ctx.refresh()
        await set_contact(ctx.engine, client_id=ctx.client_id, name=name)
        if flow.step == "name":
            flow.step = flow.return_to or "confirm"
            flow.return_to = ""
            return
    elif not await _save_phone(ctx, flow, text):
        return
    await _next(ctx, flow)


async def _save_phone(ctx: Context, flow: Flow, text: str) -> bool:
    """Store a typed phone number, or ask which reading it is when it has two; says what
    is wrong and returns False if it is not a usable number yet."""
    _ = ctx.texts.gettext
    try:
        readings = phone_readings(text, await phone_region(ctx.session))
    except InvalidInput:
        flow.note = _(
            "That does not look like a phone number. Please type it with the country "
            "code, for example +49 151 23456789."
        )
        return False
    if len(readings) > 1:
        flow.phones = readings
        flow.step = "phone_pick"
        return False
    return await _use_phone(ctx, flow, readings[0])


async def _use_phone(ctx: Context, flow: Flow, e164: str) -> bool:
    """Store a number that is known exactly (E.164) on this client."""
    await ctx.refresh()
    await set_contact(ctx.engine, client_id=ctx.client_id, phone=e164)
    flow.phones = []
    return True


async def contact_shared(ctx: Context, flow: Flow, phone: str, own: bool) -> None:
    """A shared contact: accepted only when it is the sender's own; its number is
    international whether or not it starts with ``+``."""
    _ = ctx.texts.gettext
    if flow.step not in ("contact", "phone", "phone_pick"):
        flow.note = _("Thank you, but I do not need a phone number right now.")
        return
    if not own:
        flow.note = _("Please share your own contact, or type your phone number.")
        return
    try:
        e164 = parse_shared_phone(phone)
    except InvalidInput:
        flow.note = _("I could not read the number of that contact. Please type your number.")
        return
    if flow.step == "phone_pick":
        flow.step = "phone" if flow.return_to else "contact"
    if await _use_phone(ctx, flow, e164):
        await _after_phone(ctx, flow)


async def _after_phone(ctx: Context, flow: Flow) -> None:
    """The phone is stored: on to the summary, or to the name if it is still missing."""
    if flow.step == "phone":
        flow.step, flow.return_to = flow.return_to or "confirm", ""
    else:
        flow.step = "contact"
        await _next(ctx, flow)


async def press_contact(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "back":
        if flow.return_to:
            flow.step, flow.return_to = flow.return_to, ""
        else:
            flow.step = "time" if flow.moving is None else "date"
            flow.hold = None  # let the held time go


async def render_name(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    return Screen(_("Type the name for the booking:"), (back_row(ctx),), Expect.TEXT)


async def render_phone(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    return Screen(
        _("Type your phone number:"), (back_row(ctx),), Expect.PHONE,
        share_contact_label=_("Share my phone number"),
    )  # fmt: skip


async def text_phone(ctx: Context, flow: Flow, text: str) -> None:
    if await _save_phone(ctx, flow, text):
        await _after_phone(ctx, flow)


async def render_phone_pick(ctx: Context, flow: Flow) -> Screen:
    """The readings of an ambiguous number, each in international form with its country."""
    _ = ctx.texts.gettext
    rows = [
        (Button(_("{phone} ({country})").format(
            phone=display_phone(e164), country=ctx.texts.country(phone_region_of(e164))
        ), ctx.act("pn", index)),)
        for index, e164 in enumerate(flow.phones)
    ]  # fmt: skip
    text = _("Which number is yours? Or type it again with the country code.")
    return Screen(
        text, (*rows, back_row(ctx)), Expect.PHONE, share_contact_label=_("Share my phone number")
    )


async def press_phone_pick(ctx: Context, flow: Flow, action: Action) -> None:
    asked_in = "phone" if flow.return_to else "contact"
    if action.code == "pn" and 0 <= action.number() < len(flow.phones):
        flow.step = asked_in
        if await _use_phone(ctx, flow, flow.phones[action.number()]):
            await _after_phone(ctx, flow)
    elif action.code == "back":
        flow.phones, flow.step = [], asked_in


async def text_phone_pick(ctx: Context, flow: Flow, text: str) -> None:
    flow.step = "phone" if flow.return_to else "contact"
    if await _save_phone(ctx, flow, text):
        await _after_phone(ctx, flow)


CONTACT = Step(render_contact, press_contact, text_contact)
NAME = Step(render_name, press_contact, text_contact)
PHONE = Step(render_phone, press_contact, text_phone)
PHONE_PICK = Step(render_phone_pick, press_phone_pick, text_phone_pick)
