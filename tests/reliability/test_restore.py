"""A server restored from a backup: devices re-download, and work it lost is sent again, once.

Real processes on both databases: the backup is a copy of the SQLite file or a PostgreSQL database
cloned from the live one while the server is stopped, as an operator would take it.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from mobile.replica.store import Replica
from mobile.services.jobs import JobActions
from mobile.services.sync import SyncRunner
from shared.enums import JobEventType
from tests.conftest import _pg_admin
from tests.processes import Server, assert_audit_intact, levee, seed_demo

pytestmark = pytest.mark.serial  # kills and restarts real processes: tasks.py runs it alone


def _backup(db_url: str, tmp: Path) -> str:
    if db_url.startswith("sqlite"):
        live = Path(db_url.split(":///", 1)[1])
        target = tmp / "backup.db"
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{live}{suffix}").exists():
                shutil.copyfile(f"{live}{suffix}", f"{target}{suffix}")
        return str(target)
    live_name = db_url.rsplit("/", 1)[1]
    backup = f"{live_name}_bak"
    asyncio.run(_pg_admin([f'CREATE DATABASE "{backup}" TEMPLATE "{live_name}"']))
    return backup


def _restore(db_url: str, backup: str) -> None:
    if db_url.startswith("sqlite"):
        live = Path(db_url.split(":///", 1)[1])
        for suffix in ("-wal", "-shm"):
            Path(f"{live}{suffix}").unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{backup}{suffix}").exists():
                shutil.copyfile(f"{backup}{suffix}", f"{live}{suffix}")
        return
    live_name = db_url.rsplit("/", 1)[1]
    asyncio.run(
        _pg_admin(
            [
                f'DROP DATABASE "{live_name}" WITH (FORCE)',
                f'CREATE DATABASE "{live_name}" TEMPLATE "{backup}"',
                f'DROP DATABASE "{backup}"',
            ]
        )
    )


async def _job_on_server(server: Server, password: str, job_id: str) -> dict:
    async with httpx.AsyncClient(base_url=server.url) as http:
        r = await http.post(
            "/api/auth/login", json={"username": "dispatcher", "password": password, "device_name": "check"}
        )
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        return dict((await http.get(f"/api/jobs/{job_id}", headers=headers)).json())


def test_after_a_restore_devices_send_the_lost_work_again(db_url: str, tmp_path: Path) -> None:
    password = seed_demo(db_url, tmp_path / "server")
    server = Server(db_url, tmp_path / "server")
    replica = Replica(tmp_path / "tablet.db")
    actions = JobActions(replica)
    server.start()
    try:

        async def sign_in() -> str:
            async with httpx.AsyncClient(base_url=server.url) as http:
                r = await http.post(
                    "/api/auth/login", json={"username": "eng01", "password": password, "device_name": "t"}
                )
                return str(r.json()["token"])

        token = asyncio.run(sign_in())

        async def sync() -> None:
            runner = SyncRunner(replica, server.url, token)
            try:
                assert await runner.sync_once(), runner.status.last_error
            finally:
                await runner.aclose()

        asyncio.run(sync())
        early = ("assigned", "acknowledged", "departed", "arrived")
        open_jobs = [j for j in replica.jobs() if j["status"] in early]
        before, after = uuid.UUID(open_jobs[0]["id"]), uuid.UUID(open_jobs[1]["id"])
        actions.edit(before, notes="备份之前的记录")
        asyncio.run(sync())
        server.stop()
        backup = _backup(db_url, tmp_path)
        server.start()
        # Work the server acknowledges after the backup was taken...
        tapped = actions.tap(after, JobEventType.STARTED)
        actions.edit(after, notes="备份之后的记录")
        asyncio.run(sync())
        assert replica.pending_count() == 0
        server.stop()
        # ...is lost when the backup is restored; the operator starts a new epoch.
        _restore(db_url, backup)
        epoch = levee("db", "new-epoch", db_url=db_url, data_dir=tmp_path / "server", timeout=60)
        assert epoch.returncode == 0, epoch.stderr
        server.start()
        lost = asyncio.run(_job_on_server(server, password, str(after)))
        assert lost["notes"] == "" and lost["started_at"] is None
        asyncio.run(sync())  # resync: download afresh, and send the recently acknowledged work again
        recovered = asyncio.run(_job_on_server(server, password, str(after)))
        assert recovered["notes"] == "备份之后的记录" and recovered["status"] == "started"
        assert datetime.fromisoformat(recovered["started_at"]) == datetime.fromisoformat(tapped.args["at"])
        kept = asyncio.run(_job_on_server(server, password, str(before)))
        assert kept["notes"] == "备份之前的记录"
        assert replica.job(after)["notes"] == "备份之后的记录" and replica.pending_count() == 0
    finally:
        server.stop()
        replica.close()
    assert_audit_intact(db_url, tmp_path)
