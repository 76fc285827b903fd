"""Serving a device its scope: a first download in pages, then the change log from its cursor.

An engineer's scope is the jobs assigned to them, with the customers, sites and equipment those jobs
need, every checklist template and the parts catalogue, the conflicts raised by their own work, and the
balances of their own van, and the published cases and manuals of the equipment models in their jobs
(server/knowledge/scope.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.changes import MAX_SEQ, log_position, mark_at
from server.db.models import ChangeLog, Conflict, Job
from server.deps import Principal
from server.knowledge.scope import KNOWLEDGE_ENTITIES, knowledge_documents, models_of_engineer
from server.replication.documents import (
    conflict_documents,
    job_documents,
    reference_documents,
    shipment_documents,
    van_stock_documents,
)
from server.stock.ledger import VAN_STOCK  # the engineer's van balances, logged by the ledger
from server.stock.planning import SHIPMENT  # shipments to the engineer, logged by parts planning
from sync.protocol import (
    Change,
    ChangeOp,
    PullRequest,
    PullResponse,
    ResyncCode,
    cursor_mark,
    make_cursor,
    parse_cursor,
)

REFERENCE_FOR_JOB = (("customer", "customer_id"), ("site", "site_id"), ("equipment", "equipment_id"))
GLOBAL_ENTITIES = ("checklist_template", "part", "backup_unit")
SCOPED_REFERENCE = ("customer", "site", "equipment")
FIRST_PAGE_CONFLICTS = 200

# Built once: building a statement and its cache key cost more than running it (docs/performance.md).
_LOG_AFTER = (
    select(ChangeLog.seq, ChangeLog.entity, ChangeLog.entity_id, ChangeLog.op, ChangeLog.entered_seq)
    .where(
        ChangeLog.seq > bindparam("seq"),
        or_(ChangeLog.audience == bindparam("me"), ChangeLog.audience.is_(None)),
    )
    .order_by(ChangeLog.seq)
    .limit(bindparam("limit"))
)
_MY_JOBS = (
    select(Job.id)
    .where(Job.assigned_engineer_id == bindparam("me"))
    .order_by(Job.id)
    .limit(bindparam("limit"))
)
_MY_JOBS_AFTER = (
    select(Job.id)
    .where(Job.assigned_engineer_id == bindparam("me"), Job.id > bindparam("after"))
    .order_by(Job.id)
    .limit(bindparam("limit"))
)
_MY_REFERENCES = (
    select(Job.customer_id, Job.site_id, Job.equipment_id)
    .where(Job.assigned_engineer_id == bindparam("me"))
    .distinct()
)


class PullService:
    def __init__(self, session: AsyncSession, principal: Principal, epoch: str) -> None:
        self.session = session
        self.principal = principal
        self.epoch = epoch
        self._marks: dict[int, str | None] = {}  # the log's mark at a position, read once a request

    async def _mark_at(self, seq: int) -> str | None:
        """``mark_at`` within this pull's transaction: a pull with nothing new asks it twice of one seq."""
        if seq not in self._marks:
            self._marks[seq] = await mark_at(self.session, seq)
        return self._marks[seq]

    def _resync(self, code: ResyncCode, reason: str) -> PullResponse:
        return PullResponse(
            epoch=self.epoch,
            changes=[],
            cursor="",
            has_more=False,
            resync_required=True,
            reason=reason,
            resync_code=code,
        )

    async def pull(self, request: PullRequest) -> PullResponse:
        if request.cursor is None:  # a first download, consistent with the log's head (and its mark)
            start = await log_position(self.session, 0)
            self._marks[start.head] = start.head_mark
            return await self._snapshot(start.head, None, request.limit)
        try:
            epoch, seq, after = parse_cursor(request.cursor)
        except ValueError:
            return self._resync(ResyncCode.BAD_CURSOR, "the cursor is not one this server made")
        if epoch != self.epoch:
            return self._resync(ResyncCode.NEW_EPOCH, "the server was restored or replaced (new epoch)")
        # The head, the floor and the marks in one round trip; a position past the log's 64-bit numbers
        # is ahead of it without asking (the database could not even take it as a parameter).
        position = await log_position(self.session, seq) if seq <= MAX_SEQ else None
        if position is None or seq > position.head:
            return self._resync(
                ResyncCode.AHEAD_OF_LOG, "the cursor is ahead of the server's log (restored from a backup?)"
            )
        if after is not None:
            try:
                uuid.UUID(after)
            except ValueError:
                return self._resync(ResyncCode.BAD_CURSOR, "the cursor is not one this server made")
        elif seq < position.floor:
            return self._resync(ResyncCode.TOO_OLD, "offline longer than the server keeps its change log")
        self._marks.update({position.head: position.head_mark, seq: position.mark})
        mark = cursor_mark(request.cursor)
        if mark is not None and mark != await self._mark_at(seq):
            # The log at this number is not the one the device saw: the data was restored from a backup
            # (without ``levee db new-epoch``) and the numbers were handed out again. Work the server
            # acknowledged after the backup is gone, so the device re-sends it, as after a new epoch.
            return self._resync(
                ResyncCode.NEW_EPOCH,
                "the server was restored from a backup: its change log is not the one this cursor is from",
            )
        if after is not None:
            return await self._snapshot(seq, after, request.limit)
        return await self._incremental(seq, position.head, request.limit)

    async def _cursor(self, seq: int, after: str | None = None) -> str:
        """A cursor at ``seq``, carrying the mark of the log there (see ``server.db.models.LogMark``)."""
        return make_cursor(self.epoch, seq, after, await self._mark_at(seq))

    async def _references(self, refs: dict[str, set[uuid.UUID]]) -> list[Change]:
        changes: list[Change] = []
        for name, ids in refs.items():
            if ids:
                docs = await reference_documents(self.session, name, sorted(uuid.UUID(str(i)) for i in ids))
                changes.extend(_put(name, rid, data) for rid, data in docs.items())
        return changes

    async def _jobs_with_refs(
        self, job_ids: list[uuid.UUID], new: Collection[uuid.UUID] = ()
    ) -> list[Change]:
        """Job documents, the ``new`` ones (new to the device) preceded by the customers, sites and
        equipment they refer to. A job the device already has needs none: its references reached the
        device with it, and their own changes are logged for everyone (and sent within the scope)."""
        docs = await job_documents(self.session, job_ids)
        changes: list[Change] = []
        if new:
            needed: dict[str, set[uuid.UUID]] = {name: set() for name, _ in REFERENCE_FOR_JOB}
            mine = str(self.principal.user_id)
            for job_id in new:
                doc = docs.get(job_id)
                if doc is None or doc.get("assigned_engineer_id") != mine:
                    continue  # gone from the scope since it was logged: a remove, below
                for name, column in REFERENCE_FOR_JOB:
                    if doc.get(column):
                        needed[name].add(doc[column])
            changes.extend(await self._references(needed))
        for job_id in job_ids:
            job_doc = docs.get(job_id)
            if job_doc is None or job_doc.get("assigned_engineer_id") != str(self.principal.user_id):
                changes.append(Change.model_construct(entity="job", id=job_id, op=ChangeOp.REMOVE, data=None))
            else:
                changes.append(_put("job", job_id, job_doc))
        return changes

    async def _snapshot(self, high: int, after: str | None, limit: int) -> PullResponse:
        """One page of the first download; ``high`` is the log position it is consistent with.

        The first page brings the reference data for the whole scope (templates, parts, and the
        customers, sites and equipment of every job), so later pages carry jobs only.
        """
        changes: list[Change] = []
        if after is None:
            for entity in GLOBAL_ENTITIES:
                docs = await reference_documents(self.session, entity)
                changes.extend(_put(entity, rid, data) for rid, data in docs.items())
            changes.extend(await self._references(await self._my_reference_ids()))
            conflict_ids = list(
                (
                    await self.session.scalars(
                        select(Conflict.id)
                        .where(Conflict.user_id == self.principal.user_id, Conflict.reason != "not_assigned")
                        .order_by(Conflict.created_at.desc())
                        .limit(FIRST_PAGE_CONFLICTS)
                    )
                ).all()
            )
            conflicts = await conflict_documents(self.session, conflict_ids)
            changes.extend(_put("conflict", cid, data) for cid, data in conflicts.items())
            van = await van_stock_documents(self.session, self.principal.user_id)
            changes.extend(_put(VAN_STOCK, bid, data) for bid, data in van.items())
            sent = await shipment_documents(self.session, self.principal.user_id)
            changes.extend(_put(SHIPMENT, sid, data) for sid, data in sent.items())
            models = await models_of_engineer(self.session, self.principal.user_id)
            for entity in KNOWLEDGE_ENTITIES:  # the published cases and manuals of the engineer's models
                docs = await knowledge_documents(self.session, entity, models)
                changes.extend(_put(entity, kid, data) for kid, data in docs.items())
        params: dict[str, Any] = {"me": self.principal.user_id, "limit": limit}
        if after:
            query, params["after"] = _MY_JOBS_AFTER, uuid.UUID(after)
        else:
            query = _MY_JOBS
        job_ids = list((await self.session.scalars(query, params)).all())
        changes.extend(await self._jobs_with_refs(job_ids))  # their references came with the first page
        if len(job_ids) == limit:
            return PullResponse(
                epoch=self.epoch,
                changes=changes,
                cursor=await self._cursor(high, str(job_ids[-1])),
                has_more=True,
            )
        # Download done: continue from the log position the download started at.
        return PullResponse(epoch=self.epoch, changes=changes, cursor=await self._cursor(high), has_more=True)

    async def _incremental(self, seq: int, head: int, limit: int) -> PullResponse:
        me = self.principal.user_id
        rows = (await self.session.execute(_LOG_AFTER, {"seq": seq, "me": me, "limit": limit})).all()
        has_more = len(rows) == limit
        next_seq = rows[-1].seq if has_more else max(head, rows[-1].seq if rows else seq)
        changes = await self._materialise(rows, seq)
        return PullResponse(
            epoch=self.epoch, changes=changes, cursor=await self._cursor(next_seq), has_more=has_more
        )

    async def _my_reference_ids(self) -> dict[str, set[uuid.UUID]]:
        rows = (await self.session.execute(_MY_REFERENCES, {"me": self.principal.user_id})).all()
        out: dict[str, set[uuid.UUID]] = {"customer": set(), "site": set(), "equipment": set()}
        for customer_id, site_id, equipment_id in rows:
            out["customer"].add(customer_id)
            out["site"].add(site_id)
            if equipment_id:
                out["equipment"].add(equipment_id)
        return out

    async def _materialise(self, rows: Sequence[Any], since: int) -> list[Change]:
        """Turn log rows after ``since`` into changes with current data, keeping only what this engineer
        may see; a job that entered the engineer's scope after ``since`` comes with its references."""
        changes: list[Change] = []
        job_puts = [r.entity_id for r in rows if r.entity == "job" and r.op == "put"]
        new_jobs = {
            r.entity_id for r in rows if r.entity == "job" and r.op == "put" and r.entered_seq > since
        }
        removes = [r for r in rows if r.op == "remove"]
        by_entity: dict[str, list[uuid.UUID]] = {}
        for r in rows:
            if r.op == "put" and r.entity != "job":
                by_entity.setdefault(r.entity, []).append(r.entity_id)
        scoped: dict[str, set[uuid.UUID]] | None = None
        models: set[str] | None = None
        for entity, ids in by_entity.items():
            if entity in KNOWLEDGE_ENTITIES:
                # Only what is published for the engineer's models; anything else leaves the tablet.
                models = (
                    models
                    if models is not None
                    else await models_of_engineer(self.session, self.principal.user_id)
                )
                docs = await knowledge_documents(self.session, entity, models, ids)
                changes.extend(_remove(entity, kid) for kid in dict.fromkeys(ids) if kid not in docs)
            elif entity == "conflict":
                docs = await conflict_documents(self.session, ids)
            elif entity == VAN_STOCK:  # only balances of the caller's own van (the log's audience)
                docs = await van_stock_documents(self.session, self.principal.user_id, ids)
            elif entity == SHIPMENT:  # only shipments to the caller that have left the store
                docs = await shipment_documents(self.session, self.principal.user_id, ids)
            else:
                if entity in SCOPED_REFERENCE:
                    scoped = scoped if scoped is not None else await self._my_reference_ids()
                    ids = [i for i in ids if i in scoped[entity]]
                docs = await reference_documents(self.session, entity, ids)
            changes.extend(_put(entity, rid, data) for rid, data in docs.items())
        if job_puts:
            changes.extend(await self._jobs_with_refs(job_puts, new_jobs))
        for r in removes:
            changes.append(
                Change.model_construct(entity=r.entity, id=r.entity_id, op=ChangeOp.REMOVE, data=None)
            )
        return changes


def _put(entity: Any, entity_id: uuid.UUID, data: dict[str, Any]) -> Change:
    """A change built without re-validating data the server just read from its own tables."""
    return Change.model_construct(entity=entity, id=entity_id, op=ChangeOp.PUT, data=data)


def _remove(entity: Any, entity_id: uuid.UUID) -> Change:
    return Change.model_construct(entity=entity, id=entity_id, op=ChangeOp.REMOVE, data=None)
