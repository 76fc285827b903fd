"""Sign-in, sign-out and device revocation."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.base import utcnow
from server.db.models import Device, User
from server.errors import NotFound
from server.security import DUMMY_HASH, hash_password, new_token, token_hash, verify_password
from shared.models import LoginRequest


class LoginFailed(Exception):
    pass


class AuthService:
    def __init__(self, session: AsyncSession, token_ttl_days: int = 180) -> None:
        self.session = session
        self.token_ttl = timedelta(days=token_ttl_days)

    async def login(self, data: LoginRequest) -> tuple[str, Device, User]:
        user = await self.session.scalar(select(User).where(User.username == data.username))
        # Verify against a dummy hash when the user is unknown so both paths take as long.
        ok = verify_password(user.password_hash if user else DUMMY_HASH, data.password)
        if user is None or not ok or not user.active:
            raise LoginFailed
        token = new_token()
        now = utcnow()
        device = Device(
            user_id=user.id,
            name=data.device_name,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + self.token_ttl,
            last_seen_at=now,
        )
        self.session.add(device)
        await self.session.commit()
        return token, device, user

    async def revoke_device(self, device_id: uuid.UUID) -> Device:
        device = await self.session.get(Device, device_id)
        if device is None:
            raise NotFound(f"no device with id {device_id}")
        if device.revoked_at is None:
            device.revoked_at = utcnow()
            await self.session.commit()
        return device

    async def change_password(self, user_id: uuid.UUID, old: str, new: str, keep_device: uuid.UUID) -> bool:
        """Set a new password and sign out every other device of the user."""
        user = await self.session.get(User, user_id)
        if user is None or not verify_password(user.password_hash, old):
            return False
        user.password_hash = hash_password(new)
        await self.session.execute(
            update(Device)
            .where(Device.user_id == user_id, Device.id != keep_device, Device.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        await self.session.commit()
        return True
