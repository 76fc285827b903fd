"""Real refusals through HTTP, on SQLite and PostgreSQL, carry a stable ``code`` and their ``params``
beside the English ``detail``, and read as whole sentences in Chinese through the catalogue."""

from __future__ import annotations

import uuid

from shared.refusals import refusal_text
from tests.support import World


async def test_a_refused_dispatch_names_its_code_and_params_and_reads_in_chinese(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    office = await world.login("dispatcher")
    held = await world.client.post(f"/api/jobs/{job['id']}/hold", json={"reason": "等配件"}, headers=office)
    assert held.status_code == 200, held.text
    again = await world.client.post(f"/api/jobs/{job['id']}/hold", json={"reason": "再停"}, headers=office)
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
    body = again.json()
    assert body["code"] == "job.already_on_hold" and body["params"] == {"number": job["number"]}
    assert "already on hold" in body["detail"]  # API clients keep the English words
    assert refusal_text("zh-CN", body) == f"工单 {job['number']} 已经暂停"

    cancelled = await world.client.post(
        f"/api/jobs/{job['id']}/cancel", json={"reason": "撤销"}, headers=office
    )
    assert cancelled.status_code == 200, cancelled.text
    assign = await world.client.post(
        f"/api/jobs/{job['id']}/assign", json={"engineer_id": str(world.users["eng2"])}, headers=office
    )
    assert assign.status_code == 409
    body = assign.json()
    assert body["code"] == "job.not_assignable"
    assert body["params"] == {"number": job["number"], "status": "cancelled"}  # the enum's value
    assert refusal_text("zh-CN", body) == f"工单 {job['number']} 已取消，不能派工"
    assert refusal_text("en", body) == f"Job {job['number']} is Cancelled; it cannot be assigned"


async def test_not_found_the_role_guard_and_approval_carry_codes(world: World) -> None:
    qa = await world.login("qa")
    gone = uuid.uuid4()
    missing = await world.client.get(f"/api/jobs/{gone}", headers=qa)
    assert missing.status_code == 404
    assert (missing.json()["code"], missing.json()["params"]) == ("job.not_found", {"id": str(gone)})

    job = await world.create_job(engineer="eng1")
    refused = await world.client.post(f"/api/jobs/{job['id']}/cancel", json={"reason": "x"}, headers=qa)
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "role.not_allowed" and body["params"]["role"] == "qa"
    assert "dispatcher" in body["params"]["roles"]
    assert "调度" in (refusal_text("zh-CN", body) or "")

    approve = await world.client.post(f"/api/jobs/{job['id']}/approve", json={"note": "审核"}, headers=qa)
    assert approve.status_code == 409
    body = approve.json()
    assert body["code"] == "job.not_reviewable" and body["params"]["status"] == "assigned"
    assert refusal_text("zh-CN", body) == (
        f"工单 {job['number']} 当前为“已派工”，只有已修复或已验收的工单才能审核通过"
    )


async def test_a_store_refusal_and_the_ledgers_own_carry_codes(world: World) -> None:
    admin = await world.login("admin")
    van = await world.client.post("/api/stock/stores", json={"kind": "van", "name": "车"}, headers=admin)
    assert van.status_code == 400 and van.json()["code"] == "store.van_automatic"
    assert refusal_text("zh-CN", van.json()) == "车载库按工程师自动建立；请新建新件库或旧件库"
    same = str(uuid.uuid4())
    transfer = await world.client.post(
        "/api/stock/transfers",
        json={"from_store_id": same, "to_store_id": same, "part_id": str(world.part_id), "quantity": 1},
        headers=admin,
    )
    assert transfer.status_code == 400, transfer.text
    body = transfer.json()
    assert (body["code"], body["params"], body["reason"]) == ("stock.same_store", {}, "same_store")
    assert refusal_text("zh-CN", body) == "调拨需要两个不同的库"


async def test_sign_in_token_and_body_refusals_carry_codes_too(world: World, backend: str) -> None:
    """Litestar's own exceptions (401s, a body the door refuses) and the database's value errors are
    worded from a code like the rest: a Chinese sign-in page reads 用户名或密码错误, not English."""
    wrong = await world.client.post(
        "/api/auth/login", json={"username": "eng1", "password": "not-it", "device_name": "平板"}
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "auth.wrong_password", wrong.text
    assert refusal_text("zh-CN", wrong.json()) == "用户名或密码错误"

    unknown = await world.client.get("/api/jobs", headers={"Authorization": "Bearer not-a-token"})
    assert unknown.status_code == 401 and unknown.json()["code"] == "auth.token_unknown", unknown.text
    anonymous = await world.client.get("/api/jobs")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "auth.sign_in_first"

    office = await world.login("dispatcher")
    job = await world.create_job()
    nul = await world.client.patch(f"/api/jobs/{job['id']}", json={"symptom": "漏\x00水"}, headers=office)
    assert nul.status_code == 400 and nul.json()["code"] == "text.nul", nul.text
    assert "NUL" in (refusal_text("zh-CN", nul.json()) or "")
    deep: object = 1
    for _ in range(200):
        deep = [deep]
    nested = await world.client.patch(f"/api/jobs/{job['id']}", json={"symptom": deep}, headers=office)
    assert nested.status_code == 400 and nested.json()["code"] == "body.too_deep", nested.text
    assert str(nested.json()["params"]["limit"]) in (refusal_text("zh-CN", nested.json()) or "")


def test_a_database_integrity_error_is_a_coded_409() -> None:
    """The backstop for a unique or foreign-key clash no service check caught first (a race between two
    requests): a 409 worded from a code, not a 500 and not English only."""
    from types import SimpleNamespace

    from sqlalchemy.exc import IntegrityError

    from server.app import _integrity_error

    request = SimpleNamespace(method="POST", url=SimpleNamespace(path="/api/customers"))
    answer = _integrity_error(request, IntegrityError("INSERT", {}, Exception("duplicate key")))  # type: ignore[arg-type]
    assert answer.status_code == 409
    assert answer.content["code"] == "record.duplicate" and answer.content["params"] == {}
    assert refusal_text("zh-CN", answer.content) == "与已有记录冲突（可能已经存在）"
