"""Property-based sync test: devices and the office change things at random over a faulty network.

The network drops requests, drops responses after the server committed, duplicates deliveries and
replays old ones out of order; the server restarts. At the end, with the network healed, every device
must hold exactly what the server holds, every acknowledged mutation must be applied exactly once,
and every value overwritten by a writer that had not seen it must be in a conflict record.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from mobile.replica.store import Replica
from mobile.services.jobs import ActionError, JobActions
from mobile.services.sync import SyncRunner
from server.app import create_app
from server.db.engine import make_engine
from server.db.models import Conflict, JobEvent, JobPart
from server.db.models import Mutation as MutationRow
from server.settings import Settings
from shared.enums import CheckResult, JobEventType
from sync.protocol import Outcome
from tests.support import PASSWORD, World, populate

ENGINEERS = ("eng1", "eng2")
DEVICES = (("eng1", "tablet"), ("eng1", "phone"), ("eng2", "tablet"))
FIELDS = ("cause", "fix", "notes", "symptom")
WORDS = ("叶轮堵塞", "电缆破损", "更换密封", "控制箱进水", "已恢复", "")
FAULTS = ("ok", "ok", "drop_request", "drop_response", "duplicate")


class FaultyNet(httpx.AsyncBaseTransport):
    """Delivers to the current server, or misbehaves as told for the next request."""

    def __init__(self, target: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self.target = target
        self.fault = "ok"
        self.sent_pushes: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault, self.fault = self.fault, "ok"
        if fault == "drop_request":
            raise httpx.ConnectError("dropped", request=request)
        body = await request.aread()
        if request.url.path == "/api/sync/push":
            self.sent_pushes.append(body)
        response = await self.target().handle_async_request(request)
        await response.aread()
        if fault == "duplicate":
            copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self.target().handle_async_request(copy)
            await response.aread()
        if fault == "drop_response":
            raise httpx.ReadError("response lost", request=request)
        return response


@dataclass
class Handset:
    username: str
    replica: Replica
    actions: JobActions
    runner: SyncRunner
    net: FaultyNet
    token: str
    acked: dict[uuid.UUID, Outcome] = field(default_factory=dict)


@dataclass
class Write:
    """One value landing on the server for (job, field), and what its writer had seen there."""

    value: Any
    base_value: Any
    by_device: bool
    writer: str = "office"
    previous: str = "office"


class SyncMachine(RuleBasedStateMachine):
    make_db: Callable[[], str]

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = Path(tempfile.mkdtemp(prefix="levee-prop-"))
        self.url = type(self).make_db()
        self.engine = self.run(self._engine())
        self.app = self.run(self._start_app())
        self.world = World(client=self._office_client(), app=self.app)
        self.run(populate(self.engine, self.world))
        self.handsets: list[Handset] = []
        self.jobs: list[str] = []
        self.server_values: dict[tuple[str, str], Any] = {}
        self.base_values: dict[uuid.UUID, dict[str, Any]] = {}
        self.transitions: list[tuple[str, str, Any, Write]] = []
        self.seen_mutations: set[uuid.UUID] = set()
        self.last_writer: dict[tuple[str, str], str] = {}

    # --- plumbing --------------------------------------------------------------------------------

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def _engine(self) -> Any:
        return make_engine(self.url)

    async def _start_app(self) -> Any:
        app = create_app(
            Settings(data_dir=self.tmp, database_url=self.url, schedule_interval_s=0), engine=self.engine
        )
        for hook in app.on_startup:
            await hook(app)
        return app

    async def _stop_listener(self, app: Any) -> None:
        """What a process exit does to its PostgreSQL listener (the engine stays: same database)."""
        listener = getattr(app.state, "listener", None)
        if listener is not None:
            await listener.stop()

    def _transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app)

    def _office_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://levee.test")

    def teardown(self) -> None:
        async def close() -> None:
            for h in self.handsets:
                await h.runner.aclose()
                h.replica.close()
            await self.world.client.aclose()
            await self._stop_listener(self.app)
            await self.engine.dispose()

        self.run(close())
        self.loop.close()

    # --- set-up ----------------------------------------------------------------------------------

    @initialize(n_jobs=st.integers(min_value=2, max_value=4))
    def setup(self, n_jobs: int) -> None:
        async def go() -> None:
            for i in range(n_jobs):
                job = await self.world.create_job(engineer=ENGINEERS[i % 2], kind="repair")
                self.jobs.append(job["id"])
                for f in FIELDS:
                    self.server_values[(job["id"], f)] = job.get(f, "")
            for username, name in DEVICES:
                r = await self.world.client.post(
                    "/api/auth/login", json={"username": username, "password": PASSWORD, "device_name": name}
                )
                token = r.json()["token"]
                net = FaultyNet(self._transport)
                replica = Replica(self.tmp / f"{username}-{name}.db")
                runner = SyncRunner(replica, "http://levee.test", token, transport=net)
                self.handsets.append(Handset(username, replica, JobActions(replica), runner, net, token))
            for h in self.handsets:
                await self._sync(h)

        self.run(go())

    # --- device rules --------------------------------------------------------------------------

    def _job_on(self, h: Handset, index: int) -> uuid.UUID | None:
        ids = sorted(h.replica.job_ids())
        return ids[index % len(ids)] if ids else None

    @rule(d=st.integers(0, 2), j=st.integers(0, 3), event=st.sampled_from(list(JobEventType)[:4]))
    def tap(self, d: int, j: int, event: JobEventType) -> None:
        h = self.handsets[d]
        job_id = self._job_on(h, j)
        if job_id is not None:
            with contextlib.suppress(ActionError):
                h.actions.tap(job_id, event)

    @rule(d=st.integers(0, 2), j=st.integers(0, 3), f=st.sampled_from(FIELDS), value=st.sampled_from(WORDS))
    def edit(self, d: int, j: int, f: str, value: str) -> None:
        h = self.handsets[d]
        job_id = self._job_on(h, j)
        if job_id is None:
            return
        base = (h.replica.server_job(job_id) or {}).get(f, "")
        mutation = h.actions.edit(job_id, **{f: value})
        self.base_values[mutation.id] = {f: base}

    @rule(d=st.integers(0, 2), j=st.integers(0, 3), result=st.sampled_from(list(CheckResult)))
    def answer(self, d: int, j: int, result: CheckResult) -> None:
        h = self.handsets[d]
        job_id = self._job_on(h, j)
        if job_id is not None:
            h.actions.answer(job_id, "seal", result=result)

    @rule(d=st.integers(0, 2), j=st.integers(0, 3), qty=st.integers(1, 3))
    def use_part(self, d: int, j: int, qty: int) -> None:
        h = self.handsets[d]
        job_id = self._job_on(h, j)
        if job_id is not None:
            h.actions.use_part(job_id, self.world.part_id, qty)

    @rule(d=st.integers(0, 2), fault=st.sampled_from(FAULTS))
    def sync(self, d: int, fault: str) -> None:
        h = self.handsets[d]
        h.net.fault = fault
        self.run(self._sync(h))

    @rule(d=st.integers(0, 2), pick=st.integers(0, 1000))
    def replay_old_push(self, d: int, pick: int) -> None:
        """An old push arrives again, late and out of order: the server answers from its records."""
        h = self.handsets[d]
        if not h.net.sent_pushes:
            return
        body = h.net.sent_pushes[pick % len(h.net.sent_pushes)]

        async def go() -> None:
            r = await self.world.client.post(
                "/api/sync/push",
                content=body,
                headers={"Authorization": f"Bearer {h.token}", "content-type": "application/json"},
            )
            assert r.status_code == 200, r.text
            await self._record_server_writes()

        self.run(go())

    # --- office rules ----------------------------------------------------------------------------

    @rule(j=st.integers(0, 3), f=st.sampled_from(("symptom",)), value=st.sampled_from(WORDS[:-1]))
    def office_edit(self, j: int, f: str, value: str) -> None:
        job_id = self.jobs[j % len(self.jobs)]

        async def go() -> None:
            before = self.server_values[(job_id, f)]
            r = await self.world.client.patch(
                f"/api/jobs/{job_id}", json={f: value}, headers=await self.world.login("dispatcher")
            )
            assert r.status_code == 200, r.text
            if value != before:
                self.transitions.append((job_id, f, before, Write(value, before, by_device=False)))
                self.server_values[(job_id, f)] = value
                self.last_writer[(job_id, f)] = "office"

        self.run(go())

    @rule(j=st.integers(0, 3), who=st.sampled_from(ENGINEERS))
    def office_reassign(self, j: int, who: str) -> None:
        job_id = self.jobs[j % len(self.jobs)]

        async def go() -> None:
            r = await self.world.client.post(
                f"/api/jobs/{job_id}/assign",
                json={"engineer_id": str(self.world.users[who])},
                headers=await self.world.login("dispatcher"),
            )
            assert r.status_code in (200, 409), r.text

        self.run(go())

    @rule(j=st.integers(0, 3), hold=st.booleans())
    def office_hold_or_resume(self, j: int, hold: bool) -> None:
        job_id = self.jobs[j % len(self.jobs)]

        async def go() -> None:
            headers = await self.world.login("dispatcher")
            if hold:
                r = await self.world.client.post(
                    f"/api/jobs/{job_id}/hold", json={"reason": "等待备件"}, headers=headers
                )
            else:
                r = await self.world.client.post(f"/api/jobs/{job_id}/resume", headers=headers)
            assert r.status_code in (200, 409), r.text

        self.run(go())

    @rule()
    def restart_server(self) -> None:
        """A new server process over the same database: in-memory state (notifier) starts empty."""
        old_client = self.world.client
        self.run(self._stop_listener(self.app))
        self.app = self.run(self._start_app())
        self.world.client = self._office_client()
        self.world.app = self.app
        self.run(old_client.aclose())

    # --- bookkeeping -----------------------------------------------------------------------------

    async def _sync(self, h: Handset) -> None:
        await h.runner.sync_once()
        await self._record_server_writes()

    async def _record_server_writes(self) -> None:
        """Replay, in server order, the job edits the server applied since last time (the oracle)."""
        async with self.app.state.sessionmaker() as s:
            rows = (
                await s.scalars(
                    select(MutationRow)
                    .where(MutationRow.name == "job.edit")
                    .order_by(MutationRow.received_at, MutationRow.client_seq)
                )
            ).all()
        for row in rows:
            if row.id in self.seen_mutations:
                continue
            self.seen_mutations.add(row.id)
            if row.outcome == Outcome.REJECTED.value:
                continue
            job_id = row.args["job_id"]
            for f, value in row.args["fields"].items():
                if f not in FIELDS:
                    continue
                before = self.server_values[(job_id, f)]
                if value == before:
                    continue
                base = self.base_values.get(row.id, {}).get(f)
                previous_writer = self.last_writer.get((job_id, f), "office")
                writer = str(row.device_id)
                self.transitions.append(
                    (
                        job_id,
                        f,
                        before,
                        Write(value, base, by_device=True, writer=writer, previous=previous_writer),
                    )
                )
                self.server_values[(job_id, f)] = value
                self.last_writer[(job_id, f)] = writer

    # --- the promises ----------------------------------------------------------------------------

    @invariant()
    def taps_are_never_lost_locally(self) -> None:
        for h in self.handsets:
            pending = h.replica.pending(10_000)
            assert [m.client_seq for m in pending] == sorted(m.client_seq for m in pending)

    def teardown_checks(self) -> None:
        """Heal the network, sync everyone twice, then check convergence and the books."""

        async def go() -> None:
            for _ in range(2):
                for h in self.handsets:
                    h.net.fault = "ok"
                    assert await h.runner.sync_once(), h.runner.status.last_error
            await self._record_server_writes()
            office = await self.world.login("dispatcher")
            async with self.app.state.sessionmaker() as s:
                mutations = {m.id: m for m in (await s.scalars(select(MutationRow))).all()}
                events = (await s.scalars(select(JobEvent))).all()
                parts = (await s.scalars(select(JobPart))).all()
                conflicts = (await s.scalars(select(Conflict))).all()
            # Nothing acknowledged is lost or applied twice.
            event_ids = [e.id for e in events]
            assert len(event_ids) == len(set(event_ids))
            applied_event_ids = {
                uuid.UUID(m.args["event_id"])
                for m in mutations.values()
                if m.name == "job.event" and m.outcome != "rejected"
            }
            assert applied_event_ids == set(event_ids)
            applied_usage = {
                uuid.UUID(m.args["usage_id"])
                for m in mutations.values()
                if m.name == "part.use" and m.outcome != "rejected"
            }
            assert applied_usage == {p.id for p in parts}
            for h in self.handsets:
                assert h.replica.pending_count() == 0
                for r in h.replica.rejections():
                    assert mutations[r.mutation.id].outcome == "rejected"
            # Every device converges to the server.
            for h in self.handsets:
                r = await self.world.client.get(
                    "/api/jobs",
                    params={"engineer_id": str(self.world.users[h.username]), "limit": 100},
                    headers=office,
                )
                server_jobs = {j["id"]: j for j in r.json()["items"]}
                assert {str(i) for i in h.replica.job_ids()} == set(server_jobs)
                for job_id, sj in server_jobs.items():
                    local = h.replica.job(uuid.UUID(job_id))
                    assert local == h.replica.server_job(uuid.UUID(job_id))
                    for key in ("status", "version", *FIELDS):
                        assert local[key] == sj[key], (key, local[key], sj[key])
                    for key in ("acknowledged_at", "departed_at", "arrived_at", "started_at"):
                        assert _instant(local[key]) == _instant(sj[key]), key
            # The oracle agrees with the server's final values.
            for (job_id, f), value in self.server_values.items():
                r = await self.world.client.get(f"/api/jobs/{job_id}", headers=office)
                assert r.json()[f] == value, (job_id, f)
            # Every value overwritten by a writer that had not seen it (and had not written it itself)
            # is kept in a conflict record.
            for job_id, f, before, write in self.transitions:
                if write.by_device and write.base_value != before and write.previous != write.writer:
                    assert any(
                        str(c.job_id) == job_id
                        and c.field == f
                        and c.server_value == before
                        and c.device_value == write.value
                        for c in conflicts
                    ), f"{f} on {job_id}: {before!r} overwritten by {write.value!r} without a conflict record"

        self.run(go())


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _run_machine(make_db: Callable[[], str], examples: int) -> None:
    class Machine(SyncMachine):
        pass

    Machine.make_db = staticmethod(make_db)  # type: ignore[assignment]

    original_teardown = Machine.teardown

    def teardown(self: SyncMachine) -> None:
        try:
            self.teardown_checks()
        finally:
            original_teardown(self)

    Machine.teardown = teardown  # type: ignore[method-assign]
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_devices_converge_and_nothing_is_lost_over_a_faulty_network(db_factory: Callable[[], str]) -> None:
    _run_machine(db_factory, int(os.environ.get("LEVEE_PROPERTY_EXAMPLES", "10")))
