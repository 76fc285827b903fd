"""What a sign-in token is worth after its account changes, and where a tablet keeps it."""

from __future__ import annotations

import stat
from pathlib import Path

from mobile.replica.store import Replica
from tests.conftest import DeviceFactory
from tests.support import PASSWORD, World


async def test_reactivating_a_user_does_not_bring_their_old_tokens_back(world: World) -> None:
    admin = await world.login("admin")
    old = await world.login("eng2", "lost tablet")
    assert (await world.client.get("/api/auth/me", headers=old)).status_code == 200
    user = f"/api/users/{world.users['eng2']}"
    assert (await world.client.patch(user, json={"active": False}, headers=admin)).status_code == 200
    assert (await world.client.get("/api/auth/me", headers=old)).status_code == 401
    assert (await world.client.patch(user, json={"active": True}, headers=admin)).status_code == 200
    again = await world.client.get("/api/auth/me", headers=old)
    assert again.status_code == 401 and "revoked" in again.json()["detail"]
    fresh = await world.client.post(
        "/api/auth/login", json={"username": "eng2", "password": PASSWORD, "device_name": "new tablet"}
    )
    assert fresh.status_code == 200
    new = {"Authorization": f"Bearer {fresh.json()['token']}"}
    assert (await world.client.get("/api/auth/me", headers=new)).status_code == 200


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_replica_holding_the_token_is_readable_by_its_owner_only(
    world: World, new_device: DeviceFactory, tmp_path: Path
) -> None:
    device = await new_device("eng1")
    await device.sync()
    path = Path(device.replica.path)
    files = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
    assert path in files and {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    older = tmp_path / "older.db"  # a replica made by an earlier version, world-readable
    Replica(older).close()
    older.chmod(0o644)
    Replica(older).close()
    assert _mode(older) == 0o600
