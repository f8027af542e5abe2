"""``slotbot book``, ``bookings`` and ``cancel`` for staff and scripts."""

from __future__ import annotations

import json

import pytest

from tests.cli.command import run

NOW = "2026-11-30T08:00:00Z"


def book(capsys: pytest.CaptureFixture[str], *extra: str, phone: str = "+49 151 00000001"):  # type: ignore[no-untyped-def]
    return run(
        capsys, "book", "--service", "haircut", "--name", "Jane Doe", "--phone", phone,
        "--now", NOW, "--json", *extra,
    )  # fmt: skip


def test_book_list_and_cancel(shop: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = book(capsys, "--specialist", "boris", "--start", "2026-12-01T10:00")
    assert status == 0, err
    booked = json.loads(out)
    assert booked["status"] == "confirmed"
    assert (booked["specialist"], booked["start"]) == ("boris", "2026-12-01T09:00:00Z")
    assert booked["client"]["phone"] == "+4915100000001"

    status, out, _ = run(capsys, "bookings", "--date", "2026-12-01", "--now", NOW)
    assert status == 0
    assert f"#{booked['id']}" in out and "10:00-11:00  Haircut with boris  Jane Doe" in out

    status, out, _ = run(
        capsys, "cancel", str(booked["id"]), "--reason", "flu", "--now", NOW, "--json"
    )
    assert status == 0
    assert json.loads(out)["status"] == "cancelled"
    assert json.loads(out)["cancel_reason"] == "flu"

    status, out, _ = run(
        capsys, "bookings", "--from", "2026-11-30", "--to", "2026-12-31",
        "--status", "confirmed", "--now", NOW, "--json",
    )  # fmt: skip
    assert (status, json.loads(out)) == (0, [])


def test_any_picks_someone_free(shop: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = json.loads(book(capsys, "--start", "2026-12-01T10:00")[1])
    second = json.loads(book(capsys, "--start", "2026-12-01T10:00", phone="0151 00000002")[1])
    assert {first["specialist"], second["specialist"]} == {"anna", "boris"}


def test_a_taken_time_names_the_next_free_ones(
    shop: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert book(capsys, "--specialist", "anna", "--start", "2026-12-01T09:00")[0] == 0
    status, out, err = book(
        capsys, "--specialist", "anna", "--start", "2026-12-01T09:00", phone="0151 00000002"
    )
    assert (status, out) == (2, "")
    assert err == (
        "slotbot: error: this time is no longer free; "
        "next free: 2026-12-01 10:00, 2026-12-01 11:00, 2026-12-03 09:00\n"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--start", "2026-12-01T09:30"], "this is not a bookable time"),
        (["--start", "2026-12-02T10:00"], "this is not a bookable time"),  # Anna's day off
        (["--start", "next tuesday"], "not a date-time"),
        (["--start", "2026-03-29T02:30"], "does not exist in Europe/Berlin"),
        (["--start", "2026-12-01T10:00", "--email", "jane(at)mail"], "not an e-mail address"),
        (["--start", "2026-12-01T10:00", "--specialist", "zoe"], "unknown specialist 'zoe'"),
    ],
)
def test_bad_bookings_are_one_line_and_status_2(
    shop: str, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    status, out, err = book(capsys, "--specialist", "anna", *extra)  # a later one wins
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and message in err


def test_bad_phone_is_refused(shop: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = book(capsys, "--start", "2026-12-01T10:00", phone="call me")
    assert status == 2 and "not a phone number" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["cancel", "12345"], "booking #12345: no such booking"),
        (["cancel", "twelve"], "not a booking number"),
        (["cancel", "1", "--by", "robot"], "invalid choice"),
        (["bookings", "--status", "pending"], "unknown status 'pending'"),
        (["bookings", "--from", "2026-12-05", "--to", "2026-12-01"], "--to is before --from"),
        (["bookings", "--date", "9999-12-31"], "out of range"),
        (["bookings", "--from", "9999-12-30"], "out of range"),
        (["cancel", "1", "--reason", "x" * 301], "the reason is too long: 301 characters"),
    ],
)
def test_bad_cancel_and_list_arguments(
    shop: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and message in err


def test_cancelling_a_started_appointment_is_refused(
    shop: str, capsys: pytest.CaptureFixture[str]
) -> None:
    booked = json.loads(book(capsys, "--specialist", "anna", "--start", "2026-12-01T09:00")[1])
    status, _, err = run(capsys, "cancel", str(booked["id"]), "--now", "2026-12-01T08:30:00Z")
    assert status == 2 and "already started" in err
