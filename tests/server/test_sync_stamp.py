"""The device's sync stamp (shown to dispatchers) is written when a pull reaches the end of the log or a
push is taken, at most every 30 seconds: a request finding it fresh, as its token check read it, writes
nothing; a stale one is written again. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from server.db.models import Device, User
from server.replication.push import SYNC_STAMP_RESOLUTION
from tests.support import World


async def _pull_to_end(world: World, headers: dict[str, str]) -> None:
    cursor = None
    while True:
        r = await world.client.post("/api/sync/pull", json={"cursor": cursor}, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        cursor = page["cursor"]
        if not page["has_more"]:
            return


async def test_the_sync_stamp_is_written_at_most_every_thirty_seconds(world: World) -> None:
    eng = await world.login("eng1", device="stamp tablet")
    sessionmaker = world.app.state.sessionmaker

    async def stamp() -> object:
        async with sessionmaker() as s:
            return await s.scalar(
                select(Device.last_sync_at)
                .join(User, User.id == Device.user_id)
                .where(User.username == "eng1", Device.name == "stamp tablet")
            )

    assert await stamp() is None
    await _pull_to_end(world, eng)
    first = await stamp()
    assert first is not None
    await _pull_to_end(world, eng)  # fresh: left as it was
    assert await stamp() == first
    async with sessionmaker() as s:  # as if the last sync were 31 s ago
        older = first - SYNC_STAMP_RESOLUTION - timedelta(seconds=1)  # type: ignore[operator]
        await s.execute(update(Device).where(Device.name == "stamp tablet").values(last_sync_at=older))
        await s.commit()
    await _pull_to_end(world, eng)
    again = await stamp()
    assert again is not None and again > first  # type: ignore[operator]

    async def push() -> None:
        body = {"device_time": datetime.now(UTC).isoformat(), "mutations": []}
        r = await world.client.post("/api/sync/push", json=body, headers=eng)
        assert r.status_code == 200, r.text

    await push()  # fresh: left as it was
    assert await stamp() == again
    async with sessionmaker() as s:
        older = again - SYNC_STAMP_RESOLUTION - timedelta(seconds=1)  # type: ignore[operator]
        await s.execute(update(Device).where(Device.name == "stamp tablet").values(last_sync_at=older))
        await s.commit()
    await push()
    pushed = await stamp()
    assert pushed is not None and pushed > again  # type: ignore[operator]
