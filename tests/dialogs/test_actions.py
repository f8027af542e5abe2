"""The action codec: compact, at most 64 bytes, and nothing malformed gets through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotbot.core.base36 import NUMBER_MAX
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
