"""Counters and the change log every device pulls from.

Writers take change-log numbers from a counter row with ``UPDATE .. RETURNING``; the row lock is held
to commit, so on PostgreSQL numbers become visible in order and a reader never skips a late commit.
The log keeps only the newest row per (entity, id, audience): a device that pulls sees each changed
thing once, with its current state.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, event, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.db.base import table_of
from server.db.meta import LOG_FLOOR
from server.db.models import ChangeLog, Counter, LogMark, ServerMeta
from shared.clock import utcnow

LOG_COUNTER = "change_log"
MAX_SEQ = 2**63 - 1  # the log's numbers are 64-bit integers in the database
PG_CHANNEL = "levee_changes"
MAX_NOTICE_AUDIENCES = 100  # a NOTIFY payload must stay under 8,000 bytes
NOTIFY_KEY = "levee_changed_audiences"
#: the last change-log number this session's transaction took (see ``current_seq``)
LOG_HEAD_KEY = "levee_log_head"


# Statements every sync request runs, built once: building a statement and computing its cache key
# cost more server CPU than executing it (the load bench's profile, docs/performance.md); a statement
# object keeps its cache key, so the compiled form is found at once.
# Core statements on the tables (not the ORM classes): the session then has no identity map to keep
# in step and no ORM bulk machinery to run.
_counters = table_of(Counter).c
_log = table_of(ChangeLog).c
#: ``n`` more numbers from the counter ``counter_name``, returning its new value (the last one taken);
#: other counters' users add what they need to read in the same round trip (``.returning(..)``, audit)
TAKE_NUMBERS = (
    update(table_of(Counter))
    .where(_counters.name == bindparam("counter_name"))
    .values(value=_counters.value + bindparam("n"))
    .returning(_counters.value)
)
_CURRENT_SEQ = select(Counter.value).where(Counter.name == LOG_COUNTER)
_marks = table_of(LogMark).c
_HEAD = select(_counters.value).where(_counters.name == LOG_COUNTER).scalar_subquery()


def _range_holding(seq: Any, column: Any) -> Any:
    """``column`` of the first mark range ending at or after ``seq`` (see ``mark_at``)."""
    query = select(column).where(_marks.last_seq >= seq).order_by(_marks.last_seq).limit(1)
    return query.scalar_subquery()


_MARK_AT = select(
    _range_holding(bindparam("seq"), _marks.first_seq), _range_holding(bindparam("seq"), _marks.mark)
)


# Where a pull from a cursor starts, in one round trip: the log's head, its floor (the rows below it were
# pruned), and the marks at the cursor's position and at the head (where a pull that reaches the end
# leaves its cursor).
_POSITION = select(
    _HEAD,
    select(ServerMeta.value).where(ServerMeta.key == LOG_FLOOR).scalar_subquery(),
    _range_holding(bindparam("seq"), _marks.first_seq),
    _range_holding(bindparam("seq"), _marks.mark),
    _range_holding(_HEAD, _marks.first_seq),
    _range_holding(_HEAD, _marks.mark),
)
_INSERT_MARK = insert(table_of(LogMark))
_INSERT_LOG = insert(table_of(ChangeLog))
# The rows a change replaces, with where their runs of puts began (``ChangeLog.entered_seq``)
_DELETE_FOR_ALL = (
    delete(table_of(ChangeLog))
    .where(
        _log.entity == bindparam("entity"),
        _log.audience.is_(None),
        _log.entity_id.in_(bindparam("ids", expanding=True)),
    )
    .returning(_log.entity_id, _log.op, _log.entered_seq)
)
_DELETE_FOR_ONE = (
    delete(table_of(ChangeLog))
    .where(
        _log.entity == bindparam("entity"),
        _log.audience == bindparam("audience"),
        _log.entity_id.in_(bindparam("ids", expanding=True)),
    )
    .returning(_log.entity_id, _log.op, _log.entered_seq)
)

# On PostgreSQL the range's mark and the notice to other server processes go in one round trip.
_INSERT_MARK_AND_NOTIFY = _INSERT_MARK.returning(func.pg_notify(PG_CHANNEL, bindparam("payload")))


async def take_numbers(session: AsyncSession, name: str, n: int = 1) -> int:
    """Reserve ``n`` numbers from counter ``name``; returns the last one of the range."""
    result = await session.execute(TAKE_NUMBERS, {"counter_name": name, "n": n})
    value = result.scalar_one_or_none()
    if value is None:
        # First use: the row is created by the initial migration for known counters; create others.
        await session.execute(insert(Counter).values(name=name, value=n))
        value = n
    if name == LOG_COUNTER:
        session.info[LOG_HEAD_KEY] = int(value)
    return int(value)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_log_head(session: Session, *_: object) -> None:
    """A number taken is the head only inside the transaction (or savepoint) that took it."""
    session.info.pop(LOG_HEAD_KEY, None)


@dataclass(frozen=True, slots=True)
class Change:
    entity: str
    entity_id: uuid.UUID
    op: str  # "put" or "remove"
    audience: uuid.UUID | None  # an engineer, or None for everyone's reference data


async def log_changes(session: AsyncSession, changes: Iterable[Change]) -> int | None:
    """Append changes to the log (replacing older rows for the same key); returns the last seq used.

    A put that replaces a put keeps where that run of puts began (``ChangeLog.entered_seq``); a remove,
    and a put after a remove or after nothing, begin at their own number."""
    todo = list(dict.fromkeys(changes))
    if not todo:
        return None
    last = await take_numbers(session, LOG_COUNTER, len(todo))
    first = last - len(todo) + 1
    now = utcnow()
    groups: dict[tuple[str, uuid.UUID | None], list[uuid.UUID]] = {}
    for ch in todo:
        groups.setdefault((ch.entity, ch.audience), []).append(ch.entity_id)
    began: dict[tuple[str, uuid.UUID | None, uuid.UUID], int] = {}  # the puts' runs that go on
    for (entity, audience), ids in groups.items():
        for i in range(0, len(ids), 500):
            params: dict[str, Any] = {"entity": entity, "ids": ids[i : i + 500]}
            if audience is None:
                replaced = await session.execute(_DELETE_FOR_ALL, params)
            else:
                replaced = await session.execute(_DELETE_FOR_ONE, {**params, "audience": audience})
            for entity_id, op, entered_seq in replaced:
                if op == "put":
                    began[entity, audience, entity_id] = int(entered_seq)
    rows: list[dict[str, Any]] = []
    for offset, ch in enumerate(todo):
        seq = first + offset
        rows.append(
            {
                "seq": seq,
                "entity": ch.entity,
                "entity_id": ch.entity_id,
                "op": ch.op,
                "audience": ch.audience,
                "entered_seq": began.get((ch.entity, ch.audience, ch.entity_id), seq)
                if ch.op == "put"
                else seq,
                "created_at": now,
            }
        )
    await session.execute(_INSERT_LOG, rows)
    # The range's mark: a restored database reuses these numbers, never this mark (see LogMark).
    mark = {"last_seq": last, "first_seq": first, "mark": new_mark(), "created_at": now}
    pending: dict[str, Any] = session.info.setdefault(NOTIFY_KEY, {"seq": 0, "audiences": set()})
    pending["seq"] = max(pending["seq"], last)
    audiences = {ch.audience for ch in todo}
    pending["audiences"].update(audiences)
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        # Other server processes hear of it on commit (PostgreSQL drops the notice on rollback).
        await session.execute(_INSERT_MARK_AND_NOTIFY, {**mark, "payload": notice_payload(last, audiences)})
    else:
        await session.execute(_INSERT_MARK, mark)
    return last


def notice_payload(seq: int, audiences: set[uuid.UUID | None]) -> str:
    """``seq`` and who it concerns; past a hundred engineers it simply concerns everyone."""
    if None in audiences or len(audiences) > MAX_NOTICE_AUDIENCES:
        return json.dumps({"seq": seq, "all": True})
    return json.dumps({"seq": seq, "to": sorted(str(a) for a in audiences)})


def parse_notice(payload: str) -> tuple[int, set[uuid.UUID | None]]:
    data = json.loads(payload)
    if data.get("all"):
        return int(data["seq"]), {None}
    return int(data["seq"]), {uuid.UUID(a) for a in data.get("to", [])}


async def current_seq(session: AsyncSession) -> int:
    """The log's newest number as this transaction sees it.

    A transaction that took log numbers holds the counter's lock until it ends (the row lock on
    PostgreSQL, the write lock on SQLite), so the last number it took is the head and is not asked
    again; a commit or any rollback, a savepoint's included, forgets it."""
    taken = session.info.get(LOG_HEAD_KEY)
    if taken is not None:
        return int(taken)
    value = await session.scalar(_CURRENT_SEQ)
    return int(value or 0)


#: the mark of position 0, before anything was logged
NO_MARK = "0"


def new_mark() -> str:
    return secrets.token_hex(6)


async def mark_at(session: AsyncSession, seq: int) -> str | None:
    """The mark of the log range holding ``seq`` (None when no range holds it: pruned, or never made)."""
    if seq <= 0:
        return NO_MARK  # without asking
    first_seq, mark = (await session.execute(_MARK_AT, {"seq": seq})).one()
    return _mark_of(seq, first_seq, mark)


def _mark_of(seq: int, first_seq: int | None, mark: str | None) -> str | None:
    """The mark at ``seq`` from the first range ending at or after it (None when it starts later)."""
    if seq <= 0:
        return NO_MARK
    if first_seq is None or mark is None or first_seq > seq:
        return None
    return str(mark)


@dataclass(frozen=True, slots=True)
class LogPosition:
    head: int  # the log's newest number
    floor: int  # rows below it were pruned: a cursor under it is too old
    mark: str | None  # the mark at the asked position (``mark_at``)
    head_mark: str | None  # the mark at the head


async def log_position(session: AsyncSession, seq: int) -> LogPosition:
    """The log's head and floor, and the marks at ``seq`` and at the head, in one statement."""
    row = (await session.execute(_POSITION, {"seq": seq})).one()
    head = int(row[0] or 0)
    return LogPosition(
        head=head,
        floor=int(row[1] or 0),
        mark=_mark_of(seq, row[2], row[3]),
        head_mark=_mark_of(head, row[4], row[5]),
    )
