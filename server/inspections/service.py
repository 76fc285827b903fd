"""Inspection schedules for the office: create, change, deactivate, list with names.

A schedule is for a site, or for one piece of equipment at it. Its checklist is the template named on
it, or (equipment only) the template for the equipment's category and kind ``inspection``; a site-level
schedule has no category to choose by, so it must name its template. Every write is audited.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.db.models import ChecklistTemplate, Customer, Equipment, InspectionSchedule, Job, Site, User
from server.deps import Principal
from server.errors import Conflict, Invalid, NotFound
from server.paging import MAX_OFFSET
from shared.enums import Role
from shared.schedules import (
    Frequency,
    ScheduleCreate,
    ScheduleKind,
    ScheduleOut,
    ScheduleRow,
    ScheduleUpdate,
    occurrences,
)

#: how far ahead the list looks for a schedule's next due date (a yearly one is always found)
NEXT_DUE_HORIZON_DAYS = 400


class ScheduleService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, schedule_id: uuid.UUID) -> InspectionSchedule:
        schedule = await self.session.get(InspectionSchedule, schedule_id)
        if schedule is None:
            raise NotFound(
                f"no inspection schedule with id {schedule_id}",
                code="schedule.not_found",
                params={"id": schedule_id},
            )
        return schedule

    async def _audit(self, schedule: InspectionSchedule, action: str, by: Principal, **detail: Any) -> None:
        await audit.record(
            self.session,
            action=action,
            entity="inspection_schedule",
            entity_id=schedule.id,
            user_id=by.user_id,
            device_id=by.device_id,
            detail=detail,
        )

    async def _engineer(self, engineer_id: uuid.UUID) -> User:
        user = await self.session.get(User, engineer_id)
        if user is None or user.role != Role.ENGINEER.value:
            raise Invalid(
                f"no engineer with id {engineer_id}",
                field="engineer_id",
                code="engineer.not_found",
                params={"id": engineer_id},
            )
        if not user.active:
            raise Invalid(
                f"engineer {user.display_name} is disabled",
                field="engineer_id",
                code="engineer.disabled",
                params={"name": user.display_name},
            )
        return user

    async def _template(self, template_id: uuid.UUID, equipment: Equipment | None) -> ChecklistTemplate:
        template = await self.session.get(ChecklistTemplate, template_id)
        if template is None:
            raise Invalid(
                f"no checklist template with id {template_id}",
                field="template_id",
                code="checklist_template.not_found",
                params={"id": template_id},
            )
        if equipment is not None and template.category != equipment.category:
            raise Invalid(
                f"checklist '{template.name}' is for {template.category}, "
                f"but the equipment is a {equipment.category}",
                field="template_id",
                code="schedule.template_category",
                params={
                    "template": template.name,
                    "category": template.category,
                    "equipment_category": equipment.category,
                },
            )
        return template

    async def create(self, data: ScheduleCreate, by: Principal) -> InspectionSchedule:
        customer = await self.session.get(Customer, data.customer_id)
        if customer is None:
            raise Invalid(
                f"no customer with id {data.customer_id}",
                field="customer_id",
                code="customer.not_found",
                params={"id": data.customer_id},
            )
        site = await self.session.get(Site, data.site_id)
        if site is None or site.customer_id != customer.id:
            raise Invalid(
                f"site {data.site_id} is not a site of {customer.name}",
                field="site_id",
                code="site.not_of_customer",
                params={"site": data.site_id, "customer": customer.name},
            )
        equipment = None
        if data.equipment_id is not None:
            equipment = await self.session.get(Equipment, data.equipment_id)
            if equipment is None or equipment.site_id != site.id:
                raise Invalid(
                    f"equipment {data.equipment_id} is not at {site.name}",
                    field="equipment_id",
                    code="equipment.not_at_site",
                    params={"equipment": data.equipment_id, "site": site.name},
                )
        if data.template_id is not None:
            await self._template(data.template_id, equipment)
        elif equipment is None and data.kind is ScheduleKind.INSPECTION:
            raise Invalid(
                "a schedule for a whole site needs a checklist template (template_id)",
                field="template_id",
                code="schedule.needs_template",
            )
        if data.engineer_id is not None:
            await self._engineer(data.engineer_id)
        twin = await self._twin(site.id, data.equipment_id, data.frequency.value, kind=data.kind.value)
        if twin is not None:
            raise Conflict(
                f"there is already an active {data.frequency.value} schedule for this "
                + ("equipment" if equipment else f"site {site.name}")
                + "; change or deactivate it instead",
                schedule_id=str(twin),
                code="schedule.exists",
                params={"frequency": data.frequency},
            )
        schedule = InspectionSchedule(
            customer_id=customer.id,
            site_id=site.id,
            equipment_id=data.equipment_id,
            frequency=data.frequency.value,
            kind=data.kind.value,
            template_id=data.template_id,
            engineer_id=data.engineer_id,
            start_on=data.start_on,
            end_on=data.end_on,
            lead_days=data.lead_days,
            active=True,
            note=data.note,
            created_by=by.user_id,
        )
        self.session.add(schedule)
        await self.session.flush()
        await self._audit(schedule, "inspection_schedule.create", by, data=data.model_dump(mode="json"))
        await self.session.commit()
        return schedule

    async def update(self, schedule_id: uuid.UUID, data: ScheduleUpdate, by: Principal) -> InspectionSchedule:
        """Change who inspects, with which checklist, until when, how far ahead; jobs already made stay."""
        schedule = await self.get(schedule_id)
        given = data.model_dump(exclude_unset=True)
        for required in ("lead_days", "active", "note"):
            if required in given and given[required] is None:
                raise Invalid(
                    f"{required} cannot be empty",
                    field=required,
                    code="field.empty",
                    params={"field": required},
                )
        if given.get("engineer_id") is not None:
            await self._engineer(given["engineer_id"])
        if "template_id" in given:
            equipment = (
                await self.session.get(Equipment, schedule.equipment_id) if schedule.equipment_id else None
            )
            if given["template_id"] is not None:
                await self._template(given["template_id"], equipment)
            elif equipment is None and schedule.kind == ScheduleKind.INSPECTION.value:
                raise Invalid(
                    "a schedule for a whole site needs a checklist template",
                    field="template_id",
                    code="schedule.needs_template",
                )
        if given.get("end_on") is not None and given["end_on"] < schedule.start_on:
            raise Invalid(
                f"end_on must not be before the start ({schedule.start_on})",
                field="end_on",
                code="schedule.ends_before_start",
                params={"start": schedule.start_on},
            )
        if given.get("active") is True and not schedule.active:
            await self._no_active_twin(schedule)
        changes = {k: [getattr(schedule, k), v] for k, v in given.items() if getattr(schedule, k) != v}
        if not changes:
            return schedule
        for key, (_, value) in changes.items():
            setattr(schedule, key, value)
        await self._audit(schedule, "inspection_schedule.update", by, changes=changes)
        await self.session.commit()
        return schedule

    async def _twin(
        self,
        site_id: uuid.UUID,
        equipment_id: uuid.UUID | None,
        frequency: str,
        other_than: uuid.UUID | None = None,
        kind: str | None = None,
    ) -> uuid.UUID | None:
        """An active schedule of the same kind for the same place (site, or equipment) and frequency."""
        query = select(InspectionSchedule.id).where(
            InspectionSchedule.site_id == site_id,
            InspectionSchedule.equipment_id.is_(None)
            if equipment_id is None
            else InspectionSchedule.equipment_id == equipment_id,
            InspectionSchedule.frequency == frequency,
            InspectionSchedule.active.is_(True),
        )
        if kind is not None:
            query = query.where(InspectionSchedule.kind == kind)
        if other_than is not None:
            query = query.where(InspectionSchedule.id != other_than)
        found: uuid.UUID | None = await self.session.scalar(query.limit(1))
        return found

    async def _no_active_twin(self, schedule: InspectionSchedule) -> None:
        twin = await self._twin(
            schedule.site_id, schedule.equipment_id, schedule.frequency, schedule.id, kind=schedule.kind
        )
        if twin is not None:
            raise Conflict(
                "another active schedule with the same place and frequency exists",
                schedule_id=str(twin),
                code="schedule.exists",
                params={"frequency": schedule.frequency},
            )

    async def deactivate(self, schedule_id: uuid.UUID, by: Principal) -> InspectionSchedule:
        """Stop generating jobs; jobs already generated stay on the board (cancel them there if needed)."""
        schedule = await self.get(schedule_id)
        if not schedule.active:
            raise Conflict("this schedule is already inactive", code="schedule.inactive")
        schedule.active = False
        await self._audit(schedule, "inspection_schedule.deactivate", by)
        await self.session.commit()
        return schedule

    async def rows(
        self,
        today: date,
        *,
        customer_id: uuid.UUID | None = None,
        site_id: uuid.UUID | None = None,
        active: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[ScheduleRow], int]:
        """Schedules with the names the console shows, active first, by customer and site."""
        query = select(InspectionSchedule)
        if customer_id is not None:
            query = query.where(InspectionSchedule.customer_id == customer_id)
        if site_id is not None:
            query = query.where(InspectionSchedule.site_id == site_id)
        if active is not None:
            query = query.where(InspectionSchedule.active.is_(active))
        total = int(await self.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        query = (
            query.join(Customer, Customer.id == InspectionSchedule.customer_id)
            .join(Site, Site.id == InspectionSchedule.site_id)
            .order_by(InspectionSchedule.active.desc(), Customer.name, Site.name, InspectionSchedule.id)
            .limit(limit)
            .offset(min(offset, MAX_OFFSET))
        )
        schedules = list((await self.session.scalars(query)).all())
        return await self.describe(schedules, today), total

    async def describe(self, schedules: list[InspectionSchedule], today: date) -> list[ScheduleRow]:
        if not schedules:
            return []
        ids = {s.id for s in schedules}

        async def names(model: Any, wanted: set[Any], *columns: Any) -> dict[Any, Any]:
            wanted.discard(None)
            if not wanted:
                return {}
            rows = await self.session.execute(select(model.id, *columns).where(model.id.in_(wanted)))
            return {row[0]: row[1:] for row in rows.all()}

        customers = await names(Customer, {s.customer_id for s in schedules}, Customer.name)
        sites = await names(Site, {s.site_id for s in schedules}, Site.name)
        equipment = await names(
            Equipment,
            {s.equipment_id for s in schedules},
            Equipment.category,
            Equipment.model,
            Equipment.serial_no,
        )
        engineers = await names(User, {s.engineer_id for s in schedules}, User.display_name)
        templates = await names(ChecklistTemplate, {s.template_id for s in schedules}, ChecklistTemplate.name)
        counts = dict(
            (
                await self.session.execute(
                    select(Job.schedule_id, func.count())
                    .where(Job.schedule_id.in_(ids))
                    .group_by(Job.schedule_id)
                )
            )
            .tuples()
            .all()
        )
        out = []
        for s in schedules:
            eq = equipment.get(s.equipment_id)
            upcoming = occurrences(
                s.start_on,
                Frequency(s.frequency),
                today,
                today + timedelta(days=NEXT_DUE_HORIZON_DAYS),
                s.end_on,
            )
            out.append(
                ScheduleRow.model_validate(
                    {
                        **ScheduleOut.model_validate(s).model_dump(),
                        "customer_name": customers.get(s.customer_id, ("",))[0],
                        "site_name": sites.get(s.site_id, ("",))[0],
                        "equipment_label": f"{eq[1]} {eq[2]}".strip() if eq else "",
                        "engineer_name": engineers.get(s.engineer_id, ("",))[0],
                        "template_name": templates.get(s.template_id, ("",))[0],
                        "next_due_on": upcoming[0] if upcoming and s.active else None,
                        "jobs": int(counts.get(s.id, 0)),
                    }
                )
            )
        return out
