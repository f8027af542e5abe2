"""Calling the ``slotbot`` command in-process, as a user or a script would."""

from __future__ import annotations

import pytest

from slotbot.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``slotbot ARGV``: (exit status, stdout, stderr)."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err
