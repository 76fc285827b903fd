"""Signing a device in and out, and what happens to its data when access ends.

The device stays signed in across restarts (the token lives in the replica's meta) until the engineer
signs out or the office revokes it. Work not yet on the server is never thrown away: signing out pushes
it first, and a revoked device, which can no longer push, exports it to a file before wiping.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, TypeVar

import httpx

from mobile.replica.store import Replica
from mobile.services.jobs import ActionError, JobActions, Refusal
from mobile.services.sync import SyncRunner
from shared.clock import utcnow
from shared.local_time import DEFAULT_TIMEZONE, zone
from shared.refusals import refusal_text

T = TypeVar("T")


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run slow CPU work (a password digest) off the event loop; in the browser's Python, which has
    no threads, in place."""
    if sys.platform == "emscripten":
        return fn(*args)
    return await asyncio.to_thread(fn, *args)


@dataclass
class SignedIn:
    server_url: str
    user: dict[str, Any]
    device_id: str
    runner: SyncRunner
    actions: JobActions


class DeviceSession:
    """One app install: one replica file, at most one signed-in engineer."""

    def __init__(
        self,
        data_dir: Path,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
        runner_options: dict[str, Any] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.transport = transport
        self.clock = clock
        self.runner_options = runner_options or {}
        self.replica = Replica(self.data_dir / "replica.db", clock=clock)
        self.current: SignedIn | None = None
        self.timezone: tzinfo = self._stored_timezone()
        self._browsers: list[str] = json.loads(self.replica.get_meta("browsers") or "[]")

    def _stored_timezone(self) -> tzinfo:
        """The installation's time zone as the server told it at sign-in (the default before that)."""
        try:
            return zone(self.replica.get_meta("timezone") or DEFAULT_TIMEZONE)
        except ValueError:
            return zone(DEFAULT_TIMEZONE)

    def _open(self, server_url: str, token: str, user: dict[str, Any], device_id: str) -> SignedIn:
        runner = SyncRunner(
            self.replica, server_url, token, transport=self.transport, clock=self.clock, **self.runner_options
        )
        actions = JobActions(self.replica, clock=self.clock, on_change=runner.kick)
        self.current = SignedIn(server_url, user, device_id, runner, actions)
        return self.current

    def restore(self) -> SignedIn | None:
        """Pick up the signed-in engineer after a restart (no network needed)."""
        token, server, user = (self.replica.get_meta(k) for k in ("token", "server_url", "user"))
        if not (token and server and user):
            return None
        return self._open(server, token, json.loads(user), self.replica.get_meta("device_id") or "")

    async def sign_in(
        self, server_url: str, username: str, password: str, device_name: str, *, browser: str | None = None
    ) -> SignedIn:
        """Sign in with the server; in web mode ``browser`` (the signing-in browser's key digest) is the
        first browser that may open the signed-in device without the password."""
        server_url = server_url.rstrip("/")
        async with httpx.AsyncClient(base_url=server_url, transport=self.transport, timeout=20) as client:
            try:
                response = await client.post(
                    "/api/auth/login",
                    json={"username": username, "password": password, "device_name": device_name},
                )
            except httpx.TransportError as exc:
                raise ActionError(
                    "offline", "cannot reach the server: check the address and the network"
                ) from exc
        if response.status_code == 401:
            raise ActionError("wrong_password", "wrong username or password")
        if response.status_code == 503:
            seconds = response.headers.get("retry-after", "5")
            raise ActionError("server_busy", f"the server is busy: try again in {seconds} s", seconds=seconds)
        if response.status_code != 200:
            refusal = _refusal(response)
            if refusal is not None:  # the server said why, with a code this build can word
                raise ActionError(
                    "sign_in_refused", f"the server refused: {response.text[:200]}", reason=refusal
                )
            raise ActionError("sign_in_failed", f"the server refused: {response.text[:200]}")
        body = response.json()
        user = body["user"]
        if user["role"] != "engineer":
            raise ActionError("not_engineer", "the field app is for engineers; office staff use the console")
        previous = self.replica.get_meta("user_id")
        if previous and previous != user["id"]:
            if self.replica.pending_count():
                raise ActionError(
                    "other_users_work",
                    "this tablet holds unsent work of another engineer: they must sync it first",
                )
            self.replica.wipe()
        told = body.get("timezone")  # a server before this answer said nothing: keep what we had
        if isinstance(told, str) and told:
            try:
                self.timezone = zone(told)
                self.replica.set_meta("timezone", told)
            except ValueError:
                pass  # a zone this device's tz database lacks: keep the one it had
        for key, value in (
            ("server_url", server_url),
            ("token", body["token"]),
            ("device_id", body["device_id"]),
            ("user", json.dumps(user, ensure_ascii=False)),
            ("user_id", user["id"]),
        ):
            self.replica.set_meta(key, value)
        self.forget_browsers()
        await off_loop(self.remember_password, password)
        if browser:
            self.bind_browser(browser)
        return self._open(server_url, body["token"], user, body["device_id"])

    def export_unsent(self) -> Path | None:
        """Write every unsent or refused tap to a JSON file the office can import; None when there are none."""
        entries = [m.model_dump(mode="json") for m in self.replica.pending(1_000_000)]
        entries += [
            {**r.mutation.model_dump(mode="json"), "rejected": {"reason": r.reason, "message": r.message}}
            for r in self.replica.rejections()
        ]
        if not entries:
            return None
        folder = self.data_dir / "exports"
        folder.mkdir(exist_ok=True)
        path = folder / f"unsent-{self.clock():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}.json"
        user = self.replica.get_meta("user")
        path.write_text(
            json.dumps(
                {"user": json.loads(user) if user else None, "mutations": entries},
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
        return path

    def _forget(self) -> None:
        self.replica.wipe()
        self.replica.clear_outbox()
        self.replica.set_meta("user_id", None)
        self.forget_browsers()
        self.current = None

    # --- which browsers may use the signed-in device (web mode, see ui/web/guard.py) ----------

    MAX_BROWSERS = 8  # the most recently bound ones are kept

    def remember_password(self, password: str) -> None:
        """Keep a salted scrypt digest of the password that signed in, so that a new browser can be
        unlocked with it offline (the token beside it in the replica is worth more than the digest).
        The browser's Python has no scrypt; there the browser profile is the device and no other browser
        is ever asked (docs/pwa.md), so nothing is kept."""
        if not hasattr(hashlib, "scrypt"):
            return
        salt = secrets.token_bytes(16)
        digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
        self.replica.set_meta("unlock", f"scrypt$16384$8$1${salt.hex()}${digest.hex()}")

    def can_check_password(self) -> bool:
        return bool(self.replica.get_meta("unlock"))

    def check_password(self, password: str) -> bool:
        stored = self.replica.get_meta("unlock") or ""
        try:
            _, n, r, p, salt, digest = stored.split("$")
            again = hashlib.scrypt(
                password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
            )
        except ValueError:
            return False
        return hmac.compare_digest(again.hex(), digest)

    async def check_password_with_server(self, password: str) -> bool:
        """For a replica signed in before digests were kept: ask the server (a sign-in that is signed
        out again at once), then keep the digest. ActionError ``offline`` without a connection."""
        user = json.loads(self.replica.get_meta("user") or "{}")
        server_url = self.replica.get_meta("server_url") or ""
        async with httpx.AsyncClient(base_url=server_url, transport=self.transport, timeout=20) as client:
            try:
                r = await client.post(
                    "/api/auth/login",
                    json={
                        "username": user.get("username", ""),
                        "password": password,
                        "device_name": "unlock",
                    },
                )
                if r.status_code == 200:
                    token = r.json()["token"]
                    with contextlib.suppress(httpx.HTTPError):
                        await client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
            except httpx.TransportError as exc:
                raise ActionError(
                    "unlock_needs_network", "connect to the server to check the password"
                ) from exc
        if r.status_code != 200:
            return False
        self.remember_password(password)
        return True

    def bind_browser(self, browser: str) -> None:
        """Let the browser with this key digest open the signed-in device without the password."""
        others = [b for b in self._browsers if b != browser]
        self._browsers = [*others[max(len(others) - self.MAX_BROWSERS + 1, 0) :], browser]
        self.replica.set_meta("browsers", json.dumps(self._browsers))

    def browser_bound(self, browser: str) -> bool:
        return bool(browser) and browser in self._browsers

    def forget_browsers(self) -> None:
        self._browsers = []
        self.replica.set_meta("browsers", None)
        self.replica.set_meta("unlock", None)

    async def sign_out(self) -> None:
        """Push what is unsent, then sign out on the server and wipe the device."""
        if self.current is None:
            return
        runner = self.current.runner
        if not await runner.sync_once() or self.replica.pending_count():
            raise ActionError(
                "unsent_work", "some work is not on the server yet: connect and sync before signing out"
            )
        self.export_unsent()  # refused taps, kept for the office
        with contextlib.suppress(httpx.HTTPError):  # the token is forgotten here either way
            await runner.client.post("/api/auth/logout")
        await runner.aclose()
        self._forget()

    async def handle_revoked(self) -> Path | None:
        """After the server refused this device: keep unsent work in an export file, then wipe."""
        path = self.export_unsent()
        if self.current is not None:
            await self.current.runner.aclose()
        self._forget()
        return path


def _refusal(response: httpx.Response) -> Refusal | None:
    """The server's refusal when it carries a code this build knows (else None: an older or newer server)."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or refusal_text("en", body) is None:
        return None
    return Refusal(body)
