"""Issue 11.2-11.3: import files that crashed or hung ``slotbot import`` are refused with
the line and the reason, exit status 2, nothing changed (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from slotbot.core.settings import get_settings
from tests.cli.command import run
from tests.cli.conftest import SHOP_YAML
from tests.cli.test_cli_refusals import refused, snapshot

ANNA = "    name: Anna Petrova\n"


def with_block(block: str) -> str:
    """The shop with one block of anna's (on line 10)."""
    return SHOP_YAML.replace(ANNA, f"{ANNA}    blocks:\n      - {block}\n")


def laughs(levels: int = 9) -> str:
    """A billion laughs: nine aliases of nine aliases of ... (9**9 values expanded)."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


# (id, the file's text, the line named, the reason)
BAD_FILES = [
    ("impossible-date",
     SHOP_YAML.replace("{date: 2026-12-02, type: day_off}", "{date: 2026-02-30, type: day_off}"),
     13, "2026-02-30 is not a date (day is out of range for month)"),
    ("impossible-quoted-date",
     SHOP_YAML.replace("{date: 2026-12-02, type: day_off}", '{date: "2026-02-30", type: day_off}'),
     13, "expected a date as YYYY-MM-DD"),
    ("year-zero", SHOP_YAML.replace("date: 2026-12-02", "date: 0000-12-02"), 13, "is not a date"),
    ("date-9999", SHOP_YAML.replace("date: 2026-12-02", "date: 9999-12-31"), 13,
     "9999-12-31 is out of range: dates from 2000-01-01 to 2100-12-31 only"),
    ("valid-until-9999",
     SHOP_YAML.replace("60}\n    overrides", "60, valid_until: 9999-12-31}\n    overrides"),
     11, "9999-12-31 is out of range"),
    ("block-at-the-end-of-time",
     with_block('{start: "9999-12-31T23:30", end: "9999-12-31T23:59"}'),
     10, "blocks[0].start: 9999-12-31 is out of range"),
    ("block-unquoted-at-the-end-of-time",
     with_block("{start: 9999-12-31 23:30:00, end: 2026-12-01 10:00:00}"),
     10, "blocks[0].start: 9999-12-31 is out of range"),
    ("block-with-an-offset",
     with_block("{start: 9999-12-31 23:30:00 -12:00, end: 2026-12-01 10:00:00}"),
     10, "blocks[0].start: give the specialist's local time, without a UTC offset"),
    ("timestamp-with-offset",
     SHOP_YAML.replace("date: 2026-12-02", "date: 9999-12-31 23:30:00 -12:00"), 13,
     "expected a date as YYYY-MM-DD, got a date and time"),
    ("nul-byte", SHOP_YAML.replace("Haircut, ru", "Hair\x00cut, ru"), 4,
     "#x0000 is not allowed in the file (control character)"),
    ("bell-character", SHOP_YAML.replace("Boris Ivanov", "Boris\x07Ivanov"), 15,
     "#x0007 is not allowed in the file"),
    ("escaped-nul", SHOP_YAML.replace("{en: Massage}", '{en: "Mas\\0sage"}'), 5,
     "the text contains control characters"),
    ("escaped-surrogate", SHOP_YAML.replace("{en: Massage}", '{en: "Mas\\ud800sage"}'), 5,
     "YAML: "),  # libyaml refuses the escape, PyYAML's text check the character
    ("nested-lists", SHOP_YAML + "extra: " + "[" * 500 + "]" * 500 + "\n", 19,
     "lists and mappings nest more than 32 deep"),
    ("nested-mappings", SHOP_YAML + "extra: " + "{a: " * 300 + "1" + "}" * 300 + "\n", 19,
     "nest more than 32 deep"),
    ("billion-laughs", laughs(), 7, "more than 1000000 values (with aliases expanded)"),
    ("telegram-id-2**70", SHOP_YAML.replace(ANNA, ANNA + f"    telegram_user_id: {2**70}\n"), 9,
     "the integer is out of range: at most 64 bits"),
    ("telegram-id-2**63", SHOP_YAML.replace(ANNA, ANNA + f"    telegram_user_id: {2**63}\n"), 9,
     "the integer is out of range"),
    ("negative-2**70", SHOP_YAML.replace("duration: 30", f"duration: -{2**70}"), 5,
     "the integer is out of range"),
    ("huge-notice", SHOP_YAML.replace("min_notice_minutes: 30", f"min_notice_minutes: {2**62}"),
     2, "min_notice_minutes: input should be less than or equal to 527040"),
    ("key-with-newline", SHOP_YAML.replace("key: massage", 'key: "massage\\n"'), 5,
     "is not a key"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "line", "reason"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_a_bad_file_names_the_line_and_changes_nothing(
    shop: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, reason: str
) -> None:
    before = snapshot(shop)
    path = tmp_path / "bad.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    started = time.monotonic()
    status, out, err = run(capsys, "import", str(path))
    assert time.monotonic() - started < 20
    assert (status, out) == (2, ""), err
    first, *more = err.splitlines()  # one line per problem, the first with "slotbot: "
    assert first.startswith(f"slotbot: {path}:{line}: "), err
    assert all(other.startswith(f"{path}:") for other in more), err
    assert reason in first
    assert snapshot(shop) == before


def test_a_file_that_is_not_utf8(
    shop: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(shop)
    path = tmp_path / "latin1.yaml"
    path.write_bytes(SHOP_YAML.replace("Boris Ivanov", "Börje").encode("latin-1", "replace"))
    assert refused(capsys, "import", str(path)) == f"slotbot: {path}:15: not UTF-8 text (byte 0xf6)"
    assert snapshot(shop) == before


# --- 11.3: what is read at all --------------------------------------------------------------


def test_only_regular_files_are_read(
    shop: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(shop)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # nobody writes to it: reading it would wait forever
    for path in (fifo, Path("/dev/zero"), Path("/dev/null"), tmp_path):
        started = time.monotonic()
        message = refused(capsys, "import", str(path))
        assert message == (
            f"slotbot: {path}: not a regular file (a directory, device, pipe or socket)"
        )
        assert time.monotonic() - started < 5
    missing = tmp_path / "missing.yaml"
    assert refused(capsys, "import", str(missing)) == (
        f"slotbot: {missing}: cannot read the file: No such file or directory"
    )
    assert snapshot(shop) == before


def test_the_size_is_capped_before_reading(
    shop: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(shop)
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as file:  # 20 MB, sparse: costs no disk and is never read
        file.truncate(20 * 1024 * 1024)
    started = time.monotonic()
    assert refused(capsys, "import", str(huge)) == (
        f"slotbot: {huge}: the file is too big: 20971520 bytes, at most 8388608"
        " (SLOTBOT_IMPORT_MAX_BYTES raises the cap)"
    )
    assert time.monotonic() - started < 5
    shop_file = tmp_path / "shop.yaml"
    monkeypatch.setenv("SLOTBOT_IMPORT_MAX_BYTES", "100")
    get_settings.cache_clear()
    assert "the file is too big: " in refused(capsys, "import", str(shop_file))
    assert snapshot(shop) == before
    monkeypatch.setenv("SLOTBOT_IMPORT_MAX_BYTES", str(len(SHOP_YAML.encode())))
    get_settings.cache_clear()
    status, out, _ = run(capsys, "import", str(shop_file))
    assert (status, out.strip()) == (0, out.strip()) and out.startswith("nothing to change")
