"""A "Continue in Telegram" link opened in Telegram: what it brings from the website, to
take into this chat or to decline (:mod:`slotbot.core.handover`). The bookings move to this
Telegram account; nothing of it ever reaches the web session that made the link."""

from __future__ import annotations

from slotbot.core import handover
from slotbot.core.clients import LinkTokenRefused
from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Button, Screen
from slotbot.dialogs.state import Flow
from slotbot.dialogs.steps import Step
from slotbot.dialogs.steps.confirm import describe

__all__ = ["HANDOVER", "open_handover"]


def _used(ctx: Context) -> str:
    return ctx.texts.gettext("This link has expired or was already used.")


async def open_handover(ctx: Context, flow: Flow, token: str) -> None:
    """``/start TOKEN``: show what the link brings (Telegram only)."""
    _ = ctx.texts.gettext
    if ctx.visitor.channel != "telegram":
        flow.note = _("Please open this link in Telegram.")
        return
    try:
        offer = await handover.open_link(
            ctx.engine,
            token=token[:128],
            telegram_user_id=int(ctx.visitor.key),
            now=ctx.now,
            uow=ctx.uow,
        )
    except LinkTokenRefused:
        flow.note = _used(ctx)
        return
    if not offer.bookings:
        await handover.decline(
            ctx.engine, token_hash=offer.token_hash, telegram_user_id=int(ctx.visitor.key),
            now=ctx.now, uow=ctx.uow,
        )  # fmt: skip
        flow.note = _("This link brings no bookings from the website: there is nothing to move.")
        return
    flow.start_over("handover")
    flow.handover = offer.token_hash
    flow.handover_bookings = [b.id for b in offer.bookings]


async def render_handover(ctx: Context, flow: Flow) -> Screen:
    _ = ctx.texts.gettext
    entries = await handover.offered(
        ctx.session, token_hash=flow.handover, telegram_user_id=int(ctx.visitor.key),
        booking_ids=flow.handover_bookings, now=ctx.now,
    )  # fmt: skip
    home = (Button(_("Book an appointment"), ctx.act("home")),)
    if entries is None:
        return Screen(_used(ctx), (home,))
    if not entries:
        return Screen(_("The bookings of this link are no longer on the website."), (home,))
    count = len(entries)
    lines = [
        ctx.texts.ngettext(
            "This link brings {count} booking from the website:",
            "This link brings {count} bookings from the website:",
            count,
        ).format(count=count),
        *(f"• {describe(ctx, entry)}" for entry in entries),
        _("Take it into this chat? Its reminders will come here.")
        if count == 1
        else _("Take them into this chat? Their reminders will come here."),
    ]
    take = _("Take it") if count == 1 else _("Take them")
    rows = ((Button(take, ctx.act("hy")),), (Button(_("No, thanks"), ctx.act("hn")),))
    return Screen("\n".join(lines), rows)


async def press_handover(ctx: Context, flow: Flow, action: Action) -> None:
    _ = ctx.texts.gettext
    token_hash, listed = flow.handover, flow.handover_bookings
    telegram_user_id = int(ctx.visitor.key)
    if action.code == "hy":
        try:
            moved = await handover.accept(
                ctx.engine, token_hash=token_hash, telegram_user_id=telegram_user_id,
                client_id=ctx.client_id, booking_ids=listed, now=ctx.now, uow=ctx.uow,
            )  # fmt: skip
        except LinkTokenRefused:
            flow.start_over()
            flow.note = _used(ctx)
            return
        flow.start_over("my")
        flow.note = (
            ctx.texts.ngettext(
                "Done: {count} booking from the website is now here.",
                "Done: {count} bookings from the website are now here.",
                len(moved),
            ).format(count=len(moved))
            if moved
            else _("The bookings of this link are no longer on the website.")
        )
    elif action.code == "hn":
        await handover.decline(
            ctx.engine,
            token_hash=token_hash,
            telegram_user_id=telegram_user_id,
            now=ctx.now,
            uow=ctx.uow,
        )
        flow.start_over()
        flow.note = _("Nothing was changed. This link no longer works; the website makes new ones.")


HANDOVER = Step(render_handover, press_handover)
