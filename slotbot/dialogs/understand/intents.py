"""What the person wants done, "anyone" for the specialist, and the language asked for.

Phrases are folded words (``words.fold``), ``word*`` a prefix, ``a/b`` alternatives; at
most one other word may stand between two words of a phrase. When several intents are
named the first of :data:`INTENTS` wins: "cancel my booking" cancels, "when is my
appointment" asks for the bookings rather than for a new one.
"""

from __future__ import annotations

from slotbot.dialogs.understand.reading import Intent
from slotbot.dialogs.understand.scan import Phrase, Scan, phrases
from slotbot.dialogs.understand.words import WordSet

__all__ = ["INTENTS", "find_anyone", "find_intent", "find_language"]

INTENTS: tuple[tuple[Intent, tuple[Phrase, ...]], ...] = (
    (Intent.CANCEL, phrases(
        "cancel*", "cancellation", "call off", "cant/cannot/wont come", "can not come",
        "cant/wont make it", "not coming",
        "отмен*", "не смогу", "не приду", "не получится", "не успеваю",
    )),
    (Intent.RESCHEDULE, phrases(
        "reschedul*", "move", "moving", "postpone*", "change* time/date/day/book*/appoint*",
        "another/different time/day/date",
        "перенес*", "перенос*", "перенест*", "помен*/измен*/смен*/сдвин* время/день/дату",
        "сдвин*", "другое время", "другой день",
    )),
    (Intent.MY_BOOKINGS, phrases(
        "my book*/appoint*/reserv*", "when is my", "what did i book", "what have i booked",
        "am i booked", "have i booked", "book*/appoint* do i have", "do i have * book*/appoint*",
        "мои/моя/мою/мой/моих запис*/брон*", "когда у меня запис*", "когда я записан*",
        "куда я записан*", "я записан*", "во сколько я записан*", "какие у меня запис*",
        "есть у меня запис*", "у меня есть запис*",
    )),
    (Intent.LANGUAGE, phrases("language*", "lang", "язык*", "languge")),
    (Intent.HELP, phrases(
        "help", "what can you do", "how does this/it work", "how do i", "commands",
        "what can/do/should i type/write/say",
        "помощ*", "помоги*", "что ты умеешь", "что умеешь", "как это работает", "справка",
        "что можно писать/написать", "что писать/написать",
    )),
    (Intent.BOOK, phrases(
        "book*", "appointment*", "appt", "reserv*", "sign me up", "schedule",
        "запис*", "запиш*", "забронир*", "бронь",
    )),
)  # fmt: skip

LANGUAGES = (
    ("en", WordSet(["english", "eng", "англ*", "поанглийски"])),
    ("ru", WordSet(["russian", "rus", "русск*", "порусски", "по-русски"])),
)

_ANYONE = phrases(
    "anyone", "anybody", "any", "whoever", "whoevers", "doesnt/dont matter", "no preference",
    "dont care", "who is free", "whos free",
    "любой", "любому", "любого", "любая", "любую", "любой мастер", "неважно", "не важно",
    "все равно", "всеравно", "кто угодно", "кто свободен", "кто свободна", "ктонибудь",
    typos_from=99,
)  # fmt: skip
_NOT_A_PERSON = WordSet(
    ["time", "day", "date", "slot", "время", "день", "дату", "дата", "число", "слот", "час"],
    typos_from=99,
)
"""Words after "any" / "любой" that make it something else ("any time", "любой день")."""


def find_intent(scan: Scan) -> Intent | None:
    """The first of :data:`INTENTS` the free words name, taking every intent phrase; a
    message of question marks only asks for help."""
    kinds = {t.kind for t in scan.tokens}
    if "question" in kinds and kinds <= {"question", "stop"}:
        scan.take(range(len(scan)))
        return Intent.HELP
    named: Intent | None = None
    for intent, candidates in INTENTS:
        for phrase in candidates:
            while (found := scan.find(phrase)) is not None:
                scan.take(found)
                named = named or intent
    return named


def find_language(scan: Scan) -> str | None:
    """The language a free word names ("English", "по-русски"), taking it."""
    for index in range(len(scan)):
        word = scan.word(index)
        for code, names in LANGUAGES:
            if word and word in names:
                scan.take([index])
                return code
    return None


def find_anyone(scan: Scan) -> bool:
    """Whether the free words say any specialist will do, taking them."""
    for phrase in _ANYONE:
        found = scan.find(phrase)
        if found is not None and scan.word(found[-1] + 1) not in _NOT_A_PERSON:
            scan.take(found)
            return True
    return False
