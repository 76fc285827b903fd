"""Demo quality incidents: the demo's repair jobs grouped by equipment model and fault category, and the
two groups that reach the most customers made incidents (批量或重大质量问题), so the console and the monthly
quality report open with one under investigation and one closed with its root cause."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import take_numbers
from server.db.models import (
    Equipment,
    Job,
    QualityIncident,
    QualityIncidentAction,
    QualityIncidentJob,
    User,
)
from shared.enums import JobKind, JobStatus, Role, Severity
from shared.i18n import translate
from shared.quality import FaultCategory, IncidentStatus, fault_category

#: the look-back over the demo's calls (within the reports' default 90 days, so both incidents show there)
WINDOW_DAYS = 60


#: the root cause the closed demo incident was found to have, by its fault category
ROOT_CAUSES: dict[FaultCategory, str] = {
    FaultCategory.SEAL_LEAK: "同批次机械密封来料硬度不足，已更换批次并逐台更换密封",
    FaultCategory.CLOGGING: "进水口未装前置拦污格栅，汛期杂草多致滤网堵塞；已为同型号加装格栅并修订巡检要求",
    FaultCategory.BEARING_VIBRATION: "同批次电机轴承游隙超差，已更换批次并逐台更换轴承",
    FaultCategory.ELECTRICAL: "控制箱元件规格余量不足，已换用加大规格并逐台整改",
}
OTHER_CAUSE = "同批次配套件来料质量不合格，供应商已更换批次并出具整改报告"


async def seed_quality(session: AsyncSession, *, now: datetime) -> dict[str, int]:
    """Two incidents over real demo jobs; the caller commits. Returns row counts."""
    qa = await session.scalar(select(User).where(User.role == Role.QA.value).order_by(User.username))
    manager = await session.scalar(
        select(User).where(User.role == Role.MANAGER.value).order_by(User.username)
    )
    if qa is None or manager is None:
        return {"quality_incidents": 0}
    rows = (
        await session.execute(
            select(Job, Equipment.model, Equipment.category)
            .join(Equipment, Equipment.id == Job.equipment_id)
            .where(
                Job.kind == JobKind.REPAIR.value,
                Job.status != JobStatus.CANCELLED.value,
                Job.call_received_at >= now - timedelta(days=WINDOW_DAYS),
            )
            .order_by(Job.number)
        )
    ).tuples()
    groups: dict[tuple[str, str, FaultCategory], list[Job]] = defaultdict(list)
    for job, model, category in rows:
        kind = fault_category(job.symptom, job.cause)
        if kind is not FaultCategory.OTHER:
            groups[(model, category, kind)].append(job)
    ranked = sorted(
        (g for g in groups.items() if len({j.customer_id for j in g[1]}) >= 2),
        key=lambda g: (-len({j.customer_id for j in g[1]}), -len(g[1]), g[0][0], g[0][2].value),
    )[:2]
    made = actions = links = 0
    for index, ((model, category, kind), jobs) in enumerate(ranked):
        jobs = jobs[:8]
        first = min(j.call_received_at for j in jobs)
        opened = min(first + timedelta(days=2), now - timedelta(days=1))
        closing = index == 1
        customers = len({j.customer_id for j in jobs})
        causes = Counter(j.cause.strip() or j.symptom.strip() for j in jobs)
        fault = min(causes, key=lambda c: (-causes[c], c))
        words = translate("zh-CN", f"enum.fault_category.{kind.value}")
        number = await take_numbers(session, "quality_incidents")
        incident = QualityIncident(
            number=f"ZL{opened.year}-{number:04d}",
            title=f"{model} {words}批量故障（{customers} 家客户）"[:200],
            equipment_model=model,
            category=category,
            fault=fault[:4000],
            fault_category=kind.value,
            severity=Severity.MAJOR.value,
            owner_id=(manager if closing else qa).id,
            status=(IncidentStatus.CLOSED if closing else IncidentStatus.INVESTIGATING).value,
            root_cause=ROOT_CAUSES.get(kind, OTHER_CAUSE) if closing else "",
            opened_by=qa.id,
            opened_at=opened,
            closed_at=min(opened + timedelta(days=12), now) if closing else None,
            created_at=opened,
            updated_at=opened,
        )
        session.add(incident)
        await session.flush()
        for job in jobs:
            session.add(
                QualityIncidentJob(incident_id=incident.id, job_id=job.id, linked_by=qa.id, linked_at=opened)
            )
            links += 1
        steps = [
            (0, qa.display_name, "汇总各客户同型号同类故障工单，立案调查"),
            (1, "技术部", "抽检同批次配套件，送第三方检测"),
            (3, manager.display_name, "通知相关客户加强巡检，备用设备随时待命"),
        ]
        if closing:
            steps.append((10, "采购部", "供应商更换批次，已装机设备逐台更换"))
        for days, who, what in steps:
            at = min(opened + timedelta(days=days), now)
            session.add(
                QualityIncidentAction(
                    incident_id=incident.id,
                    taken_on=at.date(),
                    who=who,
                    what=what,
                    recorded_by=qa.id,
                    recorded_at=at,
                )
            )
            actions += 1
        made += 1
    await session.flush()
    return {
        "quality_incidents": made,
        "quality_incident_jobs": links,
        "quality_incident_actions": actions,
    }
