"""Sign-in, sign-out and device revocation."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.db.models import AuditEntry, Device, LoginFailure, User
from server.errors import NotFound
from server.security import DUMMY_HASH, hash_password, new_token, token_hash, verify_password
from shared.clock import utcnow
from shared.models import LoginRequest

log = logging.getLogger("levee.auth")


class LoginFailed(Exception):
    pass


class SignInUnavailable(Exception):
    """A failed sign-in could not be recorded: without the record there is no throttle, so refuse."""


#: The longest client address kept (the column's size); longer ones (a forged header) are cut.
MAX_ADDRESS = 64


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


THROTTLE_WINDOW = timedelta(minutes=15)
#: Failed sign-ins of one account from one address before it must wait (BACKOFF_BASE, then doubling).
FREE_FAILURES = 5
BACKOFF_BASE = timedelta(seconds=30)
#: Failures of one account from all addresses together (not counted against addresses it knows) ...
MAX_FAILURES_PER_USER = 20
#: ... and from one address over all accounts, in THROTTLE_WINDOW.
MAX_FAILURES_PER_IP = 30
#: How many of an account's latest sign-ins tell which addresses it is known at.
KNOWN_ADDRESS_LOOKBACK = 50
#: Wrong current passwords on /api/auth/password, per token (device) and per account, in THROTTLE_WINDOW.
MAX_PASSWORD_FAILURES_PER_DEVICE = 5
MAX_PASSWORD_FAILURES_PER_USER = 10


class AuthService:
    def __init__(self, session: AsyncSession, token_ttl_days: int = 180) -> None:
        self.session = session
        self.token_ttl = timedelta(days=token_ttl_days)

    async def _recent_failures(self, *where: Any, since: datetime, limit: int) -> Sequence[datetime]:
        query = select(LoginFailure.at).where(*where, LoginFailure.at >= since)
        return (await self.session.scalars(query.order_by(LoginFailure.at.desc()).limit(limit))).all()

    async def _known_address(self, username: str, ip: str) -> bool:
        """Whether this account signed in successfully from this address before (its audit entries)."""
        user_id = await self.session.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            return False
        details = await self.session.scalars(
            select(AuditEntry.detail)
            .where(AuditEntry.entity_id == str(user_id), AuditEntry.action == "auth.login")
            .order_by(AuditEntry.seq.desc())
            .limit(KNOWN_ADDRESS_LOOKBACK)
        )
        return any(isinstance(d, dict) and d.get("ip") == ip for d in details)

    async def _throttle(self, username: str, ip: str, now: datetime) -> None:
        """Refuse before checking the password when guessing is under way.

        Per account *and* address: after FREE_FAILURES the address waits, 30 s and doubling with each
        further failure (up to THROTTLE_WINDOW), so someone guessing elsewhere does not lock the owner
        out. Per address over all accounts (spraying), and per account over all addresses (a spread
        attack) — the latter not for an address the account has signed in from before.
        """
        since = now - THROTTLE_WINDOW
        pair = await self._recent_failures(
            LoginFailure.username == username, LoginFailure.ip == ip, since=since, limit=64
        )
        if len(pair) >= FREE_FAILURES:
            wait = min(BACKOFF_BASE * 2 ** (len(pair) - FREE_FAILURES), THROTTLE_WINDOW)
            if pair[0] + wait > now:
                raise LoginThrottled(max(int((pair[0] + wait - now).total_seconds()) + 1, 1))
        for where, limit in (
            (LoginFailure.ip == ip, MAX_FAILURES_PER_IP),
            (LoginFailure.username == username, MAX_FAILURES_PER_USER),
        ):
            recent = await self._recent_failures(where, since=since, limit=limit)
            if len(recent) < limit:
                continue
            if limit == MAX_FAILURES_PER_USER and await self._known_address(username, ip):
                continue
            raise LoginThrottled(max(int((recent[-1] + THROTTLE_WINDOW - now).total_seconds()) + 1, 1))

    async def _audit_lockout(self, username: str, user: User | None, ip: str, now: datetime) -> None:
        """The failure that starts the back-off of an account at an address is in the audit trail (once,
        not every refused try)."""
        await self.session.flush()
        recent = await self.session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(
                LoginFailure.username == username,
                LoginFailure.ip == ip,
                LoginFailure.at >= now - THROTTLE_WINDOW,
            )
        )
        if recent == FREE_FAILURES:
            await audit.record(
                self.session,
                action="auth.lockout",
                entity="user",
                entity_id=user.id if user else username,
                detail={"ip": ip, "failures": recent, "wait_s": int(BACKOFF_BASE.total_seconds())},
            )

    async def _record_failure(self, data: LoginRequest, user: User | None, ip: str, now: datetime) -> None:
        try:
            self.session.add(LoginFailure(username=data.username, ip=ip, at=now))
            await audit.record(
                self.session,
                action="auth.login_failed",
                entity="user",
                entity_id=user.id if user else data.username,
                detail={"ip": ip, "device_name": data.device_name},
            )
            await self._audit_lockout(data.username, user, ip, now)
            await self.session.commit()
        except (DBAPIError, StatementError) as exc:
            await self.session.rollback()
            log.error("a failed sign-in could not be recorded (%s): refusing", type(exc.orig).__name__)
            raise SignInUnavailable from None

    async def login(self, data: LoginRequest, ip: str = "") -> tuple[str, Device, User]:
        now = utcnow()
        ip = ip.strip()[:MAX_ADDRESS]
        await self._throttle(data.username, ip, now)
        user = await self.session.scalar(select(User).where(User.username == data.username))
        # Verify against a dummy hash when the user is unknown so both paths take as long.
        ok = verify_password(user.password_hash if user else DUMMY_HASH, data.password)
        if user is None or not ok or not user.active:
            await self._record_failure(data, user, ip, now)
            raise LoginFailed
        token = new_token()
        await self.session.execute(  # this address is through; others keep counting
            delete(LoginFailure).where(LoginFailure.username == data.username, LoginFailure.ip == ip)
        )
        device = Device(
            user_id=user.id,
            name=data.device_name,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + self.token_ttl,
            last_seen_at=now,
        )
        self.session.add(device)
        await self.session.flush()
        await audit.record(
            self.session,
            action="auth.login",
            entity="user",
            entity_id=user.id,
            user_id=user.id,
            device_id=device.id,
            detail={"ip": ip, "device_name": data.device_name},
        )
        await self.session.commit()
        return token, device, user

    async def revoke_device(
        self, device_id: uuid.UUID, by: uuid.UUID | None = None, action: str = "auth.revoke"
    ) -> Device:
        device = await self.session.get(Device, device_id)
        if device is None:
            raise NotFound(
                f"no device with id {device_id}", code="device.not_found", params={"id": device_id}
            )
        if device.revoked_at is None:
            device.revoked_at = utcnow()
            await audit.record(
                self.session,
                action=action,
                entity="device",
                entity_id=device.id,
                user_id=by,
                device_id=device.id,
                detail={"device_name": device.name, "owner": str(device.user_id)},
            )
            await self.session.commit()
        return device

    async def _throttle_password(self, user_id: uuid.UUID, device_id: uuid.UUID, now: datetime) -> None:
        """A stolen token must not allow unlimited guessing: wrong current passwords (in the audit trail)
        are counted per token and per account, and past the limit the password is not even checked."""
        since = now - THROTTLE_WINDOW
        failed = (
            select(AuditEntry.at)
            .where(
                AuditEntry.entity_id == str(user_id),
                AuditEntry.action == "auth.password_failed",
                AuditEntry.at >= since,
            )
            .order_by(AuditEntry.at.desc())
        )
        for query, limit in (
            (failed.where(AuditEntry.device_id == device_id), MAX_PASSWORD_FAILURES_PER_DEVICE),
            (failed, MAX_PASSWORD_FAILURES_PER_USER),
        ):
            recent = (await self.session.scalars(query.limit(limit))).all()
            if len(recent) >= limit:
                retry = int((recent[-1] + THROTTLE_WINDOW - now).total_seconds()) + 1
                raise LoginThrottled(max(retry, 1))

    async def change_password(self, user_id: uuid.UUID, old: str, new: str, keep_device: uuid.UUID) -> bool:
        """Set a new password and sign out every other device of the user."""
        await self._throttle_password(user_id, keep_device, utcnow())
        user = await self.session.get(User, user_id)
        if user is None or not verify_password(user.password_hash, old):
            await audit.record(  # someone holding this token guessing the password is worth knowing
                self.session,
                action="auth.password_failed",
                entity="user",
                entity_id=user_id,
                user_id=user_id,
                device_id=keep_device,
            )
            await self.session.commit()
            return False
        user.password_hash = hash_password(new)
        await audit.record(
            self.session,
            action="auth.password",
            entity="user",
            entity_id=user.id,
            user_id=user.id,
            device_id=keep_device,
        )
        await self.session.execute(
            update(Device)
            .where(Device.user_id == user_id, Device.id != keep_device, Device.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        await self.session.commit()
        return True
