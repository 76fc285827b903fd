"""The audit trail: every change to a job, and every sign-in, in a hash-chained append-only log.

Entries take their number from a counter row inside the writing transaction, so the chain has no gaps
and no forks: a rolled-back transaction gives its number back, a concurrent one waits for it.

The chain is keyed: each entry's ``hash`` is an HMAC-SHA256 under the installation's audit key, which
lives outside the database (``LEVEE_AUDIT_KEY``, else ``audit.key`` in the data directory, made with
mode 600 at first start). Whoever holds only the database can drop the triggers and edit an entry, but
cannot recompute the hashes. Removing the newest entries and lowering the counter leaves a shorter
chain that still holds; checkpoints (``levee audit checkpoint``, kept and published outside the
database) catch that: ``verify`` checks the chain still reaches every checkpoint with the same hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import uuid
import weakref
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.changes import TAKE_NUMBERS, take_numbers
from server.db.base import table_of
from server.db.limits import check_row_lengths
from server.db.models import AuditEntry, Counter
from server.settings import Settings
from shared.clock import utcnow

log = logging.getLogger("levee.audit")

AUDIT_COUNTER = "audit"
GENESIS = "0" * 64
KEY_FILE = "audit.key"
CHECKPOINT_FILE = "audit-checkpoints.jsonl"


class AuditKeyError(Exception):
    """The audit key is missing, unreadable or does not match the trail in the database."""


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def _parse_key(text: str, where: str) -> bytes:
    text = text.strip()
    if len(text) < 32:
        raise AuditKeyError(f"the audit key in {where} is too short: use at least 32 characters")
    return text.encode()


def read_key(env_key: str | None, data_dir: Path) -> bytes:
    """The installation's audit key: ``LEVEE_AUDIT_KEY`` if set, else the key file; never created."""
    if env_key:
        return _parse_key(env_key, "LEVEE_AUDIT_KEY")
    path = key_path(data_dir)
    try:
        return _parse_key(path.read_text(encoding="ascii"), str(path))
    except FileNotFoundError:
        raise AuditKeyError(
            f"no audit key: {path} does not exist and LEVEE_AUDIT_KEY is not set "
            "(the server makes the file at its first start; copy it from there)"
        ) from None


def load_key(env_key: str | None, data_dir: Path) -> bytes:
    """As :func:`read_key`, making the key file (mode 600) when there is none yet.

    Two servers starting at once on one data directory agree: the file appears whole or not at all
    (written aside, then hard-linked into place), and the one that loses the race reads the winner's.
    """
    if env_key:
        return read_key(env_key, data_dir)
    path = key_path(data_dir)
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        aside = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):  # another server made it first: use theirs
                os.link(aside, path)
        finally:
            aside.unlink(missing_ok=True)
    return read_key(None, data_dir)


_KEYS: weakref.WeakKeyDictionary[Engine, bytes] = weakref.WeakKeyDictionary()


def bind_key(engine: AsyncEngine | Engine, key: bytes) -> None:
    """Every session on ``engine`` writes and checks the chain with ``key``."""
    _KEYS[engine.sync_engine if isinstance(engine, AsyncEngine) else engine] = key


def key_of(session: AsyncSession) -> bytes | None:
    bind = session.sync_session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return _KEYS.get(engine)


def settings_key(settings: Settings, *, create: bool = True) -> bytes:
    """The key for these settings (``LEVEE_AUDIT_KEY`` or the data directory's key file)."""
    env_key = settings.audit_key.get_secret_value() if settings.audit_key else None
    return (load_key if create else read_key)(env_key, settings.data_dir)


def use_settings_key(engine: AsyncEngine, settings: Settings) -> bytes:
    """Bind the installation's key to ``engine`` (made at first start): for the server and commands."""
    key = settings_key(settings)
    bind_key(engine, key)
    return key


async def check_key(session: AsyncSession, key: bytes, where: str) -> None:
    """Refuse a key that does not seal the newest entry: another installation's key would fork the trail."""
    newest = await session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    if newest is None or entry_hash(newest.prev_hash, newest, key) == newest.hash:
        return
    if entry_hash(newest.prev_hash, newest) == newest.hash:  # a trail from before the key: carry on
        log.warning(
            "the audit trail up to entry %s was written before the audit key: `levee audit verify` "
            "reports it as not sealed; entries from now on are sealed",
            newest.seq,
        )
        return
    raise AuditKeyError(
        f"the newest audit entry ({newest.seq}) is not sealed with the audit key from {where}: give every "
        "server of this database the same key (copy audit.key from the first one, or set LEVEE_AUDIT_KEY),"
        " or, if the key is right, the entry was tampered with (run `levee audit verify`)"
    )


def _canonical(entry: AuditEntry | _Entry) -> bytes:
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


def entry_hash(prev_hash: str, entry: AuditEntry | _Entry, key: bytes | None = None) -> str:
    """The entry's link: HMAC-SHA256 under the audit key (plain SHA-256 only without a key)."""
    message = prev_hash.encode() + _canonical(entry)
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


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


# Built once. The batch's numbers and the hash of the entry just before them, in one round trip: the
# counter's new value comes back with the hash at (new value - n), none before the first entry.
_counter, _trail = table_of(Counter), table_of(AuditEntry)
_TAKE_NUMBERS_AND_PREVIOUS = TAKE_NUMBERS.returning(
    select(_trail.c.hash)
    .where(_trail.c.seq == _counter.c.value - bindparam("n"))
    .correlate(_counter)
    .scalar_subquery()
)
_INSERT, _COLUMNS = insert(_trail), tuple(c.key for c in _trail.columns)


@dataclass(slots=True)
class _Entry:
    """An entry as ``record_many`` builds it: the table's columns, without the ORM's instrumentation
    (an ``AuditEntry`` per entry was made only to be hashed and read back into a row)."""

    seq: int
    at: datetime
    user_id: uuid.UUID | None
    device_id: uuid.UUID | None
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str = ""


async def record_many(session: AsyncSession, events: list[Event]) -> list[dict[str, Any]]:
    """Append entries in the caller's transaction: numbers taken at once, the chain built in memory.
    Returns the rows written."""
    if not events:
        return []
    key = key_of(session)
    params = {"counter_name": AUDIT_COUNTER, "n": len(events)}
    taken = (await session.execute(_TAKE_NUMBERS_AND_PREVIOUS, params)).first()
    if taken is None:  # no counter row (the first migration makes it): take_numbers creates one
        last, previous = await take_numbers(session, AUDIT_COUNTER, len(events)), None
    else:
        last, previous = int(taken[0]), taken[1]
    first = last - len(events) + 1
    prev = previous or GENESIS
    rows = []
    for offset, event in enumerate(events):
        entry = _Entry(
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
        entry.hash = prev = entry_hash(prev, entry, key)
        rows.append({name: getattr(entry, name) for name in _COLUMNS})
    # One Core executemany, not the ORM's unit of work: entries are never changed (triggers refuse it).
    check_row_lengths(AuditEntry, rows)
    await session.execute(_INSERT, rows)
    return rows


class Actor(Protocol):
    """Who acts: a signed-in principal (server/deps.py) as far as the audit needs it."""

    @property
    def user_id(self) -> uuid.UUID | None: ...
    @property
    def device_id(self) -> uuid.UUID | None: ...


async def record_by(
    session: AsyncSession,
    by: Actor,
    action: str,
    entity: str,
    entity_id: uuid.UUID,
    detail: dict[str, Any],
) -> AuditEntry:
    """Append one entry for what the signed-in ``by`` did, in the caller's transaction."""
    return await record(
        session,
        action=action,
        entity=entity,
        entity_id=entity_id,
        user_id=by.user_id,
        device_id=by.device_id,
        detail=detail,
    )


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
    [row] = await record_many(session, [Event(action, entity, entity_id, user_id, device_id, detail, at)])
    await session.flush()
    return AuditEntry(**row)


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    first_bad_seq: int | None
    problem: str

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain's head at one moment, sealed with the audit key, to be kept outside the database."""

    seq: int
    hash: str
    at: str
    mac: str

    @staticmethod
    def seal(key: bytes, seq: int, head: str, at: str) -> str:
        message = f"levee-audit-checkpoint|{seq}|{head}|{at}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    @classmethod
    def make(cls, key: bytes, seq: int, head: str, at: datetime | None = None) -> Checkpoint:
        stamp = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
        return cls(seq, head, stamp, cls.seal(key, seq, head, stamp))

    def sealed_by(self, key: bytes) -> bool:
        return hmac.compare_digest(self.mac, self.seal(key, self.seq, self.hash, self.at))

    def line(self) -> str:
        return json.dumps({"seq": self.seq, "hash": self.hash, "at": self.at, "mac": self.mac})

    @classmethod
    def parse(cls, line: str) -> Checkpoint:
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("not a checkpoint")
        return cls(int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["mac"]))


class CheckpointFileError(Exception):
    pass


def read_checkpoints(path: Path) -> list[Checkpoint]:
    """The checkpoints in a file, one JSON line each (as ``levee audit checkpoint`` writes and prints)."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                found.append(Checkpoint.parse(line))
            except (ValueError, KeyError, TypeError):
                raise CheckpointFileError(f"{path}, line {number}: not a checkpoint") from None
    return found


def append_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(checkpoint.line() + "\n")


async def head(session: AsyncSession) -> tuple[int, str]:
    """The newest entry's number and hash (0 and the genesis hash for an empty trail)."""
    row = (
        await session.execute(
            select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
        )
    ).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


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


async def verify_chain(
    session: AsyncSession, key: bytes | None = None, checkpoints: Iterable[Checkpoint] = ()
) -> ChainReport:
    """Walk the log in order; report the first entry whose number, link or seal does not hold, or that
    differs from (or no longer reaches) a checkpoint. ``key`` defaults to the one bound to the engine."""
    key = key if key is not None else key_of(session)
    marks: dict[int, Checkpoint] = {}
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        if key is None or not checkpoint.sealed_by(key):
            why = "forged, or made with another installation's key"
            return ChainReport(0, checkpoint.seq, f"the checkpoint of {checkpoint.at} is not sealed: {why}")
        marks.setdefault(checkpoint.seq, checkpoint)
    expected_seq, prev, count = 1, GENESIS, 0
    async for entry in _entries(session):
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(count, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev:
            return ChainReport(count, entry.seq, f"entry {entry.seq} does not link to entry {entry.seq - 1}")
        if entry_hash(prev, entry, key) != entry.hash:
            if key is not None and entry_hash(prev, entry) == entry.hash:
                why = "its hash was computed without the audit key (rewritten, or written before the key)"
                return ChainReport(
                    count, entry.seq, f"entry {entry.seq} is not sealed with the audit key: {why}"
                )
            return ChainReport(count, entry.seq, f"entry {entry.seq} was changed after it was written")
        mark = marks.get(entry.seq)
        if mark is not None and mark.hash != entry.hash:
            return ChainReport(
                count, entry.seq, f"entry {entry.seq} differs from the checkpoint of {mark.at}"
            )
        prev, expected_seq = entry.hash, expected_seq + 1
    issued = int(await session.scalar(select(Counter.value).where(Counter.name == AUDIT_COUNTER)) or 0)
    if issued > count:
        return ChainReport(count, count + 1, f"entries {count + 1} to {issued} were removed")
    if issued < count:  # the next entry would take a number already written: the counter was lowered
        beyond = f"entries {issued + 1} to {count} are beyond it"
        return ChainReport(count, issued + 1, f"the audit counter was lowered to {issued}: {beyond}")
    beyond_marks = [m for m in marks.values() if m.seq > count]
    if beyond_marks:
        mark = max(beyond_marks, key=lambda m: m.seq)
        gone = f"entries {count + 1} to {mark.seq} were removed"
        return ChainReport(count, count + 1, f"{gone} (the checkpoint of {mark.at} saw entry {mark.seq})")
    return ChainReport(count, None, "")
