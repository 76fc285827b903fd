"""Rows a push batch inserts or changes by Core statements, not through the ORM's unit of work.

A push of a hundred taps and answers made a hundred mapped objects, tracked every attribute set on them
and flushed them one state at a time; the bookkeeping cost more than the statements. The batch's timeline
events and checklist answers are plain rows instead (``types.SimpleNamespace``: a handler reads and sets
``row.version`` as it did on a mapped object), and ``Writes`` sends them as one ``executemany`` per table
and kind, in the order the handlers made them.

The rules the flush applied are kept: every text is checked against its column's length
(``server.db.limits``), a refused mutation's rows are taken back (``mark`` / ``forget``), and when the batch
runs again one savepoint per mutation (``server/replication/push.py``) each mutation's rows are written
inside its own savepoint, so the database's refusal names the culprit.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Insert, Update, bindparam, insert, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.base import Base, table_of
from server.db.limits import check_row_lengths

Row = SimpleNamespace


@cache
def _columns(model: type[Base]) -> tuple[str, ...]:
    return tuple(attr.key for attr in inspect(model).column_attrs)


@cache
def _required(model: type[Base]) -> frozenset[str]:
    return frozenset(_columns(model))


@cache
def _insert(model: type[Base]) -> Insert:
    return insert(table_of(model))


@cache
def _update(model: type[Base]) -> Update:
    """Every column but the key, by the key: built once per model, as server/changes.py does."""
    table = table_of(model)
    return (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({table.c[name]: bindparam(name) for name in _columns(model) if name != "id"})
    )


def loaded(values: Any) -> Row:
    """A row read by the batch (a Core result row's mapping, every column) that a handler may change;
    ``Writes.changed`` writes it back."""
    return Row(**values)


class Writes:
    """What the batch's handlers inserted and changed, written together (``write``)."""

    def __init__(self) -> None:
        self._inserts: list[tuple[type[Base], Row]] = []
        self._updates: list[tuple[type[Base], Row]] = []

    def insert(self, model: type[Base], **values: Any) -> Row:
        """A new row of ``model``: every column given, so the rows of a table share one statement."""
        missing = _required(model) - values.keys()
        if missing:
            raise TypeError(f"{model.__name__} row without {sorted(missing)}")
        row = Row(**values)
        self._inserts.append((model, row))
        return row

    def changed(self, model: type[Base], row: Row) -> None:
        """``row`` (``loaded`` or inserted by this batch) was changed: it is written again, whole."""
        self._updates.append((model, row))

    def mark(self) -> tuple[int, int]:
        return len(self._inserts), len(self._updates)

    def forget(self, mark: tuple[int, int]) -> None:
        """Take back what was recorded since ``mark`` (a refused mutation's rows)."""
        del self._inserts[mark[0] :]
        del self._updates[mark[1] :]

    async def write(self, session: AsyncSession) -> None:
        """Insert, then update, what was recorded since the last write: one executemany per table and
        kind, tables in the order they were first written to. The session does not flush first: the
        caller orders these rows against the mapped objects it flushes."""
        inserts, updates = self._inserts, self._updates
        self._inserts, self._updates = [], []
        inserted = {id(row) for _, row in inserts}
        with session.no_autoflush:
            for model, rows in _grouped(inserts).items():
                await session.execute(_insert(model), _checked(model, rows))
            for model, rows in _grouped(updates).items():
                fresh = _unique(row for row in rows if id(row) not in inserted)
                if fresh:
                    values = _checked(model, fresh)
                    for value in values:
                        value["_id"] = value.pop("id")
                    await session.execute(_update(model), values)


def _grouped(pairs: list[tuple[type[Base], Row]]) -> dict[type[Base], list[Row]]:
    out: dict[type[Base], list[Row]] = {}
    for model, row in pairs:
        out.setdefault(model, []).append(row)
    return out


def _unique(rows: Any) -> list[Row]:
    """Each row once (changed twice in a batch, it is written once with its last values)."""
    seen: dict[int, Row] = {}
    for row in rows:
        seen.setdefault(id(row), row)
    return list(seen.values())


def _checked(model: type[Base], rows: list[Row]) -> list[dict[str, Any]]:
    """The rows as statement parameters, every column in it, each text within its column's length."""
    names = _columns(model)
    values = [{name: getattr(row, name) for name in names} for row in rows]
    check_row_lengths(model, values)
    return values
