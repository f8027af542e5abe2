"""Every text of the conversation is in the catalogs, Russian is complete (every plural form
too), a counted number always goes through ngettext, and the catalogs' headers are filled in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from slotbot.dialogs.i18n import CATALOGS, LANGUAGES, pick_locale, texts

ROOT = Path(__file__).resolve().parents[2] / "slotbot"
FIELD = re.compile(r"\{(\w*)\}")
#: Fields that stand for a number of something: their texts need plural forms.
COUNTED = re.compile(r"\{(count|minutes|hours|days|limit|booked|bytes|n)\}")


def extracted() -> list[str | tuple[str, ...]]:
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    return [
        message
        for package in ("core", "dialogs", "bot", "terminal", "web", "cli")
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, keywords=keywords
        )
        if message
    ]


def source_messages() -> set[str]:
    return {m for m in extracted() if isinstance(m, str)}


def plural_messages() -> set[tuple[str, ...]]:
    return {tuple(m) for m in extracted() if not isinstance(m, str)}


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


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_every_plural_form_is_there(locale: str) -> None:
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    for singular, plural in plural_messages():
        message = catalog.get((singular, plural)) or catalog.get(singular)
        assert message is not None, f"run scripts/i18n: {singular!r}"
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if locale == "en":
            continue
        assert len(forms) == catalog.num_plurals and all(forms), f"{locale}: {singular!r}"
        for form in forms:
            assert set(FIELD.findall(form)) == set(FIELD.findall(singular)), singular


def test_counted_numbers_have_plural_forms() -> None:
    """A text that says how many of something there are goes through ngettext."""
    counted = sorted(m for m in source_messages() if COUNTED.search(m))
    assert not counted, f"use ngettext for: {counted}"


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_the_catalog_header_is_filled_in(locale: str) -> None:
    po = (CATALOGS / locale / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    header = po.split("\n\n", 1)[0]
    for placeholder in ("PROJECT", "ORGANIZATION", "FIRST AUTHOR", "EMAIL@ADDRESS", "LL@li.org"):
        assert placeholder not in header, placeholder
    assert '"Project-Id-Version: slotbot ' in header
    plural_forms = {
        "en": "nplurals=2; plural=(n != 1);",
        "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && ",
    }
    assert plural_forms[locale] in header


def test_russian_counts_agree() -> None:
    ru = texts("ru")
    said = [
        ru.ngettext("{day} · {count} booking", "{day} · {count} bookings", n).format(
            day="Пн", count=n
        )
        for n in (1, 2, 5, 11, 21, 22)
    ]
    assert said == ["Пн · 1 запись", "Пн · 2 записи", "Пн · 5 записей", "Пн · 11 записей",
                    "Пн · 21 запись", "Пн · 22 записи"]  # fmt: skip


def test_texts_translate_and_format() -> None:
    assert texts("ru").gettext("My bookings") == "Мои записи"
    assert texts("en").gettext("My bookings") == "My bookings"
    assert texts("xx").locale == "en"
    assert [pick_locale(h) for h in ("ru-RU", "ru", "de", "", None, "EN_us")] == [
        "ru", "ru", "en", "en", "en", "en",
    ]  # fmt: skip
