"""Limit/offset paging shared by list endpoints."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

MAX_LIMIT = 500


async def fetch_page(
    session: AsyncSession, query: Select[Any], limit: int, offset: int
) -> tuple[list[Any], int]:
    """Rows of one page and the total count of the filtered query."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list((await session.scalars(query.limit(limit).offset(offset))).all())
    return rows, int(total or 0)
