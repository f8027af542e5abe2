"""Reading Telegram's updates into our own values: what the handlers use, or a clear refusal."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from telegram import Update

from slotbot.bot import Unreadable, read_update
from slotbot.bot._incoming import (
    ButtonPress,
    ChatMessage,
    Ignored,
    Pressed,
    Sender,
    SharedContact,
)

JANE = {"id": 501, "is_bot": False, "first_name": "Jane", "last_name": "Doe", "language_code": "ru"}
PRIVATE = {"id": 501, "type": "private", "first_name": "Jane"}
BOT = {"id": 123456, "is_bot": True, "first_name": "Slotbot"}


def _message(**body: Any) -> dict[str, Any]:
    return {"message_id": 7, "date": 1_700_000_000, "chat": PRIVATE, "from": JANE, **body}


def _press(**query: Any) -> dict[str, Any]:
    shown = {"message_id": 42, "date": 1_700_000_000, "chat": PRIVATE, "from": BOT,
             "text": "Pick", "reply_markup": {"inline_keyboard": [[
                 {"text": "A", "callback_data": "v1:a"}]]}}  # fmt: skip
    body = {"id": "q1", "from": JANE, "chat_instance": "ci", "message": shown, "data": "v1:a"}
    return {"update_id": 9, "callback_query": {**body, **query}}


TEXT = {"update_id": 1, "message": _message(text="/start")}
CONTACT = {"update_id": 2, "message": _message(contact={
    "phone_number": "4915123005001", "first_name": "Jane", "user_id": 501})}  # fmt: skip
STICKER = {"update_id": 3, "message": _message(sticker={
    "file_id": "s", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1,
    "is_animated": False, "is_video": False})}  # fmt: skip
JANE_SENDS = Sender(501, "Jane Doe", "ru")


def test_a_text_message() -> None:
    assert read_update(TEXT) == ChatMessage(1, 501, JANE_SENDS, "/start", None)


def test_a_shared_contact() -> None:
    contact = SharedContact("4915123005001", "Jane", "", 501)
    assert read_update(CONTACT) == ChatMessage(2, 501, JANE_SENDS, "", contact)


def test_a_message_without_text_or_contact() -> None:
    assert read_update(STICKER) == ChatMessage(3, 501, JANE_SENDS, "", None)


def test_a_press_under_a_text_message() -> None:
    assert read_update(_press()) == ButtonPress(
        9, "q1", "v1:a", JANE_SENDS, 501, Pressed(501, 42, has_text=True)
    )


def test_a_press_under_a_document_cannot_be_edited_as_text() -> None:
    update = _press()
    del update["callback_query"]["message"]["text"]
    pressed = read_update(update)
    assert isinstance(pressed, ButtonPress) and pressed.pressed == Pressed(501, 42, False)


def test_a_press_without_a_message_goes_to_the_senders_chat() -> None:
    update = _press(message=None, inline_message_id="im1")
    assert read_update(update) == ButtonPress(9, "q1", "v1:a", JANE_SENDS, 501, None)


def test_a_press_on_a_message_telegram_no_longer_gives() -> None:
    gone = {"message_id": 42, "date": 0, "chat": {"id": -100, "type": "supergroup"}}
    assert read_update(_press(message=gone)) == ButtonPress(9, "q1", "v1:a", JANE_SENDS, 501, None)


def test_a_press_without_data() -> None:
    update = _press()
    del update["callback_query"]["data"]
    pressed = read_update(update)
    assert isinstance(pressed, ButtonPress) and pressed.data is None


def test_a_sender_without_last_name_or_language() -> None:
    update = {
        "update_id": 4,
        "message": _message(text="hi", **{"from": {"id": 5, "first_name": "Al"}}),
    }
    message = read_update(update)
    assert isinstance(message, ChatMessage) and message.sender == Sender(5, "Al", "")


@pytest.mark.parametrize(
    ("update", "what"),
    [
        ({"update_id": 5, "edited_message": _message(text="x", edit_date=1)}, "edited_message"),
        ({"update_id": 5, "future_update_kind": {"what": "ever"}}, "future_update_kind"),
        ({"update_id": 5, "message": {**_message(text="hi"), "chat": {"id": -5, "type": "group"}}},
         "message"),
        ({"update_id": 5, "message": {"chat": {"id": -100, "type": "channel"}}}, "message"),
        ({"update_id": 5, "my_chat_member": {"anything": 1}, "poll": None}, "my_chat_member"),
        ({"update_id": 5}, "no known content"),
        ({"update_id": 5, "text": "\u0000"}, "text"),
    ],
)  # fmt: skip
def test_what_the_handlers_do_not_answer_is_ignored(update: dict[str, Any], what: str) -> None:
    assert read_update(update) == Ignored(5, what)


def _without(update: dict[str, Any], *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(update)
    part = changed
    for key in path[:-1]:
        part = part[key]
    del part[path[-1]]
    return changed


def _with(update: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(update)
    part = changed
    for key in path[:-1]:
        part = part[key]
    part[path[-1]] = value
    return changed


HUGE = 2**63
UNREADABLE = [
    [],
    "update",
    {},
    {"update_id": "1"},
    {"update_id": True, "message": _message(text="hi")},
    {"update_id": -1},
    {"update_id": HUGE},
    {"update_id": 1, "message": 5},
    {"update_id": 1, "message": {}},
    {"update_id": 1, "message": {"chat": 3}},
    {"update_id": 1, "message": {"chat": {"id": 3}}},
    _without(TEXT, "message", "from"),
    _with(TEXT, None, "message", "from"),
    _with(TEXT, "Jane", "message", "from"),
    _without(TEXT, "message", "from", "first_name"),
    _with(TEXT, 501.0, "message", "from", "id"),
    _with(TEXT, "501", "message", "from", "id"),
    _with(TEXT, HUGE, "message", "from", "id"),
    _with(TEXT, -HUGE - 1, "message", "from", "id"),
    _with(TEXT, 10**400, "message", "chat", "id"),
    _with(TEXT, False, "message", "chat", "id"),
    _with(TEXT, 5, "message", "text"),
    _with(TEXT, ["hi"], "message", "text"),
    _with(TEXT, 7, "message", "from", "language_code"),
    _with(CONTACT, "+49", "message", "contact"),
    _without(CONTACT, "message", "contact", "phone_number"),
    _with(CONTACT, 4915123005001, "message", "contact", "phone_number"),
    _with(CONTACT, "501", "message", "contact", "user_id"),
    _with(CONTACT, HUGE, "message", "contact", "user_id"),
    {"update_id": 9, "callback_query": []},
    {"update_id": 9, "callback_query": {}},
    _without(_press(), "callback_query", "id"),
    _with(_press(), 17, "callback_query", "id"),
    _without(_press(), "callback_query", "from"),
    _with(_press(), {"id": 501}, "callback_query", "from"),
    _with(_press(), 1, "callback_query", "data"),
    _with(_press(), "42", "callback_query", "message"),
    _without(_press(), "callback_query", "message", "chat"),
    _without(_press(), "callback_query", "message", "message_id"),
    _with(_press(), HUGE, "callback_query", "message", "message_id"),
    _with(_press(), {"id": "501"}, "callback_query", "message", "chat"),
]


@pytest.mark.parametrize("update", UNREADABLE)
def test_an_update_without_what_the_handlers_use_is_unreadable(update: Any) -> None:
    with pytest.raises(Unreadable):
        read_update(update)


@pytest.mark.parametrize("update", [TEXT, CONTACT, STICKER, _press()])
def test_long_polling_reads_the_same_through_python_telegram_bot(update: dict[str, Any]) -> None:
    """Long polling gets python-telegram-bot's ``Update``; its JSON reads as Telegram's did."""
    polled = Update.de_json(copy.deepcopy(update), None)
    assert read_update(json.loads(polled.to_json())) == read_update(update)
