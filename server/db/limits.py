"""Text longer than its column is refused with a 400 naming the field, on every database alike.

PostgreSQL refuses a value longer than a ``String(n)`` column (a 500 before this), SQLite stores it. The
request models bound most fields, but a bound that differs from the column (``unit`` was 200 in the
model, 20 in the table) would only show on PostgreSQL. So before every flush, each changed value of a
sized column is measured against the column, in characters as PostgreSQL counts them; one too long
refuses the request before anything is written. The column sizes are the one source of the limits.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, Session

from server.errors import DomainError


class TextTooLong(DomainError):
    """A text value does not fit its column: the client's 400."""

    def __init__(self, field: str, limit: int, given: int) -> None:
        super().__init__(
            f"{field} may have at most {limit} characters; {given} were given",
            field=field,
            max_length=limit,
            code="text.too_long",
            params={"field": field, "limit": limit, "given": given},
        )


@cache
def sized_columns(mapper: Mapper[Any]) -> tuple[tuple[str, int], ...]:
    """(attribute, maximum length) of each column of ``mapper`` with a length."""
    out = []
    for attr in mapper.column_attrs:
        for column in attr.columns:
            length = getattr(column.type, "length", None)
            if isinstance(length, int):
                out.append((attr.key, length))
    return tuple(out)


def check_lengths(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        sized = sized_columns(state.mapper)
        if not sized:
            continue
        values = state.dict
        # What this flush writes: every value set on a new object; the changed attributes of a loaded one
        # (each change keeps the value it replaced in ``committed_state``). Read from the state's dicts,
        # not ``state.attrs[key].history``, which builds a view of every attribute at each access: that
        # was 2 % of a push's server time.
        changed = values if state.key is None else state.committed_state
        for key, limit in sized:
            if key in changed:
                value = values.get(key)
                if isinstance(value, str) and len(value) > limit:
                    raise TextTooLong(key, limit, len(value))


def check_row_lengths(model: type[Any], rows: list[dict[str, Any]]) -> None:
    """The same check for rows written by a Core ``insert`` (no flush sees them)."""
    sized = sized_columns(inspect(model))
    for row in rows:
        for key, limit in sized:
            value = row.get(key)
            if isinstance(value, str) and len(value) > limit:
                raise TextTooLong(key, limit, len(value))


if not event.contains(Session, "before_flush", check_lengths):
    event.listen(Session, "before_flush", check_lengths)
