"""The device's sync runner: pushes the outbox, pulls its scope, and keeps trying.

It retries on a timer with backoff and whenever it is kicked (a new tap, the network coming back),
not only after a new local write. While idle and online it long-polls the server, so an office change
reaches the device in well under a second. The transport is injected, so tests run it against the
ASGI app in-process or against a real server.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic_core import from_json

from mobile.replica.store import Replica
from shared.clock import utcnow
from sync.client import MAX_RESYNCS, Round, Step, next_push, next_step
from sync.protocol import (
    CLIENT_KEEP_ALIVE_S,
    RETRY_JITTER,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)


class SyncError(Exception):
    """A sync attempt failed; ``code`` is stable (for the UI's catalogue), ``message`` is in words."""

    def __init__(self, code: str, message: str, status: int = 0, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after  # seconds the server asked us to wait (503 busy)


@dataclass
class SyncStatus:
    """What the UI shows about sync, always."""

    online: bool = False
    syncing: bool = False
    signed_out: bool = False
    last_success_at: datetime | None = None
    last_attempt_at: datetime | None = None
    pending: int = 0
    oldest_pending_at: datetime | None = None
    rejected: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    last_error_code: str = ""
    last_error: str = ""

    def oldest_pending_age(self, now: datetime) -> float | None:
        """Seconds since the oldest unsent tap, or None when nothing waits."""
        return None if self.oldest_pending_at is None else (now - self.oldest_pending_at).total_seconds()


class SyncRunner:
    def __init__(
        self,
        replica: Replica,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
        push_batch: int = 200,
        pull_limit: int = 2000,
        timeout: float = 30.0,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        idle_interval: float = 60.0,
        long_poll: float = 25.0,
    ) -> None:
        self.replica = replica
        self.clock = clock
        self.push_batch = push_batch
        self.pull_limit = pull_limit
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.idle_interval = idle_interval
        self.long_poll = long_poll
        self.client = httpx.AsyncClient(
            base_url=base_url,
            transport=transport,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout, read=max(timeout, long_poll + 10)),
            # Keep the connection through a busy server's longest Retry-After (httpx's default is 5 s):
            # a refused tablet comes back on it rather than reconnecting with every other refused one.
            limits=httpx.Limits(keepalive_expiry=CLIENT_KEEP_ALIVE_S),
        )
        self.status = SyncStatus()
        self._kick = asyncio.Event()
        self._lock = asyncio.Lock()
        self._failures = 0
        self._not_before = 0.0  # loop time before which the server asked not to be called (Retry-After)
        self.listeners: list[Callable[[SyncStatus], None]] = []
        self.refresh_status()

    async def aclose(self) -> None:
        await self.client.aclose()

    # --- status ------------------------------------------------------------------------------------

    def refresh_status(self) -> SyncStatus:
        self.status.pending = self.replica.pending_count()
        self.status.oldest_pending_at = self.replica.oldest_pending_at()
        self.status.rejected = len(self.replica.rejections())
        self.status.conflicts = self.replica.conflicts()
        for listener in self.listeners:
            listener(self.status)
        return self.status

    def kick(self) -> None:
        """Sync as soon as possible (after a new tap, or when the network comes back)."""
        self._kick.set()

    # --- one round ------------------------------------------------------------------------------

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self.client.post(path, json=body)
        except httpx.TimeoutException as exc:
            raise SyncError("timeout", "the server did not answer in time") from exc
        except httpx.TransportError as exc:
            raise SyncError("offline", "no connection to the server") from exc
        return self._check(response)

    def _check(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code == 401:
            self.status.signed_out = True
            raise SyncError("signed_out", "this device was signed out or revoked: sign in again")
        if response.status_code == 503:
            # Turned away before anything was applied: the outbox stays as it is; come back later.
            raise SyncError(
                "busy",
                "the server is busy; retrying later",
                503,
                retry_after=_retry_after(response.headers.get("retry-after")),
            )
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", "")
            except ValueError:
                detail = response.text[:200]
            code = "server_error" if response.status_code >= 500 else "refused"
            raise SyncError(
                code, f"the server answered {response.status_code}: {detail}", response.status_code
            )
        body: dict[str, Any] = from_json(response.content)
        return body

    async def fetch_manual(self, manual: dict[str, Any]) -> Path:
        """A manual's file, fetched on demand (online) and kept beside the replica for offline use."""
        kept = self.replica.manual_path(manual["id"])
        if kept is not None:
            return kept
        try:
            response = await self.client.get(f"/api/knowledge/manuals/{manual['id']}/file")
        except httpx.TimeoutException as exc:
            raise SyncError("timeout", "the server did not answer in time") from exc
        except httpx.TransportError as exc:
            raise SyncError("offline", "no connection to the server") from exc
        if response.status_code >= 400:
            self._check(response)
        return self.replica.save_manual(manual["id"], response.content, str(manual.get("filename", "")))

    async def push(self) -> int:
        """Send the whole outbox in ordered batches; returns how many mutations were acknowledged."""
        sent = 0
        while True:
            batch = next_push(self.replica.pending(self.push_batch), self.push_batch)
            if not batch:
                return sent
            self.replica.note_attempt(m.id for m in batch)
            request = PushRequest(device_time=self.clock(), mutations=batch)
            try:
                body = await self._post("/api/sync/push", request.model_dump(mode="json"))
            except SyncError as exc:
                if exc.status == 413 and self.push_batch > 1:
                    self.push_batch = max(1, self.push_batch // 2)  # photos or signatures made it too big
                    continue
                raise
            response = PushResponse.model_validate(body)
            self.replica.apply_push_results(response.results)
            sent += len(response.results)
            if len(batch) < self.push_batch:
                return sent

    async def pull_page(self) -> PullResponse:
        """Pull and apply one page (a resync answer is returned unapplied for the caller to act on)."""
        request = PullRequest(cursor=self.replica.cursor, limit=self.pull_limit)
        page = PullResponse.model_validate(
            await self._post("/api/sync/pull", request.model_dump(mode="json"))
        )
        if not page.resync_required:
            self.replica.apply_pull(page)
        return page

    async def pull(self) -> int:
        """Pull pages until the server has nothing more; restarts the download when told to resync."""
        applied, resyncs = 0, 0
        while True:
            page = await self.pull_page()
            if page.resync_required:
                resyncs += 1
                if resyncs > MAX_RESYNCS:
                    raise SyncError("resync_loop", "the server keeps asking for a fresh download")
                self.replica.begin_resync(
                    server_restored=bool(page.resync_code and page.resync_code.server_restored)
                )
                continue
            applied += len(page.changes)
            if not page.has_more:
                return applied

    async def sync_once(self) -> bool:
        """One round as :func:`sync.client.next_step` directs: push, pull to the end, push what is left.

        True when it all went through.
        """
        async with self._lock:
            self.status.syncing = True
            self.status.last_attempt_at = self.clock()
            try:
                state = Round(pending=self.replica.pending_count())
                while (step := next_step(state)) is not Step.DONE:
                    if step is Step.PUSH:
                        await self.push()
                        state.pushed, state.pending = True, self.replica.pending_count()
                    elif step is Step.PULL:
                        state.last_page = await self.pull_page()
                        state.pulled_to_end = (
                            not state.last_page.resync_required and not state.last_page.has_more
                        )
                    else:
                        state.resyncs += 1
                        if state.resyncs > MAX_RESYNCS:
                            raise SyncError("resync_loop", "the server keeps asking for a fresh download")
                        page = state.last_page
                        restored = bool(page and page.resync_code and page.resync_code.server_restored)
                        self.replica.begin_resync(server_restored=restored)
                        state.last_page = None
                        state.pending = self.replica.pending_count()  # recently acknowledged work, again
            except SyncError as exc:
                self.status.online = exc.code not in {"offline", "timeout"}
                self.status.last_error_code, self.status.last_error = exc.code, exc.message
                self._failures += 1
                if (
                    exc.retry_after
                ):  # not before the server's time, spread so refused devices do not return in step
                    self._not_before = asyncio.get_running_loop().time() + exc.retry_after * random.uniform(
                        1.0, RETRY_JITTER
                    )
                return False
            finally:
                self.status.syncing = False
                self.refresh_status()
            self._failures = 0
            self.status.online = True
            self.status.last_success_at = self.clock()
            self.status.last_error_code = self.status.last_error = ""
            self.refresh_status()
            return True

    # --- forever ---------------------------------------------------------------------------------

    def next_delay(self) -> float:
        """Seconds to wait before the next try: exponential backoff with jitter after failures, and
        never sooner than a busy server asked."""
        if self._failures == 0:
            return self.idle_interval
        asked = self._not_before - asyncio.get_running_loop().time()
        if asked > 0:
            return asked
        delay = min(self.backoff_max, self.backoff_base * 2 ** (self._failures - 1))
        return float(delay * random.uniform(0.8, 1.2))

    async def _wait_for_news(self) -> None:
        """Long-poll the server; returns when something newer than our cursor concerns us."""
        after = self.replica.cursor_seq
        try:
            response = await self.client.get(
                "/api/sync/wait", params={"after": after, "timeout": self.long_poll}
            )
            seq = int(self._check(response).get("seq", 0))
        except httpx.TransportError:
            # The network went away while idle: say so now and retry with backoff, not in a minute.
            self.status.online = False
            self.status.last_error_code, self.status.last_error = "offline", "no connection to the server"
            self._failures += 1
            self.refresh_status()
            return
        except (httpx.HTTPError, SyncError, ValueError):
            await asyncio.sleep(self.next_delay())
            return
        if seq <= after:
            return
        self._kick.set()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Sync until ``stop`` is set or the device is signed out."""
        stop = stop or asyncio.Event()
        while not stop.is_set() and not self.status.signed_out:
            self._kick.clear()
            asked = self._not_before - asyncio.get_running_loop().time()
            if asked > 0:  # a busy server's Retry-After holds even against a new tap's kick
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), asked)
                continue
            ok = await self.sync_once()
            if self.status.signed_out:
                return
            waiters: list[asyncio.Future[Any]] = [
                asyncio.ensure_future(self._kick.wait()),
                asyncio.ensure_future(stop.wait()),
            ]
            if ok:
                waiters.append(asyncio.ensure_future(self._wait_for_news()))
            try:
                await asyncio.wait(waiters, timeout=self.next_delay(), return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in waiters:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task


def _retry_after(value: str | None) -> float:
    """Seconds from a ``Retry-After`` header (delta-seconds; an HTTP date or garbage counts as 5 s)."""
    try:
        return min(max(float(value or ""), 1.0), 300.0)
    except ValueError:
        return 5.0
