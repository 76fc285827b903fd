"""The demo's contracts: each customer's current contract (its contract number, open-ended, covering
the whole call history), the stricter customers' promises (the same limits as their SLA policies, so the
seeded jobs' deadlines stay what they were), one customer's previous contract with its warranty
certificate and the maintenance agreement after it, and the manager's decision on a few closed jobs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    Contract,
    ContractPromise,
    Customer,
    Job,
    MaintenanceAgreement,
    ManagerDecision,
    User,
    WarrantyCertificate,
)
from server.seed.reference import CONTRACT_SLA
from shared.enums import JobStatus, Role

DECISIONS = (
    "到场及时，处理规范，给予表扬",
    "修复超时，责成班组复盘并在周会上说明",
    "客户满意度高，记入季度考核加分",
)


async def seed_contracts(
    session: AsyncSession,
    customers: Sequence[Customer],
    jobs: Sequence[Job],
    users: Sequence[User],
    today: date,
    now: datetime,
) -> dict[str, int]:
    first_call = min((j.call_received_at for j in jobs), default=now).date()
    start = min(first_call, today) - timedelta(days=1)
    contracts: list[Contract] = []
    strict: list[tuple[Contract, int]] = []
    for ci, customer in enumerate(customers):
        current = Contract(
            customer_id=customer.id,
            number=customer.contract_no or f"HT-{ci:03d}",
            starts_on=start,
            ends_on=None,
            warranty_years=customer.warranty_years,
            promise_text="接到报修电话后按合同时限响应、到场并排除故障；8小时内无法排除的提供备用设备，直到问题解决为止",
        )
        contracts.append(current)
        strict.append((current, ci))
    previous = Contract(
        customer_id=customers[0].id,
        number=f"{customers[0].contract_no or 'HT-000'}-前期",
        starts_on=start - timedelta(days=3 * 365),
        ends_on=start - timedelta(days=1),
        warranty_years=2,
        promise_text="接到报修电话后24小时内答复，需要现场服务的在客户规定的时间内到达现场",
    )
    contracts.append(previous)
    session.add_all(contracts)
    await session.flush()
    promises = [
        ContractPromise(
            contract_id=contract.id,
            severity=sev.value,
            respond_minutes=r,
            onsite_minutes=o,
            fix_minutes=f,
            backup_minutes=b,
        )
        for contract, ci in strict
        for sev, (r, o, f, b) in CONTRACT_SLA.get(ci, {}).items()
    ]
    session.add_all(promises)
    certificate = WarrantyCertificate(
        contract_id=previous.id,
        number="ZLBX-" + previous.starts_on.strftime("%Y%m%d"),
        issued_on=previous.starts_on,
        scope="本合同供货的排涝泵、发电机组的制造、装配及材料质量问题",
        starts_on=previous.starts_on,
        ends_on=previous.starts_on + timedelta(days=2 * 365),
        responsibility="保修期内免费排除故障、更换原厂零配件；因质量问题造成的损失由我方承担",
    )
    agreement = MaintenanceAgreement(
        contract_id=previous.id,
        number="WHXY-" + start.strftime("%Y%m%d"),
        scope="保修期满后的全部排涝设备",
        content="月度、季度、年度定期巡检回访；故障维修",
        method="主动跟踪巡检，7x24小时报修响应",
        rules="每次服务如实填写售后维修服务单与主动跟踪报告表",
        fee=Decimal("36800.00"),
        fee_terms="按季度收取，专项维修优惠收费",
        repair_discount_pct=Decimal("10.00"),  # 优惠收费 on paid repairs (server/paid/seed.py)
        starts_on=start,
        ends_on=start + timedelta(days=3 * 365),
    )
    session.add_all([certificate, agreement])
    manager = next(u for u in users if u.role == Role.MANAGER.value)
    closed = sorted(
        (j for j in jobs if j.status == JobStatus.CLOSED.value and j.closed_at is not None),
        key=lambda j: j.number,
    )[: len(DECISIONS)]
    decisions = [
        ManagerDecision(
            job_id=j.id,
            text=text,
            decided_by=manager.id,
            decided_at=min(j.closed_at + timedelta(hours=20), now),  # type: ignore[operator]
        )
        for j, text in zip(closed, DECISIONS, strict=False)
    ]
    session.add_all(decisions)
    await session.flush()
    return {
        "contracts": len(contracts),
        "contract_promises": len(promises),
        "warranty_certificates": 1,
        "maintenance_agreements": 1,
        "manager_decisions": len(decisions),
    }
