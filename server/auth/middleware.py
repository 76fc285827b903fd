"""Bearer-token authentication bound to a device."""

from __future__ import annotations

from datetime import timedelta

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import bindparam, select, update

from server.db.base import table_of
from server.db.models import Device, User
from server.deps import Principal
from server.errors import problem_code
from server.security import token_hash
from shared.clock import utcnow
from shared.enums import Role

SEEN_RESOLUTION = timedelta(seconds=60)

# Built once: every request runs them, and building a statement cost more than running it (the load
# bench's profile in docs/performance.md). Columns only, no ORM objects to load and track.
_devices = table_of(Device).c
_users = table_of(User).c
_LOOKUP = (
    select(
        _devices.id,
        _devices.revoked_at,
        _devices.expires_at,
        _devices.last_seen_at,
        _devices.last_sync_at,
        _users.id.label("user_id"),
        _users.username,
        _users.display_name,
        _users.role,
        _users.active,
    )
    .select_from(table_of(Device).join(table_of(User), _users.id == _devices.user_id))
    .where(_devices.token_hash == bindparam("token_hash"))
)
_SEEN = (
    update(table_of(Device))
    .where(_devices.id == bindparam("device_id"))
    .values(last_seen_at=bindparam("now"))
)


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:  # type: ignore[type-arg]
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException(
                "sign in first: send 'Authorization: Bearer <token>'",
                extra=problem_code("auth.sign_in_first"),
            )
        now = utcnow()
        # One statement (two when the device's last-seen time is stale), each complete in itself: no
        # transaction around them, no session, and on SQLite no write lock taken to read a token.
        async with connection.app.state.autocommit_engine.connect() as conn:
            row = (await conn.execute(_LOOKUP, {"token_hash": token_hash(token.strip())})).first()
            if row is None:
                raise NotAuthorizedException(
                    "this token is not known: sign in again", extra=problem_code("auth.token_unknown")
                )
            if row.revoked_at is not None:
                raise NotAuthorizedException(
                    "this device was signed out or revoked: sign in again",
                    extra=problem_code("auth.device_revoked"),
                )
            if row.expires_at < now:
                raise NotAuthorizedException(
                    "this sign-in has expired: sign in again", extra=problem_code("auth.expired")
                )
            if not row.active:
                raise NotAuthorizedException(
                    "this account is disabled: ask an administrator",
                    extra=problem_code("auth.account_disabled"),
                )
            if row.last_seen_at is None or now - row.last_seen_at > SEEN_RESOLUTION:
                await conn.execute(_SEEN, {"device_id": row.id, "now": now})
        principal = Principal(
            user_id=row.user_id,
            username=row.username,
            display_name=row.display_name,
            role=Role(row.role),
            device_id=row.id,
            last_sync_at=row.last_sync_at,
        )
        return AuthenticationResult(user=principal, auth=row.id)
