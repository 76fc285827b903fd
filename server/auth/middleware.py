"""Bearer-token authentication bound to a device."""

from __future__ import annotations

from datetime import timedelta

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import select, update

from server.db.models import Device, User
from server.deps import Principal
from server.security import token_hash
from shared.clock import utcnow
from shared.enums import Role

SEEN_RESOLUTION = timedelta(seconds=60)


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:  # type: ignore[type-arg]
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("sign in first: send 'Authorization: Bearer <token>'")
        sessionmaker = connection.app.state.sessionmaker
        now = utcnow()
        async with sessionmaker() as session:
            row = (
                await session.execute(
                    select(Device, User)
                    .join(User, User.id == Device.user_id)
                    .where(Device.token_hash == token_hash(token.strip()))
                )
            ).first()
            if row is None:
                raise NotAuthorizedException("this token is not known: sign in again")
            device, user = row
            if device.revoked_at is not None:
                raise NotAuthorizedException("this device was signed out or revoked: sign in again")
            if device.expires_at < now:
                raise NotAuthorizedException("this sign-in has expired: sign in again")
            if not user.active:
                raise NotAuthorizedException("this account is disabled: ask an administrator")
            if device.last_seen_at is None or now - device.last_seen_at > SEEN_RESOLUTION:
                await session.execute(update(Device).where(Device.id == device.id).values(last_seen_at=now))
                await session.commit()
        principal = Principal(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=Role(user.role),
            device_id=device.id,
        )
        return AuthenticationResult(user=principal, auth=device.id)
