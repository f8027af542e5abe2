"""Every text of the conversation is in the catalogs, and Russian is complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from slotbot.dialogs.i18n import CATALOGS, LANGUAGES, pick_locale, texts

ROOT = Path(__file__).resolve().parents[2] / "slotbot"
FIELD = re.compile(r"\{(\w*)\}")


def source_messages() -> set[str]:
    found = set()
    for package in ("core", "dialogs", "bot", "webhooks"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, keywords={"_": None, "gettext": None}
        ):
            if isinstance(message, str) and message:
                found.add(message)
    return found


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_catalog_has_every_message(locale: str) -> None:
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    known = {m.id: m.string for m in catalog if m.id}
    missing = source_messages() - set(known)
    assert not missing, f"run scripts/i18n and translate: {sorted(missing)}"
    if locale != "en":
        untranslated = sorted(m for m in source_messages() if not known[m])
        assert not untranslated, f"untranslated in {locale}: {untranslated}"
        for message in source_messages():
            assert set(FIELD.findall(known[message])) == set(FIELD.findall(message)), message


def test_texts_translate_and_format() -> None:
    assert texts("ru").gettext("My bookings") == "Мои записи"
    assert texts("en").gettext("My bookings") == "My bookings"
    assert texts("xx").locale == "en"
    assert [pick_locale(h) for h in ("ru-RU", "ru", "de", "", None, "EN_us")] == [
        "ru", "ru", "en", "en", "en", "en",
    ]  # fmt: skip
