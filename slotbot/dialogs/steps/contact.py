"""Contact details: the name (from the channel's profile when it has one, editable) and a
phone number, typed or shared (how a number is read and checked: ``steps.phone``); a
returning client is not asked again."""

from __future__ import annotations

from slotbot.core.clients import set_contact
from slotbot.core.limits import NAME_MAX, InvalidInput, check_name
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Expect, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.phone import next_after_contact, save_typed
from slotbot.dialogs.widgets import back_row

__all__ = ["CONTACT", "NAME", "PHONE"]


async def render_contact(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    client = await ctx.client()
    if not client.name:
        return Screen(_("What name should we book under?"), (back_row(ctx),), Expect.TEXT)
    text = _("Thank you, {name}. What phone number can we reach you on?").format(name=client.name)
    return Screen(
        text, (back_row(ctx),), Expect.PHONE, share_contact_label=_("Share my phone number")
    )


def _name(text: str) -> str | None:
    """A typed name with its white space tidied, or ``None`` when it cannot be a name."""
    try:
        return check_name(" ".join(text.split()))
    except InvalidInput:
        return None


async def text_contact(ctx: Context, flow: Flow, text: str) -> None:
    _ = ctx.texts.gettext
    client = await ctx.client()
    if not client.name or flow.step == "name":
        name = _name(text)
        if name is None:
            flow.note = ctx.texts.ngettext(
                "Please type a name of at most {limit} character.",
                "Please type a name of at most {limit} characters.",
                NAME_MAX,
            ).format(limit=NAME_MAX)
            return
        ctx.saw_client(
            await set_contact(ctx.engine, client_id=ctx.client_id, name=name, uow=ctx.uow)
        )
        if flow.step == "name":
            flow.step = flow.return_to or "confirm"
            flow.return_to = ""
            return
    elif not await save_typed(ctx, flow, text):
        return
    await next_after_contact(ctx, flow)


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
    if await save_typed(ctx, flow, text):
        flow.step, flow.return_to = flow.return_to or "confirm", ""


CONTACT = Step(render_contact, press_contact, text_contact)
NAME = Step(render_name, press_contact, text_contact)
PHONE = Step(render_phone, press_contact, text_phone)
