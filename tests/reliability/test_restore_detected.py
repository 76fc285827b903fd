"""A restore the operator forgot to follow with ``levee db new-epoch`` is recognised by the server itself.

Issue 12 item 2, in the order of events that beat ``ahead_of_log``: back up; tablet X pushes and pulls;
the backup is restored without a new epoch; another tablet's pushes take the log past X's cursor; X
pulls. The log numbers match, the marks in X's cursor do not: X is told to resync, sends its
acknowledged work again, and every one of its taps is on the server exactly once. Real server processes
on both databases.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest

from mobile.replica.store import Replica
from mobile.services.jobs import JobActions
from mobile.services.sync import SyncRunner
from shared.enums import JobEventType
from sync.protocol import parse_cursor
from tests.processes import Server, seed_demo
from tests.reliability.test_restore import _backup, _restore

pytestmark = pytest.mark.serial  # stops, restores and restarts real processes: tasks.py runs it alone


class Tablet:
    def __init__(self, server: Server, password: str, username: str, path: Path) -> None:
        self.server, self.replica = server, Replica(path)
        self.actions = JobActions(self.replica)
        self.token = asyncio.run(self._sign_in(username, password))

    async def _sign_in(self, username: str, password: str) -> str:
        async with httpx.AsyncClient(base_url=self.server.url) as http:
            r = await http.post(
                "/api/auth/login", json={"username": username, "password": password, "device_name": username}
            )
            assert r.status_code == 200, r.text
            return str(r.json()["token"])

    def sync(self) -> None:
        async def once() -> None:
            runner = SyncRunner(self.replica, self.server.url, self.token)
            try:
                assert await runner.sync_once(), runner.status.last_error
            finally:
                await runner.aclose()

        asyncio.run(once())

    def raw_pull(self) -> dict:
        async def pull() -> dict:
            async with httpx.AsyncClient(base_url=self.server.url) as http:
                r = await http.post(
                    "/api/sync/pull",
                    json={"cursor": self.replica.cursor},
                    headers={"Authorization": f"Bearer {self.token}"},
                )
                assert r.status_code == 200, r.text
                return dict(r.json())

        return asyncio.run(pull())

    def open_jobs(self) -> list[uuid.UUID]:
        early = ("assigned", "acknowledged", "departed")
        return [uuid.UUID(j["id"]) for j in self.replica.jobs() if j["status"] in early]


def test_a_restore_without_new_epoch_is_detected_and_the_lost_taps_land_once(
    db_url: str, tmp_path: Path
) -> None:
    password = seed_demo(db_url, tmp_path / "server")
    server = Server(db_url, tmp_path / "server")
    server.start()
    x = y = None
    try:
        x = Tablet(server, password, "eng01", tmp_path / "x.db")
        y = Tablet(server, password, "eng02", tmp_path / "y.db")
        x.sync()
        y.sync()
        server.stop()
        backup = _backup(db_url, tmp_path)
        server.start()
        # X's work, acknowledged and pulled after the backup was taken.
        job = x.open_jobs()[0]
        taps = [x.actions.tap(job, e) for e in (JobEventType.ARRIVED, JobEventType.STARTED)]
        taps.append(x.actions.edit(job, notes="备份之后的记录"))
        x.sync()
        assert x.replica.pending_count() == 0
        x_seq = parse_cursor(x.replica.cursor or "")[1]
        server.stop()
        _restore(db_url, backup)  # and no `levee db new-epoch`
        server.start()
        # Another tablet's pushes take the restored log past X's cursor.
        y_jobs = y.open_jobs()
        for i in range(6):
            y.actions.edit(y_jobs[i % len(y_jobs)], notes=f"恢复之后 {i}")
            y.sync()
            if parse_cursor(y.replica.cursor or "")[1] >= x_seq:
                break
        assert parse_cursor(y.replica.cursor or "")[1] >= x_seq, "the other tablet should pass X's cursor"
        page = x.raw_pull()
        assert page["resync_required"] is True, page
        assert page["resync_code"] == "new_epoch" and "restored" in page["reason"]
        x.sync()  # download afresh and send the recently acknowledged work again
        assert x.replica.pending_count() == 0
        y.sync()
        x.sync()
        local = x.replica.job(job)
        assert local["notes"] == "备份之后的记录" and local["status"] == "started"
        tapped = {uuid.UUID(t.args["event_id"]) for t in taps if "event_id" in t.args}
        on_server = [uuid.UUID(e["id"]) for e in local["events"] if uuid.UUID(e["id"]) in tapped]
        assert sorted(on_server) == sorted(tapped), "each tap is on the server exactly once"
        assert x.raw_pull()["resync_required"] is False
    finally:
        server.stop()
        for tablet in (x, y):
            if tablet is not None:
                tablet.replica.close()
