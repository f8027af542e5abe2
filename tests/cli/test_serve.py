"""Issue 14.3: ``slotbot serve`` is safe by default. It will not serve other computers with
development or weak secrets; rate limits key on the real client (X-Forwarded-For believed
from ``SLOTBOT_TRUSTED_PROXIES`` alone); review links stay out of the access log; and the
``/outbox`` page answers no one who comes through a proxy. The server runs as an operator
starts it: the real command in a process of its own."""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from slotbot.core.notify.reviews import issue_token
from slotbot.core.settings import get_settings
from slotbot.core.storage.db import create_engine
from tests.cli.command import run
from tests.cli.served import Served, slotbot_serve
from tests.core.notify.test_dispatch import book
from tests.core.shop import build_shop, new_client

KEY = secrets.token_urlsafe(32)
SESSIONS = "/api/v1/widget/sessions"
NEW_SESSIONS_BURST = 20  # WidgetLimits.new_sessions_per_address


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """A clean slate of SLOTBOT_ settings (no .env), re-read by the next command."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLOTBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    for name in ("SLOTBOT_HOST", "SLOTBOT_SECRET_KEY", "SLOTBOT_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)

    def served(*args: object, **kwargs: object) -> None:  # a tripwire, not a stand-in
        raise AssertionError("slotbot served where it should have refused")

    monkeypatch.setattr(uvicorn, "run", served)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    status, out, err = run(capsys, *argv)
    assert status == 2, (out, err)
    assert err.count("\n") == 1, err  # one line
    return err.strip()


FIX = "e.g. the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "shop.example"])
def test_serve_for_other_computers_refuses_the_development_secret(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    line = refused(capsys, "serve", "--host", host)
    assert line == (
        f"slotbot: error: serving on {host}, where other computers can reach it, needs real "
        f"secrets: SLOTBOT_SECRET_KEY is a placeholder: set SLOTBOT_SECRET_KEY to a random "
        f"value, {FIX}"
    )
    environment.setenv("SLOTBOT_HOST", host)  # the same from the environment (the Procfile)
    get_settings.cache_clear()
    assert refused(capsys, "serve") == line


def test_serve_for_other_computers_refuses_weak_and_missing_secrets(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("SLOTBOT_SECRET_KEY", "a" * 32)
    assert "SLOTBOT_SECRET_KEY is too predictable" in refused(capsys, "serve", "--host", "::")
    environment.setenv("SLOTBOT_SECRET_KEY", KEY)
    environment.setenv("SLOTBOT_TELEGRAM_TOKEN", "123:abc")
    environment.setenv("SLOTBOT_PUBLIC_URL", "https://shop.example")  # a webhook: needs a secret
    get_settings.cache_clear()
    line = refused(capsys, "serve", "--host", "0.0.0.0")
    assert (
        "needs real secrets: SLOTBOT_WEBHOOK_SECRET is not set: set SLOTBOT_WEBHOOK_SECRET" in line
    )
    assert "SLOTBOT_SECRET_KEY" not in line  # the good one is not blamed


def test_the_demo_refuses_before_it_loads_anything(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert "SLOTBOT_SECRET_KEY is a placeholder" in refused(capsys, "demo", "--host", "0.0.0.0")
    assert not (tmp_path / "shop.db").exists()


def test_production_refuses_whatever_the_address(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("SLOTBOT_ENVIRONMENT", "production")
    for host in ("127.0.0.1", "0.0.0.0"):
        get_settings.cache_clear()
        assert refused(capsys, "serve", "--host", host).startswith(
            "slotbot: error: SLOTBOT_SECRET_KEY is a placeholder"
        )


# --- the real server ------------------------------------------------------------------------


async def _shop_with_a_visit(url: str) -> int:
    engine = create_engine(url)
    try:
        shop = await build_shop(engine)
        return (await book(engine, shop, await new_client(engine, 1))).id
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> tuple[str, int]:
    """A SQLite file with the test shop and one booking: (URL, booking id)."""
    path = tmp_path_factory.mktemp("served") / "shop.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    return url, asyncio.run(_shop_with_a_visit(url))


@pytest.fixture(scope="module")
def served(database: tuple[str, int], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``slotbot serve`` with the defaults (loopback, development, no trusted proxies)."""
    with slotbot_serve(
        tmp_path_factory.mktemp("default"), database_url=database[0], secret_key=KEY
    ) as server:
        yield server


def _open_sessions(url: str, forwarded_for: list[str], *, source: str = "127.0.0.1") -> list[int]:
    """Open a widget session per X-Forwarded-For value, from ``source``: the statuses."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=url, transport=transport, timeout=10) as client:
        return [
            client.post(SESSIONS, json={}, headers={"X-Forwarded-For": address}).status_code
            for address in forwarded_for
        ]


def _addresses(n: int, prefix: str) -> list[str]:
    return [f"{prefix}.{i // 250}.{i % 250 + 1}" for i in range(n)]


def test_rotating_x_forwarded_for_does_not_dodge_the_rate_limit(served: Served) -> None:
    # The attack: every request claims to come through a proxy for another address. With
    # uvicorn's defaults any process on the server's own computer was such a proxy.
    statuses = _open_sessions(served.url, _addresses(NEW_SESSIONS_BURST + 5, "198.51"))
    assert statuses[:NEW_SESSIONS_BURST] == [201] * NEW_SESSIONS_BURST
    assert set(statuses[NEW_SESSIONS_BURST:]) == {429}


def test_review_links_stay_out_of_the_access_log(served: Served, database: tuple[str, int]) -> None:
    token = issue_token(secret=KEY, booking_id=database[1], now=datetime.now(UTC))
    page = httpx.get(f"{served.url}/review", params={"token": token, "rating": "4"})
    assert page.status_code == 200 and "How was your visit?" in page.text
    assert f"value='{token}'" in page.text  # the form still carries it, in its body
    slashed = httpx.get(f"{served.url}/review/?token={token}")  # redirected, also unlogged
    assert slashed.status_code in (200, 307)
    spent = httpx.post(f"{served.url}/review", data={"token": token, "rating": "4"})
    assert spent.status_code == 200 and "Thank you" in spent.text
    again = httpx.get(f"{served.url}/review?rating=5&token={token}&x=1")
    assert again.status_code == 409
    log = served.log()
    assert '"GET /review?rating=4 HTTP/1.1" 200' in log  # the access log is on
    assert '"GET /review?rating=5&x=1 HTTP/1.1" 409' in log
    assert token not in log
    assert token.split(".")[2] not in log  # not even the signature


def test_a_trusted_proxy_names_the_client_and_no_one_else_can(
    database: tuple[str, int], tmp_path: Path
) -> None:
    with slotbot_serve(
        tmp_path, database_url=database[0], secret_key=KEY,
        trusted_proxies=json.dumps(["127.0.0.1"]),
    ) as server:  # fmt: skip
        # Clients behind the proxy each have their own limit ...
        behind = _open_sessions(server.url, _addresses(NEW_SESSIONS_BURST + 5, "203.0"))
        assert set(behind) == {201}
        # ... and one of them is limited whatever the proxy's own address does.
        one = _open_sessions(server.url, ["203.0.113.9"] * (NEW_SESSIONS_BURST + 1))
        assert one[-1] == 429
        # A peer that is not the proxy gets nothing from claiming to be one.
        untrusted = _open_sessions(
            server.url, _addresses(NEW_SESSIONS_BURST + 5, "192.0"), source="127.0.0.2"
        )
        assert set(untrusted[NEW_SESSIONS_BURST:]) == {429}
        # The outbox page: for a browser on this computer, not for the proxy's clients.
        with httpx.Client(base_url=server.url) as local:
            assert local.get("/outbox").status_code == 200
            forwarded = local.get("/outbox", headers={"X-Forwarded-For": "203.0.113.9"})
            assert forwarded.status_code == 404
            assert forwarded.json() == local.get("/no-such-page").json()
