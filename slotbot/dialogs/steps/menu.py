"""The start menu (services, Book again, My bookings, Language, Help), Language and Help."""

from __future__ import annotations

from slotbot.core.availability.directory import last_booked_pair
from slotbot.core.availability.engine import Slot
from slotbot.dialogs.actions import Action
from slotbot.dialogs.commands import CLIENT_COMMANDS
from slotbot.dialogs.context import Context
from slotbot.dialogs.i18n import LANGUAGES
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.common import service_line, with_business
from slotbot.dialogs.steps.offers import firsts
from slotbot.dialogs.steps.picking import pick_time, time_from
from slotbot.dialogs.widgets import back_row, minutes_of, paged

__all__ = [
    "GROUP_PAST", "HELP", "LANGUAGE", "MENU", "TELEGRAM", "categories", "choose_service", "footer",
    "open_at_service", "telegram_row",
]  # fmt: skip

#: Start shows the services' categories first when more services than this can be booked.
GROUP_PAST = 6


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


def categories(ctx: Context) -> list[str]:
    """The categories Start shows first (in the client's language, in import order): those
    of the bookable services when there are more than :data:`GROUP_PAST` of them, else none."""
    services = ctx.directory.offered_services()
    if len(services) <= GROUP_PAST:
        return []
    return list(dict.fromkeys(c for s in services if (c := s.category(ctx.locale))))


def _category(ctx: Context, flow: Flow) -> str:
    """The category whose services are shown (``""``: the top of Start)."""
    named = categories(ctx)
    index = flow.category
    return named[index] if index is not None and 0 <= index < len(named) else ""


async def render_menu(ctx: Context, flow: Flow) -> Screen:
    """Services at once, paged when long, or their categories first when there are many;
    Book again for a returning client."""
    _ = ctx.texts.gettext
    services = ctx.directory.offered_services()
    named, category = categories(ctx), _category(ctx, flow)
    if category:  # one category's services, with Back to the categories
        shown = [s for s in services if s.category(ctx.locale) == category]
        items = [Button(service_line(ctx, s), ctx.act("svc", s.id)) for s in shown]
        rows, flow.page = paged(ctx, items, flow.page)
        text = _("{category}: what would you like to book?").format(category=category)
        return Screen(text, (*rows, back_row(ctx), footer(ctx)))
    flow.category = None
    items = [Button(name, ctx.act("cat", index)) for index, name in enumerate(named)]
    items += [
        Button(service_line(ctx, s), ctx.act("svc", s.id))
        for s in services
        if not named or not s.category(ctx.locale)
    ]
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


def choose_service(ctx: Context, flow: Flow, service_id: int) -> bool:
    """Begin booking ``service_id`` at the specialist step (Back from there shows the
    services of its category, when Start shows categories); False, with a line saying so,
    when it cannot be booked."""
    if service_id not in ctx.directory.services or not ctx.directory.providers(service_id):
        flow.note = ctx.texts.gettext("This service is no longer available.")
        return False
    named = categories(ctx)
    category = ctx.directory.services[service_id].category(ctx.locale)
    flow.start_over("specialist")
    flow.service = service_id
    flow.category = named.index(category) if category in named else None
    return True


def open_at_service(ctx: Context, flow: Flow, key: str) -> None:
    """Open at the service with this key (a host page's ``data-service``) if it can be
    booked; Start stays otherwise."""
    found = next((s for s in ctx.directory.offered_services() if s.key == key), None)
    if found is not None:
        choose_service(ctx, flow, found.id)


async def press_menu(ctx: Context, flow: Flow, action: Action) -> None:
    if action.code == "svc":
        choose_service(ctx, flow, action.number())
    elif action.code == "cat":
        flow.category, flow.page = action.number(), 0
    elif action.code == "back":
        flow.category, flow.page = None, 0
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
        "My bookings."
    )
    if ctx.visitor.channel != "web":  # the widget has buttons for these, and no commands
        lines = [f"/{c.name} — {c.description(ctx.texts)}" for c in CLIENT_COMMANDS]
        text += "\n\n" + "\n".join([_("Commands:"), *lines])
    offered = ctx.directory.offered_services()
    if offered:
        typed = _(
            "You can also type what you need, in English or Russian, like “{service} "
            "tomorrow after 5”, “my bookings”, “cancel my booking” or “move it to Friday”."
        )
        text += "\n\n" + typed.format(service=offered[0].name(ctx.locale))
    return with_business(ctx, Screen(text, (back_row(ctx),)))


async def press_back_to_menu(ctx: Context, flow: Flow, action: Action) -> None:
    flow.step = "menu"


async def press_help(ctx: Context, flow: Flow, action: Action) -> None:
    flow.come_back()


MENU = Step(render_menu, press_menu)
LANGUAGE = Step(render_language, press_language)
HELP = Step(render_help, press_help)
TELEGRAM = Step(render_telegram, press_back_to_menu)
