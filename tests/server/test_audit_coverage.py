"""Every route that changes data writes an audit entry: walked from the app's own route table.

Each POST/PUT/PATCH/DELETE route has a recipe here that makes it succeed, and the test checks the audit
trail grew (and names the action). A new route without a recipe fails the test, as does a route whose
successful request leaves no trace. The few routes that legitimately write nothing to the trail are in
``NOT_AUDITED`` with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from server.audit import verify_chain
from server.db.models import AuditEntry, Conflict, JobPart
from server.inspections.generator import local_today
from shared.enums import JobEventType
from tests.conftest import DeviceFactory
from tests.server.test_access_matrix import _routes
from tests.server.test_approval import answer, event, mutation, push, sign
from tests.support import PASSWORD, World

#: Routes that change data but need no entry of their own, and why.
NOT_AUDITED = {
    ("POST", "/api/sync/pull"): "a read: it only moves the device's own download cursor",
}

Recipe = Callable[["Ctx"], Awaitable[httpx.Response]]


class Ctx:
    """The world, a signed-in device of eng1, and helpers to reach the states routes need."""

    def __init__(self, world: World, new_device: DeviceFactory) -> None:
        self.world, self.new_device = world, new_device
        self.wrote = 0
        self.contracts = 0

    async def call(self, who: str | None, method: str, path: str, json: Any = None) -> httpx.Response:
        """One request; the audit entries it alone wrote are counted (``self.wrote``)."""
        headers = await self.world.login(who) if who else {}
        before = await _count(self.world)
        r = await self.world.client.request(method, path, json=json, headers=headers)
        self.wrote = await _count(self.world) - before
        return r

    async def job(self, **kw: Any) -> str:
        return str((await self.world.create_job(engineer="eng1", **kw))["id"])

    async def resolved_job(self, signed: bool = True) -> str:
        """A job the engineer resolved with its checklist answered (and, if ``signed``, the customer's
        acceptance), through a real push: approval refuses an incomplete form."""
        job_id = await self.job()
        done = [
            event(job_id, "resolved"),
            answer(job_id, "insulation", value=12.5),
            answer(job_id, "seal", result="ok"),
        ]
        if signed:
            done.append(sign(job_id))
        assert {r["outcome"] for r in await push(self.world, *done)} == {"applied"}
        return job_id

    async def store(self, kind: str) -> str:
        r = await self.call("warehouse", "POST", "/api/stock/stores", {"kind": kind, "name": f"{kind}-store"})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def receipt(self, store_id: str, quantity: int = 5) -> httpx.Response:
        body = {
            "store_id": store_id,
            "part_id": str(self.world.part_id),
            "quantity": quantity,
            "unit_cost": 1,
        }
        return await self.call("warehouse", "POST", "/api/stock/receipts", body)

    async def conflict(self) -> str:
        job_id = await self.job()
        async with self.world.app.state.sessionmaker() as s:
            row = Conflict(
                entity="job",
                entity_id=uuid.UUID(job_id),
                job_id=uuid.UUID(job_id),
                field="cause",
                device_value="叶轮磨损",
                server_value="",
                resolution="server_kept",
                user_id=self.world.users["eng1"],
            )
            s.add(row)
            await s.commit()
            return str(row.id)

    async def complaint(self) -> str:
        body = {"customer_id": str(self.world.customer_id), "content": "到场晚了", "channel": "phone"}
        r = await self.call("dispatcher", "POST", "/api/complaints", body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def inquiry(self) -> str:
        body = {"customer_id": str(self.world.customer_id), "kind": "inquiry", "summary": "闸门异响"}
        r = await self.call("dispatcher", "POST", "/api/contacts", body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def schedule(self) -> str:
        r = await self.call("dispatcher", "POST", "/api/inspections/schedules", await self.schedule_body())
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def schedule_body(self) -> dict[str, Any]:
        """For a new pump each time (one active schedule per equipment and frequency)."""
        serial = f"DP-{uuid.uuid4().hex[:8]}"
        body = {
            "site_id": str(self.world.site_id),
            "category": "drainage_pump",
            "model": "QSZ",
            "serial_no": serial,
        }
        r = await self.call("dispatcher", "POST", "/api/equipment", body)
        assert r.status_code == 201, r.text
        return {
            "customer_id": str(self.world.customer_id),
            "site_id": str(self.world.site_id),
            "equipment_id": r.json()["id"],
            "frequency": "monthly",
            # today, in the server's time zone: the generator makes it due now whatever the date (a fixed
            # 2024-01-31 left nothing due from the 8th to about the 23rd of a month, so no audit entry)
            "start_on": local_today(ZoneInfo(self.world.app.state.settings.timezone)).isoformat(),
        }

    async def contract(self) -> str:
        body = {"customer_id": str(self.world.customer_id), "number": f"HT-{uuid.uuid4().hex[:8]}"}
        body["starts_on"] = f"{2100 + self.contracts}-01-01"
        body["ends_on"] = f"{2100 + self.contracts}-12-31"
        self.contracts += 1
        r = await self.call("manager", "POST", "/api/contracts", body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def promise(self) -> str:
        contract = await self.contract()
        limits = {"respond_minutes": 30, "onsite_minutes": 60, "fix_minutes": 90, "backup_minutes": 480}
        r = await self.call("manager", "POST", f"/api/contracts/{contract}/promises", limits)
        assert r.status_code == 201, r.text
        return f"{contract}/promises/{r.json()['id']}"

    async def training(self) -> str:
        body = {
            "customer_id": str(self.world.customer_id),
            "site_id": str(self.world.site_id),
            "equipment_id": str(self.world.equipment_id),
            "content": "日常维护培训",
            "engineer_id": str(self.world.users["eng1"]),
            "place": "会议室",
            "scheduled_at": "2026-08-03T09:30:00+08:00",
            "attendees": ["刘站长"],
        }
        r = await self.call("dispatcher", "POST", "/api/training", body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def usage(self) -> str:
        job_id = await self.job()
        async with self.world.app.state.sessionmaker() as s:
            row = JobPart(
                id=uuid.uuid4(),
                job_id=uuid.UUID(job_id),
                part_id=self.world.part_id,
                quantity=1,
                old_part_returned=True,
                used_at=datetime.now(UTC),
            )
            s.add(row)
            await s.commit()
            return str(row.id)


async def _push(ctx: Ctx) -> httpx.Response:
    job_id = await ctx.job()
    device = await ctx.new_device("eng1")
    await device.sync()
    device.actions.tap(uuid.UUID(job_id), JobEventType.ACKNOWLEDGED)
    before = await _count(ctx.world)
    await device.sync()  # its push carries the tap
    ctx.wrote = await _count(ctx.world) - before
    return httpx.Response(200)


async def _sla_update(ctx: Ctx) -> httpx.Response:
    policy = (await ctx.call("manager", "GET", "/api/sla-policies")).json()[0]
    body = {k: policy[k] for k in ("customer_id", "severity", "respond_minutes", "onsite_minutes")}
    body |= {"fix_minutes": policy["fix_minutes"] + 60, "backup_minutes": policy["backup_minutes"]}
    return await ctx.call("manager", "PUT", f"/api/sla-policies/{policy['id']}", body)


async def _spare_device(ctx: Ctx) -> str:
    r = await ctx.world.client.post(
        "/api/auth/login", json={"username": "eng2", "password": PASSWORD, "device_name": "spare"}
    )
    return str(r.json()["device_id"])


def _recipes(ctx: Ctx) -> dict[tuple[str, str], Recipe]:
    w = ctx.world
    eng2, part = str(w.users["eng2"]), str(w.part_id)

    async def login(c: Ctx) -> httpx.Response:
        body = {"username": "eng2", "password": PASSWORD, "device_name": "x"}
        return await c.call(None, "POST", "/api/auth/login", body)

    async def logout(c: Ctx) -> httpx.Response:
        r = await c.call("eng2", "POST", "/api/auth/logout")
        w.tokens.pop("eng2")
        return r

    async def password(c: Ctx) -> httpx.Response:
        body = {"old_password": PASSWORD, "new_password": PASSWORD}
        r = await c.call("qa", "POST", "/api/auth/password", body)
        return r

    async def create_job(c: Ctx) -> httpx.Response:
        return await c.call(
            "dispatcher",
            "POST",
            "/api/jobs",
            {
                "customer_id": str(w.customer_id),
                "site_id": str(w.site_id),
                "equipment_id": str(w.equipment_id),
                "symptom": "漏水",
                "caller_name": "王主任",
                "caller_phone": "0794-8221234",
            },
        )

    def job_action(action: str, body: Any, who: str = "dispatcher", setup: str = "job") -> Recipe:
        async def go(c: Ctx) -> httpx.Response:
            job_id = await (c.resolved_job() if setup == "resolved" else c.job())
            if action == "resume":
                await c.call(who, "POST", f"/api/jobs/{job_id}/hold", {"reason": "等备件"})
            method = "PATCH" if action == "" else "POST"
            path = f"/api/jobs/{job_id}" + (f"/{action}" if action else "")
            return await c.call(who, method, path, body)

        return go

    def on(path: str, who: str, method: str, body: Any, make: Callable[[Ctx], Awaitable[str]]) -> Recipe:
        async def go(c: Ctx) -> httpx.Response:
            return await c.call(who, method, path.format(await make(c)), body)

        return go

    def const(path: str, who: str, body: Any) -> Recipe:
        async def go(c: Ctx) -> httpx.Response:
            return await c.call(who, "POST", path, body)

        return go

    async def new_schedule(c: Ctx) -> httpx.Response:
        return await c.call("dispatcher", "POST", "/api/inspections/schedules", await c.schedule_body())

    async def transfer(c: Ctx) -> httpx.Response:
        a, b = await c.store("new"), await c.store("new")
        await c.receipt(a)
        body = {"from_store_id": a, "to_store_id": b, "part_id": part, "quantity": 1}
        return await c.call("warehouse", "POST", "/api/stock/transfers", body)

    async def reorder_level(c: Ctx) -> str:
        body = {"store_id": await c.store("new"), "part_id": part, "level": 3, "target": 6}
        r = await c.call("warehouse", "PUT", "/api/stock/reorder-levels", body)
        assert r.status_code == 200, r.text
        return str(r.json()["id"])

    async def set_level(c: Ctx) -> httpx.Response:
        body = {"store_id": await c.store("new"), "part_id": part, "level": 3}
        return await c.call("warehouse", "PUT", "/api/stock/reorder-levels", body)

    async def ship(c: Ctx) -> httpx.Response:
        store = await c.store("new")
        await c.receipt(store)
        body = {"from_store_id": store, "engineer_id": str(w.users["eng1"]), "part_id": part, "quantity": 1}
        return await c.call("warehouse", "POST", "/api/stock/shipments", body)

    async def shipment(c: Ctx) -> str:
        r = await ship(c)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def approval_rule(c: Ctx) -> Any:
        return c.call("manager", "POST", "/api/stock/approval/rules", {"kind": "return", "min_quantity": 2})

    async def rule_id(c: Ctx) -> str:
        r = await approval_rule(c)
        assert r.status_code == 200, r.text
        return str(r.json()["rules"][0]["id"])

    async def stock_request(c: Ctx) -> str:
        w.app.state.settings = w.app.state.settings.model_copy(update={"parts_approval": True})
        r = await c.call("manager", "POST", "/api/stock/approval/rules", {"kind": "issue"})
        assert r.status_code == 200, r.text
        store = await c.store("new")
        await c.receipt(store)
        van = next(
            s["id"]
            for s in (await c.call("warehouse", "GET", "/api/stock/stores")).json()
            if s["engineer_id"] == str(w.users["eng1"])
        )
        body = {"from_store_id": store, "to_store_id": van, "part_id": part, "quantity": 1}
        r = await c.call("warehouse", "POST", "/api/stock/transfers", body)
        w.app.state.settings = w.app.state.settings.model_copy(update={"parts_approval": False})
        assert r.status_code == 201 and r.json()["pending"], r.text
        return str(r.json()["pending"]["id"])

    async def unit(c: Ctx) -> str:
        serial = f"BY-{uuid.uuid4().hex[:8]}"
        body = {"category": "drainage_pump", "model": "QW100-30", "serial_no": serial}
        r = await c.call("warehouse", "POST", "/api/backup-units", body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def lend_body(c: Ctx) -> dict[str, Any]:
        return {"job_id": await c.job(), "unit_id": await unit(c), "lent_at": datetime.now(UTC).isoformat()}

    async def lend(c: Ctx) -> httpx.Response:
        return await c.call("dispatcher", "POST", "/api/loans", await lend_body(c))

    async def loan(c: Ctx) -> str:
        r = await lend(c)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def give_back(c: Ctx) -> httpx.Response:
        made = await loan(c)
        body = {"returned_at": datetime.now(UTC).isoformat()}
        return await c.call("dispatcher", "POST", f"/api/loans/{made}/return", body)

    async def accepted_quote(c: Ctx) -> str:
        """A billable repair quoted and accepted on the tablet, through a real push."""
        job_id = await c.job()
        edit = mutation(
            "job.edit", job_id=job_id, base_version=1, fields={"billable": True, "billable_reason": "misuse"}
        )
        quote_id = str(uuid.uuid4())
        quote = mutation(
            "quote.make",
            job_id=job_id,
            quote_id=quote_id,
            lines=[{"kind": "labour", "quantity": "1", "unit_price": "180.00"}],
            discount_pct="0",
            total="180.00",
            quoted_at=datetime.now(UTC).isoformat(),
            signature="M 10 10 L 40 40 L 80 12",
        )
        assert {r["outcome"] for r in await push(c.world, edit, quote)} == {"applied"}
        return quote_id

    async def issue_charge(c: Ctx) -> httpx.Response:
        return await c.call("dispatcher", "POST", f"/api/paid/quotes/{await accepted_quote(c)}/charge", {})

    async def record_payment(c: Ctx) -> httpx.Response:
        charged = await issue_charge(c)
        assert charged.status_code == 201, charged.text
        body = {"amount": "80.00", "method": "cash", "paid_on": datetime.now(UTC).date().isoformat()}
        return await c.call("dispatcher", "POST", f"/api/paid/charges/{charged.json()['id']}/payments", body)

    rule_body = {
        "name": "重大故障",
        "events": ["major_fault"],
        "roles": ["dispatcher"],
        "channels": ["console"],
    }

    async def rule(c: Ctx) -> str:
        r = await c.call("manager", "POST", "/api/escalation/rules", rule_body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def station(c: Ctx) -> str:
        r = await c.call("manager", "POST", "/api/stations", {"name": f"服务站{uuid.uuid4().hex[:6]}"})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def region(c: Ctx) -> str:
        r = await c.call("manager", "POST", "/api/regions", {"name": f"区域{uuid.uuid4().hex[:6]}"})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def note(c: Ctx) -> str:
        await rule(c)
        await c.job(severity="major")
        assert (await c.call("manager", "POST", "/api/escalation/scan")).status_code == 200
        r = await c.world.client.get("/api/notifications", headers=await c.world.login("dispatcher"))
        return str(r.json()[0]["id"])

    async def scan(c: Ctx) -> httpx.Response:
        import io

        from PIL import Image

        out = io.BytesIO()
        Image.new("RGB", (20, 20), (255, 255, 255)).save(out, "PNG")
        headers = {**await c.world.login("dispatcher"), "Content-Type": "image/png"}
        before = await _count(c.world)
        path = f"/api/equipment/{w.equipment_id}/documents/manual/scan"
        r = await c.world.client.put(path, content=out.getvalue(), headers=headers)
        c.wrote = await _count(c.world) - before
        return r

    eng1 = w.users["eng1"]
    cert_body = {"name": "电工证", "number": "DG-1", "issued_on": "2024-01-01", "expires_on": "2030-01-01"}
    course_body = {"taken_on": "2026-04-01", "course": "排涝泵检修", "hours": "8", "result": "passed"}

    async def staff_engineer(c: Ctx) -> str:
        return str(eng1)

    async def staff_certificate(c: Ctx) -> str:
        r = await c.call("manager", "POST", f"/api/people/staff/{eng1}/certificates", cert_body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def staff_course(c: Ctx) -> str:
        r = await c.call("manager", "POST", f"/api/people/staff/{eng1}/training", course_body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def knowledge_case(c: Ctx) -> str:
        from tests.server.test_knowledge_api import closed_job

        r = await c.call("qa", "POST", "/api/knowledge/cases", {"job_id": await closed_job(c.world)})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def draft_case(c: Ctx) -> httpx.Response:
        from tests.server.test_knowledge_api import closed_job

        job = await closed_job(c.world)
        return await c.call("qa", "POST", "/api/knowledge/cases", {"job_id": job})

    async def published_case(c: Ctx) -> str:
        case = await knowledge_case(c)
        assert (await c.call("qa", "POST", f"/api/knowledge/cases/{case}/publish")).status_code == 200
        return case

    async def upload_manual(c: Ctx) -> httpx.Response:
        from tests.server.test_knowledge_api import _pdf

        headers = {**await c.world.login("qa"), "Content-Type": "application/pdf"}
        before = await _count(c.world)
        r = await c.world.client.post(
            "/api/knowledge/manuals",
            params={"model": "QSZ", "title": "说明书"},
            content=_pdf(),
            headers=headers,
        )
        c.wrote = await _count(c.world) - before
        return r

    async def manual(c: Ctx) -> str:
        r = await upload_manual(c)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def contract_document(c: Ctx, kind: str, body: dict[str, Any]) -> str:
        contract = await c.contract()
        r = await c.call("manager", "POST", f"/api/contracts/{contract}/{kind}", body)
        assert r.status_code == 201, r.text
        return f"{contract}/{kind}/{r.json()['id']}"

    async def certificate(c: Ctx) -> str:
        body = {
            "number": f"ZLBX-{uuid.uuid4().hex[:8]}",
            "issued_on": "2020-01-01",
            "scope": "排涝泵",
            "starts_on": "2020-01-01",
            "ends_on": "2022-01-01",
        }
        return await contract_document(c, "certificates", body)

    async def agreement(c: Ctx) -> str:
        body = {
            "number": f"WHXY-{uuid.uuid4().hex[:8]}",
            "scope": "排涝泵",
            "fee": "1200.00",
            "starts_on": "2022-01-01",
            "ends_on": "2024-01-01",
        }
        return await contract_document(c, "agreements", body)

    async def count(c: Ctx) -> httpx.Response:
        store = await c.store("new")
        body = {"store_id": store, "lines": [{"part_id": part, "counted_quantity": 2, "reason": "盘盈"}]}
        return await c.call("warehouse", "POST", "/api/stock/counts", body)

    async def stock_return(c: Ctx) -> httpx.Response:
        store = await c.store("returned")
        return await c.call(
            "warehouse", "POST", "/api/stock/returns", {"job_part_id": await c.usage(), "store_id": store}
        )

    async def receipt(c: Ctx) -> httpx.Response:
        return await c.receipt(await c.store("new"))

    async def handled(c: Ctx) -> str:
        cid = await c.complaint()
        r = await c.call("qa", "POST", f"/api/complaints/{cid}/handle", {"handling": "已致歉"})
        assert r.status_code == 200, r.text
        return cid

    async def visit(c: Ctx) -> str:
        job_id = await c.resolved_job()
        r = await c.call("qa", "POST", f"/api/jobs/{job_id}/approve", {})
        assert r.status_code == 200, r.text
        visits = (await c.call("qa", "GET", f"/api/return-visits?job_id={job_id}")).json()["items"]
        return str(visits[0]["id"])

    async def new_visit(c: Ctx) -> httpx.Response:
        job_id = await c.resolved_job()
        return await c.call(
            "qa", "POST", "/api/return-visits", {"job_id": job_id, "scheduled_on": "2026-12-30"}
        )

    async def equipment(c: Ctx) -> str:
        return str(w.equipment_id)

    async def user(c: Ctx) -> str:
        return eng2

    async def policy_free_customer(c: Ctx) -> httpx.Response:
        body = {"customer_id": str(w.other_customer_id), "severity": "major"}
        body |= {"respond_minutes": 10, "onsite_minutes": 60, "fix_minutes": 240, "backup_minutes": 240}
        return await c.call("manager", "POST", "/api/sla-policies", body)

    async def template(c: Ctx) -> httpx.Response:
        body = {
            "category": "gate_hoist" if "gate_hoist" in _categories() else _categories()[1],
            "job_kind": "repair",
            "name": "检查",
            "items": [
                {"code": "seal", "label_zh": "密封", "label_en": "Seal", "kind": "check", "required": True}
            ],
        }
        return await c.call("manager", "POST", "/api/checklist-templates", body)

    recipes: dict[tuple[str, str], Recipe] = {
        ("POST", "/api/auth/login"): login,
        ("POST", "/api/auth/logout"): logout,
        ("POST", "/api/auth/password"): password,
        ("POST", "/api/users"): const(
            "/api/users",
            "admin",
            {"username": "eng9", "display_name": "新人", "role": "engineer", "password": PASSWORD},
        ),
        ("PATCH", "/api/users/{user_id:uuid}"): on(
            "/api/users/{}", "admin", "PATCH", {"phone": "13800000000"}, user
        ),
        ("POST", "/api/customers"): const("/api/customers", "dispatcher", {"name": "新客户"}),
        ("POST", "/api/sites"): const(
            "/api/sites", "dispatcher", {"customer_id": str(w.customer_id), "name": "新泵站"}
        ),
        ("POST", "/api/equipment"): const(
            "/api/equipment",
            "dispatcher",
            {"site_id": str(w.site_id), "category": "drainage_pump", "model": "QSZ", "serial_no": "DP-9"},
        ),
        ("PATCH", "/api/equipment/{equipment_id:uuid}"): on(
            "/api/equipment/{}", "dispatcher", "PATCH", {"model": "QSZ-2000"}, equipment
        ),
        ("PATCH", "/api/customers/{customer_id:uuid}"): on(
            "/api/customers/{}",
            "dispatcher",
            "PATCH",
            {"contact_name": "赵科长"},
            lambda c: _const(str(w.customer_id)),
        ),
        ("PATCH", "/api/sites/{site_id:uuid}"): on(
            "/api/sites/{}", "dispatcher", "PATCH", {"contact_name": "老周"}, lambda c: _const(str(w.site_id))
        ),
        ("POST", "/api/contracts"): const(
            "/api/contracts",
            "manager",
            {
                "customer_id": str(w.customer_id),
                "number": "HT-1",
                "starts_on": "2020-01-01",
                "ends_on": "2020-12-31",
            },
        ),
        ("PATCH", "/api/contracts/{contract_id:uuid}"): on(
            "/api/contracts/{}", "manager", "PATCH", {"promise_text": "2小时内响应"}, Ctx.contract
        ),
        ("POST", "/api/contracts/{contract_id:uuid}/promises"): on(
            "/api/contracts/{}/promises",
            "manager",
            "POST",
            {"respond_minutes": 30, "onsite_minutes": 60, "fix_minutes": 90, "backup_minutes": 480},
            Ctx.contract,
        ),
        ("DELETE", "/api/contracts/{contract_id:uuid}/promises/{promise_id:uuid}"): on(
            "/api/contracts/{}", "manager", "DELETE", None, Ctx.promise
        ),
        ("POST", "/api/contracts/{contract_id:uuid}/certificates"): on(
            "/api/contracts/{}/certificates",
            "manager",
            "POST",
            {
                "number": "ZLBX-1",
                "issued_on": "2020-01-01",
                "scope": "排涝泵",
                "starts_on": "2020-01-01",
                "ends_on": "2022-01-01",
            },
            Ctx.contract,
        ),
        ("POST", "/api/contracts/{contract_id:uuid}/agreements"): on(
            "/api/contracts/{}/agreements",
            "manager",
            "POST",
            {
                "number": "WHXY-1",
                "scope": "排涝泵",
                "fee": "1200.00",
                "starts_on": "2022-01-01",
                "ends_on": "2024-01-01",
            },
            Ctx.contract,
        ),
        ("PATCH", "/api/contracts/{contract_id:uuid}/certificates/{certificate_id:uuid}"): on(
            "/api/contracts/{}", "manager", "PATCH", {"scope": "排涝泵、发电机组"}, certificate
        ),
        ("PATCH", "/api/contracts/{contract_id:uuid}/agreements/{agreement_id:uuid}"): on(
            "/api/contracts/{}", "manager", "PATCH", {"fee": "1300.50"}, agreement
        ),
        ("PUT", "/api/jobs/{job_id:uuid}/manager-decision"): on(
            "/api/jobs/{}/manager-decision", "manager", "PUT", {"text": "给予表扬"}, Ctx.resolved_job
        ),
        ("POST", "/api/sla-policies"): policy_free_customer,
        ("PUT", "/api/sla-policies/{policy_id:uuid}"): _sla_update,
        ("POST", "/api/checklist-templates"): template,
        ("POST", "/api/parts"): const(
            "/api/parts",
            "warehouse",
            {"code": "P-9", "name": "叶轮", "unit": "个", "unit_price": 10, "categories": []},
        ),
        ("POST", "/api/devices/{device_id:uuid}/revoke"): on(
            "/api/devices/{}/revoke", "admin", "POST", None, _spare_device
        ),
        ("POST", "/api/jobs"): create_job,
        ("PATCH", "/api/jobs/{job_id:uuid}"): job_action("", {"symptom": "漏水严重"}),
        ("POST", "/api/jobs/{job_id:uuid}/assign"): job_action("assign", {"engineer_id": eng2}),
        ("POST", "/api/jobs/{job_id:uuid}/cancel"): job_action("cancel", {"reason": "客户撤销"}),
        ("POST", "/api/jobs/{job_id:uuid}/hold"): job_action("hold", {"reason": "等备件"}),
        ("POST", "/api/jobs/{job_id:uuid}/resume"): job_action("resume", None),
        ("POST", "/api/jobs/{job_id:uuid}/approve"): job_action("approve", {}, "qa", "resolved"),
        ("POST", "/api/jobs/{job_id:uuid}/return"): job_action(
            "return", {"reason": "缺照片"}, "qa", "resolved"
        ),
        ("POST", "/api/jobs/{job_id:uuid}/billing"): job_action(
            "billing", {"billable": True, "reason": "man_made", "note": "人为损坏"}, "manager"
        ),
        ("POST", "/api/inspections/schedules"): new_schedule,
        ("PATCH", "/api/inspections/schedules/{schedule_id:uuid}"): on(
            "/api/inspections/schedules/{}", "dispatcher", "PATCH", {"engineer_id": eng2}, Ctx.schedule
        ),
        ("POST", "/api/inspections/schedules/{schedule_id:uuid}/deactivate"): on(
            "/api/inspections/schedules/{}/deactivate", "dispatcher", "POST", None, Ctx.schedule
        ),
        ("POST", "/api/inspections/generate"): on(
            "/api/inspections/generate{}", "dispatcher", "POST", None, lambda c: _empty(c.schedule())
        ),
        ("POST", "/api/sync/push"): _push,
        ("POST", "/api/conflicts/{conflict_id:uuid}/accept"): on(
            "/api/conflicts/{}/accept", "dispatcher", "POST", {"note": "设备值不采纳"}, Ctx.conflict
        ),
        ("POST", "/api/conflicts/{conflict_id:uuid}/override"): on(
            "/api/conflicts/{}/override",
            "dispatcher",
            "POST",
            {"value": "叶轮磨损", "note": "核实"},
            Ctx.conflict,
        ),
        ("POST", "/api/stock/stores"): const(
            "/api/stock/stores", "warehouse", {"kind": "new", "name": "二号库"}
        ),
        ("PATCH", "/api/stock/stores/{store_id:uuid}"): on(
            "/api/stock/stores/{}", "warehouse", "PATCH", {"name": "改名库"}, lambda c: c.store("new")
        ),
        ("POST", "/api/stock/receipts"): receipt,
        ("POST", "/api/stock/transfers"): transfer,
        ("POST", "/api/stock/returns"): stock_return,
        ("POST", "/api/stock/counts"): count,
        ("PUT", "/api/stock/reorder-levels"): set_level,
        ("DELETE", "/api/stock/reorder-levels/{level_id:uuid}"): on(
            "/api/stock/reorder-levels/{}", "warehouse", "DELETE", None, reorder_level
        ),
        ("POST", "/api/stock/shipments"): ship,
        ("POST", "/api/stock/shipments/{shipment_id:uuid}/receive"): on(
            "/api/stock/shipments/{}/receive", "eng1", "POST", {}, shipment
        ),
        ("POST", "/api/stock/approval/rules"): approval_rule,
        ("DELETE", "/api/stock/approval/rules/{rule_id:uuid}"): on(
            "/api/stock/approval/rules/{}", "manager", "DELETE", None, rule_id
        ),
        ("POST", "/api/stock/requests/{request_id:uuid}/approve"): on(
            "/api/stock/requests/{}/approve", "manager", "POST", {"note": "同意"}, stock_request
        ),
        ("POST", "/api/stock/requests/{request_id:uuid}/reject"): on(
            "/api/stock/requests/{}/reject", "manager", "POST", {}, stock_request
        ),
        ("POST", "/api/backup-units"): const(
            "/api/backup-units",
            "warehouse",
            {"category": "drainage_pump", "model": "QW100-30", "serial_no": "BY-1"},
        ),
        ("PATCH", "/api/backup-units/{unit_id:uuid}"): on(
            "/api/backup-units/{}", "warehouse", "PATCH", {"status": "repair"}, unit
        ),
        ("POST", "/api/loans"): lend,
        ("POST", "/api/escalation/rules"): const("/api/escalation/rules", "manager", rule_body),
        ("PUT", "/api/escalation/rules/{rule_id:uuid}"): on(
            "/api/escalation/rules/{}", "manager", "PUT", rule_body | {"active": False}, rule
        ),
        ("DELETE", "/api/escalation/rules/{rule_id:uuid}"): on(
            "/api/escalation/rules/{}", "manager", "DELETE", None, rule
        ),
        ("POST", "/api/escalation/scan"): const("/api/escalation/scan", "manager", None),
        ("POST", "/api/stations"): const("/api/stations", "manager", {"name": "武汉服务站"}),
        ("PATCH", "/api/stations/{station_id:uuid}"): on(
            "/api/stations/{}", "manager", "PATCH", {"phone": "027-1234"}, station
        ),
        ("PUT", "/api/stations/{station_id:uuid}/engineers"): on(
            "/api/stations/{}/engineers", "manager", "PUT", {"engineer_ids": [str(w.users["eng1"])]}, station
        ),
        ("POST", "/api/regions"): const("/api/regions", "manager", {"name": "抚州市"}),
        ("PATCH", "/api/regions/{region_id:uuid}"): on(
            "/api/regions/{}", "manager", "PATCH", {"name": "抚州市临川区"}, region
        ),
        ("PUT", "/api/regions/{region_id:uuid}/places"): on(
            "/api/regions/{}/places", "manager", "PUT", {"customer_ids": [str(w.customer_id)]}, region
        ),
        ("POST", "/api/notifications/{notification_id:uuid}/read"): on(
            "/api/notifications/{}/read", "dispatcher", "POST", None, note
        ),
        ("POST", "/api/notifications/read-all"): on(
            "/api/notifications/read-all", "dispatcher", "POST", None, lambda c: _empty(note(c))
        ),
        ("PUT", "/api/equipment/{equipment_id:uuid}/documents/{kind:str}"): on(
            "/api/equipment/{}/documents/certificate",
            "dispatcher",
            "PUT",
            {"received": True, "received_on": "2024-05-06"},
            lambda c: _const(str(w.equipment_id)),
        ),
        ("PUT", "/api/equipment/{equipment_id:uuid}/documents/{kind:str}/scan"): scan,
        ("POST", "/api/people/staff/{engineer_id:uuid}/certificates"): on(
            "/api/people/staff/{}/certificates", "manager", "POST", cert_body, staff_engineer
        ),
        ("PUT", "/api/people/certificates/{certificate_id:uuid}"): on(
            "/api/people/certificates/{}", "manager", "PUT", cert_body | {"level": "高级"}, staff_certificate
        ),
        ("DELETE", "/api/people/certificates/{certificate_id:uuid}"): on(
            "/api/people/certificates/{}", "admin", "DELETE", None, staff_certificate
        ),
        ("PUT", "/api/people/staff/{engineer_id:uuid}/qualifications"): on(
            "/api/people/staff/{}/qualifications",
            "manager",
            "PUT",
            {"qualifications": [{"category": "drainage_pump"}]},
            staff_engineer,
        ),
        ("POST", "/api/people/staff/{engineer_id:uuid}/training"): on(
            "/api/people/staff/{}/training", "manager", "POST", course_body, staff_engineer
        ),
        ("DELETE", "/api/people/training/{training_id:uuid}"): on(
            "/api/people/training/{}", "manager", "DELETE", None, staff_course
        ),
        ("POST", "/api/loans/{loan_id:uuid}/return"): give_back,
        ("POST", "/api/paid/quotes/{quote_id:uuid}/charge"): issue_charge,
        ("POST", "/api/paid/charges/{charge_id:uuid}/payments"): record_payment,
        ("POST", "/api/complaints"): const(
            "/api/complaints",
            "dispatcher",
            {"customer_id": str(w.customer_id), "content": "回访打不通", "channel": "online"},
        ),
        ("POST", "/api/complaints/{complaint_id:uuid}/handle"): on(
            "/api/complaints/{}/handle", "qa", "POST", {"handling": "已致歉"}, Ctx.complaint
        ),
        ("POST", "/api/complaints/{complaint_id:uuid}/close"): on(
            "/api/complaints/{}/close", "qa", "POST", {"root_cause": "调度失误"}, handled
        ),
        ("POST", "/api/contacts"): const(
            "/api/contacts",
            "qa",
            {"customer_id": str(w.customer_id), "kind": "inquiry", "summary": "轴承多久换", "answer": "两年"},
        ),
        ("PATCH", "/api/contacts/{contact_id:uuid}"): on(
            "/api/contacts/{}", "qa", "PATCH", {"outcome": "已答复"}, Ctx.inquiry
        ),
        ("POST", "/api/contacts/{contact_id:uuid}/job"): on(
            "/api/contacts/{}/job", "dispatcher", "POST", {"site_id": str(w.site_id)}, Ctx.inquiry
        ),
        ("PUT", "/api/customers/{customer_id:uuid}/care"): on(
            "/api/customers/{}/care",
            "manager",
            "PUT",
            {"key_customer": True, "responsible_id": str(w.users["dispatcher"])},
            lambda c: _const(str(w.customer_id)),
        ),
        ("POST", "/api/return-visits"): new_visit,
        ("POST", "/api/return-visits/{visit_id:uuid}/record"): on(
            "/api/return-visits/{}/record", "qa", "POST", {"result": "unreachable", "note": "无人接听"}, visit
        ),
        ("POST", "/api/training"): const(
            "/api/training",
            "dispatcher",
            {
                "customer_id": str(w.customer_id),
                "site_id": str(w.site_id),
                "equipment_id": str(w.equipment_id),
                "content": "培训",
                "engineer_id": str(w.users["eng1"]),
                "place": "会议室",
                "scheduled_at": "2026-08-03T09:30:00+08:00",
                "attendees": ["刘站长"],
            },
        ),
        ("PATCH", "/api/training/{job_id:uuid}"): on(
            "/api/training/{}", "dispatcher", "PATCH", {"place": "泵站二楼"}, Ctx.training
        ),
    }

    # returns, appraisals, supplier claims, compensation (server/returns)
    async def requested(c: Ctx) -> str:
        body = {"customer_id": str(w.customer_id), "part_id": part, "kind": "exchange", "reason": "漏水"}
        r = await c.call("dispatcher", "POST", "/api/returns", body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def verdict(return_id: str) -> dict[str, Any]:
        return {
            "return_id": return_id,
            "defect_type": "material",
            "supplier_fault": True,
            "supplier": "密封件厂",
        }

    async def appraised(c: Ctx) -> str:
        made = await requested(c)
        r = await c.call("qa", "POST", "/api/appraisals", verdict(made))
        assert r.status_code == 201, r.text
        return made

    async def decided(c: Ctx) -> str:
        made = await appraised(c)
        r = await c.call("manager", "POST", f"/api/returns/{made}/decision", {"decision": "refuse"})
        assert r.status_code == 200, r.text
        return made

    async def appraise(c: Ctx) -> httpx.Response:
        return await c.call("qa", "POST", "/api/appraisals", verdict(await requested(c)))

    async def claim_body(c: Ctx) -> dict[str, Any]:
        made = await appraised(c)
        r = await c.call("qa", "GET", f"/api/returns/{made}")
        return {"appraisal_id": r.json()["appraisal"]["id"], "amount_claimed": "100.00"}

    async def open_claim(c: Ctx) -> httpx.Response:
        return await c.call("qa", "POST", "/api/supplier-claims", await claim_body(c))

    async def claim(c: Ctx) -> str:
        r = await open_claim(c)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def submitted(c: Ctx) -> str:
        made = await claim(c)
        r = await c.call("qa", "POST", f"/api/supplier-claims/{made}/submit")
        assert r.status_code == 200, r.text
        return made

    async def compensation_body(c: Ctx) -> dict[str, Any]:
        return {"job_id": await c.job(), "kind": "direct_loss", "amount": "50.00", "evidence": "停机损失"}

    async def compensate(c: Ctx) -> httpx.Response:
        return await c.call("dispatcher", "POST", "/api/compensations", await compensation_body(c))

    async def compensation(c: Ctx) -> str:
        r = await compensate(c)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def requested_call(c: Ctx) -> httpx.Response:
        body = {"customer_id": str(w.customer_id), "part_id": part, "kind": "return", "reason": "漏水"}
        return await c.call("dispatcher", "POST", "/api/returns", body)

    signed = {
        "signer_name": "王主任",
        "signature": "M 1 1 L 20 20",
        "signed_at": datetime.now(UTC).isoformat(),
    }
    recipes |= {
        ("POST", "/api/returns"): requested_call,
        ("POST", "/api/appraisals"): appraise,
        ("POST", "/api/returns/{return_id:uuid}/decision"): on(
            "/api/returns/{}/decision", "manager", "POST", {"decision": "refuse"}, appraised
        ),
        ("POST", "/api/returns/{return_id:uuid}/complete"): on(
            "/api/returns/{}/complete", "dispatcher", "POST", signed, decided
        ),
        ("POST", "/api/supplier-claims"): open_claim,
        ("POST", "/api/supplier-claims/{claim_id:uuid}/submit"): on(
            "/api/supplier-claims/{}/submit", "qa", "POST", None, claim
        ),
        ("POST", "/api/supplier-claims/{claim_id:uuid}/settle"): on(
            "/api/supplier-claims/{}/settle", "qa", "POST", {"outcome": "rejected"}, submitted
        ),
        ("POST", "/api/compensations"): compensate,
        ("POST", "/api/knowledge/cases"): draft_case,
        ("PATCH", "/api/knowledge/cases/{case_id:uuid}"): on(
            "/api/knowledge/cases/{}", "qa", "PATCH", {"title": "机械密封漏油"}, knowledge_case
        ),
        ("POST", "/api/knowledge/cases/{case_id:uuid}/publish"): on(
            "/api/knowledge/cases/{}/publish", "qa", "POST", None, knowledge_case
        ),
        ("POST", "/api/knowledge/cases/{case_id:uuid}/unpublish"): on(
            "/api/knowledge/cases/{}/unpublish", "qa", "POST", None, published_case
        ),
        ("DELETE", "/api/knowledge/cases/{case_id:uuid}"): on(
            "/api/knowledge/cases/{}", "qa", "DELETE", None, knowledge_case
        ),
        ("POST", "/api/knowledge/manuals"): upload_manual,
        ("DELETE", "/api/knowledge/manuals/{manual_id:uuid}"): on(
            "/api/knowledge/manuals/{}", "qa", "DELETE", None, manual
        ),
        ("PUT", "/api/knowledge/trainings/{job_id:uuid}"): on(
            "/api/knowledge/trainings/{}",
            "dispatcher",
            "PUT",
            {"phase": "installation"},
            lambda c: c.training(),
        ),
        ("POST", "/api/compensations/{compensation_id:uuid}/decision"): on(
            "/api/compensations/{}/decision", "manager", "POST", {"approve": True}, compensation
        ),
    }

    # quality incidents (server/quality)
    def incident_body() -> dict[str, Any]:
        return {
            "title": "排涝泵机械密封批量渗漏",
            "equipment_model": "QSZ-1500 潜水排涝泵",
            "fault": "机械密封渗漏",
            "fault_category": "seal_leak",
            "owner_id": str(w.users["qa"]),
        }

    async def incident(c: Ctx) -> str:
        r = await c.call("qa", "POST", "/api/quality-incidents", incident_body())
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def open_incident(c: Ctx) -> httpx.Response:
        return await c.call("qa", "POST", "/api/quality-incidents", incident_body())

    async def link_job(c: Ctx) -> httpx.Response:
        made, job_id = await incident(c), await c.job()
        return await c.call("qa", "POST", f"/api/quality-incidents/{made}/jobs", {"job_id": job_id})

    async def unlink_job(c: Ctx) -> httpx.Response:
        made, job_id = await incident(c), await c.job()
        r = await c.call("qa", "POST", f"/api/quality-incidents/{made}/jobs", {"job_id": job_id})
        assert r.status_code == 201, r.text
        return await c.call("qa", "DELETE", f"/api/quality-incidents/{made}/jobs/{job_id}")

    recipes |= {
        ("POST", "/api/quality-incidents"): open_incident,
        ("PATCH", "/api/quality-incidents/{incident_id:uuid}"): on(
            "/api/quality-incidents/{}", "qa", "PATCH", {"title": "密封件批量渗漏"}, incident
        ),
        ("POST", "/api/quality-incidents/{incident_id:uuid}/status"): on(
            "/api/quality-incidents/{}/status", "manager", "POST", {"status": "investigating"}, incident
        ),
        ("POST", "/api/quality-incidents/{incident_id:uuid}/jobs"): link_job,
        ("DELETE", "/api/quality-incidents/{incident_id:uuid}/jobs/{job_id:uuid}"): unlink_job,
        ("POST", "/api/quality-incidents/{incident_id:uuid}/actions"): on(
            "/api/quality-incidents/{}/actions",
            "qa",
            "POST",
            {"taken_on": "2026-06-01", "who": "质管老陈", "what": "通知用户暂停使用"},
            incident,
        ),
    }

    return recipes


async def _const(value: str) -> str:
    return value


async def _empty(made: Awaitable[str]) -> str:
    await made
    return ""


def _categories() -> list[str]:
    from shared.enums import EquipmentCategory

    return [c.value for c in EquipmentCategory]


async def _count(world: World) -> int:
    async with world.app.state.sessionmaker() as s:
        return int(await s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def _newest(world: World, after: int) -> list[str]:
    async with world.app.state.sessionmaker() as s:
        return list((await s.scalars(select(AuditEntry.action).where(AuditEntry.seq > after))).all())


async def test_every_route_that_changes_data_writes_an_audit_entry(
    world: World, new_device: DeviceFactory
) -> None:
    ctx = Ctx(world, new_device)
    recipes = _recipes(ctx)
    changing = sorted(
        {
            (m, p)
            for m, p, _ in _routes(world)
            if m in {"POST", "PUT", "PATCH", "DELETE"} and p.startswith("/api/")
        }
    )
    missing = [f"{m} {p}" for m, p in changing if (m, p) not in recipes and (m, p) not in NOT_AUDITED]
    assert missing == [], "routes that change data with no recipe here (add one, or a justified NOT_AUDITED)"
    silent = []
    for method, path in changing:
        if (method, path) in NOT_AUDITED:
            continue
        r = await recipes[(method, path)](ctx)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text[:300]}"
        if ctx.wrote == 0:  # counted around the route's own request, not its set-up
            silent.append(f"{method} {path}")
    assert silent == [], f"routes that changed data and wrote no audit entry: {silent}"
    async with world.app.state.sessionmaker() as s:
        assert (await verify_chain(s)).ok


async def test_who_may_do_what_changes_are_in_the_trail_with_before_and_after(world: World) -> None:
    admin = await world.login("admin")
    start = await _count(world)
    r = await world.client.patch(f"/api/users/{world.users['eng2']}", json={"active": False}, headers=admin)
    assert r.status_code == 200, r.text
    wrong = await world.client.post(
        "/api/auth/password",
        json={"old_password": "not-it", "new_password": "another-long-one"},
        headers=await world.login("qa"),
    )
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    for _ in range(6):
        body = {"username": "eng1", "password": "guess", "device_name": "x"}
        assert (await world.client.post("/api/auth/login", json=body)).status_code in (401, 429)
    async with world.app.state.sessionmaker() as s:
        entries = (
            await s.scalars(select(AuditEntry).where(AuditEntry.seq > start).order_by(AuditEntry.seq))
        ).all()
    by_action: dict[str, list[AuditEntry]] = {}
    for e in entries:
        by_action.setdefault(e.action, []).append(e)
    [deactivated] = by_action["user.update"]
    assert deactivated.entity_id == str(world.users["eng2"]) and deactivated.user_id == world.users["admin"]
    assert deactivated.detail == {"changes": {"active": [True, False]}, "devices_revoked": 0}
    [failed] = by_action["auth.password_failed"]
    assert failed.user_id == world.users["qa"] and failed.device_id is not None
    [lockout] = by_action["auth.lockout"]  # once, when it starts; not for every refused try
    assert lockout.entity_id == str(world.users["eng1"])
