"""Limit/offset paging and the text search shared by list endpoints."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

MAX_LIMIT = 500
#: Offsets are clamped to this: no table gets near it, and a larger number overflows the databases'
#: 64-bit integers (a 500 instead of an empty page).
MAX_OFFSET = 2**31 - 1


async def fetch_page(
    session: AsyncSession, query: Select[Any], limit: int, offset: int
) -> tuple[list[Any], int]:
    """Rows of one page and the total count of the filtered query."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list((await session.scalars(query.limit(limit).offset(min(offset, MAX_OFFSET)))).all())
    return rows, int(total or 0)


def has_text(q: str, *columns: Any) -> ColumnElement[bool]:
    """Rows where any of ``columns`` holds ``q``: in any case on both databases (``ILIKE`` on
    PostgreSQL, ``lower()`` on SQLite, whose ``LIKE`` alone ignores ASCII case and PostgreSQL's does
    not), and with ``%`` and ``_`` the characters typed, not patterns that match every row."""
    return or_(*(column.icontains(q, autoescape=True) for column in columns))
