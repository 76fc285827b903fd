"""The server's epoch: a fresh id whenever the data is started anew or restored from a backup."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import ServerMeta
from shared.ids import uuid7

EPOCH = "epoch"
LOG_FLOOR = "log_floor"


async def ensure_server_meta(session: AsyncSession) -> str:
    """Return this database's epoch, creating it the first time."""
    epoch = await session.scalar(select(ServerMeta.value).where(ServerMeta.key == EPOCH))
    if epoch is None:
        epoch = str(uuid7())
        session.add(ServerMeta(key=EPOCH, value=epoch))
        await session.commit()
    return epoch


async def new_epoch(session: AsyncSession) -> str:
    """Start a new epoch (after a restore): every device's cursor becomes invalid and it re-downloads."""
    epoch = str(uuid7())
    row = await session.get(ServerMeta, EPOCH)
    if row is None:
        session.add(ServerMeta(key=EPOCH, value=epoch))
    else:
        row.value = epoch
    await session.commit()
    return epoch
