"""The dispatcher's engineer list: each engineer's open load and when their tablet last synced."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import QueryParameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Device, Job, User
from server.deps import DbSession, requires_dispatch
from server.stations.proposals import by_station
from shared.clock import utcnow
from shared.directory import EngineerLoad
from shared.enums import OPEN_STATUSES, Role
from shared.sla import CLOCKS, PROMISE_FIELDS, breached

#: deadline column -> the stamp that keeps it, for the engineer's three clocks
PROMISES = tuple(PROMISE_FIELDS[p] for p in CLOCKS)


def _breached_now(job: Any, now: datetime) -> bool:
    """Past a deadline whose promise is not kept yet (a promise kept late is history, not load)."""
    return any(
        getattr(job, done) is None and breached(getattr(job, due), None, now) for due, done in PROMISES
    )


def _newest(*stamps: datetime | None) -> datetime | None:
    present = [s for s in stamps if s is not None]
    return max(present) if present else None


async def engineer_loads(session: AsyncSession, now: datetime) -> list[EngineerLoad]:
    """Every engineer, active first, with their open jobs and their devices' last sync.

    Only a push stamps ``devices.last_sync_at``; every authenticated request (an engineer's token only
    pulls, long-polls and pushes) moves ``last_seen_at`` at most once a minute, so the newer of the two
    is when the tablet last synced.
    """
    engineers = (
        await session.scalars(
            select(User)
            .where(User.role == Role.ENGINEER.value)
            .order_by(User.active.desc(), User.display_name, User.username)
        )
    ).all()
    open_jobs = (
        await session.execute(
            select(
                Job.assigned_engineer_id,
                Job.severity,
                *(getattr(Job, c) for pair in PROMISES for c in pair),
            ).where(
                Job.assigned_engineer_id.is_not(None),
                Job.status.in_([s.value for s in OPEN_STATUSES]),
            )
        )
    ).all()
    load: dict[uuid.UUID, list[int]] = {}
    for row in open_jobs:
        counts = load.setdefault(row.assigned_engineer_id, [0, 0, 0])
        counts[0] += 1
        counts[1] += row.severity == "major"
        counts[2] += _breached_now(row, now)
    devices = {
        row.user_id: row
        for row in (
            await session.execute(
                select(
                    Device.user_id,
                    func.count().label("n"),
                    func.max(Device.last_sync_at).label("last_sync_at"),
                    func.max(Device.last_seen_at).label("last_seen_at"),
                )
                .where(Device.revoked_at.is_(None))
                .group_by(Device.user_id)
            )
        ).all()
    }
    out = []
    for user in engineers:
        n_open, n_major, n_breached = load.get(user.id, [0, 0, 0])
        dev = devices.get(user.id)
        out.append(
            EngineerLoad(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                phone=user.phone,
                active=user.active,
                open_jobs=n_open,
                major_open=n_major,
                breached_open=n_breached,
                devices=int(dev.n) if dev else 0,
                last_sync_at=_newest(dev.last_sync_at, dev.last_seen_at) if dev else None,
            )
        )
    return out


class EngineerLoadController(Controller):
    path = "/api/console"
    tags = ["console"]  # noqa: RUF012

    @get("/engineers", guards=[requires_dispatch])
    async def engineers(
        self,
        db_session: DbSession,
        site_id: Annotated[
            uuid.UUID | None,
            QueryParameter(description="propose for this site: its station's engineers first, then nearest"),
        ] = None,
    ) -> list[EngineerLoad]:
        """Every engineer with their open jobs (major, breached), when their tablet last synced and their
        station; for a site, the engineers of the station covering it first (then by distance)."""
        return await by_station(db_session, await engineer_loads(db_session, utcnow()), site_id)
