"""Returns, exchanges, old-part appraisals, supplier claims and compensation through HTTP on both
databases: the whole path of a request (requested → appraised → decided → completed) with the stock it
moves through the parts ledger, the customer's signature, every illegal step a coded 409, the roles, a
supplier claim to settlement, self-repair only after a missed on-site promise, and the monthly report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from server.db.models import AuditEntry, Job, StockMovement
from shared.refusals import refusal_text
from tests.server.test_stock_api import open_stores, receive
from tests.support import World

SIGNATURE = "M 10 10 L 120 40 L 200 15"


async def _request(world: World, kind: str = "exchange", quantity: int = 2) -> dict[str, Any]:
    r = await world.client.post(
        "/api/returns",
        json={
            "customer_id": str(world.customer_id),
            "part_id": str(world.part_id),
            "quantity": quantity,
            "kind": kind,
            "reason": "机械密封漏水",
        },
        headers=await world.login("dispatcher"),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _appraise(world: World, return_id: str, supplier_fault: bool = True) -> dict[str, Any]:
    body = {
        "return_id": return_id,
        "defect_type": "material",
        "supplier_fault": supplier_fault,
        "supplier": "温州密封件厂" if supplier_fault else "",
        "note": "密封环材料开裂",
    }
    r = await world.client.post("/api/appraisals", json=body, headers=await world.login("qa"))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _balance(world: World, store_id: str) -> int:
    r = await world.client.get(
        f"/api/stock/balances?store_id={store_id}&part_id={world.part_id}",
        headers=await world.login("warehouse"),
    )
    assert r.status_code == 200, r.text
    return sum(b["quantity"] for b in r.json())


async def test_an_exchange_goes_through_appraisal_decision_and_signature_moving_stock_once(
    world: World,
) -> None:
    stores = await open_stores(world)
    await receive(world, stores["new"]["id"], str(world.part_id), 5, 380.0)
    made = await _request(world)
    assert (made["status"], made["number"][:2], made["customer_name"]) == ("requested", "TH", "临川区水利局")
    manager = await world.login("manager")
    decide = {"decision": "exchange", "note": "同意换新"}

    early = await world.client.post(f"/api/returns/{made['id']}/decision", json=decide, headers=manager)
    assert early.status_code == 409 and early.json()["code"] == "return.illegal_step", early.text
    assert refusal_text("zh-CN", early.json()) == f"退换申请 {made['number']} 已申请，不能改为已决定"

    appraisal = await _appraise(world, made["id"])
    assert (appraisal["defect_type"], appraisal["supplier_fault"]) == ("material", True)
    again = await world.client.post(
        "/api/appraisals",
        json={"return_id": made["id"], "defect_type": "wear", "supplier_fault": False},
        headers=await world.login("qa"),
    )
    assert again.status_code == 409, again.text

    for who in ("dispatcher", "qa", "warehouse"):  # only the manager decides
        r = await world.client.post(
            f"/api/returns/{made['id']}/decision", json=decide, headers=await world.login(who)
        )
        assert r.status_code == 403, who
    decided = await world.client.post(f"/api/returns/{made['id']}/decision", json=decide, headers=manager)
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["status"], body["decision"], len(body["movement_ids"])) == ("decided", "exchange", 2)
    assert await _balance(world, stores["new"]["id"]) == 3  # the replacement, out of the new store
    assert await _balance(world, stores["returned"]["id"]) == 2  # the faulty units, into the old store

    twice = await world.client.post(f"/api/returns/{made['id']}/decision", json=decide, headers=manager)
    assert twice.status_code == 409
    assert await _balance(world, stores["new"]["id"]) == 3  # nothing moved twice

    desk = await world.login("dispatcher")
    signed_at = datetime.now(UTC).isoformat()
    bad = await world.client.post(
        f"/api/returns/{made['id']}/complete",
        json={"signer_name": "王主任", "signature": "M 1e9 0 L 1 1", "signed_at": signed_at},
        headers=desk,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "return.bad_signature", bad.text
    done = await world.client.post(
        f"/api/returns/{made['id']}/complete",
        json={"signer_name": "王主任", "signature": SIGNATURE, "signed_at": signed_at},
        headers=desk,
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["signature"], done.json()["signer_name"]) == (
        "completed",
        SIGNATURE,
        "王主任",
    )
    async with world.app.state.sessionmaker() as s:
        kinds = sorted(
            (await s.scalars(select(StockMovement.kind).where(StockMovement.reason == made["number"]))).all()
        )
        actions = set((await s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "return"))).all())
    assert kinds == ["exchange_out", "return_old"]
    assert actions == {"return.request", "return.decide", "return.complete"}


async def test_an_exchange_with_too_few_new_parts_is_refused_and_leaves_nothing(world: World) -> None:
    stores = await open_stores(world)
    await receive(world, stores["new"]["id"], str(world.part_id), 1, 380.0)
    made = await _request(world, quantity=3)
    await _appraise(world, made["id"], supplier_fault=False)
    r = await world.client.post(
        f"/api/returns/{made['id']}/decision",
        json={"decision": "exchange"},
        headers=await world.login("manager"),
    )
    assert r.status_code == 409 and r.json()["code"] == "stock.insufficient_stock", r.text
    assert await _balance(world, stores["returned"]["id"]) == 0  # the take-back rolled back with it
    assert (await world.client.get(f"/api/returns/{made['id']}", headers=await world.login("qa"))).json()[
        "status"
    ] == "appraised"
    refund = await world.client.post(
        f"/api/returns/{made['id']}/decision",
        json={"decision": "return"},
        headers=await world.login("manager"),
    )
    assert refund.status_code == 422 and refund.json()["code"] == "return.refund_required"
    refused = await world.client.post(
        f"/api/returns/{made['id']}/decision",
        json={"decision": "refuse", "note": "人为损坏"},
        headers=await world.login("manager"),
    )
    assert refused.status_code == 200 and refused.json()["movement_ids"] == []


async def test_a_supplier_fault_becomes_a_claim_tracked_to_settlement(world: World) -> None:
    made = await _request(world, kind="return")
    appraisal = await _appraise(world, made["id"])
    qa = await world.login("qa")
    opened = await world.client.post(
        "/api/supplier-claims", json={"appraisal_id": appraisal["id"], "amount_claimed": "760.00"}, headers=qa
    )
    assert opened.status_code == 201, opened.text
    claim = opened.json()
    assert (claim["status"], claim["supplier"], Decimal(claim["amount_claimed"])) == (
        "open",
        "温州密封件厂",
        Decimal("760.00"),
    )
    dup = await world.client.post(
        "/api/supplier-claims", json={"appraisal_id": appraisal["id"], "amount_claimed": "1"}, headers=qa
    )
    assert dup.status_code == 409 and dup.json()["code"] == "claim.exists"
    early = await world.client.post(
        f"/api/supplier-claims/{claim['id']}/settle",
        json={"outcome": "settled", "amount_settled": "700"},
        headers=qa,
    )
    assert early.status_code == 409 and early.json()["code"] == "claim.illegal_step"
    assert (
        await world.client.post(f"/api/supplier-claims/{claim['id']}/submit", headers=qa)
    ).status_code == 200
    over = await world.client.post(
        f"/api/supplier-claims/{claim['id']}/settle",
        json={"outcome": "settled", "amount_settled": "800"},
        headers=qa,
    )
    assert over.status_code == 422 and over.json()["code"] == "claim.settled_over_claimed"
    floaty = await world.client.post(
        f"/api/supplier-claims/{claim['id']}/settle",
        json={"outcome": "settled", "amount_settled": "1.005"},
        headers=qa,
    )
    assert floaty.status_code == 400, floaty.text  # three decimals is not money
    settled = await world.client.post(
        f"/api/supplier-claims/{claim['id']}/settle",
        json={"outcome": "settled", "amount_settled": "700.50"},
        headers=qa,
    )
    assert settled.status_code == 200 and Decimal(settled.json()["amount_settled"]) == Decimal("700.50")
    denied = await world.client.post(
        f"/api/supplier-claims/{claim['id']}/submit", headers=await world.login("dispatcher")
    )
    assert denied.status_code == 403

    no_fault = await _appraise(world, (await _request(world))["id"], supplier_fault=False)
    r = await world.client.post(
        "/api/supplier-claims", json={"appraisal_id": no_fault["id"], "amount_claimed": "10"}, headers=qa
    )
    assert r.status_code == 422 and r.json()["code"] == "claim.not_supplier_fault"

    report = await world.client.get("/api/reports/returns", headers=qa)
    assert report.status_code == 200, report.text
    month = datetime.now(UTC).astimezone().strftime("%Y-%m")
    totals = {m["month"]: m for m in report.json()["months"]}
    assert any(Decimal(m["claimed"]) == Decimal("760.00") for m in totals.values()), totals.get(month)
    assert sum(Decimal(m["settled"]) for m in totals.values()) == Decimal("700.50")


async def test_self_repair_only_after_a_missed_onsite_promise_and_the_manager_approves(world: World) -> None:
    kept = (await world.create_job(engineer="eng1"))["id"]
    missed = (await world.create_job(engineer="eng1"))["id"]
    async with world.app.state.sessionmaker() as s:
        past = datetime.now(UTC) - timedelta(hours=5)
        await s.execute(update(Job).where(Job.id == missed).values(onsite_due_at=past, arrived_at=None))
        await s.execute(
            update(Job)
            .where(Job.id == kept)
            .values(onsite_due_at=past, arrived_at=past - timedelta(minutes=10))
        )
        await s.commit()
    desk = await world.login("dispatcher")
    body = {"kind": "self_repair", "amount": "1200.00", "evidence": "用户自行抢修发票 No.123"}
    refused = await world.client.post("/api/compensations", json={"job_id": kept, **body}, headers=desk)
    assert refused.status_code == 409 and refused.json()["code"] == "compensation.onsite_kept", refused.text
    made = await world.client.post("/api/compensations", json={"job_id": missed, **body}, headers=desk)
    assert made.status_code == 201 and made.json()["status"] == "proposed", made.text
    loss = await world.client.post(
        "/api/compensations",
        json={"job_id": kept, "kind": "direct_loss", "amount": "300", "evidence": "停机损失"},
        headers=desk,
    )
    assert loss.status_code == 201, loss.text
    for bad in ({**body, "amount": "-5"}, {**body, "amount": 1e30}, {**body, "evidence": ""}):
        r = await world.client.post("/api/compensations", json={"job_id": missed, **bad}, headers=desk)
        assert r.status_code == 400, r.text
    cid = made.json()["id"]
    qa = await world.client.post(
        f"/api/compensations/{cid}/decision", json={"approve": True}, headers=await world.login("qa")
    )
    assert qa.status_code == 403
    manager = await world.login("manager")
    ok = await world.client.post(
        f"/api/compensations/{cid}/decision", json={"approve": True, "note": "属实"}, headers=manager
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    twice = await world.client.post(
        f"/api/compensations/{cid}/decision", json={"approve": False}, headers=manager
    )
    assert twice.status_code == 409 and twice.json()["code"] == "compensation.illegal_step"

    report = (await world.client.get("/api/reports/returns", headers=manager)).json()
    assert sum(Decimal(m["self_repair"]) for m in report["months"]) == Decimal("1200.00")
    assert sum(Decimal(m["direct_loss"]) for m in report["months"]) == Decimal("0")  # not approved yet
    csv = await world.client.get("/api/reports/returns/export/returns.csv", headers=manager)
    assert csv.status_code == 200 and "1200.0" in csv.content.decode("utf-8-sig"), csv.text[:200]
    xlsx = await world.client.get("/api/reports/returns/export/returns.xlsx?lang=en", headers=manager)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    schema = (await world.client.get("/schema/openapi.json")).json()
    assert {"/api/returns", "/api/appraisals", "/api/supplier-claims", "/api/compensations"} <= {
        p.rstrip("/") for p in schema["paths"]
    }


async def test_an_old_part_handed_in_from_a_job_gets_a_verdict_once(world: World) -> None:
    import uuid

    from server.db.models import JobPart

    job = (await world.create_job(engineer="eng1"))["id"]
    handed, kept = uuid.uuid4(), uuid.uuid4()
    async with world.app.state.sessionmaker() as s:
        for ident, returned in ((handed, True), (kept, False)):
            s.add(
                JobPart(
                    id=ident,
                    job_id=uuid.UUID(job),
                    part_id=world.part_id,
                    quantity=1,
                    old_part_returned=returned,
                    used_at=datetime.now(UTC),
                )
            )
        await s.commit()
    qa = await world.login("qa")
    body = {"defect_type": "manufacturing", "supplier_fault": True, "supplier": "台州泰丰轴承"}
    no_supplier = await world.client.post(
        "/api/appraisals", json={"job_part_id": str(handed), **body, "supplier": ""}, headers=qa
    )
    assert no_supplier.status_code == 422 and no_supplier.json()["code"] == "appraisal.supplier_required"
    not_handed = await world.client.post(
        "/api/appraisals", json={"job_part_id": str(kept), **body}, headers=qa
    )
    assert not_handed.status_code == 422 and not_handed.json()["code"] == "appraisal.no_old_part"
    both = await world.client.post(
        "/api/appraisals",
        json={"job_part_id": str(handed), "return_id": str(uuid.uuid4()), **body},
        headers=qa,
    )
    assert both.status_code == 422 and both.json()["code"] == "appraisal.one_subject"
    made = await world.client.post("/api/appraisals", json={"job_part_id": str(handed), **body}, headers=qa)
    assert made.status_code == 201, made.text
    assert (made.json()["job_part_id"], made.json()["part_name"]) == (str(handed), "P-DP-001 机械密封")
    again = await world.client.post("/api/appraisals", json={"job_part_id": str(handed), **body}, headers=qa)
    assert again.status_code == 409 and again.json()["code"] == "appraisal.already_done"
    listed = await world.client.get(
        "/api/appraisals?supplier_fault=true", headers=await world.login("warehouse")
    )
    assert [a["id"] for a in listed.json()] == [made.json()["id"]]
    desk = await world.client.post(
        "/api/appraisals", json={"job_part_id": str(handed), **body}, headers=await world.login("dispatcher")
    )
    assert desk.status_code == 403
