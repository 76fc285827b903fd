"""Change-log retention: rows older than the retention period are dropped and the floor raised.

A device whose cursor is below the floor has been offline longer than the server remembers; its next
pull answers ``resync_required`` and it downloads its scope again (keeping its outbox).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.meta import LOG_FLOOR
from server.db.models import ChangeLog, LogMark, ServerMeta


async def prune_change_log(session: AsyncSession, older_than: datetime) -> int:
    """Delete log rows created before ``older_than``; returns the new floor (0 when nothing went)."""
    top = await session.scalar(select(func.max(ChangeLog.seq)).where(ChangeLog.created_at < older_than))
    if top is None:
        return 0
    await session.execute(delete(ChangeLog).where(ChangeLog.seq <= top))
    await session.execute(delete(LogMark).where(LogMark.last_seq <= top))  # cursors there are too old
    row = await session.get(ServerMeta, LOG_FLOOR, with_for_update=True)
    if row is None:
        session.add(ServerMeta(key=LOG_FLOOR, value=str(top)))
    elif int(row.value) < top:
        row.value = str(top)
    await session.commit()
    return int(top)
