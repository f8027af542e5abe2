"""One line of what can be typed on a screen, for a message that was not understood there."""

from __future__ import annotations

from slotbot.dialogs.context import Context
from slotbot.dialogs.state import Flow

__all__ = ["hint", "not_understood"]


def _service_example(ctx: Context) -> str:
    offered = ctx.directory.offered_services()
    return offered[0].name(ctx.locale) if offered else ""


def _name_example(ctx: Context, flow: Flow) -> str:
    providers = ctx.directory.providers(flow.service) if flow.service is not None else []
    return ctx.directory.specialists[providers[0]].full_name if providers else ""


def hint(ctx: Context, flow: Flow) -> str:
    """What can be typed on the flow's current screen, with examples."""
    _ = ctx.texts.gettext
    step = flow.step
    if step in ("specialist", "substitutes") and (name := _name_example(ctx, flow)):
        return _("Type a name, like “{name}”, or “anyone”.").format(name=name)
    if step == "date":
        return _("Type a day, like “tomorrow”, “Friday” or “12.12”.")
    if step in ("time", "taken"):
        return _("Type a time, like “10:30” or “after 5pm”, or another day.")
    if step == "confirm":
        return _("Press ✅ Confirm, or type another day or time, like “tomorrow at 10”.")
    if step in ("done", "booking"):
        return _("Type “cancel” or “move it to Friday”, or what else you would like to book.")
    if step == "my":
        return _("Type “cancel my booking”, “move it to Friday”, or what you would like to book.")
    if step == "cancel":
        return _("Choose “Yes, cancel it” or “No, keep it”.")
    if step == "ask":
        return _("Choose one of the buttons, or type it in full.")
    service = _service_example(ctx)
    if service:
        line = _("Type what you would like, like “{service} tomorrow after 5”, or “my bookings”.")
        return line.format(service=service)
    return _("Type “my bookings” or “help”, or choose a button.")


def not_understood(ctx: Context, flow: Flow) -> str:
    """The line for a message that was not understood on the current screen."""
    return ctx.texts.gettext("Sorry, I did not understand that.") + " " + hint(ctx, flow)
