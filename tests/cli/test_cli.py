"""The ``slotbot`` command, called as a user or a script would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.command import run

NOW = "2026-11-30T00:00:00Z"


def test_slots_of_a_day_as_json(shop: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "availability", "--service", "haircut", "--specialist", "any",
        "--date", "2026-12-01", "--now", NOW, "--json",
    )  # fmt: skip
    assert status == 0
    assert json.loads(out) == [
        {"start": "2026-12-01T08:00:00Z", "end": "2026-12-01T09:00:00Z", "specialists": ["anna"]},
        {"start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z",
         "specialists": ["anna", "boris"]},
        {"start": "2026-12-01T10:00:00Z", "end": "2026-12-01T11:00:00Z",
         "specialists": ["anna", "boris"]},
    ]  # fmt: skip


def test_one_specialist_only(shop: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "availability", "--service", "haircut", "--specialist", "boris",
        "--date", "2026-12-01", "--now", NOW, "--json",
    )  # fmt: skip
    assert status == 0
    assert [s["start"] for s in json.loads(out)] == ["2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"]


def test_calendar_days(shop: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "availability", "--service", "haircut", "--specialist", "any",
        "--from", "2026-11-30", "--to", "2026-12-06", "--days", "--now", NOW, "--json",
    )  # fmt: skip
    assert status == 0
    assert {d["date"]: d["available"] for d in json.loads(out)} == {
        "2026-11-30": True,
        "2026-12-01": True,
        "2026-12-02": False,  # Anna's day off, Boris works Tuesdays only
        "2026-12-03": True,
        "2026-12-04": True,
        "2026-12-05": False,
        "2026-12-06": False,
    }


def test_next_slot_respects_min_notice(shop: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "availability", "--service", "haircut", "--next",
        "--now", "2026-12-01T08:45:00Z", "--json",
    )  # fmt: skip
    assert status == 0
    assert json.loads(out) == {
        "start": "2026-12-01T10:00:00Z",
        "end": "2026-12-01T11:00:00Z",
        "specialists": ["anna", "boris"],
    }


def test_next_slot_without_end_date_and_no_slots_past_the_horizon(
    shop: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A schedule without an end date still has a next slot years on; a date past the
    horizon has none."""
    status, out, _ = run(
        capsys, "availability", "--service", "massage", "--specialist", "boris", "--next",
        "--now", "2030-01-01T00:00:00Z", "--json",
    )  # fmt: skip
    assert status == 0
    assert json.loads(out) is not None  # the schedule has no end date
    status, out, _ = run(
        capsys, "availability", "--service", "massage", "--date", "2027-06-01",
        "--now", NOW, "--json",
    )  # fmt: skip
    assert (status, json.loads(out)) == (0, [])  # beyond the 60-day horizon


def test_readable_table_in_local_time(shop: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "availability", "--service", "haircut", "--date", "2026-12-01", "--now", NOW
    )
    assert status == 0
    assert "Europe/Berlin" in out
    assert "09:00-10:00  anna" in out
    assert "10:00-11:00  anna, boris" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--service", "nails", "--date", "2026-12-01"], "unknown service 'nails'"),
        (["--service", "haircut", "--specialist", "zoe", "--date", "2026-12-01"],
         "unknown specialist 'zoe'"),
        (["--service", "massage", "--specialist", "anna", "--date", "2026-12-01"],
         "does not offer"),
        (["--service", "haircut", "--date", "2026-13-01"], "not a date"),
        (["--service", "haircut", "--date", "2026-12-01", "--now", "yesterday"],
         "not an ISO date-time"),
        (["--service", "haircut", "--days", "--from", "2026-12-01"],
         "--days needs --from and --to"),
        (["--service", "haircut", "--days", "--from", "2026-12-05", "--to", "2026-12-01"],
         "--to is before --from"),
        # issue 6.4: the ends of the calendar overflowed with a traceback
        (["--service", "haircut", "--date", "0001-01-01"], "out of range"),
        (["--service", "haircut", "--date", "9999-12-31"], "2000-01-01 to 2100-12-31"),
        (["--service", "haircut", "--days", "--from", "9999-12-01", "--to", "9999-12-31"],
         "out of range"),
        (["--service", "haircut", "--days", "--from", "0001-01-01", "--to", "0001-01-31"],
         "out of range"),
        (["--service", "haircut", "--next", "--now", "9999-12-31T23:00:00Z"], "out of range"),
        (["--service", "haircut", "--next", "--now", "0001-01-01T00:00:00+01:00"],
         "out of range"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_status_2(
    shop: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, "availability", *argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert message in err


def test_uninitialised_database_says_what_to_do(
    use_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from slotbot.core.settings import get_settings

    monkeypatch.setenv("SLOTBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    status, _, err = run(capsys, "availability", "--service", "haircut", "--next")
    assert status == 2
    assert "slotbot init-db" in err


def test_console_script_end_to_end(tmp_path: Path, shop_file: Path) -> None:
    """The installed entry point, in a process of its own, on a fresh SQLite file."""
    env = {**os.environ, "SLOTBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"}
    cli = [sys.executable, "-m", "slotbot.cli"]
    for argv in (["init-db"], ["import", str(shop_file)]):
        subprocess.run([*cli, *argv], env=env, check=True, capture_output=True)
    done = subprocess.run(
        [*cli, "availability", "--service", "haircut", "--next", "--now", NOW, "--json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(done.stdout)["start"] == "2026-11-30T08:00:00Z"


def test_worker_refuses_an_uninitialised_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from slotbot.core.settings import get_settings

    monkeypatch.setenv("SLOTBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'none.db'}")
    get_settings.cache_clear()
    try:
        status, _, err = run(capsys, "worker")
    finally:
        get_settings.cache_clear()
    assert status == 2 and "slotbot init-db" in err


def test_a_bad_import_file_names_the_line_and_changes_nothing(
    shop: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "services:\n"
        "  - {key: haircut, name: {en: Haircut}, duration: 45}\n"
        "specialists:\n"
        "  - key: anna\n"
        "    name: Anna\n"
        "    timezone: Europe/Berlin\n"
        "    services: [nails]\n",
        encoding="utf-8",
    )
    status, out, err = run(capsys, "import", str(bad))
    assert (status, out) == (2, "")
    assert f"{bad}:7:" in err and "nails" in err
    status, out, _ = run(
        capsys, "availability", "--service", "haircut", "--date", "2026-12-01",
        "--now", NOW, "--json",
    )  # fmt: skip
    assert status == 0 and json.loads(out)[0]["end"] == "2026-12-01T09:00:00Z"  # still 60 min


def test_specialist_link_prints_a_one_time_start_payload(
    shop: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "specialist-link", "anna")
    assert status == 0, err
    first = out.splitlines()[0]
    assert first.startswith("/start s-") and len(first.split()[1]) <= 64
    status, out, err = run(capsys, "specialist-link", "nobody")
    assert status == 2
    assert err.strip() == "slotbot: error: unknown specialist 'nobody'"
