"""The office's actions as the OpenAPI schema describes them, and the refusals it documents (issue 12 item 8).

An outside office client is written from the schema: every operation under ``/api/jobs`` and
``/api/conflicts`` needs a summary in words, a description, and its error answers; each specific
refusal the schema documents is answered by the server as documented (problem details, that status).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from server.office_api import OFFICE_OPERATIONS
from shared.ids import uuid7
from tests.server.test_fuzz_sync import Sync, edit, event
from tests.support import PASSWORD, World

OFFICE_PREFIXES = ("/api/jobs", "/api/conflicts")
METHODS = ("get", "put", "post", "delete", "patch")


async def _office_operations(world: World) -> dict[tuple[str, str], dict[str, Any]]:
    r = await world.client.get("/schema/openapi.json")
    assert r.status_code == 200, r.text
    return {
        (method, path): op
        for path, item in r.json()["paths"].items()
        if path.startswith(OFFICE_PREFIXES)
        for method, op in item.items()
        if method in METHODS
    }


async def test_every_office_operation_has_a_summary_a_description_and_its_error_answers(world: World) -> None:
    operations = await _office_operations(world)
    assert len(operations) >= 16 and set(operations) == set(OFFICE_OPERATIONS), sorted(
        set(operations) ^ set(OFFICE_OPERATIONS)
    )
    problems = []
    for (method, path), op in sorted(operations.items()):
        where = f"{method.upper()} {path}"
        if " " not in op.get("summary", ""):  # Litestar's default is the handler's name: "AssignJob"
            problems.append(f"{where}: no summary in words ({op.get('summary')!r})")
        if len(op.get("description", "")) < 40:
            problems.append(f"{where}: no description")
        wanted = {"400", "401", "403", *OFFICE_OPERATIONS[(method, path)].errors}
        if "{" in path:
            wanted.add("404")
        for code in sorted(wanted):
            answer = op["responses"].get(code)
            if answer is None or "application/problem+json" not in answer.get("content", {}):
                problems.append(f"{where}: {code} is not documented as problem details")
            elif len(answer.get("description", "")) < 15:
                problems.append(f"{where}: {code} does not say when")
    assert not problems, "\n".join(problems)


def _refused(r: httpx.Response, status: int, words: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert words in r.json()["detail"], r.json()


async def test_the_documented_refusals_of_office_actions_are_answered(world: World) -> None:
    """Each 409 and 422 the schema documents for an office action, provoked through HTTP."""
    office, qa = await world.login("dispatcher"), await world.login("qa")
    job = await world.create_job(engineer="eng1")
    jobs = f"/api/jobs/{job['id']}"
    answered: set[tuple[str, str, str]] = set()

    async def call(
        method: str,
        template: str,
        status: int,
        words: str,
        *,
        who: Any = office,
        conflict: str = "",
        **kw: Any,
    ) -> None:
        path = template.format(job_id=job["id"], conflict_id=conflict)
        _refused(await world.client.request(method.upper(), path, headers=who, **kw), status, words)
        answered.add((method, template, str(status)))

    new_job = {"customer_id": str(uuid.uuid4()), "site_id": str(world.site_id), "symptom": "不出水"}
    await call("post", "/api/jobs", 422, "no customer", json=new_job | {"caller_name": "王主任"})
    await call("get", "/api/jobs", 422, "needs a time zone", params={"received_from": "2026-06-01T00:00:00"})
    unknown = {"engineer_id": str(uuid.uuid4())}
    await call("post", "/api/jobs/{job_id}/assign", 422, "no engineer", json=unknown)
    # another engineer's job is not there for them, history included
    await call("get", "/api/jobs/{job_id}/assignments", 404, "no job", who=await world.login("eng2"))
    seen = job["version"]
    moved = await world.client.patch(
        jobs, json={"symptom": "出水量不足", "base_version": seen}, headers=office
    )
    assert moved.status_code == 200, moved.text
    await call(
        "patch",
        "/api/jobs/{job_id}",
        409,
        "changed since version",
        json={"symptom": "不出水", "base_version": seen},
    )
    await call("post", "/api/jobs/{job_id}/resume", 409, "is not on hold")
    boss = await world.login("manager")
    decision = {"text": "给予表扬"}
    await call(
        "put", "/api/jobs/{job_id}/manager-decision", 409, "once the work is done", who=boss, json=decision
    )
    await call("post", "/api/jobs/{job_id}/approve", 409, "only resolved or signed-off", who=qa, json={})
    back = {"reason": "照片不清楚，请重拍"}
    await call("post", "/api/jobs/{job_id}/return", 409, "only resolved or signed-off", who=qa, json=back)
    hold, cancel = {"reason": "等待备件"}, {"reason": "客户撤单"}
    assert (await world.client.post(f"{jobs}/hold", json=hold, headers=office)).status_code == 200
    await call("post", "/api/jobs/{job_id}/hold", 409, "already on hold", json=hold)
    assert (await world.client.post(f"{jobs}/cancel", json=cancel, headers=office)).status_code == 200
    await call("post", "/api/jobs/{job_id}/cancel", 409, "already cancelled", json=cancel)
    someone = {"engineer_id": str(world.users["eng2"])}
    await call("post", "/api/jobs/{job_id}/assign", 409, "cannot be assigned", json=someone)
    billing = {"billable": True, "reason": "out_of_warranty", "note": "已过保修期"}
    await call("post", "/api/jobs/{job_id}/billing", 409, "nothing to bill", who=qa, json=billing)

    other = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    owned = (await eng.push_one(edit(other["id"], severity="major")))["conflict_ids"][0]
    assert (
        await world.client.post(f"/api/conflicts/{owned}/accept", json={}, headers=office)
    ).status_code == 200
    await call(
        "post", "/api/conflicts/{conflict_id}/accept", 409, "already accepted", conflict=owned, json={}
    )
    await call(
        "post",
        "/api/conflicts/{conflict_id}/override",
        409,
        "already accepted",
        conflict=owned,
        json={"value": "x"},
    )
    for tablet, cause in ((eng, "叶轮缠绕"), (await _tablet(world), "密封磨损")):
        assert (await tablet.push_one(edit(other["id"], cause=cause) | {"id": str(uuid7())}))[
            "outcome"
        ] != "rejected"
    listed = await world.client.get("/api/conflicts", params={"job_id": other["id"]}, headers=office)
    [both] = listed.json()["items"]
    await call(
        "post",
        "/api/conflicts/{conflict_id}/override",
        422,
        "not a valid value",
        conflict=both["id"],
        json={"value": 5},
    )

    documented = {
        (method, path, code) for (method, path), op in OFFICE_OPERATIONS.items() for code in op.errors
    }
    assert documented == answered, sorted(documented ^ answered)


async def _tablet(world: World) -> Sync:
    body = {"username": "eng1", "password": PASSWORD, "device_name": "second tablet"}
    r = await world.client.post("/api/auth/login", json=body)
    return Sync(world, {"Authorization": f"Bearer {r.json()['token']}"})


async def test_the_service_form_names_each_event_by_its_id(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    eng = await Sync.sign_in(world)
    taps = [event(job["id"], t) for t in ("acknowledged", "departed", "arrived")]
    for tap in taps:
        assert (await eng.push_one(tap))["outcome"] == "applied"
    r = await world.client.get(f"/api/jobs/{job['id']}/form", headers=await world.login("qa"))
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()["events"]] == [t["args"]["event_id"] for t in taps]
    schema = (await world.client.get("/schema/openapi.json")).json()["components"]["schemas"]
    assert "id" in schema["FormEvent"]["required"]


#: the API of issue 16 (the service plan, part 2): contracts, customers and sites, delivered units and their
#: documents, paid repairs, backup loans, returns and claims, parts planning and approval, the reports
SERVICE_PLAN_PREFIXES = (
    "/api/contracts",
    "/api/customers",
    "/api/sites",
    "/api/equipment",
    "/api/paid",
    "/api/backup-units",
    "/api/loans",
    "/api/returns",
    "/api/appraisals",
    "/api/supplier-claims",
    "/api/compensations",
    "/api/stock",
    "/api/reports",
    "/api/jobs/{job_id}/manager-decision",
)


async def test_every_operation_of_the_service_plans_second_part_says_in_words_what_it_does(
    world: World,
) -> None:
    """Issue 16's "Done when" asks for its API documented in the OpenAPI schema: each operation there has
    a description (its handler's docstring), not only the handler's name, and a tag."""
    r = await world.client.get("/schema/openapi.json")
    assert r.status_code == 200, r.text
    operations = {
        f"{method.upper()} {path}": op
        for path, item in r.json()["paths"].items()
        if path.startswith(SERVICE_PLAN_PREFIXES)
        for method, op in item.items()
        if method in METHODS
    }
    assert len(operations) >= 100, sorted(operations)
    undescribed = sorted(where for where, op in operations.items() if len(op.get("description", "")) < 20)
    assert not undescribed, undescribed
    assert not sorted(where for where, op in operations.items() if not op.get("tags"))
