"""``/api/equipment/{id}/documents``: the delivery documents of a delivered unit (合格证, 使用说明书, 保修卡),
received or not and when, with a scan attached; ``/api/customers/{id}/delivery-documents`` for a
customer's file.

The office reads them; the service desk (``MANAGE_CUSTOMERS``) records them. A scan is stored in the
database like a job photo (server/photos.py): an image must decode as the type it claims within the photo
bounds, a PDF must be one from its header to its ``%%EOF``; at most ``MAX_SCAN_BYTES``. A refused upload
answers 4xx in words (413 too large, 415 not an accepted type, 422 not readable) and changes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, put
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from server import audit
from server.db.models import Customer, DeliveryDocument, Equipment, Site
from server.deps import CurrentUser, DbSession, requires_office, requires_to
from server.errors import DomainError, NotFound
from server.photos import unreadable_document
from shared.clock import utcnow
from shared.delivery import (
    MAX_SCAN_BYTES,
    SCAN_TYPES,
    DeliveryDocumentKind,
    DeliveryDocumentOut,
    DeliveryDocumentSet,
    EquipmentDocuments,
)
from shared.roles import Capability

requires_desk = requires_to(Capability.MANAGE_CUSTOMERS)
_SAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


def _kind(value: str) -> DeliveryDocumentKind:
    try:
        return DeliveryDocumentKind(value)
    except ValueError:
        kinds = ", ".join(k.value for k in DeliveryDocumentKind)
        raise NotFound(
            f"no delivery document '{value}'; the documents are {kinds}",
            code="delivery.no_such_kind",
            params={"kind": value, "kinds": kinds},
        ) from None


async def _equipment(session: AsyncSession, equipment_id: uuid.UUID) -> Equipment:
    item = await session.get(Equipment, equipment_id)
    if item is None:
        raise NotFound(
            f"no equipment with id {equipment_id}", code="equipment.not_found", params={"id": equipment_id}
        )
    return item


def _out(
    equipment_id: uuid.UUID, kind: DeliveryDocumentKind, row: DeliveryDocument | None
) -> DeliveryDocumentOut:
    if row is None:
        return DeliveryDocumentOut(equipment_id=equipment_id, kind=kind)
    return DeliveryDocumentOut.model_validate(row)


async def documents_of(
    session: AsyncSession, equipment_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[DeliveryDocumentOut]]:
    """The three documents of each unit, in the plan's order; unrecorded ones as not received."""
    rows = (
        (
            await session.scalars(
                select(DeliveryDocument).where(DeliveryDocument.equipment_id.in_(equipment_ids))
            )
        ).all()
        if equipment_ids
        else []
    )
    by_key = {(r.equipment_id, r.kind): r for r in rows}
    return {e: [_out(e, k, by_key.get((e, k.value))) for k in DeliveryDocumentKind] for e in equipment_ids}


async def _row(
    session: AsyncSession, equipment_id: uuid.UUID, kind: DeliveryDocumentKind
) -> DeliveryDocument | None:
    row: DeliveryDocument | None = await session.scalar(
        select(DeliveryDocument).where(
            DeliveryDocument.equipment_id == equipment_id, DeliveryDocument.kind == kind.value
        )
    )
    return row


def check_scan(data: bytes, content_type: str) -> None:
    """Refuse a scan that is not an accepted, readable image or PDF within the size limit."""
    if not data:
        raise DomainError("the scan is empty", status_code=422, code="delivery.scan_empty", params={})
    if len(data) > MAX_SCAN_BYTES:
        raise DomainError(
            f"the scan is {len(data)} bytes; at most {MAX_SCAN_BYTES // (1024 * 1024)} MB is accepted",
            status_code=413,
            code="delivery.scan_too_large",
            params={"size": len(data), "mb": MAX_SCAN_BYTES // (1024 * 1024)},
        )
    if content_type not in SCAN_TYPES:
        raise DomainError(
            f"a scan must be one of {', '.join(SCAN_TYPES)}, not {content_type or 'an unnamed type'}",
            status_code=415,
            code="delivery.scan_type",
            params={"type": content_type, "types": ", ".join(SCAN_TYPES)},
        )
    if why := unreadable_document(data, content_type):
        raise DomainError(
            f"the scan is not a readable {content_type}: {why}",
            status_code=422,
            code="delivery.scan_unreadable",
            params={"type": content_type},
        )


class DeliveryDocumentController(Controller):
    path = "/api"
    tags = ["delivery documents"]  # noqa: RUF012

    @get(
        "/equipment/{equipment_id:uuid}/documents",
        guards=[requires_office],
        summary="A unit's delivery documents",
    )
    async def list_documents(
        self, equipment_id: FromPath[uuid.UUID], db_session: DbSession
    ) -> list[DeliveryDocumentOut]:
        """The unit's 合格证, 使用说明书 and 保修卡: received or not, on which day, and the scan's name,
        type and size when one is attached."""
        await _equipment(db_session, equipment_id)
        return (await documents_of(db_session, [equipment_id]))[equipment_id]

    @get(
        "/customers/{customer_id:uuid}/delivery-documents",
        guards=[requires_office],
        summary="The delivery documents of a customer's units",
    )
    async def customer_documents(
        self, customer_id: FromPath[uuid.UUID], db_session: DbSession
    ) -> list[EquipmentDocuments]:
        """Every unit at the customer's sites with its three delivery documents."""
        if await db_session.get(Customer, customer_id) is None:
            raise NotFound(
                f"no customer with id {customer_id}", code="customer.not_found", params={"id": customer_id}
            )
        units = (
            await db_session.scalars(
                select(Equipment)
                .join(Site, Site.id == Equipment.site_id)
                .where(Site.customer_id == customer_id)
                .order_by(Equipment.category, Equipment.serial_no)
            )
        ).all()
        docs = await documents_of(db_session, [u.id for u in units])
        return [
            EquipmentDocuments(
                equipment_id=u.id,
                category=u.category,
                model=u.model,
                serial_no=u.serial_no,
                delivered_on=u.delivered_on,
                documents=docs[u.id],
            )
            for u in units
        ]

    @put(
        "/equipment/{equipment_id:uuid}/documents/{kind:str}",
        guards=[requires_desk],
        summary="Record whether a delivery document was received",
    )
    async def set_document(
        self,
        equipment_id: FromPath[uuid.UUID],
        kind: FromPath[str],
        data: JSONBody[DeliveryDocumentSet],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> DeliveryDocumentOut:
        """Whether the customer received the document (``certificate`` 合格证, ``manual`` 使用说明书,
        ``warranty_card`` 保修卡) and on which day; a scan already attached stays."""
        which = _kind(kind)
        item = await _equipment(db_session, equipment_id)
        row = await _row(db_session, item.id, which)
        before: dict[str, Any] = (
            {"received": row.received, "received_on": row.received_on, "note": row.note} if row else {}
        )
        if row is None:
            row = DeliveryDocument(equipment_id=item.id, kind=which.value)
            db_session.add(row)
        row.received, row.received_on, row.note = data.received, data.received_on, data.note
        await db_session.flush()
        detail = {
            "serial_no": item.serial_no,
            "kind": which.value,
            "before": {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in before.items()},
            **data.model_dump(mode="json"),
        }
        await audit.record_by(db_session, principal, "delivery_document.set", "equipment", item.id, detail)
        await db_session.commit()
        return DeliveryDocumentOut.model_validate(row)

    @put(
        "/equipment/{equipment_id:uuid}/documents/{kind:str}/scan",
        guards=[requires_desk],
        summary="Attach the scan of a delivery document",
        request_max_body_size=MAX_SCAN_BYTES + 1,
    )
    async def put_scan(
        self,
        equipment_id: FromPath[uuid.UUID],
        kind: FromPath[str],
        request: Request[Any, Any, Any],
        db_session: DbSession,
        principal: CurrentUser,
        filename: FromQuery[str] = "scan",
    ) -> DeliveryDocumentOut:
        """The request body is the file itself, its ``Content-Type`` one of image/jpeg, image/png,
        image/webp or application/pdf, at most 5 MB; ``filename`` names it. It replaces an earlier scan.
        An image must decode within the photo bounds, a PDF must parse (415/413/422 otherwise)."""
        which = _kind(kind)
        item = await _equipment(db_session, equipment_id)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        data = await request.body()
        await asyncio.to_thread(check_scan, data, content_type)
        name = _SAFE_NAME.sub("_", filename).strip()[:200] or "scan"
        row = await _row(db_session, item.id, which)
        if row is None:
            row = DeliveryDocument(equipment_id=item.id, kind=which.value)
            db_session.add(row)
        replaced = row.scan_sha256
        digest = hashlib.sha256(data).hexdigest()
        row.scan_filename, row.scan_content_type, row.scan_size = name, content_type, len(data)
        row.scan_sha256, row.scan_data = digest, data
        row.scan_uploaded_at, row.scan_uploaded_by = utcnow(), principal.user_id
        await db_session.flush()
        detail = {
            "serial_no": item.serial_no,
            "kind": which.value,
            "filename": name,
            "content_type": content_type,
            "size": len(data),
            "sha256": digest,
            "replaced_sha256": replaced,
        }
        await audit.record_by(db_session, principal, "delivery_document.scan", "equipment", item.id, detail)
        await db_session.commit()
        return DeliveryDocumentOut.model_validate(row)

    @get(
        "/equipment/{equipment_id:uuid}/documents/{kind:str}/scan",
        guards=[requires_office],
        summary="The scan of a delivery document",
        media_type="application/octet-stream",
    )
    async def get_scan(
        self, equipment_id: FromPath[uuid.UUID], kind: FromPath[str], db_session: DbSession
    ) -> Response[bytes]:
        """The stored scan as uploaded (404 when none is attached)."""
        which = _kind(kind)
        await _equipment(db_session, equipment_id)
        row = await db_session.scalar(
            select(DeliveryDocument)
            .options(undefer(DeliveryDocument.scan_data))
            .where(DeliveryDocument.equipment_id == equipment_id, DeliveryDocument.kind == which.value)
        )
        if row is None or row.scan_data is None:
            raise NotFound(
                f"no scan of the {which.value} of this unit",
                code="delivery.no_scan",
                params={"kind": which.value},
            )
        return Response(
            row.scan_data,
            media_type=row.scan_content_type or "application/octet-stream",
            headers={
                "Cache-Control": "private, max-age=300",
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(row.scan_filename or 'scan')}",
            },
        )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
