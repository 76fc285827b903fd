"""The REST API through HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select

from server.db.models import User
from tests.support import PASSWORD, World


async def test_login_returns_a_device_bound_token(world: World) -> None:
    r = await world.client.post(
        "/api/auth/login", json={"username": "eng1", "password": PASSWORD, "device_name": "张工的平板"}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["username"] == "eng1" and body["user"]["role"] == "engineer"
    me = await world.client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["display_name"] == "张伟"


async def test_wrong_password_is_401_with_a_readable_message(world: World) -> None:
    r = await world.client.post(
        "/api/auth/login", json={"username": "eng1", "password": "nope", "device_name": "x"}
    )
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == "wrong username or password"
    unknown = await world.client.post(
        "/api/auth/login", json={"username": "ghost", "password": "nope", "device_name": "x"}
    )
    assert unknown.status_code == 401 and unknown.json()["detail"] == r.json()["detail"]


async def test_no_token_is_401(world: World) -> None:
    r = await world.client.get("/api/jobs")
    assert r.status_code == 401
    assert "sign in" in r.json()["detail"]


async def test_logout_revokes_only_that_device(world: World) -> None:
    first = await world.login("eng1", "tablet A")
    r = await world.client.post(
        "/api/auth/login", json={"username": "eng1", "password": PASSWORD, "device_name": "tablet B"}
    )
    second = {"Authorization": f"Bearer {r.json()['token']}"}
    assert (await world.client.post("/api/auth/logout", headers=first)).status_code == 200
    revoked = await world.client.get("/api/jobs", headers=first)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    assert (await world.client.get("/api/jobs", headers=second)).status_code == 200


async def test_admin_revokes_a_lost_device(world: World) -> None:
    r = await world.client.post(
        "/api/auth/login", json={"username": "eng2", "password": PASSWORD, "device_name": "lost tablet"}
    )
    token, device_id = r.json()["token"], r.json()["device_id"]
    admin = await world.login("admin")
    devices = await world.client.get(f"/api/devices?user_id={world.users['eng2']}", headers=admin)
    assert [d["name"] for d in devices.json()] == ["lost tablet"]
    assert (await world.client.post(f"/api/devices/{device_id}/revoke", headers=admin)).status_code == 200
    after = await world.client.get("/api/jobs", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401
    # Only an admin may revoke devices.
    assert (
        await world.client.get("/api/devices", headers=await world.login("dispatcher"))
    ).status_code == 403


async def test_password_change_signs_out_other_devices(world: World) -> None:
    a = await world.login("eng1", "tablet A")
    r = await world.client.post(
        "/api/auth/login", json={"username": "eng1", "password": PASSWORD, "device_name": "phone"}
    )
    b = {"Authorization": f"Bearer {r.json()['token']}"}
    wrong = await world.client.post(
        "/api/auth/password", json={"old_password": "bad", "new_password": "new-pass-123"}, headers=a
    )
    assert wrong.status_code == 422
    ok = await world.client.post(
        "/api/auth/password", json={"old_password": PASSWORD, "new_password": "new-pass-123"}, headers=a
    )
    assert ok.status_code == 200
    assert (await world.client.get("/api/auth/me", headers=a)).status_code == 200
    assert (await world.client.get("/api/auth/me", headers=b)).status_code == 401
    # The new password is stored with argon2id at the production cost (the suite's own users are hashed
    # cheaply, tests/support.py; what the server stores must not be).
    async with world.app.state.sessionmaker() as session:
        stored = await session.scalar(select(User.password_hash).where(User.id == world.users["eng1"]))
    assert stored and stored.startswith("$argon2id$") and not PasswordHasher().check_needs_rehash(stored)
    assert PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).check_needs_rehash(stored)


async def test_dispatcher_creates_and_assigns_a_job_with_sla_deadlines(world: World) -> None:
    received = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    job = await world.create_job(severity="major", call_received_at=received.isoformat())
    assert job["status"] == "new" and job["number"].startswith("WO-202606-")
    assert datetime.fromisoformat(job["respond_due_at"]) == received + timedelta(minutes=15)
    assert datetime.fromisoformat(job["onsite_due_at"]) == received + timedelta(minutes=120)
    assert datetime.fromisoformat(job["fix_due_at"]) == received + timedelta(minutes=480)
    r = await world.client.post(
        f"/api/jobs/{job['id']}/assign",
        json={"engineer_id": str(world.users["eng1"])},
        headers=await world.login("dispatcher"),
    )
    assert r.status_code == 200
    assert r.json()["status"] == "assigned" and r.json()["assigned_engineer_id"] == str(world.users["eng1"])
    mine = await world.client.get("/api/jobs", headers=await world.login("eng1"))
    assert [j["id"] for j in mine.json()["items"]] == [job["id"]]


async def test_customer_specific_sla_policy_wins_over_default(world: World) -> None:
    manager = await world.login("manager")
    r = await world.client.post(
        "/api/sla-policies",
        json={
            "customer_id": str(world.customer_id),
            "severity": "general",
            "respond_minutes": 10,
            "onsite_minutes": 60,
            "fix_minutes": 600,
            "backup_minutes": 480,
        },
        headers=manager,
    )
    assert r.status_code == 201, r.text
    received = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    job = await world.create_job(call_received_at=received.isoformat())
    assert datetime.fromisoformat(job["respond_due_at"]) == received + timedelta(minutes=10)


async def test_engineer_cannot_create_jobs(world: World) -> None:
    r = await world.client.post(
        "/api/jobs",
        json={"customer_id": str(world.customer_id), "site_id": str(world.site_id)},
        headers=await world.login("eng1"),
    )
    assert r.status_code == 403
    assert "engineer may not" in r.json()["detail"]


async def test_engineer_asking_for_another_engineers_job_gets_404(world: World) -> None:
    job = await world.create_job(engineer="eng2")
    r = await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("eng1"))
    assert r.status_code == 404
    missing = await world.client.get(
        "/api/jobs/0190f3c2-0000-7000-8000-000000000000", headers=await world.login("eng1")
    )
    assert missing.status_code == 404 and r.json()["detail"].startswith("no job")
    # nor the customer, site or equipment behind it
    for path in (
        f"/api/customers/{world.customer_id}",
        f"/api/sites/{world.site_id}",
        f"/api/equipment/{world.equipment_id}",
    ):
        assert (await world.client.get(path, headers=await world.login("eng1"))).status_code == 404
    own = await world.client.get(f"/api/jobs/{job['id']}", headers=await world.login("eng2"))
    assert own.status_code == 200
    assert own.json()["site"]["name"] == "城东排涝泵站"
    assert own.json()["equipment"]["serial_no"] == "DP-0001"
    assert (
        await world.client.get(f"/api/sites/{world.site_id}", headers=await world.login("eng2"))
    ).status_code == 200


async def test_engineer_may_not_list_the_directory(world: World) -> None:
    for path in ("/api/customers", "/api/sites", "/api/equipment", "/api/users"):
        assert (await world.client.get(path, headers=await world.login("eng1"))).status_code == 403


async def test_job_list_filters_and_paging(world: World) -> None:
    base = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    for i in range(7):
        await world.create_job(
            engineer="eng1" if i % 2 == 0 else "eng2",
            severity="major" if i < 3 else "general",
            call_received_at=(base + timedelta(days=i)).isoformat(),
        )
    headers = await world.login("dispatcher")
    page1 = (await world.client.get("/api/jobs?limit=3&offset=0", headers=headers)).json()
    page3 = (await world.client.get("/api/jobs?limit=3&offset=6", headers=headers)).json()
    assert page1["total"] == 7 and len(page1["items"]) == 3 and len(page3["items"]) == 1
    received = [j["call_received_at"] for j in page1["items"]]
    assert received == sorted(received, reverse=True)
    major = (await world.client.get("/api/jobs?severity=major", headers=headers)).json()
    assert major["total"] == 3
    eng1 = (await world.client.get(f"/api/jobs?engineer_id={world.users['eng1']}", headers=headers)).json()
    assert eng1["total"] == 4
    window = (
        await world.client.get(
            "/api/jobs",
            params={
                "received_from": (base + timedelta(days=2)).isoformat(),
                "received_to": (base + timedelta(days=4)).isoformat(),
            },
            headers=headers,
        )
    ).json()
    assert window["total"] == 2
    both = (await world.client.get("/api/jobs?status=assigned&status=new", headers=headers)).json()
    assert both["total"] == 7
    too_big = await world.client.get("/api/jobs?limit=100000", headers=headers)
    assert too_big.status_code == 400 and "limit" in too_big.text


async def test_hold_resume_and_cancel(world: World) -> None:
    job = await world.create_job(engineer="eng1")
    headers = await world.login("dispatcher")
    held = await world.client.post(
        f"/api/jobs/{job['id']}/hold", json={"reason": "等待备件"}, headers=headers
    )
    assert held.json()["status"] == "on_hold" and held.json()["office_reason"] == "等待备件"
    resumed = await world.client.post(f"/api/jobs/{job['id']}/resume", headers=headers)
    assert resumed.json()["status"] == "assigned"
    cancelled = await world.client.post(
        f"/api/jobs/{job['id']}/cancel", json={"reason": "用户撤销"}, headers=headers
    )
    assert cancelled.json()["status"] == "cancelled"
    again = await world.client.post(
        f"/api/jobs/{job['id']}/assign", json={"engineer_id": str(world.users["eng2"])}, headers=headers
    )
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]


async def test_malformed_json_is_400(world: World) -> None:
    r = await world.client.post(
        "/api/jobs",
        content=b'{"customer_id": ',
        headers={**await world.login("dispatcher"), "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_wrong_types_name_the_field(world: World) -> None:
    r = await world.client.post(
        "/api/jobs",
        json={"customer_id": "not-a-uuid", "site_id": str(world.site_id), "severity": "apocalyptic"},
        headers=await world.login("dispatcher"),
    )
    assert r.status_code == 400
    text = r.text
    assert "customer_id" in text and "severity" in text


async def test_unknown_fields_are_rejected_not_ignored(world: World) -> None:
    r = await world.client.post(
        "/api/jobs",
        json={"customer_id": str(world.customer_id), "site_id": str(world.site_id), "priority": 1},
        headers=await world.login("dispatcher"),
    )
    assert r.status_code == 400 and "priority" in r.text


async def test_site_of_another_customer_is_rejected(world: World) -> None:
    r = await world.client.post(
        "/api/jobs",
        json={"customer_id": str(world.customer_id), "site_id": str(world.other_site_id)},
        headers=await world.login("dispatcher"),
    )
    assert r.status_code == 422
    assert r.json()["field"] == "site_id" and "临川区水利局" in r.json()["detail"]


async def test_oversized_body_is_413(world: World) -> None:
    big = b'{"symptom": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    r = await world.client.post(
        "/api/jobs",
        content=big,
        headers={**await world.login("dispatcher"), "content-type": "application/json"},
    )
    assert r.status_code == 413


async def test_directory_crud_and_validation(world: World) -> None:
    admin = await world.login("admin")
    c = await world.client.post(
        "/api/customers", json={"name": "进贤县水利局", "warranty_years": 3}, headers=admin
    )
    assert c.status_code == 201
    dup = await world.client.post("/api/customers", json={"name": "进贤县水利局"}, headers=admin)
    assert dup.status_code == 409
    s = await world.client.post(
        "/api/sites",
        json={"customer_id": c.json()["id"], "name": "青岚泵站", "latitude": 28.5},
        headers=admin,
    )
    assert s.status_code == 201
    bad = await world.client.post(
        "/api/equipment",
        json={
            "site_id": s.json()["id"],
            "category": "generator_set",
            "model": "200kW 柴油发电机组",
            "serial_no": "GS-9",
            "delivered_on": "2026-01-01",
            "warranty_end": "2025-01-01",
        },
        headers=admin,
    )
    assert bad.status_code == 400 and "warranty_end" in bad.text
    u = await world.client.post(
        "/api/users",
        json={"username": "eng9", "display_name": "赵敏", "role": "engineer", "password": "short"},
        headers=admin,
    )
    assert u.status_code == 400 and "password" in u.text


async def test_sla_policy_limits_must_be_ordered(world: World) -> None:
    r = await world.client.post(
        "/api/sla-policies",
        json={
            "severity": "general",
            "respond_minutes": 300,
            "onsite_minutes": 60,
            "fix_minutes": 600,
            "backup_minutes": 480,
        },
        headers=await world.login("manager"),
    )
    assert r.status_code == 400 and "respond_minutes <= onsite_minutes" in r.text


async def test_openapi_schema_is_served(world: World) -> None:
    r = await world.client.get("/schema/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/jobs" in paths and "/api/auth/login" in paths


async def test_qa_approves_only_resolved_forms_and_a_return_reopens_the_job(world: World) -> None:
    from sqlalchemy import update

    from server.db.models import ChecklistResult, Job

    job = await world.create_job(engineer="eng1")
    qa = await world.login("qa")
    early = await world.client.post(f"/api/jobs/{job['id']}/approve", json={}, headers=qa)
    assert early.status_code == 409 and "only resolved" in early.json()["detail"]
    now = datetime.now(UTC)
    async with world.app.state.sessionmaker() as s:
        await s.execute(
            update(Job).where(Job.id == uuid.UUID(job["id"])).values(status="resolved", resolved_at=now)
        )
        await s.commit()
    unsigned = await world.client.post(f"/api/jobs/{job['id']}/approve", json={}, headers=qa)
    assert unsigned.status_code == 409 and "acceptance" in unsigned.json()["detail"]
    returned = await world.client.post(
        f"/api/jobs/{job['id']}/return", json={"reason": "缺少更换零件的照片"}, headers=qa
    )
    assert returned.status_code == 200
    body = returned.json()
    assert body["status"] == "started" and body["qa_note"] == "缺少更换零件的照片" and body["qa_returns"] == 1
    assert datetime.fromisoformat(body["resolved_at"]) == now  # the fix time stays what it was
    async with world.app.state.sessionmaker() as s:
        await s.execute(
            update(Job)
            .where(Job.id == uuid.UUID(job["id"]))
            .values(status="signed_off", signed_off_at=now, signature="M 1 1 L 9 9", satisfaction=5)
        )
        for code, what in (("insulation", {"value": 8.0}), ("seal", {"result": "ok"})):
            s.add(
                ChecklistResult(
                    id=uuid.uuid4(), job_id=uuid.UUID(job["id"]), item_code=code, answered_at=now, **what
                )
            )
        await s.commit()
    approved = await world.client.post(
        f"/api/jobs/{job['id']}/approve", json={"note": "资料齐全"}, headers=qa
    )
    assert approved.status_code == 200 and approved.json()["status"] == "closed"
    assert approved.json()["closed_at"] is not None
    engineer = await world.client.post(
        f"/api/jobs/{job['id']}/approve", json={}, headers=await world.login("eng1")
    )
    assert engineer.status_code == 403
