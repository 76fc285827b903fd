"""``/api/sla-policies``, ``/api/checklist-templates``, ``/api/parts``: the promises and the books."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from server import audit
from server.changes import Change, log_changes
from server.db.models import ChecklistTemplate, Customer, Part, SlaPolicy
from server.deps import CurrentUser, DbSession, requires_any_user, requires_office, requires_to
from server.errors import Conflict, NotFound
from shared.models import (
    ChecklistTemplateCreate,
    ChecklistTemplateOut,
    PartCreate,
    PartOut,
    SlaPolicyCreate,
    SlaPolicyOut,
)
from shared.roles import Capability

requires_manager = requires_to(Capability.MANAGE_CATALOG)


requires_stock_admin = requires_to(Capability.MOVE_STOCK)


class SlaPolicyController(Controller):
    path = "/api/sla-policies"
    tags = ["catalog"]  # noqa: RUF012

    @get("/", guards=[requires_office])
    async def list_policies(self, db_session: DbSession) -> list[SlaPolicyOut]:
        rows = await db_session.scalars(select(SlaPolicy).order_by(SlaPolicy.customer_id, SlaPolicy.severity))
        return [SlaPolicyOut.model_validate(r) for r in rows]

    @post("/", guards=[requires_manager])
    async def create_policy(
        self, data: JSONBody[SlaPolicyCreate], db_session: DbSession, principal: CurrentUser
    ) -> SlaPolicyOut:
        """Set the promise for one severity, for one customer's contract or as the default."""
        if data.customer_id is not None and await db_session.get(Customer, data.customer_id) is None:
            raise NotFound(
                f"no customer with id {data.customer_id}",
                field="customer_id",
                code="customer.not_found",
                params={"id": data.customer_id},
            )
        same = select(SlaPolicy.id).where(SlaPolicy.severity == data.severity.value)
        same = same.where(
            SlaPolicy.customer_id.is_(None)
            if data.customer_id is None
            else SlaPolicy.customer_id == data.customer_id
        )
        if await db_session.scalar(same):
            raise Conflict(
                "a policy for this customer and severity exists; change it with PUT instead",
                code="sla_policy.exists",
            )
        policy = SlaPolicy(**data.model_dump())
        db_session.add(policy)
        await db_session.flush()
        await audit.record_by(
            db_session, principal, "sla_policy.create", "sla_policy", policy.id, data.model_dump(mode="json")
        )
        await db_session.commit()
        return SlaPolicyOut.model_validate(policy)

    @put("/{policy_id:uuid}", guards=[requires_manager])
    async def update_policy(
        self,
        policy_id: FromPath[uuid.UUID],
        data: JSONBody[SlaPolicyCreate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> SlaPolicyOut:
        """Change the limits; jobs already opened keep the deadlines they were given."""
        policy = await db_session.get(SlaPolicy, policy_id)
        if policy is None:
            raise NotFound(
                f"no SLA policy with id {policy_id}", code="sla_policy.not_found", params={"id": policy_id}
            )
        if policy.customer_id != data.customer_id or policy.severity != data.severity.value:
            raise Conflict(
                "customer_id and severity of a policy cannot change; create a new policy",
                code="sla_policy.key_fixed",
            )
        limits = ("respond_minutes", "onsite_minutes", "fix_minutes", "backup_minutes")
        changes = {
            k: [getattr(policy, k), getattr(data, k)]
            for k in limits
            if getattr(policy, k) != getattr(data, k)
        }
        for key in limits:
            setattr(policy, key, getattr(data, key))
        if changes:
            await audit.record_by(
                db_session, principal, "sla_policy.update", "sla_policy", policy.id, {"changes": changes}
            )
        await db_session.commit()
        return SlaPolicyOut.model_validate(policy)


class ChecklistTemplateController(Controller):
    path = "/api/checklist-templates"
    tags = ["catalog"]  # noqa: RUF012

    @get("/", guards=[requires_any_user])
    async def list_templates(self, db_session: DbSession) -> list[ChecklistTemplateOut]:
        rows = await db_session.scalars(
            select(ChecklistTemplate).order_by(ChecklistTemplate.category, ChecklistTemplate.job_kind)
        )
        return [ChecklistTemplateOut.model_validate(r) for r in rows]

    @post("/", guards=[requires_manager])
    async def create_template(
        self, data: JSONBody[ChecklistTemplateCreate], db_session: DbSession, principal: CurrentUser
    ) -> ChecklistTemplateOut:
        exists = await db_session.scalar(
            select(ChecklistTemplate.id).where(
                ChecklistTemplate.category == data.category.value,
                ChecklistTemplate.job_kind == data.job_kind.value,
            )
        )
        if exists:
            raise Conflict(
                "a template for this equipment category and job kind exists", code="checklist_template.exists"
            )
        template = ChecklistTemplate(
            category=data.category.value,
            job_kind=data.job_kind.value,
            name=data.name,
            items=[i.model_dump(mode="json") for i in data.items],
        )
        db_session.add(template)
        await db_session.flush()
        await log_changes(db_session, [Change("checklist_template", template.id, "put", None)])
        detail = data.model_dump(mode="json")
        await audit.record_by(
            db_session, principal, "checklist_template.create", "checklist_template", template.id, detail
        )
        await db_session.commit()
        return ChecklistTemplateOut.model_validate(template)


class PartController(Controller):
    path = "/api/parts"
    tags = ["catalog"]  # noqa: RUF012

    @get("/", guards=[requires_any_user])
    async def list_parts(self, db_session: DbSession) -> list[PartOut]:
        return [PartOut.model_validate(r) for r in await db_session.scalars(select(Part).order_by(Part.code))]

    @post("/", guards=[requires_stock_admin])
    async def create_part(
        self, data: JSONBody[PartCreate], db_session: DbSession, principal: CurrentUser
    ) -> PartOut:
        if await db_session.scalar(select(Part.id).where(Part.code == data.code)):
            raise Conflict(
                f"part code '{data.code}' exists",
                field="code",
                code="part.code_taken",
                params={"part_code": data.code},
            )
        part = Part(**data.model_dump(mode="json"))
        db_session.add(part)
        await db_session.flush()
        await log_changes(db_session, [Change("part", part.id, "put", None)])
        await audit.record_by(
            db_session, principal, "part.create", "part", part.id, data.model_dump(mode="json")
        )
        await db_session.commit()
        return PartOut.model_validate(part)
