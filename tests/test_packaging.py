"""The dependencies: floors without known CVEs, and lock files that agree with pyproject.toml
(``./scripts/demo`` and ``./scripts/test`` install from the locks alone, so a dependency
missing there would be missing everywhere)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def requirements(extra: str | None = None) -> list[Requirement]:
    project = PYPROJECT["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(line) for line in listed]


def pins(lock: str) -> dict[str, Version]:
    """The packages a lock pins, each with its version; every pin carries hashes."""
    text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
    found: dict[str, Version] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if match:
            assert "--hash=sha256:" in block, f"{lock}: {match[1]} has no hash"
            found[canonicalize_name(match[1])] = Version(match[2])
    return found


@pytest.mark.parametrize(
    ("package", "vulnerable", "fixed"),
    [("starlette", "0.49.0", "0.49.1"), ("h11", "0.15.0", "0.16.0")],
)
def test_runtime_floors_exclude_known_vulnerable_releases(
    package: str, vulnerable: str, fixed: str
) -> None:
    (requirement,) = [r for r in requirements() if r.name == package]
    assert vulnerable not in requirement.specifier and fixed in requirement.specifier
    assert pins("runtime.lock")[package] >= Version(fixed)
    assert pins("test.lock")[package] >= Version(fixed)


def test_aiosmtpd_floor_in_the_test_extra() -> None:
    (requirement,) = [r for r in requirements("test") if r.name == "aiosmtpd"]
    assert "1.4.4" not in requirement.specifier and "1.4.5" in requirement.specifier
    assert pins("test.lock")["aiosmtpd"] >= Version("1.4.5")


@pytest.mark.parametrize(
    ("lock", "listed"),
    [
        ("runtime.lock", requirements()),
        ("test.lock", requirements() + requirements("test")),
    ],
)
def test_each_lock_pins_what_pyproject_asks_for(lock: str, listed: list[Requirement]) -> None:
    pinned = pins(lock)
    for requirement in listed:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is missing from requirements/{lock}: run ./scripts/lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={pinned[name]}, outside {requirement.specifier}: "
            "run ./scripts/lock"
        )


def test_both_locks_agree() -> None:
    runtime, test = pins("runtime.lock"), pins("test.lock")
    assert {name: test[name] for name in runtime} == runtime
