"""The action codec (the one button format, dialog and notifications alike): compact, at most
64 bytes, and nothing malformed gets through."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotbot.core.actions import NUMBER_MAX, OUT_OF_BAND
from slotbot.core.notify import chat_actions
from slotbot.dialogs.actions import MAX_BYTES, decode, encode, from36, to36


def test_round_trip() -> None:
    data = encode(123456, "t", 29_432_160, "a")
    assert data == "2n9c.t.hiu00.a" and len(data) <= MAX_BYTES
    action = decode(data)
    assert action is not None
    assert (action.version, action.code, action.args) == (123456, "t", ("hiu00", "a"))
    assert action.number() == 29_432_160


@pytest.mark.parametrize(
    "data",
    ["", "1", "1.", ".x", "1.x.", "Z.x", "1.x.y.z.w.v.u", "1.svc.1;drop", "1 .x", "1.x\n", "é.x",
     "1." + "a" * 70, "1.x." + "a" * 17],
)  # fmt: skip
def test_malformed_is_refused(data: str) -> None:
    assert decode(data) is None


@given(st.text(max_size=200))
def test_anything_decodes_or_is_refused(data: str) -> None:
    action = decode(data)
    if action is not None:
        assert len(data.encode()) <= MAX_BYTES


@given(st.integers(min_value=0, max_value=NUMBER_MAX))
def test_base36(number: int) -> None:
    assert from36(to36(number)) == number


@given(st.integers(min_value=NUMBER_MAX + 1, max_value=36**13 - 1))
def test_base36_refuses_what_no_id_column_holds(number: int) -> None:
    with pytest.raises(ValueError):
        from36(to36(number))


def test_base36_refuses_junk() -> None:
    for junk in ("", "-1", "A", "1_", "x" * 14):
        with pytest.raises(ValueError):
            from36(junk)
    with pytest.raises(ValueError):
        encode(1, "t", "x" * 40)


@given(
    st.integers(min_value=0, max_value=NUMBER_MAX),
    st.integers(min_value=1, max_value=5),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2999, 12, 31)),
)
def test_notification_buttons_are_read_by_the_same_codec(
    number: int, stars: int, start: datetime
) -> None:
    """The buttons notifications carry are made by the one format the dialog reads."""
    minute = int(start.replace(tzinfo=UTC).timestamp()) // 60
    made = {
        chat_actions.come(number): ("ok", [number]),
        chat_actions.reschedule(number): ("rs", [number]),
        chat_actions.cancel(number): ("cx", [number]),
        chat_actions.rate(number, stars): ("rv", [number, stars]),
        chat_actions.book_slot(number, 7, start.replace(tzinfo=UTC)): ("os", [number, 7, minute]),
        chat_actions.specialist_booking(number): ("sb", [number]),
        chat_actions.specialist_cancel(number): ("sc", [number]),
        chat_actions.waitlist_offer(number): ("wo", [number]),
    }
    for data, (code, numbers) in made.items():
        action = decode(data)
        assert action is not None and len(data.encode()) <= MAX_BYTES
        assert (action.version, action.code) == (OUT_OF_BAND, code)
        assert [action.number(i) for i in range(len(numbers))] == numbers


def test_no_button_carries_a_number_the_codec_refuses() -> None:
    for make in (
        lambda: encode(1, "bk", NUMBER_MAX + 1),
        lambda: encode(NUMBER_MAX + 1, "bk", 1),
        lambda: chat_actions.cancel(NUMBER_MAX + 1),
    ):
        with pytest.raises(ValueError):
            make()
    forged = decode(f"0.cx.{to36(NUMBER_MAX + 1)}")
    assert forged is not None  # well-formed, but its number is refused when read
    with pytest.raises(ValueError):
        forged.number()
