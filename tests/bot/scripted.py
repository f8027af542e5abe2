"""A stand-in dialog that answers with prepared replies and records what it was told."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from slotbot.dialogs.events import Event, Visitor
from slotbot.dialogs.screens import Reply, Screen


@dataclass
class Scripted:
    """Implements the bot's ``Conversation``: the next prepared reply, or a default screen."""

    replies: list[Reply] = field(default_factory=list)
    heard: list[tuple[Visitor, Event]] = field(default_factory=list)
    failing: bool = False
    turns_at_once: int = 4

    async def respond(
        self, visitor: Visitor, event: Event, *, now: datetime | None = None
    ) -> Reply:
        self.heard.append((visitor, event))
        if self.failing:
            raise RuntimeError("the dialog broke")
        return self.replies.pop(0) if self.replies else Reply([Screen("Hello")])

    @property
    def events(self) -> list[Event]:
        return [event for _, event in self.heard]
