"""One module per step of the flow: how its screen looks and what its buttons do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slotbot.dialogs.actions import Action
from slotbot.dialogs.context import Context
from slotbot.dialogs.screens import Screen
from slotbot.dialogs.state import Flow

__all__ = ["Step"]

Render = Callable[[Context, Flow], Awaitable[Screen]]
OnPress = Callable[[Context, Flow, Action], Awaitable[None]]
OnText = Callable[[Context, Flow, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Step:
    """A screen of the flow: its rendering and the handling of its buttons and input."""

    render: Render
    press: OnPress
    text: OnText | None = None  # typed input, where the screen expects some
