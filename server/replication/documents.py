"""What a device receives for each entity, read with Core queries in bulk (no ORM objects per row)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import LargeBinary, String, Text, bindparam, cast, exists, func, select, true, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    BackupUnit,
    ChecklistResult,
    ChecklistTemplate,
    Conflict,
    Customer,
    Equipment,
    Job,
    JobEvent,
    JobLoan,
    JobPart,
    JobQuote,
    Part,
    Photo,
    Shipment,
    Site,
    StockBalance,
    Store,
)
from server.paid.service import discounts_for_jobs
from shared.clock import utcnow
from shared.stock import ShipmentStatus, StoreKind
from sync.merge import order_embedded

CHUNK = 900  # stays under SQLite's bound-parameter limit

JOB_COLUMNS = tuple(c for c in Job.__table__.columns if c.name not in {"created_at", "field_versions"})


def _chunks(ids: Sequence[uuid.UUID]) -> Iterable[Sequence[uuid.UUID]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _dashed(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _wire_time(stored: str | None) -> str | None:
    """SQLite's stored ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC) in the wire form of sync.protocol.wire_time."""
    return None if stored is None else f"{stored[:10]}T{stored[11:26]}Z"


def _plan(columns: tuple[Any, ...], dialect: str) -> tuple[list[Any], dict[int, Any]]:
    """What to select for ``columns``, and how to finish each value in Python.

    UUIDs and times are read as the text the device gets. Turning 16 bytes into a Python UUID, or
    a stored time into a datetime, and then back into text cost more than everything else in a
    first download; PostgreSQL formats both itself, SQLite hands over bytes and strings that need
    only slicing.
    """
    selected: list[Any] = []
    finish: dict[int, Any] = {}
    for i, column in enumerate(columns):
        if isinstance(column.type, GUID):
            if dialect == "postgresql":
                selected.append(cast(column, Text).label(column.key))
            else:
                selected.append(type_coerce(column, LargeBinary).label(column.key))
                finish[i] = _dashed
        elif isinstance(column.type, DateTimeUTC):
            if dialect == "postgresql":
                selected.append(func.to_char(func.timezone("UTC", column), WIRE_TIME_PG).label(column.key))
            else:
                selected.append(type_coerce(column, String).label(column.key))
                finish[i] = _wire_time
        else:
            selected.append(column)
    return selected, finish


WIRE_TIME_PG = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'
_PLANS: dict[tuple[tuple[Any, ...], str], tuple[list[Any], dict[int, Any]]] = {}


#: (columns, id column, dialect) -> the statement reading those columns of the rows with ``:ids``, built
#: once: building a statement and its cache key cost more than running it (docs/performance.md).
_BY_IDS: dict[tuple[tuple[Any, ...], Any, str], tuple[Any, dict[int, Any]]] = {}


async def _dicts(
    session: AsyncSession,
    columns: Sequence[Any],
    where: Any = None,
    *,
    by: Any = None,
    ids: Sequence[uuid.UUID] = (),
) -> list[dict[str, Any]]:
    """Rows as plain dicts: ids as text, other values as the driver gives them (encoded once, in the response).

    The rows are those matching ``where``, or those whose column ``by`` is one of ``ids`` (a statement
    built once per shape).
    """
    connection = await session.connection()
    dialect = connection.dialect.name
    if by is not None:
        shape = (tuple(columns), by, dialect)
        if shape not in _BY_IDS:
            selected, finish = _plan(tuple(columns), dialect)
            statement = select(*selected).where(by.in_(bindparam("ids", expanding=True)))
            _BY_IDS[shape] = (statement, finish)
        statement, finish = _BY_IDS[shape]
        result = await connection.execute(statement, {"ids": list(ids)})
    else:
        key = (tuple(columns), dialect)
        if key not in _PLANS:
            _PLANS[key] = _plan(*key)
        selected, finish = _PLANS[key]
        result = await connection.execute(select(*selected).where(where))
    keys = list(result.keys())
    rows = result.all()
    if not finish:
        return [dict(zip(keys, row, strict=True)) for row in rows]
    steps = list(finish.items())
    out = []
    for row in rows:
        values = list(row)
        for i, step in steps:
            values[i] = step(values[i])
        out.append(dict(zip(keys, values, strict=True)))
    return out


EVENT_COLUMNS = (
    JobEvent.id,
    JobEvent.job_id,
    JobEvent.type,
    JobEvent.device_time,
    JobEvent.received_at,
    JobEvent.flagged,
    JobEvent.flag_reason,
)
ANSWER_COLUMNS = (
    ChecklistResult.id,
    ChecklistResult.job_id,
    ChecklistResult.item_code,
    ChecklistResult.result,
    ChecklistResult.value,
    ChecklistResult.out_of_range,
    ChecklistResult.note,
    ChecklistResult.answered_at,
    ChecklistResult.version,
)
PART_COLUMNS = (
    JobPart.id,
    JobPart.job_id,
    JobPart.part_id,
    JobPart.quantity,
    JobPart.old_part_returned,
    JobPart.used_at,
    JobPart.voided_at,
)
PHOTO_COLUMNS = (
    Photo.id,
    Photo.job_id,
    Photo.filename,
    Photo.content_type,
    Photo.size,
    Photo.caption,
    Photo.taken_at,
)
LOAN_COLUMNS = (
    JobLoan.id,
    JobLoan.job_id,
    JobLoan.unit_id,
    JobLoan.lent_at,
    JobLoan.note,
    JobLoan.returned_at,
    JobLoan.condition,
    JobLoan.return_note,
)
QUOTE_COLUMNS = (
    JobQuote.id,
    JobQuote.job_id,
    JobQuote.lines,
    JobQuote.figures,
    JobQuote.status,
    JobQuote.review_reason,
    JobQuote.quoted_at,
    JobQuote.accepted_at,
)
CHILDREN = (
    ("events", EVENT_COLUMNS, JobEvent.job_id),
    ("checklist", ANSWER_COLUMNS, ChecklistResult.job_id),
    ("parts", PART_COLUMNS, JobPart.job_id),
    ("photos", PHOTO_COLUMNS, Photo.job_id),
    ("loans", LOAN_COLUMNS, JobLoan.job_id),
    ("quotes", QUOTE_COLUMNS, JobQuote.job_id),
)
#: A chunk of at most this many jobs is read with, for each kind of child, whether the job has any (an
#: EXISTS on the child table's job index), and only the kinds some job has are asked for: a pull after a
#: push brings a few jobs, most without photos, loans or quotes. A first download's pages of hundreds of
#: jobs ask for every kind, as the probes would cost more than the statements they save.
FEW_JOBS = 100
_HAS_CHILDREN = tuple(
    exists().where(job_column == Job.id).label(f"has_{key}") for key, _, job_column in CHILDREN
)


async def job_documents(
    session: AsyncSession, job_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Each job with its timeline events, checklist answers, parts used, photos (metadata) and loans."""
    docs: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(job_ids)):
        few = len(chunk) <= FEW_JOBS
        present = set() if few else {key for key, _, _ in CHILDREN}
        for doc in await _dicts(
            session, JOB_COLUMNS + _HAS_CHILDREN if few else JOB_COLUMNS, by=Job.id, ids=chunk
        ):
            if few:
                present.update(key for key, _, _ in CHILDREN if doc.pop(f"has_{key}"))
            doc.update(events=[], checklist=[], parts=[], photos=[], loans=[], quotes=[])
            doc["repair_discount_pct"] = "0.00"
            docs[doc["id"]] = doc
        for key, columns, job_column in CHILDREN:
            if key not in present:
                continue
            for child in await _dicts(session, columns, by=job_column, ids=chunk):
                docs[child.pop("job_id")][key].append(child)
        # the discount the customer's maintenance agreement gives today (优惠收费): the tablet quotes with it
        for job_id, pct in (await discounts_for_jobs(session, list(chunk), utcnow().date())).items():
            docs[job_id]["repair_discount_pct"] = pct
    for doc in docs.values():
        order_embedded(doc)  # one order on both databases (sync/merge.py: EMBEDDED_ORDER)
    return {uuid.UUID(k): v for k, v in docs.items()}


REFERENCE_TABLES: dict[str, Any] = {
    "customer": Customer,
    "site": Site,
    "equipment": Equipment,
    "checklist_template": ChecklistTemplate,
    "part": Part,
    "backup_unit": BackupUnit,
}
#: Columns a tablet is not sent. The backup pool goes to every tablet (whether a unit is free to lend);
#: where a lent unit is (``place_note``: the job number it is lent on), the office's note on it and its
#: loan are the office's business and another customer's, not the tablet's. A customer's key-customer
#: flag, responsible person and region are the office's too (the tablet's replica has no place for them).
DEVICE_HIDDEN: dict[str, frozenset[str]] = {
    "backup_unit": frozenset({"place_note", "note", "current_loan_id"}),
    "customer": frozenset({"key_customer", "responsible_id", "region_id"}),
    "site": frozenset({"region_id"}),  # stations and regions are the office's dispatch, not the tablet's
}
_REFERENCE_COLUMNS = {
    entity: tuple(
        c
        for c in model.__table__.columns
        if c.name not in {"created_at", "updated_at"} | DEVICE_HIDDEN.get(entity, frozenset())
    )
    for entity, model in REFERENCE_TABLES.items()
}


async def reference_documents(
    session: AsyncSession, entity: str, ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, dict[str, Any]]:
    """Customers, sites, equipment, checklist templates or parts, by id (all of them when ``ids`` is None)."""
    model = REFERENCE_TABLES[entity]
    columns = _REFERENCE_COLUMNS[entity]
    if ids is None:
        return {uuid.UUID(d["id"]): d for d in await _dicts(session, columns, true())}
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        out.update((uuid.UUID(d["id"]), d) for d in await _dicts(session, columns, by=model.id, ids=chunk))
    return out


async def conflict_documents(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    columns = CONFLICT_COLUMNS
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        out.update((uuid.UUID(d["id"]), d) for d in await _dicts(session, columns, by=Conflict.id, ids=chunk))
    return out


CONFLICT_COLUMNS = (
    Conflict.id,
    Conflict.entity,
    Conflict.entity_id,
    Conflict.job_id,
    Conflict.field,
    Conflict.device_value,
    Conflict.server_value,
    Conflict.resolution,
    Conflict.reason,
    Conflict.status,
    Conflict.review_note,
    Conflict.created_at,
    Conflict.reviewed_at,
)


VAN_STOCK_COLUMNS = (StockBalance.id, StockBalance.part_id, StockBalance.quantity, StockBalance.updated_at)


async def van_stock_documents(
    session: AsyncSession, engineer_id: uuid.UUID, ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, dict[str, Any]]:
    """The balances of the engineer's van (all of them, or those of ``ids`` that are in it).

    A document is ``{id, part_id, quantity, updated_at}``; ``quantity`` is below zero while the van is
    short by the books (a use recorded beyond what it held).
    """
    van = select(Store.id).where(Store.engineer_id == engineer_id, Store.kind == StoreKind.VAN.value)
    mine = StockBalance.store_id.in_(van)
    if ids is None:
        return {uuid.UUID(d["id"]): d for d in await _dicts(session, VAN_STOCK_COLUMNS, mine)}
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        rows = await _dicts(session, VAN_STOCK_COLUMNS, mine & StockBalance.id.in_(chunk))
        out.update((uuid.UUID(d["id"]), d) for d in rows)
    return out


SHIPMENT_COLUMNS = (
    Shipment.id,
    Shipment.part_id,
    Shipment.quantity,
    Shipment.site,
    Shipment.courier,
    Shipment.tracking_no,
    Shipment.note,
    Shipment.status,
    Shipment.sent_at,
    Shipment.received_at,
)


async def shipment_documents(
    session: AsyncSession, engineer_id: uuid.UUID, ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, dict[str, Any]]:
    """Shipments of parts to the engineer that have left the store (in transit or received; all of
    them, or those of ``ids`` that are theirs). A shipment waiting for a manager's approval, or rejected,
    is not the tablet's business: nothing was sent."""
    sent = Shipment.status.in_((ShipmentStatus.IN_TRANSIT.value, ShipmentStatus.RECEIVED.value))
    mine = (Shipment.engineer_id == engineer_id) & sent
    if ids is None:
        return {uuid.UUID(d["id"]): d for d in await _dicts(session, SHIPMENT_COLUMNS, mine)}
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        rows = await _dicts(session, SHIPMENT_COLUMNS, mine & Shipment.id.in_(chunk))
        out.update((uuid.UUID(d["id"]), d) for d in rows)
    return out
