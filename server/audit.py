"""The audit trail: every change to a job, and every sign-in, in a hash-chained append-only log.

Entries take their number from a counter row inside the writing transaction, so the chain has no gaps
and no forks: a rolled-back transaction gives its number back, a concurrent one waits for it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import take_numbers
from server.db.base import utcnow
from server.db.models import AuditEntry, Counter

AUDIT_COUNTER = "audit"
GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> bytes:
    body = {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(),
        "user_id": str(entry.user_id) if entry.user_id else None,
        "device_id": str(entry.device_id) if entry.device_id else None,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "detail": entry.detail,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(prev_hash.encode() + _canonical(entry)).hexdigest()


@dataclass(frozen=True, slots=True)
class Event:
    """One thing to write to the audit trail."""

    action: str
    entity: str
    entity_id: uuid.UUID | str
    user_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    detail: dict[str, Any] | None = None
    at: datetime | None = None


async def record_many(session: AsyncSession, events: list[Event]) -> list[AuditEntry]:
    """Append entries in the caller's transaction: numbers taken at once, the chain built in memory."""
    if not events:
        return []
    last = await take_numbers(session, AUDIT_COUNTER, len(events))
    first = last - len(events) + 1
    prev = GENESIS
    if first > 1:
        prev = await session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == first - 1)) or GENESIS
    entries = []
    for offset, event in enumerate(events):
        entry = AuditEntry(
            seq=first + offset,
            at=(event.at or utcnow()).astimezone(UTC),
            user_id=event.user_id,
            device_id=event.device_id,
            action=event.action,
            entity=event.entity,
            entity_id=str(event.entity_id),
            detail=json.loads(json.dumps(event.detail or {}, ensure_ascii=False, default=str)),
            prev_hash=prev,
        )
        entry.hash = prev = entry_hash(prev, entry)
        entries.append(entry)
    session.add_all(entries)
    return entries


async def record(
    session: AsyncSession,
    *,
    action: str,
    entity: str,
    entity_id: uuid.UUID | str,
    user_id: uuid.UUID | None = None,
    device_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction."""
    [entry] = await record_many(session, [Event(action, entity, entity_id, user_id, device_id, detail, at)])
    await session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    first_bad_seq: int | None
    problem: str

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


async def _entries(session: AsyncSession, batch: int = 2000) -> AsyncIterator[AuditEntry]:
    after = 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        after = rows[-1].seq
        session.expunge_all()


async def verify_chain(session: AsyncSession) -> ChainReport:
    """Walk the log in order; report the first entry whose number, link or hash does not hold."""
    expected_seq, prev, count = 1, GENESIS, 0
    async for entry in _entries(session):
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(count, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev:
            return ChainReport(count, entry.seq, f"entry {entry.seq} does not link to entry {entry.seq - 1}")
        if entry_hash(prev, entry) != entry.hash:
            return ChainReport(count, entry.seq, f"entry {entry.seq} was changed after it was written")
        prev, expected_seq = entry.hash, expected_seq + 1
    issued = int(await session.scalar(select(Counter.value).where(Counter.name == AUDIT_COUNTER)) or 0)
    if issued > count:
        return ChainReport(count, count + 1, f"entries {count + 1} to {issued} were removed")
    if issued < count:  # the next entry would take a number already written: the counter was lowered
        beyond = f"entries {issued + 1} to {count} are beyond it"
        return ChainReport(count, issued + 1, f"the audit counter was lowered to {issued}: {beyond}")
    return ChainReport(count, None, "")
