"""Tells waiting devices, within this process, that the change log has moved for them.

Services only write the log; the ``after_commit`` hook below publishes what a transaction logged, so a
device is never woken for a change that was rolled back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from server.changes import NOTIFY_KEY, PG_CHANNEL, parse_notice

log = logging.getLogger("levee.notify")


class ChangeNotifier:
    """Wakes long-polling devices whose audience saw a change (publish and wait run on one loop)."""

    def __init__(self) -> None:
        self._last_for: dict[uuid.UUID | None, int] = {}
        self._waiters: set[tuple[uuid.UUID, int, asyncio.Event]] = set()
        self._released = False

    def release_all(self) -> None:
        """The server is stopping: answer every long poll now, and every later one at once."""
        self._released = True
        for _user_id, _after, ready in list(self._waiters):
            ready.set()

    def publish(self, seq: int, audiences: set[uuid.UUID | None]) -> None:
        for audience in audiences:
            self._last_for[audience] = max(self._last_for.get(audience, 0), seq)
        for user_id, after, ready in list(self._waiters):
            if self.newest_for(user_id) > after:
                ready.set()

    def waiting(self) -> int:
        """How many long polls wait now (a test waits for its own to be registered before a change)."""
        return len(self._waiters)

    def newest_for(self, user_id: uuid.UUID) -> int:
        return max(self._last_for.get(user_id, 0), self._last_for.get(None, 0))

    async def wait(self, user_id: uuid.UUID, after: int, wait_seconds: float) -> int:
        """Return once a change for ``user_id`` newer than ``after`` is published, or after the wait."""
        if self.newest_for(user_id) <= after and not self._released:
            entry = (user_id, after, asyncio.Event())
            self._waiters.add(entry)
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(entry[2].wait(), wait_seconds)
            finally:
                self._waiters.discard(entry)
        return self.newest_for(user_id)


class PgListener:
    """Hears change notices from every server process on one PostgreSQL database (LISTEN/NOTIFY).

    With several processes behind a load balancer, a device long-polling on one process learns of an
    office change committed through another. Reconnects with backoff if the connection drops.
    """

    def __init__(self, dsn: str, notifier: ChangeNotifier) -> None:
        self.dsn = dsn.replace("postgresql+asyncpg://", "postgresql://")
        self.notifier = notifier
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self.connected = asyncio.Event()

    def _on_notice(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            seq, audiences = parse_notice(payload)
        except (ValueError, KeyError):
            log.warning("ignored a malformed change notice")
            return
        self.notifier.publish(seq, audiences)

    async def _run(self) -> None:
        import asyncpg

        delay = 0.5
        while not self._stop.is_set():
            try:
                conn = await asyncpg.connect(self.dsn, timeout=10)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("change listener cannot connect (%s); retrying", type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, 30)
                continue
            try:
                await conn.add_listener(PG_CHANNEL, self._on_notice)
                self.connected.set()
                delay = 0.5
                while not self._stop.is_set() and not conn.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), 5)
                    if not self._stop.is_set():
                        await conn.execute("SELECT 1")  # notices a dead connection
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("change listener lost its connection (%s); reconnecting", type(exc).__name__)
            finally:
                self.connected.clear()
                with contextlib.suppress(Exception):
                    await conn.close(timeout=2)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task


def install_after_commit_hook(notifier: ChangeNotifier, session_info: dict[str, Any]) -> None:
    """Mark sessions made with ``session_info`` as publishing to ``notifier`` after they commit."""
    session_info["levee_notifier"] = notifier


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    pending = session.info.pop(NOTIFY_KEY, None)
    notifier = session.info.get("levee_notifier")
    if pending and notifier is not None:
        notifier.publish(pending["seq"], pending["audiences"])


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(NOTIFY_KEY, None)
