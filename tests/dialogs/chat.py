"""A client talking to the dialog as a channel would: pressing buttons by their label, typing,
sharing a contact; every screen is checked for a way forward or back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.demo import DEMO_FILE
from slotbot.core.importing.importer import import_file
from slotbot.dialogs.actions import MAX_BYTES
from slotbot.dialogs.engine import Dialogs
from slotbot.dialogs.events import Contact, Event, Press, Start, Text, Visitor
from slotbot.dialogs.screens import Button, Expect, Reply, Screen

#: Tuesday 2026-12-01, 08:00 in Berlin.
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


async def load_demo(engine: AsyncEngine) -> None:
    await import_file(engine, DEMO_FILE)


def check_screen(screen: Screen) -> None:
    """No dead ends, and buttons a channel can send (Telegram: 1-64 bytes, <= 100); only a
    disabled button may be inert (no action at all)."""
    buttons = [b for row in screen.buttons for b in row]
    live = [b for b in buttons if not b.disabled and (b.action or b.url)]
    assert live or screen.expects != Expect.NONE or screen.attachments, screen.text
    assert len(buttons) <= 100
    for button in buttons:
        assert button.label.strip() or button.disabled, screen
        inert = button.disabled and not button.action and not button.url
        assert 1 <= len(button.action.encode()) <= MAX_BYTES or button.url or inert
    assert 1 <= len(screen.text) <= 4096


@dataclass
class Chat:
    """One client's conversation; ``presses`` counts the buttons pressed."""

    dialogs: Dialogs
    visitor: Visitor
    now: datetime = NOW
    screen: Screen | None = None
    reply: Reply | None = None
    presses: int = 0
    history: list[Reply] = field(default_factory=list)

    @classmethod
    def new(
        cls, engine: AsyncEngine, key: str = "9001", *, language: str = "en", name: str = "Jane Doe"
    ) -> Chat:
        visitor = Visitor("telegram", key, chat_id=int(key), name=name, language=language)
        return cls(Dialogs(engine), visitor)

    async def send(self, event: Event) -> Reply:
        reply = await self.dialogs.respond(self.visitor, event, now=self.now)
        for screen in reply.screens:
            check_screen(screen)
        assert reply.screens or reply.notice  # no screens: the screen stays, a line says why
        self.reply, self.screen = reply, reply.screens[0] if reply.screens else self.screen
        self.history.append(reply)
        return reply

    async def start(self, command: str = "start") -> Reply:
        return await self.send(Start(command))

    def button(self, label: str, *, screen: Screen | None = None) -> Button:
        """The first enabled button whose label starts with ``label``."""
        screen = screen or self.screen
        assert screen is not None
        for row in screen.buttons:
            for b in row:
                if plain(b.label).startswith(label) and not b.disabled:
                    return b
        raise AssertionError(f"no button {label!r} on:\n{describe(screen)}")

    def labels(self) -> list[str]:
        assert self.screen is not None
        return [plain(b.label) for row in self.screen.buttons for b in row]

    async def press(self, label: str) -> Reply:
        self.presses += 1
        return await self.send(Press(self.button(label).action))

    async def choose_service(self, label: str) -> Reply:
        """Press the service ``label`` at Start: its category first when Start shows the
        categories (the demo clinic has more than six services)."""
        if not any(shown.startswith(label) for shown in self.labels()):
            await self.press(demo_category(label))
        return await self.press(label)

    async def press_action(self, action: str) -> Reply:
        self.presses += 1
        return await self.send(Press(action))

    async def type(self, text: str) -> Reply:
        return await self.send(Text(text))

    async def share(self, phone: str, own: bool = True) -> Reply:
        return await self.send(Contact(phone, own=own))

    def later(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @property
    def text(self) -> str:
        assert self.screen is not None
        return plain(self.screen.text)


#: The demo clinic's services and their categories, in English and Russian.
DEMO_CATEGORIES = {
    "GP consultation": "Clinic", "Flu vaccination": "Clinic", "Dental check-up": "Dentistry",
    "Haircut": "Hair studio", "Beard trim": "Hair studio", "Personal training": "Gym",
    "Sports massage": "Gym", "Консультация терапевта": "Клиника",
    "Прививка от гриппа": "Клиника", "Осмотр у стоматолога": "Стоматология",
    "Стрижка бороды": "Парикмахерская", "Стрижка": "Парикмахерская",
    "Персональная тренировка": "Спортзал", "Спортивный массаж": "Спортзал",
}  # fmt: skip


def demo_category(service: str) -> str:
    """The category of the demo service whose button starts with ``service``."""
    return next(c for name, c in DEMO_CATEGORIES.items() if service.startswith(name))


def plain(text: str) -> str:
    """Text as a reader sees it: Babel's no-break spaces read as spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def describe(screen: Screen) -> str:
    rows = [" | ".join(b.label for b in row) for row in screen.buttons]
    return "\n".join([screen.text, *rows])


async def book_haircut(chat: Chat, *, phone: str = "+49 151 23456789") -> None:
    """A new client books the soonest haircut with Anna: category, service, specialist,
    soonest, (contact), confirm."""
    await chat.start()
    await chat.choose_service("Haircut")
    await chat.press("Anna Petrova")
    await chat.press("Soonest")
    if chat.screen and chat.screen.expects == Expect.PHONE:
        await chat.share(phone)
    await chat.press("✅")
