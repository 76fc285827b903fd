"""Admission control: a bounded number of requests of each kind at a time; beyond it, 503 at once.

In a flood every engineer syncs at once. Queueing every request lets latency grow without bound (the
load bench saw p99 above 30 s at 1,500 devices, and a database pool or lock that gives up after 30 s
surfaces as an error). A server that knows its capacity does better to take a bounded number of requests
of each kind, let a few more wait briefly for a place, and tell the rest at once to come back later
(``503 Service Unavailable`` with ``Retry-After``): the device keeps its outbox and retries with jitter.

Requests fall into lanes by path:

- ``sync``: a device's push and pull (the database work of a flood);
- ``office``: everything else under ``/api`` (the console, dispatch, sign-in), with its own places so
  the console stays usable while devices are turned away;
- the long-poll ``/api/sync/wait``, ``/health`` and the schema are not limited here: a long-poll holds
  an HTTP connection but no database connection while it waits.

A refusal happens before authentication, so it costs no database round trip. ``Retry-After`` is the
turn the lane gives the request: refused requests get turns one measured pace apart, after those
already given, so they come back at the rate the lane serves; the device adds jitter on top.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from litestar.enums import ScopeType
from litestar.response.base import ASGIResponse
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from sync.protocol import MAX_RETRY_AFTER_S

SYNC_PATHS = frozenset({"/api/sync/push", "/api/sync/pull"})
UNLIMITED_PREFIXES = ("/api/sync/wait", "/health", "/schema")


@dataclass
class Lane:
    """Up to ``limit`` requests at a time; up to ``queue`` more wait at most ``max_wait`` seconds."""

    name: str
    limit: int
    queue: int
    max_wait: float
    active: int = 0
    admitted: int = 0
    refused: int = 0
    _waiters: deque[asyncio.Future[None]] = field(default_factory=deque)
    _pace_s: float = 0.05  # seconds between completions at full load (moving average)
    _last_done: float = 0.0
    _next_turn: float = 0.0  # monotonic time of the last turn given to a refused request

    @property
    def waiting(self) -> int:
        return sum(1 for f in self._waiters if not f.done())

    async def enter(self) -> bool:
        """Take a place (maybe after a short wait); False means refuse the request."""
        if self.active < self.limit and not self._waiters:
            self.active += 1
            self.admitted += 1
            return True
        if self.waiting >= self.queue or self.max_wait <= 0:
            return self._refuse()
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(ticket)
        try:
            await asyncio.wait({ticket}, timeout=self.max_wait)
        except asyncio.CancelledError:  # the client went away while it waited
            if ticket.done():
                self.leave()  # it had just been handed a place: pass the place on
            else:
                ticket.cancel()
            raise
        if not ticket.done():  # no place within max_wait
            ticket.cancel()
            return self._refuse()
        self.admitted += 1
        return True

    def leave(self) -> None:
        """Give the place back, straight to the longest waiter if there is one."""
        now = time.monotonic()
        if self._last_done and self.active >= self.limit:
            self._pace_s = 0.9 * self._pace_s + 0.1 * min(now - self._last_done, 5.0)
        self._last_done = now
        while self._waiters:
            ticket = self._waiters.popleft()
            if not ticket.done():
                ticket.set_result(None)  # the place passes on; ``active`` stays the same
                return
        self.active -= 1

    def _refuse(self) -> bool:
        self.refused += 1
        return False

    def retry_after(self) -> int:
        """Whole seconds until this refused request's turn.

        Turns are handed out one lane pace apart, after those already handed out and after the requests
        waiting for a place: the refused come back at about the rate the lane serves instead of all at
        once (telling everyone refused within a second the same few seconds brought them back together,
        to be refused again: three refusals per served request in a 3,000-device flood)."""
        now = time.monotonic()
        earliest = now + self.waiting * self._pace_s
        self._next_turn = min(max(self._next_turn, earliest) + self._pace_s, now + MAX_RETRY_AFTER_S)
        return max(1, min(MAX_RETRY_AFTER_S, math.ceil(self._next_turn - now)))

    def snapshot(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "active": self.active,
            "waiting": self.waiting,
            "admitted": self.admitted,
            "refused": self.refused,
        }


@dataclass
class Admission:
    sync: Lane
    office: Lane

    def lane_for(self, path: str) -> Lane | None:
        if path in SYNC_PATHS:
            return self.sync
        if path.startswith(UNLIMITED_PREFIXES) or not path.startswith("/api/"):
            return None
        return self.office


def busy_problem(seconds: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The 503 problem details and headers for a request turned away: nothing was changed."""
    body = {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": f"the server is busy; nothing was changed: try again in {seconds} s",
        "code": "server_busy",  # error.server.server_busy in the apps' catalogues
        "params": {"seconds": seconds},
        "retry_after": seconds,
    }
    return body, {"Retry-After": str(seconds)}


def admission_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware over the routed app: admit by lane, or answer 503 before any other work."""
    import msgspec

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        admission: Admission | None = getattr(scope["app"].state, "admission", None)
        lane = admission.lane_for(scope["path"]) if admission is not None else None
        if lane is None:
            await app(scope, receive, send)
            return
        arrived = time.perf_counter()
        if not await lane.enter():
            body, headers = busy_problem(lane.retry_after())
            refusal = ASGIResponse(
                body=msgspec.json.encode(body),
                status_code=503,
                headers=headers,
                media_type="application/problem+json",
            )
            await refusal(scope, receive, send)
            return
        admitted = time.perf_counter()

        async def timed_send(message: Message) -> None:
            # Server-Timing: how long the request waited for a place and how long it took until its
            # answer started, as the server saw it (a client on a loaded machine sees more).
            if message["type"] == "http.response.start":
                now = time.perf_counter()
                timing = f"wait;dur={(admitted - arrived) * 1000:.1f}, app;dur={(now - admitted) * 1000:.1f}"
                message["headers"] = [*message.get("headers", ()), (b"server-timing", timing.encode())]
            await send(message)

        try:
            await app(scope, receive, timed_send)
        finally:
            lane.leave()

    return middleware
