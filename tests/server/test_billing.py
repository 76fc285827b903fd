"""The three-guarantee (三包) billing rules case by case: the pure table, then every (kind, cause, warranty
state) through the API on both databases: the device's proposal arrives by push, the office overrules it
over HTTP, and a later device edit does not undo the office's decision."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from shared.enums import BillableReason, JobKind
from shared.ids import uuid7
from shared.warranty import (
    CauseCategory,
    WarrantyState,
    add_years,
    propose_billing,
    warranty_end,
    warranty_state,
)
from tests.support import World

TODAY = date(2026, 7, 1)
EXCLUDED = {
    CauseCategory.MAN_MADE: "man_made",
    CauseCategory.FORCE_MAJEURE: "force_majeure",
    CauseCategory.MISUSE: "misuse",
    CauseCategory.MODIFICATION: "modification",
}
CASES = list(itertools.product(JobKind, CauseCategory, WarrantyState))


def expected(kind: JobKind, cause: CauseCategory, state: WarrantyState) -> tuple[bool | None, str | None]:
    """The rules written out by hand (not through propose_billing), one line per rule."""
    if kind is not JobKind.REPAIR:
        return False, "not_a_repair"  # inspection, installation, training, return visit: part of the service
    if cause in EXCLUDED:
        return True, EXCLUDED[cause]  # man-made, force majeure, misuse, modification: paid even in warranty
    if state is WarrantyState.IN_WARRANTY:
        return False, "in_warranty"
    if state is WarrantyState.EXPIRED:
        return True, "out_of_warranty"
    return None, None  # no warranty date: the engineer must decide


END_FOR_STATE = {
    WarrantyState.IN_WARRANTY: TODAY + timedelta(days=30),
    WarrantyState.EXPIRED: TODAY - timedelta(days=1),
    WarrantyState.UNKNOWN: None,
}


@pytest.mark.parametrize(("kind", "cause", "state"), CASES)
def test_the_proposal_follows_the_rules_for_every_kind_cause_and_warranty_state(
    kind: JobKind, cause: CauseCategory, state: WarrantyState
) -> None:
    proposal = propose_billing(kind, cause, END_FOR_STATE[state], TODAY)
    billable, reason = expected(kind, cause, state)
    assert proposal.billable is billable
    assert (proposal.reason.value if proposal.reason else None) == reason


def test_the_last_day_of_the_warranty_is_still_free_and_the_next_is_paid() -> None:
    end = date(2026, 6, 30)
    assert (
        propose_billing(JobKind.REPAIR, CauseCategory.NORMAL, end, end).reason is BillableReason.IN_WARRANTY
    )
    after = propose_billing(JobKind.REPAIR, CauseCategory.NORMAL, end, end + timedelta(days=1))
    assert after.billable is True and after.reason is BillableReason.OUT_OF_WARRANTY


@pytest.mark.parametrize(
    ("delivered", "years", "end"),
    [
        (date(2024, 5, 1), 2, date(2026, 5, 1)),
        (date(2024, 2, 29), 1, date(2025, 2, 28)),  # leap day into a common year
        (date(2024, 2, 29), 4, date(2028, 2, 29)),  # leap day into a leap year
        (date(2023, 12, 31), 3, date(2026, 12, 31)),
        (date(2025, 3, 1), 0, date(2025, 3, 1)),  # no free warranty: only the delivery day
        (None, 2, None),
        (date(2025, 3, 1), None, None),
    ],
)
def test_warranty_end_is_delivery_plus_contract_years(
    delivered: date | None, years: int | None, end: date | None
) -> None:
    assert warranty_end(delivered, years) == end


def test_negative_warranty_years_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        warranty_end(date(2025, 1, 1), -1)
    assert add_years(date(2028, 2, 29), -1) == date(2027, 2, 28)


# --- through the API -------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _edit(job: dict[str, Any], base_version: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid7()),
        "client_seq": 1,
        "name": "job.edit",
        "args": {"job_id": job["id"], "base_version": base_version, "fields": fields},
        "created_at": _now(),
    }


async def _push(world: World, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    r = await world.client.post(
        "/api/sync/push",
        json={"protocol": 1, "device_time": _now(), "mutations": mutations},
        headers=await world.login("eng1"),
    )
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


async def _equipment(world: World) -> dict[WarrantyState, tuple[str, date | None]]:
    """Three pumps at the world's site, one per warranty state, ends computed by the server."""
    admin = await world.login("admin")
    today = datetime.now(UTC).date()
    bodies = {
        WarrantyState.IN_WARRANTY: {"delivered_on": (today - timedelta(days=200)).isoformat()},
        WarrantyState.EXPIRED: {"delivered_on": add_years(today, -3).isoformat()},
        WarrantyState.UNKNOWN: {},
    }
    out = {}
    for state, extra in bodies.items():
        r = await world.client.post(
            "/api/equipment",
            json={
                "site_id": str(world.site_id),
                "category": "drainage_pump",
                "model": "QSZ-800",
                "serial_no": f"B-{state.value}",
                **extra,
            },
            headers=admin,
        )
        assert r.status_code == 201, r.text
        item = r.json()
        delivered = extra.get("delivered_on")
        assert item["warranty_end"] == (
            add_years(date.fromisoformat(delivered), 2).isoformat() if delivered else None
        )  # the customer's contract: 2 years
        end = date.fromisoformat(item["warranty_end"]) if item["warranty_end"] else None
        assert warranty_state(end, today) is state
        out[state] = (item["id"], end)
    return out


def _office_flip(billable: bool | None, reason: str | None) -> tuple[bool, str]:
    """A decision the office might make against the field's value."""
    if billable:
        return False, reason or "out_of_warranty"  # waived: same reason, free of charge
    if reason == "in_warranty":
        return True, "misuse"  # the office found misuse the engineer missed
    return True, reason or "out_of_warranty"  # e.g. training outside the contract, billed


@pytest.mark.parametrize("kind", list(JobKind))
async def test_every_cause_and_warranty_state_through_push_then_the_office_overrides(
    world: World, kind: JobKind
) -> None:
    equipment = await _equipment(world)
    qa = await world.login("qa")
    jobs: dict[tuple[CauseCategory, WarrantyState], dict[str, Any]] = {}
    for cause, state in itertools.product(CauseCategory, WarrantyState):
        jobs[(cause, state)] = await world.create_job(
            engineer="eng1", kind=kind.value, equipment_id=equipment[state][0]
        )

    # the device proposes (as the field app does) and the engineer confirms; with no warranty date the
    # engineer decides, and here judges it paid
    today = datetime.now(UTC).date()
    proposed: dict[tuple[CauseCategory, WarrantyState], tuple[bool, str]] = {}
    edits = []
    for (cause, state), job in jobs.items():
        proposal = propose_billing(kind, cause, equipment[state][1], today)
        want = expected(kind, cause, state)
        assert (proposal.billable, proposal.reason.value if proposal.reason else None) == want
        billable, reason = (want[0], want[1]) if want[0] is not None else (True, "out_of_warranty")
        assert reason is not None
        proposed[(cause, state)] = (bool(billable), reason)
        edits.append(_edit(job, job["version"], billable=billable, billable_reason=reason, cause="现场判断"))
    results = await _push(world, edits)
    assert {r["outcome"] for r in results} == {"applied"}

    for key, job in jobs.items():
        r = await world.client.get(f"/api/jobs/{job['id']}", headers=qa)
        body = r.json()
        assert (body["billable"], body["billable_reason"]) == proposed[key], key
        assert body["billing_override_at"] is None

    # the office overrules every one of them
    decided: dict[tuple[CauseCategory, WarrantyState], tuple[bool, str]] = {}
    for key, job in jobs.items():
        billable, reason = _office_flip(*proposed[key])
        r = await world.client.post(
            f"/api/jobs/{job['id']}/billing",
            json={"billable": billable, "reason": reason, "note": "经核实，按合同条款处理"},
            headers=qa,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["billable"], body["billable_reason"]) == (billable, reason)
        assert body["billing_override_at"] and body["billing_override_by"] == str(world.users["qa"])
        decided[key] = (billable, reason)

    # the engineer's device, offline meanwhile, sends its proposal again: the office's decision stands
    again = [
        _edit(job, job["version"], billable=proposed[k][0], billable_reason=proposed[k][1])
        for k, job in jobs.items()
    ]
    results = await _push(world, again)
    assert {(r["outcome"], r["reason"]) for r in results} == {("merged", "office_override")}
    assert all(len(r["conflict_ids"]) >= 1 for r in results)
    for key, job in jobs.items():
        body = (await world.client.get(f"/api/jobs/{job['id']}", headers=qa)).json()
        assert (body["billable"], body["billable_reason"]) == decided[key], key


async def test_the_device_pulls_the_office_decision_and_a_stale_edit_is_a_reviewable_conflict(
    world: World,
) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await world.login("eng1")
    [first] = await _push(world, [_edit(job, job["version"], billable=False, billable_reason="in_warranty")])
    assert first["outcome"] == "applied"
    manager = await world.login("manager")
    r = await world.client.post(
        f"/api/jobs/{job['id']}/billing",
        json={"billable": True, "reason": "man_made", "note": "照片显示外壳被撬，属人为损坏"},
        headers=manager,
    )
    assert r.status_code == 200, r.text

    pulled = await world.client.post("/api/sync/pull", json={"cursor": None, "limit": 2000}, headers=eng)
    [doc] = [c["data"] for c in pulled.json()["changes"] if c["entity"] == "job" and c["id"] == job["id"]]
    assert doc["billable"] is True and doc["billable_reason"] == "man_made"
    assert doc["billing_override_note"] == "照片显示外壳被撬，属人为损坏" and doc["billing_override_at"]

    # an edit of the same value is agreement, not a conflict; other fields of a losing edit still land
    [same] = await _push(world, [_edit(job, doc["version"], billable=True, billable_reason="man_made")])
    assert same["outcome"] == "applied" and same["conflict_ids"] == []
    [mixed] = await _push(world, [_edit(job, doc["version"], billable=False, fix="更换机械密封")])
    assert mixed["outcome"] == "merged" and mixed["reason"] == "office_override"
    after = (await world.client.get(f"/api/jobs/{job['id']}", headers=manager)).json()
    assert after["billable"] is True and after["fix"] == "更换机械密封"

    conflicts = (await world.client.get("/api/conflicts", headers=manager)).json()
    rows = [c for c in conflicts["items"] if c["job_id"] == job["id"]]
    assert [
        (c["field"], c["resolution"], c["reason"], c["device_value"], c["server_value"]) for c in rows
    ] == [("billable", "office_kept", "office_override", False, True)]
    audit = [e for e in await _audit(world, job["id"]) if e["action"] == "job.billing_override"]
    assert len(audit) == 1 and audit[0]["detail"]["before"]["billable"] is False


async def test_the_conflict_queue_cannot_change_billing_behind_the_billing_decision(world: World) -> None:
    """Billing is overruled only by the billing decision (manager, QA, admin, with a reason): a dispatcher
    overriding a billing conflict in the review queue is refused and nothing changes."""
    job = await world.create_job(engineer="eng1")
    manager = await world.login("manager")
    r = await world.client.post(
        f"/api/jobs/{job['id']}/billing",
        json={"billable": True, "reason": "misuse", "note": "用户超负荷运行"},
        headers=manager,
    )
    assert r.status_code == 200, r.text
    [lost] = await _push(world, [_edit(job, job["version"], billable=False, billable_reason="in_warranty")])
    assert len(lost["conflict_ids"]) == 2  # billable and billable_reason both lost
    conflict_id = lost["conflict_ids"][0]
    for username in ("dispatcher", "manager"):
        r = await world.client.post(
            f"/api/conflicts/{conflict_id}/override",
            json={"value": False, "note": "按保修处理"},
            headers=await world.login(username),
        )
        assert r.status_code == 409, r.text
        assert "/billing" in r.json()["detail"]
    after = (await world.client.get(f"/api/jobs/{job['id']}", headers=manager)).json()
    assert after["billable"] is True and after["billable_reason"] == "misuse"
    r = await world.client.post(
        f"/api/conflicts/{conflict_id}/accept", json={"note": "维持收费决定"}, headers=manager
    )
    assert r.status_code == 200, r.text


async def _audit(world: World, entity_id: str) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from server.db.models import AuditEntry

    async with world.app.state.sessionmaker() as s:
        rows = (await s.scalars(select(AuditEntry).where(AuditEntry.entity_id == entity_id))).all()
        return [{"action": r.action, "detail": r.detail, "user_id": r.user_id} for r in rows]


@pytest.mark.parametrize(
    ("username", "status"),
    [("qa", 200), ("manager", 200), ("admin", 200), ("dispatcher", 403), ("warehouse", 403), ("eng1", 403)],
)
async def test_who_may_overrule_billing(world: World, username: str, status: int) -> None:
    job = await world.create_job(engineer="eng1")
    r = await world.client.post(
        f"/api/jobs/{job['id']}/billing",
        json={"billable": False, "reason": "out_of_warranty", "note": "老客户，免费处理一次"},
        headers=await world.login(username),
    )
    assert r.status_code == status, r.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"billable": True, "reason": "out_of_warranty", "note": "   "}, "note"),
        ({"billable": True, "reason": "out_of_warranty"}, "note"),
        ({"billable": True, "reason": "in_warranty", "note": "收费"}, "in_warranty"),
        ({"billable": True, "reason": "goodwill", "note": "收费"}, "reason"),
        ({"billable": "maybe", "reason": "man_made", "note": "收费"}, "billable"),
    ],
)
async def test_a_bad_billing_decision_is_refused_with_a_reason_and_changes_nothing(
    world: World, body: dict[str, Any], field: str
) -> None:
    job = await world.create_job(engineer="eng1")
    r = await world.client.post(f"/api/jobs/{job['id']}/billing", json=body, headers=await world.login("qa"))
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in r.text
    after = (await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("qa"))).json()
    assert after["version"] == job["version"] and after["billing_override_at"] is None


async def test_billing_of_a_missing_or_cancelled_job_is_refused(world: World) -> None:
    qa = await world.login("qa")
    body = {"billable": True, "reason": "misuse", "note": "违规操作"}
    missing = await world.client.post(f"/api/jobs/{uuid.uuid4()}/billing", json=body, headers=qa)
    assert missing.status_code == 404
    job = await world.create_job(engineer="eng1")
    r = await world.client.post(
        f"/api/jobs/{job['id']}/cancel",
        json={"reason": "客户撤销报修"},
        headers=await world.login("dispatcher"),
    )
    assert r.status_code == 200
    cancelled = await world.client.post(f"/api/jobs/{job['id']}/billing", json=body, headers=qa)
    assert cancelled.status_code == 409


# --- the server judges the device's billing by the same rule (issue 11, item 5) ----------------------

CONTRADICTIONS = [
    # (kind, warranty state, what the device sent, what the rule proposes)
    (JobKind.REPAIR, WarrantyState.IN_WARRANTY, (False, "man_made"), (True, "man_made")),
    (JobKind.REPAIR, WarrantyState.EXPIRED, (False, "misuse"), (True, "misuse")),
    (JobKind.REPAIR, WarrantyState.EXPIRED, (False, "in_warranty"), (True, "out_of_warranty")),
    (JobKind.REPAIR, WarrantyState.IN_WARRANTY, (True, "out_of_warranty"), (False, "in_warranty")),
    (JobKind.REPAIR, WarrantyState.IN_WARRANTY, (True, "in_warranty"), (False, "in_warranty")),
    (JobKind.REPAIR, WarrantyState.UNKNOWN, (True, "in_warranty"), (None, None)),
    (JobKind.REPAIR, WarrantyState.UNKNOWN, (False, "not_a_repair"), (None, None)),
    (JobKind.TRAINING, WarrantyState.IN_WARRANTY, (True, "man_made"), (False, "not_a_repair")),
    (JobKind.INSPECTION, WarrantyState.EXPIRED, (True, "out_of_warranty"), (False, "not_a_repair")),
]


@pytest.mark.parametrize(("kind", "state", "sent", "rule"), CONTRADICTIONS)
async def test_a_billing_that_contradicts_the_warranty_rule_is_a_reviewable_conflict_not_applied(
    world: World,
    kind: JobKind,
    state: WarrantyState,
    sent: tuple[bool, str],
    rule: tuple[bool | None, str | None],
) -> None:
    equipment = await _equipment(world)
    job = await world.create_job(engineer="eng1", kind=kind.value, equipment_id=equipment[state][0])
    manager = await world.login("manager")
    [result] = await _push(
        world, [_edit(job, job["version"], billable=sent[0], billable_reason=sent[1], fix="更换叶轮")]
    )
    assert (result["outcome"], result["reason"]) == ("conflict", "warranty_rule"), result
    after = (await world.client.get(f"/api/jobs/{job['id']}", headers=manager)).json()
    assert (after["billable"], after["billable_reason"]) == (None, None)  # not applied ...
    assert after["fix"] == "更换叶轮"  # ... while the rest of the edit landed
    rows = [
        c
        for c in (await world.client.get("/api/conflicts", headers=manager)).json()["items"]
        if c["job_id"] == job["id"]
    ]
    assert [(c["field"], c["resolution"], c["reason"], c["status"]) for c in rows] == [
        ("billable", "rejected", "warranty_rule", "open")
    ]
    assert rows[0]["device_value"] == {"billable": sent[0], "billable_reason": sent[1]}
    assert rows[0]["server_value"] == {"billable": rule[0], "billable_reason": rule[1]}
    assert result["conflict_ids"] == [rows[0]["id"]]
    # the office reviews it: accepting keeps the job as it is; the billing decision settles it
    r = await world.client.post(
        f"/api/conflicts/{rows[0]['id']}/accept", json={"note": "按三包规则"}, headers=manager
    )
    assert r.status_code == 200, r.text


async def test_a_billing_edit_half_consistent_with_the_job_is_judged_with_what_the_job_holds(
    world: World,
) -> None:
    """Sending only ``billable`` is judged with the reason the job already has: free after the engineer
    recorded man-made damage is refused, paid is applied; a resend of the same agreed value is no conflict."""
    equipment = await _equipment(world)
    job = await world.create_job(engineer="eng1", equipment_id=equipment[WarrantyState.IN_WARRANTY][0])
    [first] = await _push(world, [_edit(job, job["version"], billable=True, billable_reason="man_made")])
    assert first["outcome"] == "applied" and first["conflict_ids"] == []
    [free] = await _push(world, [_edit(job, job["version"] + 1, billable=False)])
    assert (free["outcome"], free["reason"]) == ("conflict", "warranty_rule")
    after = (await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("qa"))).json()
    assert (after["billable"], after["billable_reason"]) == (True, "man_made")
    [again] = await _push(world, [_edit(job, after["version"], billable=True)])
    assert again["outcome"] == "applied" and again["conflict_ids"] == []
