"""The push path as a table of golden cases: prior state + one mutation -> outcome, conflicts, changes.

Each row sets a job's columns as a dispatcher, QA or an earlier push would have left them, pushes one
mutation as ``eng1`` through ``/api/sync/push`` on both databases, and states everything the server
decided: the outcome and its reason, every conflict record the mutation left (field, resolution,
reason), which entities went into the change log, and the job columns afterwards. The handlers
(``server/replication/handlers/``) and their rules (``sync/rules.py``, ``sync/merge.py``) are judged
only by what they leave behind, never by their private methods.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from server.db.models import ChangeLog, Conflict, Device, Job, JobAssignment
from server.replication.handlers import HANDLERS
from shared.ids import uuid7
from sync.merge import LOCAL_APPLY
from sync.protocol import ARGS_MODELS, MutationName
from tests.support import World

NOW = datetime.now(UTC)  # only a marker (the office's billing decision); times sent are taken per push
SIGNATURE = "M 10 10 L 40 40 L 80 12"
OLD_SIGNATURE = "M 5 5 L 20 20"

Build = Callable[[str], tuple[str, dict[str, Any]]]


def _event(kind: str) -> Build:
    return lambda job: ("job.event", {"job_id": job, "event_id": str(uuid7()), "type": kind, "at": _at()})


def _edit(base_version: int = 1, **fields: Any) -> Build:
    return lambda job: ("job.edit", {"job_id": job, "base_version": base_version, "fields": fields})


def _answer(code: str, **what: Any) -> Build:
    return lambda job: (
        "checklist.answer",
        {"job_id": job, "result_id": str(uuid7()), "item_code": code, "answered_at": _at(), **what},
    )


def _sign(signature: str = SIGNATURE) -> Build:
    return lambda job: (
        "job.sign",
        {
            "job_id": job,
            "event_id": str(uuid7()),
            "opinion": "同意验收",
            "satisfaction": 5,
            "signature": signature,
            "signed_at": _at(),
        },
    )


def _void() -> Build:
    return lambda job: ("part.void", {"job_id": job, "usage_id": str(uuid7()), "at": _at()})


def _use(part_id: str) -> Build:
    return lambda job: (
        "part.use",
        {"job_id": job, "usage_id": str(uuid7()), "part_id": part_id, "quantity": 1, "used_at": _at()},
    )


def _receive() -> Build:
    return lambda _job: ("shipment.receive", {"shipment_id": str(uuid.UUID(int=9)), "received_at": _at()})


def _lend(unit_id: str) -> Build:
    return lambda job: (
        "loan.lend",
        {"job_id": job, "loan_id": str(uuid7()), "unit_id": unit_id, "lent_at": _at()},
    )


def _return() -> Build:
    return lambda job: ("loan.return", {"job_id": job, "loan_id": str(uuid7()), "returned_at": _at()})


def _quote(signature: str = SIGNATURE) -> Build:
    return lambda job: (
        "quote.make",
        {
            "job_id": job,
            "quote_id": str(uuid7()),
            "lines": [{"kind": "labour", "quantity": "2", "unit_price": "180.00"}],
            "discount_pct": "0",
            "total": "360.00",
            "quoted_at": _at(),
            "signature": signature,
        },
    )


def _at() -> str:
    return (datetime.now(UTC) - timedelta(seconds=30)).isoformat()


OTHER = "eng2"  # a prior ``assigned_engineer_id`` naming a user is resolved to that user's id
OFFICE_EDIT = {"v": 5, "by": "office"}


@dataclass(frozen=True)
class Case:
    name: str
    prior: dict[str, Any]
    mutation: Build
    outcome: str
    reason: str = ""
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # (field, resolution, reason)
    changes: list[str] = field(default_factory=list)  # entities the push logged, sorted
    after: dict[str, Any] = field(default_factory=dict)  # job columns once the push is in
    held_before: bool = True  # whether eng1 held the job before (it was created assigned to eng1)
    message: str | None = None


# fmt: off
CASES = [
    # --- job.event: status moves forward only; the office's hold, cancel and QA close stand
    Case("tap moves the status", {}, _event("acknowledged"), "applied", changes=["job"],
         after={"status": "acknowledged"}),
    Case("tap on a held job is recorded, the hold stays", {"status": "on_hold"}, _event("arrived"),
         "merged", "office_on_hold", [("status", "office_kept", "office_on_hold")], ["conflict", "job"],
         {"status": "on_hold"}),
    Case("tap on a closed job", {"status": "closed"}, _event("started"), "merged", "closed",
         [("status", "office_kept", "closed")], ["conflict", "job"], {"status": "closed"}),
    Case("a bare sign-off tap is refused", {}, _event("signed_off"), "rejected", "unsigned",
         after={"status": "assigned"}),
    Case("a job never held is refused, the refusal recorded", {"assigned_engineer_id": OTHER},
         _event("acknowledged"), "rejected", "not_assigned", [("access", "rejected", "not_assigned")],
         held_before=False),
    Case("a job held before is kept for review", {"assigned_engineer_id": OTHER}, _event("acknowledged"),
         "conflict", "reassigned", [("assigned_engineer_id", "recorded", "reassigned")],
         ["conflict", "job"], {"status": "acknowledged"}),
    # --- job.edit, in the order it decides
    Case("edit lands", {}, _edit(fix="更换机械密封"), "applied", changes=["job"],
         after={"fix": "更换机械密封"}),
    Case("office changed the field since: device wins, conflict", {"field_versions": {"fix": OFFICE_EDIT},
         "fix": "办公室的"}, _edit(fix="现场的"), "conflict", "both_changed",
         [("fix", "device_wins", "both_changed")], ["conflict", "job"], {"fix": "现场的"}),
    Case("own earlier edit is no rival", {"field_versions": {"fix": {"v": 5, "by": "DEVICE"}},
         "fix": "早先的"}, _edit(fix="后来的"), "applied", changes=["job"], after={"fix": "后来的"}),
    Case("office-owned field only: rejected", {}, _edit(severity="major"), "rejected", "server_owned",
         [("severity", "rejected", "server_owned")], ["conflict"], {"severity": "general"}),
    Case("office-owned field beside a descriptive one", {}, _edit(severity="major", notes="带梯子"),
         "conflict", "server_owned", [("severity", "rejected", "server_owned")], ["conflict", "job"],
         {"severity": "general", "notes": "带梯子"}),
    Case("billing the office decided stands", {"billing_override_at": NOW, "billable": True},
         _edit(billable=False), "merged", "office_override", [("billable", "office_kept", "office_override")],
         ["conflict"], {"billable": True}),  # the device's view never showed it: no new job version
    Case("billing against the three-guarantee rule is not applied", {},
         _edit(billable=False, billable_reason="man_made"), "conflict", "warranty_rule",
         [("billable", "rejected", "warranty_rule")], ["conflict", "job"], {"billable": None}),
    Case("QA approved: the form is frozen", {"status": "closed"}, _edit(symptom="改了"), "conflict",
         "qa_approved", [("symptom", "rejected", "qa_approved")], ["conflict", "job"],
         {"symptom": "水泵启动后出水量不足"}),
    Case("QA approved: notes are not frozen", {"status": "closed"}, _edit(notes="补记"), "applied",
         changes=["job"], after={"notes": "补记"}),
    Case("QA approved: frozen and free fields in one edit", {"status": "closed"},
         _edit(cause="老化", notes="补记"), "conflict", "qa_approved", [("cause", "rejected", "qa_approved")],
         ["conflict", "job"], {"cause": "", "notes": "补记"}),
    # --- job.sign
    Case("first signature", {}, _sign(), "applied", changes=["job"],
         after={"signature": SIGNATURE, "status": "signed_off"}),
    Case("signed twice: the new one lands", {"signature": OLD_SIGNATURE}, _sign(), "conflict", "signed_twice",
         [("acceptance", "device_wins", "signed_twice")], ["conflict", "job"], {"signature": SIGNATURE}),
    Case("the same signature again is not signed twice", {"signature": SIGNATURE}, _sign(), "applied",
         changes=["job"], after={"signature": SIGNATURE}),
    Case("QA approved: the acceptance is final", {"status": "closed", "signature": OLD_SIGNATURE}, _sign(),
         "conflict", "qa_approved", [("acceptance", "rejected", "qa_approved")], ["conflict", "job"],
         {"signature": OLD_SIGNATURE, "status": "closed"}),
    # --- checklist.answer
    Case("a reading in range", {}, _answer("insulation", value=2.0), "applied", changes=["job"], message=""),
    Case("a reading out of range is kept and flagged", {}, _answer("insulation", value=0.1), "applied",
         changes=["job"], message="reading is outside the limits and was flagged"),
    Case("a number on a check item is refused", {}, _answer("seal", value=3.0), "rejected", "invalid_answer"),
    Case("an item not on the template is refused", {}, _answer("nozzle", result="ok"), "rejected",
         "unknown_item"),
    # --- parts
    Case("voiding a use that does not exist", {}, _void(), "rejected", "unknown_usage"),
    Case("a part not in the catalogue", {}, _use(str(uuid.UUID(int=7))), "rejected", "unknown_part"),
    # --- backup loans (a unit lent twice: tests/sync/test_loans.py, with a pool)
    Case("lending a unit the pool does not have", {}, _lend(str(uuid.UUID(int=7))), "rejected", "unknown_unit",
         after={"backup_lent": False}),
    Case("returning a loan that does not exist", {}, _return(), "rejected", "unknown_loan"),
    # --- paid repairs (a quote after acceptance, stale prices: tests/server/test_paid_repairs.py)
    Case("a quote on a free repair is refused", {"billable": False}, _quote(), "rejected", "not_billable"),
    Case("a quote on an undecided repair is refused", {}, _quote(), "rejected", "not_billable"),
    Case("a signed quote on a billable repair is accepted", {"billable": True, "billable_reason": "misuse"},
         _quote(), "applied", changes=["job"], after={"billable": True}),
    # --- shipments (received offline, taken back, pending: tests/sync/test_shipments.py)
    Case("receiving a shipment that is not on its way to you", {}, _receive(), "rejected", "unknown_shipment"),
]
# fmt: on


async def _set_prior(world: World, job_id: uuid.UUID, case: Case) -> None:
    values = dict(case.prior)
    if values.get("assigned_engineer_id") in world.users:
        values["assigned_engineer_id"] = world.users[values["assigned_engineer_id"]]
    async with world.app.state.sessionmaker() as s:
        if not case.held_before:  # the job was always someone else's: no assignment of eng1 remains
            await s.execute(
                update(JobAssignment)
                .where(JobAssignment.job_id == job_id)
                .values(engineer_id=world.users[OTHER])
            )
        if "field_versions" in values:  # "DEVICE" is the pushing device (known once it signed in)
            device = await _device_id(world)
            values["field_versions"] = {
                k: {**v, "by": device if v["by"] == "DEVICE" else v["by"]}
                for k, v in values["field_versions"].items()
            }
        if values:
            await s.execute(update(Job).where(Job.id == job_id).values(**values))
        await s.commit()


async def _device_id(world: World) -> str:
    async with world.app.state.sessionmaker() as s:
        device = await s.scalar(select(Device.id).where(Device.user_id == world.users["eng1"]))
    return str(device)


def test_every_mutation_has_its_argument_model_handler_and_local_view() -> None:
    """One registry per side, each complete: a new mutation without a handler or a local view fails."""
    assert set(ARGS_MODELS) == set(HANDLERS) == set(LOCAL_APPLY) == set(MutationName)


def test_the_table_covers_every_mutation() -> None:
    named = {case.mutation(str(uuid.uuid4()))[0] for case in CASES}
    assert named >= {m.value for m in MutationName} - {"photo.add"}  # photos: tests/server/test_hostile_input


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_push_table(world: World, case: Case) -> None:
    headers = await world.login("eng1")  # signs the device in before the prior state names it
    job = await world.create_job(engineer="eng1")
    job_id = uuid.UUID(job["id"])
    await _set_prior(world, job_id, case)
    async with world.app.state.sessionmaker() as s:
        seq_before = await s.scalar(select(func.max(ChangeLog.seq))) or 0
    name, args = case.mutation(str(job_id))
    mutation_id = str(uuid7())
    body = {
        "protocol": 1,
        "device_time": datetime.now(UTC).isoformat(),
        "mutations": [{"id": mutation_id, "client_seq": 1, "name": name, "args": args, "created_at": _at()}],
    }
    r = await world.client.post("/api/sync/push", json=body, headers=headers)
    assert r.status_code == 200, r.text
    [result] = r.json()["results"]
    assert (result["outcome"], result["reason"]) == (case.outcome, case.reason), result["message"]
    if case.message is not None:
        assert result["message"] == case.message
    async with world.app.state.sessionmaker() as s:
        conflicts = (
            await s.scalars(select(Conflict).where(Conflict.mutation_id == uuid.UUID(mutation_id)))
        ).all()
        logged = (await s.scalars(select(ChangeLog).where(ChangeLog.seq > seq_before))).all()
        row = await s.get(Job, job_id)
        assert row is not None
        after = {k: getattr(row, k) for k in case.after}
    assert sorted((c.field, c.resolution, c.reason) for c in conflicts) == sorted(case.conflicts)
    # the refusal of a job never held is recorded, but is no conflict of the (rejected) mutation
    assert set(result["conflict_ids"]) == {str(c.id) for c in conflicts if c.field != "access"}
    assert sorted({entry.entity for entry in logged}) == case.changes
    assert after == case.after
