"""Imports flow one way (DESIGN.md section 1, README "Layout"):

    cli -> bootstrap -> web, bot, terminal -> dialogs -> core

A package imports only from the layers below it (and from itself): ``core`` from no other,
``dialogs`` from ``core`` alone, the channels ``web``, ``bot`` and ``terminal`` from
``dialogs`` and ``core`` but never from each other, ``bootstrap`` (which joins the channels:
the bot beside the web app, the widget's log as a sender of every process) from any of those,
and ``cli`` from all. ``core`` and ``dialogs`` know nothing of Telegram or HTTP frameworks.

Every import counts, also one inside a function; read from the source (ast), nothing is run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import slotbot

PACKAGE = Path(slotbot.__file__).parent

#: Each part of slotbot with its rank: a part imports only parts of a lower rank (or itself).
RANKS = {
    "slotbot.core": 0,
    "slotbot.dialogs": 1,
    "slotbot.web": 2,
    "slotbot.web_widget": 2,  # the widget's static files, served by web
    "slotbot.bot": 2,
    "slotbot.terminal": 2,
    "slotbot.bootstrap": 3,
    "slotbot.cli": 4,
}
#: Libraries of a channel that core and dialogs never import.
CHANNEL_LIBRARIES = ("telegram", "fastapi", "starlette", "uvicorn")

#: Imports against the rules, each with why it stands for now. An entry that no import needs
#: any more fails the test: take it out.
ALLOWED: dict[tuple[str, str], str] = {}


def _part(module: str) -> str | None:
    """The part of slotbot that ``module`` belongs to (None: the package's face)."""
    for part in sorted(RANKS, key=len, reverse=True):
        if module == part or module.startswith(part + "."):
            return part
    return None


def _module(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def _imports(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module that ``module`` imports, anywhere in its source; relative ones made whole."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # a module by name
    return names


def _edges() -> dict[tuple[str, str], list[str]]:
    """(importing part, imported part or channel library) -> the files that import so."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        here = _part(_module(path))
        if here is None:
            continue
        source = path.read_text(encoding="utf-8")
        for name in _imports(source, _module(path), is_package=path.name == "__init__.py"):
            inside = name == "slotbot" or name.startswith("slotbot.")
            there = _part(name) if inside else name.split(".")[0]
            if there is None or there == here:
                continue
            files = edges.setdefault((here, there), [])
            if str(path.relative_to(PACKAGE.parent)) not in files:
                files.append(str(path.relative_to(PACKAGE.parent)))
    return edges


EDGES = _edges()


def test_every_part_of_slotbot_has_a_layer() -> None:
    packages = {_module(p) for p in PACKAGE.iterdir() if p.suffix == ".py" or p.is_dir()}
    packages -= {"slotbot.__init__", "slotbot", "slotbot.__pycache__"}
    assert {p for p in packages if _part(p) is None} == set()


def test_imports_flow_down_the_layers() -> None:
    wrong = {
        f"{here} -> {there}": files
        for (here, there), files in EDGES.items()
        if there in RANKS and RANKS[there] >= RANKS[here] and (here, there) not in ALLOWED
    }
    assert wrong == {}


@pytest.mark.parametrize("part", ["slotbot.core", "slotbot.dialogs"])
def test_core_and_dialogs_import_no_channel_library(part: str) -> None:
    found = {lib: EDGES[(part, lib)] for lib in CHANNEL_LIBRARIES if (part, lib) in EDGES}
    assert found == {}


def test_each_allowed_exception_is_still_needed() -> None:
    assert [edge for edge in ALLOWED if edge not in EDGES] == []


def test_the_reader_sees_imports_in_functions_and_relative_ones() -> None:
    """A check that cannot fail is no check: the reader finds what it must."""
    source = "def f():\n    from slotbot.web import app\n    from ..dialogs import engine\n"
    found = {_part(name) for name in _imports(source, "slotbot.core.probe")}
    assert {"slotbot.web", "slotbot.dialogs"} <= found
