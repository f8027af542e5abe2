"""Dialog sessions: a conversation's state in ``dialog_sessions``, saved with a version check.

Any process can serve any update: a session is loaded by (channel, conversation id), changed
in memory and saved only if nobody saved it in between (optimistic concurrency). A stale save
is refused with :class:`StaleSession`, never silently overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from slotbot.core.storage.direct import DirectStatement
from slotbot.core.storage.models import DialogSession
from slotbot.core.storage.unit_of_work import UnitOfWork, write_connection
from slotbot.core.storage.versions import BOOKINGS_VERSION, CATALOG_VERSION

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


# The statements of every turn, built once: building one anew costs more CPU than running
# it (some 0.35 ms each for the two below, its cache key included), and a statement built
# once keeps its cache key.
_CHANNEL = DialogSession.channel == bindparam("b_channel")
_CONVERSATION = DialogSession.conversation_id == bindparam("b_conversation_id")
#: The session with the catalog and bookings versions, one row even when it has none.
_LOAD = (
    select(CATALOG_VERSION.label("catalog_version"), BOOKINGS_VERSION.label("bookings_version"),
           DialogSession.state, DialogSession.version, DialogSession.locale)
    .select_from(select(literal(1).label("one")).subquery())
    .outerjoin(DialogSession, and_(_CHANNEL, _CONVERSATION))
)  # fmt: skip
_NEW_VALUES = {
    "state": bindparam("new_state", type_=DialogSession.state.type),
    "locale": bindparam("new_locale", type_=DialogSession.locale.type),
    "updated_at": bindparam("new_updated_at", type_=DialogSession.updated_at.type),
    "version": bindparam("new_version", type_=DialogSession.version.type),
}
_EXISTS = select(DialogSession.id).where(_CHANNEL, _CONVERSATION)
_INSERT = insert(DialogSession).values(
    channel=bindparam("new_channel", type_=DialogSession.channel.type),
    conversation_id=bindparam("new_conversation_id", type_=DialogSession.conversation_id.type),
    **_NEW_VALUES,
)
_UPDATE = (
    update(DialogSession)
    .where(_CHANNEL, _CONVERSATION, DialogSession.version == bindparam("old_version"))
    .values(**_NEW_VALUES)
)

#: The same two through asyncpg, where a unit of work runs without a transaction.
_DIRECT_LOAD, _DIRECT_UPDATE = DirectStatement(_LOAD), DirectStatement(_UPDATE)


async def load_session(
    engine: AsyncEngine,
    *,
    channel: str,
    conversation_id: str,
    locale: str = "en",
    uow: UnitOfWork | None = None,
) -> SessionState:
    """The session of a conversation, or a new empty one (version 0) if it has none (read
    through ``uow``'s session when given)."""
    params = {"b_channel": channel, "b_conversation_id": conversation_id}
    if uow is not None:
        async with uow.direct() as driver:
            if driver is not None:
                row = await _DIRECT_LOAD.fetchrow(driver, engine.dialect, params)
            else:
                row = (await uow.session.execute(_LOAD, params)).one()
    else:
        async with engine.connect() as connection:
            row = (await connection.execute(_LOAD, params)).one()
    assert row is not None  # one row, with a session or without (the outer join)
    catalog_version, bookings_version, state, version, stored_locale = row
    versions = int(catalog_version or 0), int(bookings_version or 0)
    if version is None:
        return SessionState(channel, conversation_id, {}, 0, locale, *versions)
    return SessionState(
        channel, conversation_id, dict(state or {}), version, stored_locale, *versions
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
    key = {"b_channel": loaded.channel, "b_conversation_id": loaded.conversation_id}
    if loaded.version == 0:
        if await connection.scalar(_EXISTS, key) is not None:
            raise StaleSession()
        await connection.execute(
            _INSERT,
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
    try:
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
            return await save_session_in(connection, loaded, state=state, locale=locale, now=now)
    except IntegrityError:  # a concurrent first save won the unique (channel, id) race
        if loaded.version == 0:
            raise StaleSession() from None
        raise
