"""Core statements sent straight to asyncpg, on a unit of work's connection while it runs
without a transaction (:meth:`~slotbot.core.storage.unit_of_work.UnitOfWork.direct`).

The statements every dialog turn runs (its session's load and save) cost about four times
the driver's CPU through SQLAlchemy's execution layer (measured on PostgreSQL: 214 us for
the session's load through the ORM session, 157 us through a Core connection, 54 us
through asyncpg). A :class:`DirectStatement` is the same Core statement, compiled once for
the engine's dialect: the same SQL, its parameters bound by the same column types (the
JSON state serialized as SQLAlchemy serializes it; the connection's codecs, which
SQLAlchemy set up, decode what comes back). Only outside a transaction: there is then no
transaction state for SQLAlchemy and the driver to disagree about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable

__all__ = ["DirectStatement"]


class DirectStatement:
    """``statement`` (a Core statement with named ``bindparam``\\ s), run through asyncpg."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[Dialect, tuple[Any, str, tuple[tuple[str, Any], ...]]] = {}

    def _for(self, dialect: Dialect) -> tuple[Any, str, tuple[tuple[str, Any], ...]]:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            sql = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
            at_execution = sql.literal_execute_params | sql.post_compile_params
            for bind in at_execution:  # rendered into the SQL when it runs
                if bind.expanding or bind.value is None:
                    raise ValueError(f"{bind.key}: rendered per execution, not for the driver")
            # those (a literal separator, say) rendered once, with their own values
            rendered_once = {sql.bind_names[bind] for bind in at_execution}
            execution = {name: None for name in sql.positiontup if name not in rendered_once}
            rendered = sql.construct_expanded_state(execution, escape_names=False)
            binds: tuple[tuple[str, Callable[[Any], Any] | None], ...] = tuple(
                (name, sql.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                for name in rendered.positiontup
            )
            compiled = self._compiled[dialect] = (sql, rendered.statement, binds)
        return compiled

    def arguments(self, dialect: Dialect, parameters: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL for ``dialect`` and its positional arguments, bound as SQLAlchemy binds."""
        compiled, sql, binds = self._for(dialect)
        values = compiled.construct_params(parameters)
        return sql, [
            value if process is None else process(value)
            for name, process in binds
            for value in (values[name],)
        ]

    async def fetchrow(
        self, driver: Any, dialect: Dialect, parameters: Mapping[str, Any]
    ) -> Any | None:
        """The first row (an ``asyncpg.Record``), or None."""
        sql, arguments = self.arguments(dialect, parameters)
        return await driver.fetchrow(sql, *arguments)

    async def execute(self, driver: Any, dialect: Dialect, parameters: Mapping[str, Any]) -> str:
        """Run it; the server's status line (``UPDATE 1``)."""
        sql, arguments = self.arguments(dialect, parameters)
        status: str = await driver.execute(sql, *arguments)
        return status
