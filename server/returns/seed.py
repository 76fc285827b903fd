"""Demo returns, appraisals, supplier claims and compensation (包退、包换、包赔), so every state and the
monthly report have something to show.

Requests over the last four months, one in each state and decision: exchanges and a return that moved
stock through the parts ledger (the ledger's own operations, at the decision's time), a refusal after a
misuse verdict, one waiting for the customer's signature, one waiting for the manager, one not appraised
yet. Supplier-fault verdicts open claims: settled, submitted, open and rejected (the demo has no parts
used on jobs, so no appraisal of a job's handed-in old part). Jobs that missed their on-site promise carry self-repair costs (approved and
awaiting approval), others a direct loss (approved, rejected). Everything comes from
``random.Random(rng_seed)`` and ``now``, like the rest of the demo.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import take_numbers
from server.db.models import (
    Customer,
    Job,
    JobCompensation,
    OldPartAppraisal,
    Part,
    ReturnRequest,
    Store,
    SupplierClaim,
    User,
)
from server.stock.ledger import Ledger
from shared.enums import Role
from shared.ids import uuid7
from shared.returns import (
    ClaimStatus,
    CompensationKind,
    CompensationStatus,
    DefectType,
    ReturnDecision,
    ReturnKind,
    ReturnStatus,
    missed_onsite,
)
from shared.stock import StoreKind

SUPPLIERS = ("温州华东密封件有限公司", "常州恒力电机配件厂", "台州泰丰轴承有限公司")
#: (asked for, days ago, defect, supplier fault, decision, signed, claim state) — None: not reached
PLAN: tuple[
    tuple[ReturnKind, int, DefectType | None, bool, ReturnDecision | None, bool, ClaimStatus | None], ...
] = (
    (
        ReturnKind.EXCHANGE,
        140,
        DefectType.MANUFACTURING,
        True,
        ReturnDecision.EXCHANGE,
        True,
        ClaimStatus.REJECTED,
    ),
    (ReturnKind.EXCHANGE, 110, DefectType.MATERIAL, True, ReturnDecision.EXCHANGE, True, ClaimStatus.SETTLED),
    (ReturnKind.RETURN, 85, DefectType.MANUFACTURING, False, ReturnDecision.RETURN, True, None),
    (ReturnKind.EXCHANGE, 60, DefectType.MISUSE, False, ReturnDecision.REFUSE, True, None),
    (ReturnKind.EXCHANGE, 35, DefectType.DESIGN, True, ReturnDecision.EXCHANGE, True, ClaimStatus.SUBMITTED),
    (ReturnKind.RETURN, 12, DefectType.MATERIAL, True, ReturnDecision.RETURN, False, ClaimStatus.OPEN),
    (ReturnKind.EXCHANGE, 6, DefectType.WEAR, False, None, False, None),
    (ReturnKind.RETURN, 2, None, False, None, False, None),
)
REASONS = (
    "机械密封漏水",
    "电机绕组烧毁",
    "轴承异响发热",
    "叶轮断裂",
    "控制柜接触器烧蚀",
    "启动后跳闸",
    "出水量不足",
)


def _signature(rng: random.Random) -> str:
    x, y = 20.0, 80.0
    points = [f"M {x:.0f} {y:.0f}"]
    for _ in range(14):
        x += rng.uniform(12, 30)
        y = max(10.0, min(190.0, y + rng.uniform(-40, 40)))
        points.append(f"L {x:.0f} {y:.0f}")
    return " ".join(points)


async def seed_returns(session: AsyncSession, *, now: datetime, rng_seed: int) -> dict[str, int]:
    """The demo's requests, appraisals, claims and compensation; the caller commits. Returns row counts."""
    rng = random.Random(rng_seed + 17)
    users = {u.role: u for u in (await session.scalars(select(User).order_by(User.username))).all()}
    manager, qa, desk = users[Role.MANAGER.value], users[Role.QA.value], users[Role.DISPATCHER.value]
    customers = list((await session.scalars(select(Customer).order_by(Customer.name))).all())
    parts = list((await session.scalars(select(Part).order_by(Part.code))).all())
    stores = {
        s.kind: s.id
        for s in (
            await session.scalars(select(Store).where(Store.active.is_(True)).order_by(Store.name))
        ).all()
        if s.kind in (StoreKind.NEW.value, StoreKind.RETURNED.value)
    }
    if not customers or not parts or len(stores) < 2:
        return {"return_requests": 0}
    requests: list[ReturnRequest] = []
    appraisals: list[OldPartAppraisal] = []
    claims: list[SupplierClaim] = []
    for i, (kind, days, defect, fault, decision, signed, claim_state) in enumerate(PLAN):
        customer, part = customers[i % len(customers)], parts[rng.randrange(len(parts))]
        quantity = rng.choice((1, 1, 2))
        asked = now - timedelta(days=days, hours=rng.randint(1, 6))
        number = f"TH{asked.year}-{await take_numbers(session, 'returns'):04d}"
        row = ReturnRequest(
            id=uuid7(),
            number=number,
            customer_id=customer.id,
            part_id=part.id,
            quantity=quantity,
            kind=kind.value,
            reason=REASONS[i % len(REASONS)],
            status=ReturnStatus.REQUESTED.value,
            requested_by=desk.id,
            requested_at=asked,
            decision_note="",
            movement_ids=[],
            signer_name="",
            signature="",
            created_at=asked,
            updated_at=asked,
        )
        session.add(row)
        requests.append(row)
        await session.flush()
        if defect is None:
            continue
        appraised_at = asked + timedelta(days=1, hours=rng.randint(0, 5))
        appraisal = OldPartAppraisal(
            id=uuid7(),
            return_id=row.id,
            part_id=part.id,
            quantity=quantity,
            defect_type=defect.value,
            supplier_fault=fault,
            supplier=SUPPLIERS[i % len(SUPPLIERS)] if fault else "",
            note="拆检确认" + ("，外购件质量问题" if fault else ""),
            appraised_by=qa.id,
            appraised_at=appraised_at,
            created_at=appraised_at,
            updated_at=appraised_at,
        )
        session.add(appraisal)
        appraisals.append(appraisal)
        row.status = ReturnStatus.APPRAISED.value
        if decision is not None:
            decided_at = appraised_at + timedelta(days=1, hours=rng.randint(0, 4))
            ledger = Ledger(session, user_id=manager.id, now=decided_at)
            moved = []
            if decision is not ReturnDecision.REFUSE:
                moved += await ledger.take_back(
                    stores[StoreKind.RETURNED.value], part.id, quantity, reference=number
                )
            if decision is ReturnDecision.EXCHANGE:
                moved += await ledger.issue_exchange(
                    stores[StoreKind.NEW.value], part.id, quantity, note=number
                )
            row.status, row.decision = ReturnStatus.DECIDED.value, decision.value
            row.decision_note = {
                "return": "同意退货退款",
                "exchange": "同意换新",
                "refuse": "人为损坏，不属三包",
            }[decision.value]
            if decision is ReturnDecision.RETURN:
                row.refund_amount = (Decimal(str(part.unit_price or 100)) * quantity).quantize(
                    Decimal("0.01")
                )
            row.decided_by, row.decided_at = manager.id, decided_at
            row.movement_ids = [str(m.id) for m in moved]
            if signed:
                signed_at = decided_at + timedelta(days=2, hours=rng.randint(0, 6))
                row.status = ReturnStatus.COMPLETED.value
                row.signer_name = f"{customer.name[:2]}经办人"
                row.signature, row.signed_at = _signature(rng), signed_at
                row.completed_by, row.completed_at = desk.id, signed_at
        if claim_state is not None:
            claims.append(
                await _claim(
                    session, appraisal, claim_state, Decimal(str(part.unit_price or 100)) * quantity, qa.id
                )
            )
    await session.flush()
    paid = await _compensations(session, rng, now, desk.id, manager.id)
    await session.flush()
    return {
        "return_requests": len(requests),
        "old_part_appraisals": len(appraisals),
        "supplier_claims": len(claims),
        "job_compensations": paid,
    }


async def _claim(
    session: AsyncSession, appraisal: OldPartAppraisal, state: ClaimStatus, worth: Decimal, by: uuid.UUID
) -> SupplierClaim:
    opened = appraisal.appraised_at + timedelta(hours=6)
    claimed = worth.quantize(Decimal("0.01"))
    claim = SupplierClaim(
        id=uuid7(),
        number=f"SP{opened.year}-{await take_numbers(session, 'supplier_claims'):04d}",
        appraisal_id=appraisal.id,
        supplier=appraisal.supplier,
        amount_claimed=claimed,
        status=state.value,
        note="",
        opened_by=by,
        opened_at=opened,
        created_at=opened,
        updated_at=opened,
    )
    if state is not ClaimStatus.OPEN:
        claim.submitted_at = opened + timedelta(days=2)
    if state in (ClaimStatus.SETTLED, ClaimStatus.REJECTED):
        claim.closed_at = opened + timedelta(days=20)
        claim.amount_settled = (
            (claimed * Decimal("0.9")).quantize(Decimal("0.01"))
            if state is ClaimStatus.SETTLED
            else Decimal("0.00")
        )
        claim.note = "厂家按九折结算" if state is ClaimStatus.SETTLED else "厂家认为属安装问题，拒赔"
    session.add(claim)
    return claim


async def _compensations(
    session: AsyncSession, rng: random.Random, now: datetime, desk: uuid.UUID, manager: uuid.UUID
) -> int:
    jobs = list(
        (
            await session.scalars(
                select(Job)
                .where(Job.onsite_due_at.is_not(None), Job.onsite_due_at < now - timedelta(days=2))
                .order_by(Job.onsite_due_at.desc(), Job.number)
                .limit(400)
            )
        ).all()
    )
    missed = [j for j in jobs if missed_onsite(j.onsite_due_at, j.arrived_at, now)][:2]
    kept = [j for j in jobs if j.arrived_at is not None and j not in missed][:2]
    plan = [
        (job, CompensationKind.SELF_REPAIR, status, evidence)
        for job, status, evidence in zip(
            missed,
            (CompensationStatus.APPROVED, CompensationStatus.PROPOSED),
            ("到场超时，用户自行组织抢修，人工及吊车费发票", "到场超时，用户自购密封件更换，附发票"),
            strict=False,
        )
    ] + [
        (job, CompensationKind.DIRECT_LOSS, status, evidence)
        for job, status, evidence in zip(
            kept,
            (CompensationStatus.APPROVED, CompensationStatus.REJECTED),
            ("8小时内未能排除故障，泵站停机导致临时租泵费用", "用户申报的停电损失与本次故障无关"),
            strict=False,
        )
    ]
    for job, kind, status, evidence in plan:
        at = (job.arrived_at or job.onsite_due_at or now) + timedelta(days=1)
        amount = Decimal(rng.randrange(600, 4800)).quantize(Decimal("0.01"))
        row = JobCompensation(
            id=uuid7(),
            job_id=job.id,
            kind=kind.value,
            amount=amount,
            evidence=evidence,
            status=status.value,
            recorded_by=desk,
            recorded_at=at,
            decision_note="",
            created_at=at,
            updated_at=at,
        )
        if status is not CompensationStatus.PROPOSED:
            row.decided_by, row.decided_at = manager, at + timedelta(days=1)
            row.decision_note = "核实属实" if status is CompensationStatus.APPROVED else "不予赔偿"
        session.add(row)
    return len(plan)
