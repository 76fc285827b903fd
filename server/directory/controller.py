"""``/api/users``, ``/api/customers``, ``/api/sites``, ``/api/equipment``.

Office roles see the whole directory; an engineer may open a customer, site or piece of equipment
only when one of their jobs needs it, and gets 404 otherwise (no hint that it exists).

Over 400 lines: the four resources share one visibility rule (``_visible_to``) and one change path
(``_apply``); split it by resource when it grows again.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.changes import Change, log_changes
from server.customers import equipment as equipment_warranty
from server.db.models import Customer, Device, Equipment, Job, Site, User
from server.deps import (
    CurrentUser,
    DbSession,
    Principal,
    requires_admin,
    requires_any_user,
    requires_office,
    requires_to,
)
from server.errors import Conflict, DomainError, Invalid, NotFound
from server.paging import MAX_LIMIT, fetch_page, has_text
from server.security import hash_password
from server.stock.service import ensure_van
from shared.clock import utcnow
from shared.enums import EquipmentCategory, Role
from shared.models import (
    CustomerCreate,
    CustomerOut,
    CustomerUpdate,
    EquipmentCreate,
    EquipmentOut,
    EquipmentUpdate,
    Page,
    SiteCreate,
    SiteOut,
    SiteUpdate,
    UserCreate,
    UserOut,
    UserUpdate,
)
from shared.roles import Capability

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, QueryParameter(ge=0)]
requires_directory_admin = requires_to(Capability.MANAGE_CUSTOMERS)


async def _visible_to(session: AsyncSession, principal: CurrentUser, column: Any, value: uuid.UUID) -> bool:
    """Whether an engineer has a job that needs this customer, site or equipment."""
    if not principal.is_engineer:
        return True
    found = await session.scalar(
        select(Job.id).where(Job.assigned_engineer_id == principal.user_id, column == value).limit(1)
    )
    return found is not None


class UserController(Controller):
    path = "/api/users"
    tags = ["directory"]  # noqa: RUF012

    @get("/", guards=[requires_office])
    async def list_users(
        self,
        db_session: DbSession,
        role: FromQuery[Role | None] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[UserOut]:
        query = select(User).order_by(User.username)
        if role is not None:
            query = query.where(User.role == role.value)
        rows, total = await fetch_page(db_session, query, limit, offset)
        return Page[UserOut](
            items=[UserOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )

    @post("/", guards=[requires_admin])
    async def create_user(
        self, data: JSONBody[UserCreate], db_session: DbSession, principal: CurrentUser
    ) -> UserOut:
        if await db_session.scalar(select(User.id).where(User.username == data.username)):
            raise Conflict(
                f"username '{data.username}' is taken",
                field="username",
                code="user.username_taken",
                params={"username": data.username},
            )
        user = User(
            username=data.username,
            display_name=data.display_name,
            role=data.role.value,
            phone=data.phone,
            password_hash=hash_password(data.password),
        )
        db_session.add(user)
        if user.role == Role.ENGINEER.value:
            await db_session.flush()
            await ensure_van(db_session, user)  # every engineer has a van store from the start
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "user.create",
            "user",
            user.id,
            data.model_dump(mode="json", exclude={"password"}),
        )
        await db_session.commit()
        return UserOut.model_validate(user)

    @get("/{user_id:uuid}", guards=[requires_any_user])
    async def get_user(
        self, user_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> UserOut:
        user = await db_session.get(User, user_id)
        if user is None or (principal.is_engineer and user_id != principal.user_id):
            raise NotFound(f"no user with id {user_id}", code="user.not_found", params={"id": user_id})
        return UserOut.model_validate(user)

    @patch("/{user_id:uuid}", guards=[requires_admin])
    async def update_user(
        self,
        user_id: FromPath[uuid.UUID],
        data: JSONBody[UserUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> UserOut:
        user = await db_session.get(User, user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id}", code="user.not_found", params={"id": user_id})
        changes = data.model_dump(exclude_unset=True)
        cleared = sorted(key for key, value in changes.items() if value is None)
        if cleared:  # null is "leave it", not "erase it": these fields always have a value
            raise DomainError(
                f"{', '.join(cleared)} cannot be null; leave a field out to keep it",
                field=cleared[0],
                code="field.not_null",
                params={"fields": cleared},
            )
        before = {key: getattr(user, key) for key in changes}
        for key, value in changes.items():
            setattr(user, key, value)
        changed = {
            key: [before[key], getattr(user, key)] for key in changes if before[key] != getattr(user, key)
        }
        detail: dict[str, Any] = {"changes": changed}
        if "active" in changed:  # disabled or enabled again: every earlier sign-in stays dead
            revoked = await db_session.execute(
                update(Device)
                .where(Device.user_id == user.id, Device.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            detail["devices_revoked"] = int(getattr(revoked, "rowcount", 0) or 0)
        if changed:  # who may do what: role, activation and profile changes are in the audit trail
            await audit.record_by(db_session, principal, "user.update", "user", user.id, detail)
        await db_session.commit()
        return UserOut.model_validate(user)


class CustomerController(Controller):
    path = "/api/customers"
    tags = ["directory"]  # noqa: RUF012

    @get("/", guards=[requires_office])
    async def list_customers(
        self, db_session: DbSession, q: FromQuery[str | None] = None, limit: Limit = 100, offset: Offset = 0
    ) -> Page[CustomerOut]:
        """Customers by name, narrowed by ``q`` (name or contract number). Every office role."""
        query = select(Customer).order_by(Customer.name)
        if q:
            query = query.where(has_text(q, Customer.name, Customer.contract_no))
        rows, total = await fetch_page(db_session, query, limit, offset)
        return Page[CustomerOut](
            items=[CustomerOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )

    @post("/", guards=[requires_directory_admin])
    async def create_customer(
        self, data: JSONBody[CustomerCreate], db_session: DbSession, principal: CurrentUser
    ) -> CustomerOut:
        """Record a customer; the name is unique (409 otherwise). The service desk (MANAGE_CUSTOMERS)."""
        if await db_session.scalar(select(Customer.id).where(Customer.name == data.name)):
            raise Conflict(
                f"a customer named '{data.name}' already exists",
                field="name",
                code="customer.name_taken",
                params={"name": data.name},
            )
        customer = Customer(**data.model_dump())
        db_session.add(customer)
        await db_session.flush()
        await audit.record_by(
            db_session, principal, "customer.create", "customer", customer.id, data.model_dump(mode="json")
        )
        await db_session.commit()
        return CustomerOut.model_validate(customer)

    @get("/{customer_id:uuid}", guards=[requires_any_user])
    async def get_customer(
        self, customer_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> CustomerOut:
        """One customer: the office, or an engineer with a job for it."""
        customer = await db_session.get(Customer, customer_id)
        if customer is None or not await _visible_to(db_session, principal, Job.customer_id, customer_id):
            raise NotFound(
                f"no customer with id {customer_id}", code="customer.not_found", params={"id": customer_id}
            )
        return CustomerOut.model_validate(customer)

    @patch("/{customer_id:uuid}", guards=[requires_directory_admin])
    async def update_customer(
        self,
        customer_id: FromPath[uuid.UUID],
        data: JSONBody[CustomerUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> CustomerOut:
        """Change a customer's name, contact, address or contract defaults; the same rules as creating
        one (a name is required and unique). Devices holding the customer get the change."""
        customer = await db_session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(
                f"no customer with id {customer_id}", code="customer.not_found", params={"id": customer_id}
            )
        if (
            data.name is not None
            and data.name != customer.name
            and await db_session.scalar(select(Customer.id).where(Customer.name == data.name))
        ):
            raise Conflict(
                f"a customer named '{data.name}' already exists",
                field="name",
                code="customer.name_taken",
                params={"name": data.name},
            )
        await _apply(
            db_session, principal, customer, "customer", data, required=set(CustomerUpdate.model_fields)
        )
        await db_session.commit()
        return CustomerOut.model_validate(customer)


class SiteController(Controller):
    path = "/api/sites"
    tags = ["directory"]  # noqa: RUF012

    @get("/", guards=[requires_office])
    async def list_sites(
        self,
        db_session: DbSession,
        customer_id: FromQuery[uuid.UUID | None] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[SiteOut]:
        """Sites by name, one customer's with ``customer_id``. Every office role."""
        query = select(Site).order_by(Site.name)
        if customer_id is not None:
            query = query.where(Site.customer_id == customer_id)
        rows, total = await fetch_page(db_session, query, limit, offset)
        return Page[SiteOut](
            items=[SiteOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )

    @post("/", guards=[requires_directory_admin])
    async def create_site(
        self, data: JSONBody[SiteCreate], db_session: DbSession, principal: CurrentUser
    ) -> SiteOut:
        """Record a site of a customer (its name, address, position). The service desk (MANAGE_CUSTOMERS)."""
        if await db_session.get(Customer, data.customer_id) is None:
            raise NotFound(
                f"no customer with id {data.customer_id}",
                field="customer_id",
                code="customer.not_found",
                params={"id": data.customer_id},
            )
        site = Site(**data.model_dump())
        db_session.add(site)
        await db_session.flush()
        await audit.record_by(
            db_session, principal, "site.create", "site", site.id, data.model_dump(mode="json")
        )
        await db_session.commit()
        return SiteOut.model_validate(site)

    @get("/{site_id:uuid}", guards=[requires_any_user])
    async def get_site(
        self, site_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> SiteOut:
        """One site: the office, or an engineer with a job there."""
        site = await db_session.get(Site, site_id)
        if site is None or not await _visible_to(db_session, principal, Job.site_id, site_id):
            raise NotFound(f"no site with id {site_id}", code="site.not_found", params={"id": site_id})
        return SiteOut.model_validate(site)

    @patch("/{site_id:uuid}", guards=[requires_directory_admin])
    async def update_site(
        self,
        site_id: FromPath[uuid.UUID],
        data: JSONBody[SiteUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> SiteOut:
        """Change a site's name, address, contact or position; the same rules as creating one."""
        site = await db_session.get(Site, site_id)
        if site is None:
            raise NotFound(f"no site with id {site_id}", code="site.not_found", params={"id": site_id})
        await _apply(
            db_session,
            principal,
            site,
            "site",
            data,
            required={"name", "address", "contact_name", "contact_phone"},
        )
        await db_session.commit()
        return SiteOut.model_validate(site)


async def _apply(
    session: AsyncSession,
    principal: Principal,
    row: Customer | Site,
    entity: str,
    data: Any,
    required: set[str],
) -> None:
    """Set the fields the office sent (``null`` only where a field may be empty), log the change for the
    devices that hold the row and audit what changed."""
    sent = data.model_fields_set
    for name in sorted(sent & required):
        if getattr(data, name) is None:
            raise Invalid(
                f"{name} cannot be null", field=name, code="field.not_null", params={"fields": [name]}
            )
    changes = {
        k: [getattr(row, k), getattr(data, k)] for k in sorted(sent) if getattr(row, k) != getattr(data, k)
    }
    if not changes:
        return
    for key, (_old, new) in changes.items():
        setattr(row, key, new)
    await session.flush()
    await log_changes(session, [Change(entity, row.id, "put", None)])
    await audit.record_by(session, principal, f"{entity}.update", entity, row.id, {"changes": changes})


class EquipmentController(Controller):
    path = "/api/equipment"
    tags = ["directory"]  # noqa: RUF012

    @get("/", guards=[requires_office])
    async def list_equipment(
        self,
        db_session: DbSession,
        site_id: FromQuery[uuid.UUID | None] = None,
        category: FromQuery[EquipmentCategory | None] = None,
        q: FromQuery[str | None] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[EquipmentOut]:
        """Delivered equipment by category and serial number, narrowed by site, category or ``q`` (serial
        number or model). Every office role."""
        query = select(Equipment).order_by(Equipment.category, Equipment.serial_no)
        if site_id is not None:
            query = query.where(Equipment.site_id == site_id)
        if category is not None:
            query = query.where(Equipment.category == category.value)
        if q:
            query = query.where(has_text(q, Equipment.serial_no, Equipment.model))
        rows, total = await fetch_page(db_session, query, limit, offset)
        return Page[EquipmentOut](
            items=[EquipmentOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )

    @post("/", guards=[requires_directory_admin])
    async def create_equipment(
        self, data: JSONBody[EquipmentCreate], db_session: DbSession, principal: CurrentUser
    ) -> EquipmentOut:
        """Register equipment; its warranty end is delivered_on + warranty years (the item's, else the
        customer's contract) unless warranty_end is given."""
        if await db_session.get(Site, data.site_id) is None:
            raise NotFound(
                f"no site with id {data.site_id}",
                field="site_id",
                code="site.not_found",
                params={"id": data.site_id},
            )
        duplicate = await db_session.scalar(
            select(Equipment.id).where(
                Equipment.category == data.category.value, Equipment.serial_no == data.serial_no
            )
        )
        if duplicate:
            raise Conflict(
                f"serial number '{data.serial_no}' is already registered",
                field="serial_no",
                code="equipment.serial_taken",
                params={"serial": data.serial_no},
            )
        item = Equipment(**data.model_dump())
        await equipment_warranty.on_create(db_session, item, principal)
        db_session.add(item)
        await db_session.commit()
        return EquipmentOut.model_validate(item)

    @patch("/{equipment_id:uuid}", guards=[requires_directory_admin])
    async def update_equipment(
        self,
        equipment_id: FromPath[uuid.UUID],
        data: JSONBody[EquipmentUpdate],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> EquipmentOut:
        """Correct model, delivery date or warranty years; the warranty end follows the rules unless the
        office set it (here or before) to something else. Devices holding this equipment get the change."""
        item = await db_session.get(Equipment, equipment_id)
        if item is None:
            raise NotFound(
                f"no equipment with id {equipment_id}",
                code="equipment.not_found",
                params={"id": equipment_id},
            )
        await equipment_warranty.on_update(db_session, item, data, principal)
        await db_session.commit()
        return EquipmentOut.model_validate(item)

    @get("/{equipment_id:uuid}", guards=[requires_any_user])
    async def get_equipment(
        self, equipment_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> EquipmentOut:
        """One delivered unit with its warranty end: the office, or an engineer with a job on it."""
        item = await db_session.get(Equipment, equipment_id)
        if item is None or not await _visible_to(db_session, principal, Job.equipment_id, equipment_id):
            raise NotFound(
                f"no equipment with id {equipment_id}",
                code="equipment.not_found",
                params={"id": equipment_id},
            )
        return EquipmentOut.model_validate(item)
