"""Dialog sessions: a conversation's state in ``dialog_sessions``, saved with a version check.

Any process can serve any update: a session is loaded by (channel, conversation id), changed
in memory and saved only if nobody saved it in between (optimistic concurrency). A stale save
is refused with :class:`StaleSession`, never silently overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from slotbot.core.storage.direct import DirectStatement
from slotbot.core.storage.models import DialogSession
from slotbot.core.storage.unit_of_work import UnitOfWork, write_connection
from slotbot.core.storage.versions import (
    BOOKINGS_VERSION,
    BUSY_CHANGED,
    CATALOG_VERSION,
    busy_changed,
)

__all__ = ["SessionState", "StaleSession", "load_session", "save_session", "save_session_in"]


class StaleSession(Exception):
    """The session was saved by someone else since it was loaded."""


@dataclass(frozen=True, slots=True)
class SessionState:
    """A loaded session: ``version`` 0 means it has never been saved."""

    channel: str
    conversation_id: str
    state: dict[str, Any]
    version: int
    locale: str
    #: The catalog and bookings versions read in the same query, so the turn needs no
    #: second query to know whether its cached catalog and availability are current.
    catalog_version: int = 0
    bookings_version: int = 0
    #: Asked with ``busy_since``: each specialist whose busy time changed after that
    #: bookings version, with its busy version, read in the same query too (``None``: not
    #: asked).
    busy_changed: dict[int, int] | None = None
    busy_since: int = -1


# The statements of every turn, built once: building one anew costs more CPU than running
# it (some 0.35 ms each for the two below, its cache key included), and a statement built
# once keeps its cache key.
# The table's columns, not the mapped class's: a session runs such a statement for some 50 us
# less (no ORM compile state).
_SESSIONS = cast(Table, DialogSession.__table__)
_CHANNEL = _SESSIONS.c.channel == bindparam("b_channel")
_CONVERSATION = _SESSIONS.c.conversation_id == bindparam("b_conversation_id")
#: The session with the catalog and bookings versions, one row even when it has none; by
#: whether the specialists whose busy time changed are asked for too.
_LOAD = {
    changed: select(
        CATALOG_VERSION.label("catalog_version"), BOOKINGS_VERSION.label("bookings_version"),
        _SESSIONS.c.state, _SESSIONS.c.version, _SESSIONS.c.locale,
        *([BUSY_CHANGED.label("busy_changed")] if changed else []),
    )
    .select_from(select(literal(1).label("one")).subquery())
    .outerjoin(_SESSIONS, and_(_CHANNEL, _CONVERSATION))
    for changed in (False, True)
}  # fmt: skip
_NEW_VALUES = {
    "state": bindparam("new_state", type_=DialogSession.state.type),
    "locale": bindparam("new_locale", type_=DialogSession.locale.type),
    "updated_at": bindparam("new_updated_at", type_=DialogSession.updated_at.type),
    "version": bindparam("new_version", type_=DialogSession.version.type),
}
#: A first save, by dialect name: nothing is inserted when another process saved first.
_INSERT = {
    name: dialect.insert(DialogSession)
    .values(
        channel=bindparam("new_channel", type_=DialogSession.channel.type),
        conversation_id=bindparam("new_conversation_id", type_=DialogSession.conversation_id.type),
        **_NEW_VALUES,
    )
    .on_conflict_do_nothing(index_elements=["channel", "conversation_id"])
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_UPDATE = (
    update(DialogSession)
    .where(_CHANNEL, _CONVERSATION, DialogSession.version == bindparam("old_version"))
    .values(**_NEW_VALUES)
)

#: The same two through asyncpg, where a unit of work runs without a transaction.
_DIRECT_LOAD = {changed: DirectStatement(statement) for changed, statement in _LOAD.items()}
_DIRECT_UPDATE = DirectStatement(_UPDATE)


async def load_session(
    engine: AsyncEngine,
    *,
    channel: str,
    conversation_id: str,
    locale: str = "en",
    uow: UnitOfWork | None = None,
    busy_since: int | None = None,
) -> SessionState:
    """The session of a conversation, or a new empty one (version 0) if it has none (read
    through ``uow``'s session when given). ``busy_since``: a bookings version; the
    specialists whose busy time changed after it are read too
    (:attr:`SessionState.busy_changed`)."""
    params = {"b_channel": channel, "b_conversation_id": conversation_id,
              "b_busy_since": busy_since}  # fmt: skip
    statement = _LOAD[busy_since is not None]
    if uow is not None:
        async with uow.direct() as driver:
            if driver is not None:
                direct = _DIRECT_LOAD[busy_since is not None]
                row = await direct.fetchrow(driver, engine.dialect, params)
            else:
                row = (await uow.session.execute(statement, params)).one()
    else:
        async with engine.connect() as connection:
            row = (await connection.execute(statement, params)).one()
    assert row is not None  # one row, with a session or without (the outer join)
    catalog_version, bookings_version, state, version, stored_locale, *asked = row
    versions = int(catalog_version or 0), int(bookings_version or 0)
    changed = None if busy_since is None else busy_changed(asked[0])
    busy = (changed, -1 if busy_since is None else busy_since)
    if version is None:
        return SessionState(channel, conversation_id, {}, 0, locale, *versions, *busy)
    return SessionState(
        channel, conversation_id, dict(state or {}), version, stored_locale, *versions, *busy
    )


async def save_session_in(
    connection: AsyncConnection,
    loaded: SessionState,
    *,
    state: dict[str, Any],
    locale: str,
    now: datetime,
) -> SessionState:
    """Save inside the caller's transaction; raises :class:`StaleSession` when the stored
    version is no longer ``loaded.version``. Returns the saved session (version + 1)."""
    values = _new_values(state, locale, now, loaded.version + 1)
    if loaded.version == 0:
        result = await connection.execute(
            _INSERT[connection.dialect.name],
            {"new_channel": loaded.channel, "new_conversation_id": loaded.conversation_id,
             **values},
        )  # fmt: skip
    else:
        result = await connection.execute(_UPDATE, {**_key(loaded), **values})
    if result.rowcount != 1:
        raise StaleSession()
    return _saved(loaded, state, locale)


def _key(loaded: SessionState) -> dict[str, Any]:
    """The bound parameters that pick the stored session as it was loaded."""
    return {
        "b_channel": loaded.channel, "b_conversation_id": loaded.conversation_id,
        "old_version": loaded.version,
    }  # fmt: skip


def _new_values(state: dict[str, Any], locale: str, now: datetime, version: int) -> dict[str, Any]:
    return {"new_state": state, "new_locale": locale, "new_updated_at": now, "new_version": version}


def _saved(loaded: SessionState, state: dict[str, Any], locale: str) -> SessionState:
    return SessionState(
        loaded.channel, loaded.conversation_id, state, loaded.version + 1, locale,
        loaded.catalog_version, loaded.bookings_version,
    )  # fmt: skip


async def save_session(
    engine: AsyncEngine,
    loaded: SessionState,
    *,
    state: dict[str, Any],
    locale: str,
    now: datetime,
    uow: UnitOfWork | None = None,
    last: bool = False,
) -> SessionState:
    """Save a session in ``uow`` (which a stale save must then roll back as a whole) or in
    a transaction of its own (see :func:`save_session_in`). ``last``: nothing is written in
    ``uow`` after the save, which then needs no transaction of its own when it is the unit's
    only write (:meth:`UnitOfWork.begin_write`, ``alone``)."""
    async with write_connection(engine, uow, savepoint=False, alone=last) as connection:
        if uow is not None and loaded.version:
            async with uow.direct() as driver:  # the one write, without a transaction
                if driver is not None:
                    values = _new_values(state, locale, now, loaded.version + 1)
                    status = await _DIRECT_UPDATE.execute(
                        driver, engine.dialect, {**_key(loaded), **values}
                    )
                    if status != "UPDATE 1":
                        raise StaleSession()
                    return _saved(loaded, state, locale)
        # a first save that another process made first inserts nothing (ON CONFLICT DO
        # NOTHING): StaleSession, as for any stale save
        return await save_session_in(connection, loaded, state=state, locale=locale, now=now)
