"""Property-based sync test: devices and the office change things at random over a faulty network.

Three devices (two of one engineer) tap the timeline up to resolving, answer the checklist, use and
void parts, edit the job's fields and take the customer's signature (both of one engineer's devices may
sign the same job); the office edits, reassigns, holds and resumes, and corrects the customers, sites
and pumps the jobs are at (two of each, so a reassigned job can bring a device ones new to it). The
network drops requests, drops responses after the server committed, duplicates deliveries and replays
old ones out of order; the server restarts.

After every step: each mutation a device acknowledged (it received the server's answer) is on the
server once, with the answer's outcome and its effect (the event, the part use, the void, the answer,
the signature); a refused one left nothing behind and is shown on the device; and no mutation left a
device's outbox without an answer the device received. At the end, with the network healed, every
device holds exactly the server's documents (its jobs and their customers, sites and pumps), every value
overwritten by a writer that had not seen it is in a conflict record, and the oracle of field values
agrees with the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from pydantic_core import from_json, to_json
from sqlalchemy import select

from mobile.replica.store import Replica
from mobile.services.jobs import ActionError, JobActions
from mobile.services.sync import SyncRunner
from server.db.engine import make_engine
from server.db.models import ChecklistResult, Conflict, Equipment, Job, JobEvent, JobPart, Part
from server.db.models import Mutation as MutationRow
from server.replication.documents import job_documents, reference_documents
from server.settings import Settings
from shared.enums import CheckResult, JobEventType
from sync.protocol import Mutation, MutationName, MutationResult, Outcome, PushResponse
from tests.properties import STEPS, examples
from tests.support import PASSWORD, World, populate, release_app, reuse_app

ENGINEERS = ("eng1", "eng2")
DEVICES = (("eng1", "tablet"), ("eng1", "phone"), ("eng2", "tablet"))
FIELDS = ("cause", "fix", "notes", "symptom")
WORDS = ("叶轮堵塞", "电缆破损", "更换密封", "控制箱进水", "已恢复", "")
FAULTS = ("ok", "ok", "drop_request", "drop_response", "duplicate")
#: The taps a device makes: the timeline up to resolving (signing off is the signature's own mutation).
TAPS = [t for t in JobEventType if t is not JobEventType.SIGNED_OFF]
#: The checklist of the world's pump (tests/support.py): a reading with a lower limit and two checks.
ITEMS = ("insulation", "seal", "noise")
READINGS = (0.2, 1.5, 20.0)
SIGNATURES = ("M 10 10 L 90 40", "M 5 60 L 80 20 L 120 70", "M 0 0 L 50 50")
#: What the office edits on a job that devices write too, with values to draw from. The office edits on
#: the version its screen last showed (``office_look``): a field changed since is refused with 409, so an
#: office write never replaces a value the office had not seen (checked at the end).
OFFICE_EDITS: dict[str, tuple[str, ...]] = {"symptom": WORDS[:-1]}
#: What the office changes on the places jobs refer to (each device holds those of its jobs' only).
PLACE_EDITS = {"customers": "contact_name", "sites": "address", "equipment": "model"}
PLACE_WORDS = ("王主任", "城东路 1 号", "QSZ-2000 潜水排涝泵", "李工")


class FaultyNet(httpx.AsyncBaseTransport):
    """Delivers to the current server, or misbehaves as told for the next request.

    Keeps every push answer the device received (``answers``): what the device may know of its work.
    """

    def __init__(self, target: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self.target = target
        self.fault = "ok"
        self.sent_pushes: list[bytes] = []
        self.answers: dict[uuid.UUID, MutationResult] = {}

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
        if request.url.path == "/api/sync/push" and response.status_code == 200:
            for result in PushResponse.model_validate_json(response.content).results:
                self.answers[result.id] = result
        return response


@dataclass
class Handset:
    username: str
    replica: Replica
    actions: JobActions
    runner: SyncRunner
    net: FaultyNet
    token: str
    device_id: uuid.UUID
    #: every mutation this device recorded
    made: dict[uuid.UUID, Mutation] = field(default_factory=dict)
    #: the ones the server acknowledged, with the outcome in the answer the device received
    acked: dict[uuid.UUID, Outcome] = field(default_factory=dict)
    #: the ones the server refused, as the device was told
    refused: set[uuid.UUID] = field(default_factory=set)

    def keep(self, mutation: Mutation) -> Mutation:
        self.made[mutation.id] = mutation
        return mutation

    def take_answers(self) -> None:
        """What the device was told: acknowledged (any outcome but rejected) or refused."""
        for mutation_id, result in self.net.answers.items():
            if result.outcome is Outcome.REJECTED:
                self.refused.add(mutation_id)
            else:
                self.acked[mutation_id] = result.outcome


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
        #: per job, what the office's screen shows: the version and the values of OFFICE_EDITS fields
        self.office_seen: dict[str, tuple[int, dict[str, Any]]] = {}
        self.office_refusals = 0

    # --- plumbing --------------------------------------------------------------------------------

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    async def _engine(self) -> Any:
        return make_engine(self.url)

    async def _start_app(self) -> Any:
        """A server process starting: a fresh app state (notifier, epoch) over the same database."""
        app = reuse_app(
            Settings(data_dir=self.tmp, database_url=self.url, schedule_interval_s=0), self.engine
        )
        for hook in app.on_startup:
            await hook(app)
        return app

    async def _stop_app(self, app: Any) -> None:
        """What a process exit does to its PostgreSQL listener and schedule runner (the engine stays:
        the next server uses the same database); the app goes back to the pool."""
        for key in ("listener", "schedule_runner"):
            task = getattr(app.state, key, None)
            if task is not None:
                await task.stop()
        release_app(app)

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
            await self._stop_app(self.app)
            # what asyncio.run does before it closes a loop: a request the faulty network abandoned
            # may still be running in the app; it is cancelled and awaited here, so no aiosqlite
            # worker thread finishes a statement for a loop that is already closed
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await self.engine.dispose()

        self.run(close())
        self.run(self.loop.shutdown_asyncgens())
        self.run(self.loop.shutdown_default_executor())
        self.loop.close()
        shutil.rmtree(self.tmp, ignore_errors=True)  # the devices' replicas of this example

    # --- set-up ----------------------------------------------------------------------------------

    @initialize(n_jobs=st.integers(min_value=2, max_value=4))
    def setup(self, n_jobs: int) -> None:
        async def go() -> None:
            async with self.app.state.sessionmaker() as s:  # a second part for the pump
                self.parts = [self.world.part_id, uuid.uuid4()]
                # a pump at the other customer's site: jobs 1 and 2 are there, so a job reassigned
                # brings an engineer a customer, site and equipment new to their devices
                self.other_equipment = uuid.uuid4()
                s.add(
                    Equipment(
                        id=self.other_equipment,
                        site_id=self.world.other_site_id,
                        category="drainage_pump",
                        model="QSZ-1500 潜水排涝泵",
                        serial_no="DP-0002",
                    )
                )
                s.add(
                    Part(
                        id=self.parts[1],
                        code="P-DP-002",
                        name="叶轮",
                        unit="个",
                        unit_price=1200.0,
                        categories=["drainage_pump"],
                    )
                )
                await s.commit()
            for i in range(n_jobs):
                place = (
                    {
                        "customer_id": str(self.world.other_customer_id),
                        "site_id": str(self.world.other_site_id),
                        "equipment_id": str(self.other_equipment),
                    }
                    if i in (1, 2)
                    else {}
                )
                job = await self.world.create_job(engineer=ENGINEERS[i % 2], kind="repair", **place)
                self.jobs.append(job["id"])
                for f in FIELDS:
                    self.server_values[(job["id"], f)] = job.get(f, "")
                # the dispatcher who opened the call keeps it on screen as it was then
                self.office_seen[job["id"]] = (job["version"], {f: job[f] for f in OFFICE_EDITS})
            for username, name in DEVICES:
                r = await self.world.client.post(
                    "/api/auth/login", json={"username": username, "password": PASSWORD, "device_name": name}
                )
                token, device_id = r.json()["token"], uuid.UUID(r.json()["device_id"])
                net = FaultyNet(self._transport)
                replica = Replica(self.tmp / f"{username}-{name}.db")
                runner = SyncRunner(replica, "http://levee.test", token, transport=net)
                self.handsets.append(
                    Handset(username, replica, JobActions(replica), runner, net, token, device_id)
                )
            for h in self.handsets:
                await self._sync(h)

        self.run(go())

    # --- device rules --------------------------------------------------------------------------

    def _job_on(self, h: Handset, index: int) -> uuid.UUID | None:
        ids = sorted(h.replica.job_ids())
        return ids[index % len(ids)] if ids else None

    @rule(d=st.integers(0, 2), j=st.integers(0, 3), event=st.sampled_from(TAPS))
    def tap(self, d: int, j: int, event: JobEventType) -> None:
        """A timeline tap, resolving included (once the required checklist items are answered)."""
        h = self.handsets[d]
        job_id = self._job_on(h, j)
        if job_id is not None:
            with contextlib.suppress(ActionError):
                h.keep(h.actions.tap(job_id, event))

    @rule(d=st.integers(0, 2), j=st.integers(0, 3), f=st.sampled_from(FIELDS), value=st.sampled_from(WORDS))
    def edit(self, d: int, j: int, f: str, value: str) -> None:
        h = self.handsets[d]
        job_id = self._job_on(h, j)
        if job_id is None:
            return
        base = (h.replica.server_job(job_id) or {}).get(f, "")
        mutation = h.keep(h.actions.edit(job_id, **{f: value}))
        self.base_values[mutation.id] = {f: base}

    @rule(
        d=st.integers(0, 2),
        j=st.integers(0, 3),
        item=st.sampled_from(ITEMS),
        result=st.sampled_from(list(CheckResult)),
        reading=st.sampled_from(READINGS),
        note=st.sampled_from(WORDS),
    )
    def answer(self, d: int, j: int, item: str, result: CheckResult, reading: float, note: str) -> None:
        """A checklist answer: a reading (in or out of its limits) or a check's result, with a note."""
        h = self.handsets[d]
        job_id = self._job_on(h, j)
        if job_id is None:
            return
        if item == "insulation":
            mutation, _ = h.actions.answer(job_id, item, value=reading, note=note)
        else:
            mutation, _ = h.actions.answer(job_id, item, result=result, note=note)
        h.keep(mutation)

    @rule(d=st.integers(0, 2), j=st.integers(0, 3), part=st.integers(0, 1), qty=st.integers(1, 3))
    def use_part(self, d: int, j: int, part: int, qty: int) -> None:
        h = self.handsets[d]
        job_id = self._job_on(h, j)
        if job_id is not None:
            h.keep(h.actions.use_part(job_id, self.parts[part], qty, old_part_returned=qty == 2))

    @rule(d=st.integers(0, 2), j=st.integers(0, 3), pick=st.integers(0, 1000))
    def void_part(self, d: int, j: int, pick: int) -> None:
        """Void a part use the device shows on the job (its own, not yet sent, or one it pulled)."""
        h = self.handsets[d]
        job_id = self._job_on(h, j)
        if job_id is None:
            return
        live = [p for p in (h.replica.job(job_id) or {}).get("parts", []) if p.get("voided_at") is None]
        if live:
            usage = live[pick % len(live)]
            h.keep(h.actions.void_part(job_id, uuid.UUID(usage["id"])))

    @rule(d=st.integers(0, 2), j=st.integers(0, 3), satisfaction=st.integers(1, 5))
    def sign(self, d: int, j: int, satisfaction: int) -> None:
        """The customer signs on this device once the job shows as resolved there (eng1's two devices
        may both take a signature for the same job)."""
        h = self.handsets[d]
        job_id = self._job_on(h, j)
        if job_id is None:
            return
        with contextlib.suppress(ActionError):
            h.keep(
                h.actions.sign(
                    job_id, satisfaction=satisfaction, signature=SIGNATURES[d], opinion=WORDS[satisfaction]
                )
            )

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

    async def _office_look(self, job_id: str) -> None:
        r = await self.world.client.get(f"/api/jobs/{job_id}", headers=await self.world.login("dispatcher"))
        assert r.status_code == 200, r.text
        job = r.json()
        self.office_seen[job_id] = (job["version"], {f: job[f] for f in OFFICE_EDITS})

    @rule(j=st.integers(0, 3))
    def office_look(self, j: int) -> None:
        """The office opens the job: its screen shows this version until it looks again."""
        self.run(self._office_look(self.jobs[j % len(self.jobs)]))

    @rule(j=st.integers(0, 3), f=st.sampled_from(sorted(OFFICE_EDITS)), pick=st.integers(0, 1000))
    def office_edit(self, j: int, f: str, pick: int) -> None:
        job_id = self.jobs[j % len(self.jobs)]
        value = OFFICE_EDITS[f][pick % len(OFFICE_EDITS[f])]

        async def go() -> None:
            await self._record_server_writes()  # the oracle is up to date before the office writes
            if job_id not in self.office_seen:
                await self._office_look(job_id)
            version, seen = self.office_seen[job_id]
            before = self.server_values[(job_id, f)]
            r = await self.world.client.patch(
                f"/api/jobs/{job_id}",
                json={f: value, "base_version": version},
                headers=await self.world.login("dispatcher"),
            )
            if r.status_code == 409:  # changed since the office looked: nothing applied, it looks again
                self.office_refusals += 1
                assert r.json()["current"] == {f: before}, r.text
                await self._office_look(job_id)
                return
            assert r.status_code == 200, r.text
            if value != before:
                self.transitions.append(
                    (
                        job_id,
                        f,
                        before,
                        Write(
                            value,
                            seen[f],
                            by_device=False,
                            previous=self.last_writer.get((job_id, f), "office"),
                        ),
                    )
                )
                self.server_values[(job_id, f)] = value
                self.last_writer[(job_id, f)] = "office"
            job = r.json()
            self.office_seen[job_id] = (job["version"], {k: job[k] for k in OFFICE_EDITS})

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

    @rule(j=st.integers(0, 3), what=st.sampled_from(sorted(PLACE_EDITS)), value=st.sampled_from(PLACE_WORDS))
    def office_edit_place(self, j: int, what: str, value: str) -> None:
        """The office corrects the customer, site or pump of a job (every device holding it must follow)."""
        job_id = self.jobs[j % len(self.jobs)]

        async def go() -> None:
            headers = await self.world.login("dispatcher")
            job = (await self.world.client.get(f"/api/jobs/{job_id}", headers=headers)).json()
            place = {
                "customers": job["customer_id"],
                "sites": job["site_id"],
                "equipment": job["equipment_id"],
            }
            r = await self.world.client.patch(
                f"/api/{what}/{place[what]}", json={PLACE_EDITS[what]: value}, headers=headers
            )
            assert r.status_code == 200, r.text

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
        self.run(self._stop_app(self.app))
        self.app = self.run(self._start_app())
        self.world.client = self._office_client()
        self.world.app = self.app
        self.run(old_client.aclose())

    # --- bookkeeping -----------------------------------------------------------------------------

    async def _sync(self, h: Handset) -> None:
        await h.runner.sync_once()
        h.take_answers()
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
    def acknowledged_work_is_on_the_server_once_and_nothing_else_left_an_outbox(self) -> None:
        self.run(self._check_acknowledged())

    async def _check_acknowledged(self) -> None:
        async with self.app.state.sessionmaker() as s:
            stored = {m.id: m for m in (await s.scalars(select(MutationRow))).all()}
            events = {e.id: e for e in (await s.scalars(select(JobEvent))).all()}
            usages = {p.id: p for p in (await s.scalars(select(JobPart))).all()}
            answers = {(a.job_id, a.item_code) for a in (await s.scalars(select(ChecklistResult))).all()}
            signed = {j.id for j in (await s.scalars(select(Job).where(Job.signature != ""))).all()}
        made = {mid for h in self.handsets for mid in h.made}
        assert set(stored) <= made, "the server holds a mutation no device made"
        for h in self.handsets:
            pending = {m.id for m in h.replica.pending(1_000_000)}
            # Nothing left the outbox without an answer the device received...
            unanswered = set(h.made) - pending - set(h.acked) - h.refused
            assert not unanswered, f"{len(unanswered)} mutation(s) left {h.username}'s outbox unanswered"
            # ...an answered one is not sent again, and a refusal stays on the device, visible.
            assert not pending & (set(h.acked) | h.refused)
            assert {r.mutation.id for r in h.replica.rejections()} == h.refused
            for mutation_id, outcome in h.acked.items():
                row = stored.get(mutation_id)
                assert row is not None, f"acknowledged {h.made[mutation_id].name} is not on the server"
                assert (row.outcome, row.device_id) == (outcome.value, h.device_id)
                assert _effect_present(h.made[mutation_id], events, usages, answers, signed), (
                    f"acknowledged {row.name} ({row.outcome}) left no trace: {row.args}"
                )
            for mutation_id in h.refused:
                assert stored[mutation_id].outcome == Outcome.REJECTED.value
                assert not _effect_present(h.made[mutation_id], events, usages, answers, signed, own=True)

    def teardown_checks(self) -> None:
        """Heal the network, sync everyone twice, then check convergence and the books."""

        async def go() -> None:
            for _ in range(2):
                for h in self.handsets:
                    h.net.fault = "ok"
                    assert await h.runner.sync_once(), h.runner.status.last_error
                    h.take_answers()
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
                assert set(h.made) == set(h.acked) | h.refused  # every mutation was answered
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
                async with self.app.state.sessionmaker() as s:
                    documents = await job_documents(s, [uuid.UUID(i) for i in server_jobs])
                    # each job's customer, site and pump on the device, as the server has them now
                    for name in ("customer", "site", "equipment"):
                        ids = {uuid.UUID(j[f"{name}_id"]) for j in server_jobs.values() if j[f"{name}_id"]}
                        for ref_id, doc in (await reference_documents(s, name, sorted(ids))).items():
                            held = h.replica.reference(name, ref_id)
                            assert held == from_json(to_json(doc)), (h.username, name, held, doc)
                for job_id, sj in server_jobs.items():
                    local = h.replica.job(uuid.UUID(job_id))
                    assert local == h.replica.server_job(uuid.UUID(job_id))
                    # the whole document: events, checklist, parts and voids, signature, times
                    assert _comparable(local) == _comparable(documents[uuid.UUID(job_id)]), job_id
                    for key in ("status", "version", *FIELDS):
                        assert local[key] == sj[key], (key, local[key], sj[key])
                    for key in ("acknowledged_at", "departed_at", "arrived_at", "started_at"):
                        assert _instant(local[key]) == _instant(sj[key]), key
            # The oracle agrees with the server's final values.
            for (job_id, f), value in self.server_values.items():
                r = await self.world.client.get(f"/api/jobs/{job_id}", headers=office)
                assert r.json()[f] == value, (job_id, f)
            # The office never replaced a value it had not seen: a stale edit was refused instead.
            for job_id, f, before, write in self.transitions:
                if not write.by_device:
                    assert write.base_value == before, (
                        f"the office replaced {f} {before!r} on {job_id} without having seen it"
                    )
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


def _effect_present(
    mutation: Mutation,
    events: dict[uuid.UUID, JobEvent],
    usages: dict[uuid.UUID, JobPart],
    answers: set[tuple[uuid.UUID, str]],
    signed: set[uuid.UUID],
    *,
    own: bool = False,
) -> bool:
    """Whether the server shows what ``mutation`` does: its event, part use, void, answer, signature.

    With ``own``, only what no other mutation could have left (the rows keyed by the mutation's own
    ids), to check that a refused mutation left nothing behind. An edit's effect is its stored row:
    which value stands is the merge rules' business, checked at the end against the oracle.
    """
    args = mutation.args
    job_id = uuid.UUID(args["job_id"])
    if mutation.name in (MutationName.JOB_EVENT, MutationName.JOB_SIGN):
        event = events.get(uuid.UUID(args["event_id"]))
        kind = args["type"] if mutation.name is MutationName.JOB_EVENT else JobEventType.SIGNED_OFF.value
        present = event is not None and (event.job_id, event.type) == (job_id, kind)
        if own or mutation.name is MutationName.JOB_EVENT:
            return present
        return present and job_id in signed
    if mutation.name is MutationName.PART_USE:
        return uuid.UUID(args["usage_id"]) in usages
    if own:
        return False
    if mutation.name is MutationName.PART_VOID:
        usage = usages.get(uuid.UUID(args["usage_id"]))
        return usage is not None and usage.voided_at is not None
    if mutation.name is MutationName.CHECKLIST_ANSWER:
        return (job_id, args["item_code"]) in answers
    return mutation.name is MutationName.JOB_EDIT


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """A job document as JSON carries it, its lists in id order (their order is not the point here)."""
    plain: dict[str, Any] = from_json(to_json(doc))
    for key, value in plain.items():
        if isinstance(value, list) and all(isinstance(v, dict) and "id" in v for v in value):
            plain[key] = sorted(value, key=lambda v: str(v["id"]))
    return plain


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
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


@pytest.mark.property
def test_devices_converge_and_nothing_is_lost_over_a_faulty_network(db_factory: Callable[[], str]) -> None:
    _run_machine(db_factory, examples(10))
