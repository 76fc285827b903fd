"""QA approval (质管审核) refuses a form that lacks what it requires, for every job kind, through HTTP on
both databases (issue 11 item 6, issue 19 item 8): the required checklist items, the customer's
signature and the satisfaction rating, each named in the 409."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.acceptance import ACCEPTANCE_KINDS
from shared.enums import JobKind
from shared.ids import uuid7
from tests.support import World

#: the world's drainage pump checklist (tests/support.py) for repairs and inspections: two required items
REQUIRED = {JobKind.REPAIR: ["insulation", "seal"], JobKind.INSPECTION: ["insulation", "seal"]}


def _now() -> str:
    return datetime.now(UTC).isoformat()


def mutation(name: str, **args: Any) -> dict[str, Any]:
    return {"id": str(uuid7()), "client_seq": 1, "name": name, "args": args, "created_at": _now()}


def event(job_id: str, kind: str) -> dict[str, Any]:
    return mutation("job.event", job_id=job_id, event_id=str(uuid7()), type=kind, at=_now())


def answer(job_id: str, code: str, **what: Any) -> dict[str, Any]:
    return mutation(
        "checklist.answer", job_id=job_id, result_id=str(uuid7()), item_code=code, answered_at=_now(), **what
    )


def sign(job_id: str, satisfaction: int = 5) -> dict[str, Any]:
    return mutation(
        "job.sign",
        job_id=job_id,
        event_id=str(uuid7()),
        opinion="同意验收",
        satisfaction=satisfaction,
        signature="M 10 10 L 40 40 L 80 12",
        signed_at=_now(),
    )


async def push(world: World, *mutations: dict[str, Any], username: str = "eng1") -> list[dict[str, Any]]:
    r = await world.client.post(
        "/api/sync/push",
        json={"protocol": 1, "device_time": _now(), "mutations": list(mutations)},
        headers=await world.login(username),
    )
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


async def approve(world: World, job_id: str) -> Any:
    return await world.client.post(
        f"/api/jobs/{job_id}/approve", json={"note": "审核"}, headers=await world.login("qa")
    )


@pytest.mark.parametrize("kind", list(JobKind))
async def test_approval_names_what_the_form_lacks_and_passes_once_it_is_complete(
    world: World, kind: JobKind
) -> None:
    job = await world.create_job(engineer="eng1", kind=kind.value)
    jid = job["id"]
    [resolved] = await push(world, event(jid, "resolved"))
    assert resolved["outcome"] == "applied"
    required = REQUIRED.get(kind, [])
    acceptance = ["signature", "satisfaction"] if kind in ACCEPTANCE_KINDS else []

    r = await approve(world, jid)
    if not required and not acceptance:  # a return visit: nothing to sign, no checklist
        assert r.status_code == 200, r.text
        return
    assert r.status_code == 409, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["missing"] == [f"checklist:{c}" for c in required] + acceptance
    for code in required:
        assert f"({code})" in problem["detail"]
    if acceptance:
        assert "signature" in problem["detail"] and "satisfaction" in problem["detail"]
    job_now = (await world.client.get(f"/api/jobs/{jid}", headers=await world.login("qa"))).json()
    assert job_now["status"] == "resolved" and job_now["closed_at"] is None  # nothing half-applied

    # the optional item and one required one answered, the customer signs: the other required item remains
    done = [answer(jid, "noise", result="ok")] if required else []
    if required:
        done.append(answer(jid, "insulation", value=12.5))
    if acceptance:
        done.append(sign(jid))
    assert {x["outcome"] for x in await push(world, *done)} == {"applied"}
    r = await approve(world, jid)
    if required:
        assert r.status_code == 409, r.text
        assert r.json()["missing"] == ["checklist:seal"]
        assert "机械密封 (seal)" in r.json()["detail"] and "insulation" not in r.json()["detail"]
        assert "signature" not in r.json()["detail"]
        [answered] = await push(world, answer(jid, "seal", result="na"))  # n.a. is an answer
        assert answered["outcome"] == "applied"
        r = await approve(world, jid)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed"


async def test_a_measurement_marked_not_applicable_counts_as_answered_and_a_note_alone_does_not(
    world: World,
) -> None:
    job = await world.create_job(engineer="eng1")
    jid = job["id"]
    results = await push(
        world,
        event(jid, "resolved"),
        answer(jid, "insulation", result="na", note="现场无兆欧表"),
        answer(jid, "seal", note="未检查"),
        sign(jid),
    )
    assert {x["outcome"] for x in results} == {"applied"}
    r = await approve(world, jid)
    assert r.status_code == 409 and r.json()["missing"] == ["checklist:seal"]
