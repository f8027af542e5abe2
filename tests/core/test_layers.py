"""Imports flow one way: storage, the lowest layer of core, imports nothing from the
availability package above it (it used to, for the shop's time zone, the catalog version
and the override kinds)."""

from __future__ import annotations

import ast
from pathlib import Path

import slotbot.core.storage as storage


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_storage_imports_nothing_from_availability() -> None:
    package = Path(storage.__file__).parent
    found = {
        str(path.relative_to(package)): sorted(
            name for name in imported(path) if name.startswith("slotbot.core.availability")
        )
        for path in package.rglob("*.py")
    }
    assert {path: names for path, names in found.items() if names} == {}
