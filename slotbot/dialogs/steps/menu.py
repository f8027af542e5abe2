"""The start menu (services, Book again, My bookings, Language, Help), Language and Help."""

from __future__ import annotations

from slotbot.core.availability.directory import last_booked_pair
from slotbot.core.availability.engine import Slot
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.i18n import LANGUAGES
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.common import service_line, with_business
from slotbot.dialogs.steps.offers import firsts
from slotbot.dialogs.steps.picking import pick_time, time_from
from slotbot.dialogs.widgets import back_row, minutes_of, paged

__all__ = ["HELP", "LANGUAGE", "MENU", "TELEGRAM", "footer", "telegram_row"]


def footer(ctx: Context) -> tuple[Button, ...]:
    """My bookings, Language, Help: the row under the services."""
    _ = ctx.texts.gettext
    row = (
        Button(_("My bookings"), ctx.act("my")),
        Button(_("Language"), ctx.act("lang")),
        Button(_("Help"), ctx.act("help")),
    )
    if ctx.specialist_id is not None:
        return (Button(_("My agenda"), ctx.act("agenda")), *row)
    return row


def telegram_row(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    """ "Continue in Telegram" for web visitors, when the bot is known."""
    if ctx.visitor.channel != "web" or not ctx.telegram_username:
        return ()
    return ((Button(ctx.texts.gettext("Continue in Telegram"), ctx.act("tg")),),)


async def render_telegram(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    if not flow.link:
        return Screen(_("Telegram is not available right now."), (back_row(ctx),))
    text = _(
        "Open this link in Telegram: your bookings move there, and so do your reminders. "
        "The link works once, within a day."
    )
    url = f"https://t.me/{ctx.telegram_username}?start={flow.link}"
    return Screen(text, ((Button(_("Open Telegram"), url=url),), back_row(ctx)))


async def _again(ctx: Context, flow: Flow) -> tuple[int, int, Slot] | None:
    """The client's last (service, specialist) and that pair's soonest slot, if any."""
    pair = await last_booked_pair(ctx.session, ctx.client_id)
    if pair is None:
        return None
    service_id, specialist_id = pair
    if specialist_id not in ctx.directory.providers(service_id):
        return None
    slot = (await firsts(ctx, flow, service_id, [specialist_id])).get(specialist_id)
    return (service_id, specialist_id, slot) if slot else None


async def render_menu(ctx: Context, flow: Flow) -> Screen:
    """Services at once, paged when long; Book again for a returning client."""
    _ = ctx.texts.gettext
    services = ctx.directory.offered_services()
    items = [Button(service_line(ctx, s), ctx.act("svc", s.id)) for s in services]
    rows, flow.page = paged(ctx, items, flow.page)
    again = await _again(ctx, flow)
    if again:
        service_id, specialist_id, slot = again
        name = ctx.directory.specialists[specialist_id].full_name
        service = ctx.directory.services[service_id].name(ctx.locale)
        when = ctx.texts.when(slot.start, ctx.directory.zone_of([specialist_id]))
        label = _("Book again: {service} with {name}, {when}").format(
            service=service, name=name, when=when
        )
        rows.insert(0, (Button(label, ctx.act("again", minutes_of(slot.start))),))
    text = (
        _("What would you like to book?")
        if services
        else _("Nothing can be booked online right now. Please contact us directly.")
    )
    return Screen(text, (*rows, footer(ctx), *telegram_row(ctx)))


async def press_menu(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "svc":
        service_id = action.number()
        if service_id not in ctx.directory.services or not ctx.directory.providers(service_id):
            flow.note = ctx.texts.gettext("This service is no longer available.")
            return
        flow.start_over("specialist")
        flow.service = service_id
    elif action.code == "pg":
        flow.page = action.number()
    elif action.code == "again":
        pair = await last_booked_pair(ctx.session, ctx.client_id)
        if pair is None or pair[1] not in ctx.directory.providers(pair[0]):
            flow.note = ctx.texts.gettext("That appointment can no longer be booked again.")
            return
        flow.start_over()
        flow.service, flow.specialist = pair
        await pick_time(ctx, flow, time_from(action), named=True)  # or says it is gone


async def render_language(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    rows = [(Button(name, ctx.act("lg", code)),) for code, name in LANGUAGES.items()]
    return Screen(_("Choose your language:"), (*rows, back_row(ctx)))


async def press_language(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "lg" and action.args and action.args[0] in LANGUAGES:
        ctx.locale = action.args[0]
        flow.note = ctx.texts.gettext("Language changed to English.")
    flow.come_back()


async def render_help(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    text = _(
        "I book appointments for you. Pick a service, a specialist (or anyone available), "
        "a day and a time, and confirm. You can cancel or move a booking under "
        "My bookings. Commands: /book to book, /my for your bookings, /language to change "
        "the language, /start to begin again."
    )
    return with_business(ctx, Screen(text, (back_row(ctx),)))


async def press_back_to_menu(ctx: Context, flow: Flow, action: Action) -> None:
    flow.step = "menu"


async def press_help(ctx: Context, flow: Flow, action: Action) -> None:
    flow.come_back()


MENU = Step(render_menu, press_menu)
LANGUAGE = Step(render_language, press_language)
HELP = Step(render_help, press_help)
TELEGRAM = Step(render_telegram, press_back_to_menu)
