"""The dialog session store: load, save with a version check, concurrent first saves."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from slotbot.core.db import create_engine
from slotbot.core.sessions import StaleSession, load_session, save_session
from tests.core.shop import NOW


async def test_new_session_is_empty_and_saves(engine: AsyncEngine) -> None:
    loaded = await load_session(engine, channel="telegram", conversation_id="7", locale="ru")
    assert (loaded.version, loaded.state, loaded.locale) == (0, {}, "ru")
    saved = await save_session(engine, loaded, state={"step": "date"}, locale="ru", now=NOW)
    again = await load_session(engine, channel="telegram", conversation_id="7")
    assert again == saved and again.version == 1 and again.state == {"step": "date"}


async def test_stale_save_is_refused_not_overwritten(engine: AsyncEngine) -> None:
    first = await load_session(engine, channel="web", conversation_id="s")
    first = await save_session(engine, first, state={"n": 1}, locale="en", now=NOW)
    a = await load_session(engine, channel="web", conversation_id="s")
    b = await load_session(engine, channel="web", conversation_id="s")
    await save_session(engine, a, state={"n": "a"}, locale="en", now=NOW)
    with pytest.raises(StaleSession):
        await save_session(engine, b, state={"n": "b"}, locale="en", now=NOW)
    assert (await load_session(engine, channel="web", conversation_id="s")).state == {"n": "a"}


async def test_concurrent_first_saves_from_separate_connections(database_url: str) -> None:
    engines = [create_engine(database_url) for _ in range(4)]
    try:
        loaded = [
            await load_session(e, channel="telegram", conversation_id="race") for e in engines
        ]
        results = await asyncio.gather(
            *(
                save_session(e, s, state={"by": i}, locale="en", now=NOW)
                for i, (e, s) in enumerate(zip(engines, loaded, strict=True))
            ),
            return_exceptions=True,
        )
    finally:
        for e in engines:
            await e.dispose()
    wins = [r for r in results if not isinstance(r, BaseException)]
    assert len(wins) == 1
    assert all(isinstance(r, StaleSession) for r in results if isinstance(r, BaseException))
