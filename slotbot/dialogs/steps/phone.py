"""The client's phone number, from whatever step asks for it (contact, Change phone):

- a shared contact's number is international, with or without its ``+``;
- a typed number that reads validly two ways (``4915123456789``: German national, or
  +49 1512...) is not guessed: the client picks a reading, each shown with its country;
- in the widget, a number that already has the day's bookings is refused in one line
  (``core.web_limits``), and where the shop wants it (``verify_web_phone``) the number is
  stored only once the client typed the 6-digit code sent to it (``core.phone_codes``).
"""

from __future__ import annotations

from datetime import timedelta

from slotbot.core import phone_codes
from slotbot.core.clients import (
    display_phone,
    parse_shared_phone,
    phone_readings,
    phone_region,
    phone_region_of,
    set_contact,
)
from slotbot.core.limits import InvalidInput
from slotbot.core.phone_codes import Check, CodeRefused, Refusal
from slotbot.core.web_limits import QuotaReached, check_phone_day, store_web_phone, web_limits
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Expect, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.common import limit_line
from slotbot.dialogs.widgets import back_row

__all__ = [
    "PHONE_CODE",
    "PHONE_PICK",
    "contact_shared",
    "next_after_contact",
    "save_typed",
]


async def next_after_contact(ctx: Context, flow: Flow) -> None:
    """With a name and a phone, on to the summary (or wherever the side step came from)."""
    client = await ctx.client()
    if client.name and client.phone:
        flow.step = flow.return_to or "confirm"
        flow.return_to = ""


def _asking_step(flow: Flow) -> str:
    """The step that asked for the number: Change phone (with a return) or the contact."""
    return "phone" if flow.return_to else "contact"


async def _after_phone(ctx: Context, flow: Flow) -> None:
    """The phone is stored: on to the summary, or to the name if it is still missing."""
    if _asking_step(flow) == "phone":
        flow.step, flow.return_to = flow.return_to or "confirm", ""
    else:
        flow.step = "contact"
        await next_after_contact(ctx, flow)


async def save_typed(ctx: Context, flow: Flow, text: str) -> bool:
    """Store a typed phone number, or ask which reading it is when it has two; says what
    is wrong and returns False while the number is not stored."""
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
    return await _use(ctx, flow, readings[0])


async def _use(ctx: Context, flow: Flow, e164: str) -> bool:
    """Store a number known exactly (E.164): at once in Telegram and the terminal; in the
    widget within its limits, and after an SMS code where the shop asks for one."""
    _ = ctx.texts.gettext
    flow.phones = []
    if ctx.visitor.channel != "web":
        ctx.saw_client(
            await set_contact(ctx.engine, client_id=ctx.client_id, phone=e164, uow=ctx.uow)
        )
        return True
    limits = await web_limits(ctx.session)
    try:
        await check_phone_day(ctx.session, limits, e164, ctx.now, client_id=ctx.client_id)
        if limits.verify_web_phone and not await phone_codes.is_verified(
            ctx.session, ctx.client_id, e164
        ):
            await _send_code(ctx, flow, e164)
            return False
        await store_web_phone(
            ctx.engine,
            client_id=ctx.client_id,
            phone=e164,
            limits=limits,
            now=ctx.now,
            uow=ctx.uow,
        )
    except QuotaReached as reached:
        flow.note = limit_line(ctx, reached)
        return False
    return True


async def _send_code(ctx: Context, flow: Flow, e164: str) -> None:
    """Send a code to ``e164`` and wait for it on the code screen (or say why not)."""
    _ = ctx.texts.gettext
    if not ctx.sms_ready:
        flow.note = _(
            "We confirm phone numbers by SMS, but we cannot send SMS right now. "
            "Please call us to book."
        )
        return
    try:
        await phone_codes.send_code(
            ctx.engine,
            client_id=ctx.client_id,
            phone=e164,
            locale=ctx.locale,
            now=ctx.now,
            uow=ctx.uow,
        )
    except CodeRefused as refused:
        flow.note = _refusal_line(ctx, refused)
        if flow.step != "phone_code":
            return
    else:
        flow.note = _("We sent a new code.") if flow.step == "phone_code" else ""
    flow.code_phone = e164
    flow.step = "phone_code"


def _refusal_line(ctx: Context, refused: CodeRefused) -> str:
    if refused.reason == Refusal.WAIT:
        seconds = max(1, int(refused.wait / timedelta(seconds=1)))
        return ctx.texts.ngettext(
            "A code was sent moments ago. You can ask for a new one in {count} second.",
            "A code was sent moments ago. You can ask for a new one in {count} seconds.",
            seconds,
        ).format(count=seconds)
    return ctx.texts.gettext(
        "We cannot send more codes to this number today. Please call us, or use another number."
    )


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
    flow.step = _asking_step(flow)
    if await _use(ctx, flow, e164):
        await _after_phone(ctx, flow)


# --- two readings of one number -------------------------------------------------------


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
    if action.code == "pn" and 0 <= action.number() < len(flow.phones):
        picked = flow.phones[action.number()]
        flow.step = _asking_step(flow)
        if await _use(ctx, flow, picked):
            await _after_phone(ctx, flow)
    elif action.code == "back":
        flow.phones, flow.step = [], _asking_step(flow)


async def text_phone_pick(ctx: Context, flow: Flow, text: str) -> None:
    flow.step = _asking_step(flow)
    if await save_typed(ctx, flow, text):
        await _after_phone(ctx, flow)


# --- the SMS code ---------------------------------------------------------------------


async def render_phone_code(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    text = _("We sent a code by SMS to {phone}. Please type its 6 digits here.").format(
        phone=display_phone(flow.code_phone)
    )
    rows = (
        (Button(_("Send the code again"), ctx.act("cs")),),
        back_row(ctx, Button(_("Change number"), ctx.act("cn"))),
    )
    return Screen(text, rows, Expect.TEXT)


async def press_phone_code(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "cs":
        await _send_code(ctx, flow, flow.code_phone)
    elif action.code in ("cn", "back"):
        flow.code_phone, flow.step = "", _asking_step(flow)


async def text_phone_code(ctx: Context, flow: Flow, text: str) -> None:
    _ = ctx.texts.gettext
    if not phone_codes.looks_like_a_code(text):
        flow.note = _("The code has 6 digits. Please type it as it came in the SMS.")
        return
    checked = await phone_codes.check_code(
        ctx.engine,
        client_id=ctx.client_id,
        phone=flow.code_phone,
        code=text,
        now=ctx.now,
        uow=ctx.uow,
    )
    if checked.outcome == Check.WRONG:
        flow.note = ctx.texts.ngettext(
            "That code is not right. You can try {count} more time.",
            "That code is not right. You can try {count} more times.",
            checked.tries_left,
        ).format(count=checked.tries_left)
    elif checked.outcome == Check.LOCKED:
        flow.note = _("Too many wrong codes. Ask for a new code, or change the number.")
    elif checked.outcome == Check.EXPIRED:
        flow.note = _("That code has run out. Ask for a new one.")
    else:
        phone, flow.code_phone = flow.code_phone, ""
        flow.step = _asking_step(flow)
        if await _use(ctx, flow, phone):
            await _after_phone(ctx, flow)


PHONE_PICK = Step(render_phone_pick, press_phone_pick, text_phone_pick)
PHONE_CODE = Step(render_phone_code, press_phone_code, text_phone_code)
