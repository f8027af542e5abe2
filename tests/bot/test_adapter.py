"""The adapter over a scripted dialog: updates become events, screens become messages."""

from __future__ import annotations

from slotbot.bot import COMMANDS, text_event
from slotbot.bot._events import SPECIALIST_COMMANDS
from slotbot.dialogs.commands import CLIENT_COMMANDS
from slotbot.dialogs.events import Contact, Press, Start, Text, Visitor
from slotbot.dialogs.i18n import texts
from slotbot.dialogs.screens import Attachment, Button, Expect, Reply, Screen
from tests.bot.botapi import BotApi
from tests.bot.conftest import Run
from tests.bot.scripted import Scripted

CHAT = 501


async def test_commands_are_registered_in_english_and_russian(botapi: BotApi, run_bot: Run) -> None:
    """The bot registers exactly the client's commands of ``dialogs.commands``, described in
    English (the default menu) and Russian, and reads each of them."""
    async with run_bot(Scripted()):
        pass
    assert set(botapi.commands) == {"", "ru"}
    for language, locale in (("", "en"), ("ru", "ru")):
        registered = [(c["command"], c["description"]) for c in botapi.commands[language]]
        assert registered == [(c.name, c.description(texts(locale))) for c in CLIENT_COMMANDS]
        assert [name for name, _ in registered] == list(COMMANDS)
    assert botapi.commands[""][0]["description"] == "Start over: book a visit"
    assert botapi.commands["ru"][2]["description"] == "Мои записи"
    assert botapi.commands["ru"][4]["description"] == "Как пользоваться ботом"
    for command in COMMANDS + SPECIALIST_COMMANDS:
        assert text_event(f"/{command}") == Start(command)
    assert botapi.sent("deleteWebhook") and botapi.sent("getMe")


async def test_commands_texts_and_visitor(botapi: BotApi, run_bot: Run) -> None:
    dialog = Scripted()
    botapi.person(CHAT, first_name="Ann", last_name="Lee", language_code="ru")
    async with run_bot(dialog):
        await botapi.send_text(CHAT, "/start deep-link")
        await botapi.send_text(CHAT, "/book@slotbot_test_bot")
        await botapi.send_text(CHAT, "/my")
        await botapi.send_text(CHAT, "Ann Lee")
        await botapi.send_text(CHAT, "/unknown")
    assert dialog.events == [
        Start("start", "deep-link"), Start("book"), Start("my"), Text("Ann Lee"), Text("/unknown")
    ]  # fmt: skip
    assert dialog.heard[0][0] == Visitor("telegram", str(CHAT), CHAT, "Ann Lee", "ru")
    assert [m.text for m in botapi.chat(CHAT)] == ["Hello"] * 5


def _calendar() -> Screen:
    days = (Button("1", "d:1"), Button("2", "d:2", disabled=True), Button("3", "d:3"))
    links = (Button("Map", url="https://example.org/map"), Button("Back", "back"))
    return Screen("Pick a day", (days, links))


async def test_press_answers_then_edits_and_sends_the_rest(botapi: BotApi, run_bot: Run) -> None:
    dialog = Scripted([Reply([_calendar()])])
    async with run_bot(dialog):
        await botapi.send_text(CHAT, "/start")
        shown = botapi.last(CHAT)
        assert shown.buttons() == [
            ("1", "d:1"), ("·2·", "d:2"), ("3", "d:3"), ("Map", "https://example.org/map"),
            ("Back", "back"),
        ]  # fmt: skip
        dialog.replies.append(Reply([Screen("Times", ((Button("10:00", "t:1"),),)),
                                     Screen("And a note")], notice="Out of date"))  # fmt: skip
        await botapi.press(CHAT, shown.message_id, shown.data("·2·"))
    assert dialog.events[-1] == Press("d:2")
    assert botapi.sent("answerCallbackQuery")[-1]["text"] == "Out of date"
    assert [(m.text, m.edits) for m in botapi.chat(CHAT)] == [("Times", 1), ("And a note", 0)]
    assert botapi.chat(CHAT)[0].buttons() == [("10:00", "t:1")]


async def test_phone_screen_offers_the_contact_and_takes_the_keyboard_away(
    botapi: BotApi, run_bot: Run
) -> None:
    phone = Screen("Your phone?", ((Button("Back", "back"),),), Expect.PHONE,
                   share_contact_label="Share my phone")  # fmt: skip
    dialog = Scripted([Reply([phone]), Reply([phone])])
    async with run_bot(dialog):
        await botapi.send_text(CHAT, "/start")
        keyboard = botapi.keyboards[CHAT]
        assert keyboard is not None and keyboard["one_time_keyboard"] is True
        assert keyboard["keyboard"] == [[{"text": "Share my phone", "request_contact": True}]]
        await botapi.send_contact(CHAT, "+49 151 0000 0001", own=False)
        await botapi.send_contact(CHAT, "+49 151 0000 0002")
        assert botapi.keyboards[CHAT] is None
    assert dialog.events[1:] == [
        Contact("+49 151 0000 0001", "Client", own=False),
        Contact("+49 151 0000 0002", "Client", own=True),
    ]
    assert "✓" not in [m.text for m in botapi.chat(CHAT)]  # the remover is deleted at once


async def test_attachments_go_as_documents(botapi: BotApi, run_bot: Run) -> None:
    ics = Attachment("booking.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    dialog = Scripted([Reply([Screen("Booked", attachments=(ics,))])])
    async with run_bot(dialog):
        await botapi.send_text(CHAT, "/start")
    assert [m.document for m in botapi.chat(CHAT)] == ["", "booking.ics"]
    assert botapi.last(CHAT).upload == ics.data


async def test_screens_are_kept_within_telegram_limits(botapi: BotApi, run_bot: Run) -> None:
    many = tuple((Button(str(n), f"n:{n}"),) for n in range(120))
    long_action = ((Button("Too long", "x" * 65), Button("Fine", "ok")),)
    dialog = Scripted([Reply([Screen("x" * 5000, many), Screen("  ", long_action)])])
    async with run_bot(dialog):
        await botapi.send_text(CHAT, "/start")
    big, blank = botapi.chat(CHAT)
    assert len(big.text) == 4096 and len(big.buttons()) == 100
    assert blank.text == "…" and blank.buttons() == [("Fine", "ok")]
