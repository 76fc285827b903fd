"""``/api/auth`` and ``/api/devices``."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, post
from litestar.connection import Request
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, ServiceUnavailableException, TooManyRequestsException
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from server.auth import relay
from server.auth.service import AuthService, LoginFailed, LoginThrottled, SignInUnavailable
from server.db.models import Device, User
from server.deps import CurrentUser, DbSession, requires_admin, requires_any_user
from server.errors import Invalid, problem_code
from shared.models import DeviceOut, LoginRequest, LoginResponse, PasswordChange, UserOut


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]  # noqa: RUF012

    @post("/login", exclude_from_auth=True, status_code=200)
    async def login(
        self,
        data: JSONBody[LoginRequest],
        db_session: DbSession,
        state: State,
        request: Request[Any, Any, Any],
    ) -> LoginResponse:
        """Sign in on a device; the returned token is bound to that device until it is revoked."""
        service = AuthService(db_session, state.settings.token_ttl_days)
        ip = relay.client_address(request, state.get("relay_key"))
        try:
            token, device, user = await service.login(data, ip)
        except LoginThrottled as exc:
            raise TooManyRequestsException(
                f"too many failed sign-ins: try again in {exc.retry_after // 60 + 1} min",
                extra=problem_code("auth.throttled", minutes=exc.retry_after // 60 + 1),
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
        except LoginFailed:
            raise NotAuthorizedException(
                "wrong username or password", extra=problem_code("auth.wrong_password")
            ) from None
        except SignInUnavailable:
            raise ServiceUnavailableException(
                "sign-in is not possible right now: try again in a minute",
                headers={"Retry-After": "60"},
                extra=problem_code("auth.unavailable"),
            ) from None
        return LoginResponse(
            token=token,
            device_id=device.id,
            user=UserOut.model_validate(user),
            timezone=state.settings.timezone,
        )

    @post("/logout", guards=[requires_any_user], status_code=200)
    async def logout(self, db_session: DbSession, principal: CurrentUser) -> dict[str, str]:
        """Revoke the calling device's token."""
        await AuthService(db_session).revoke_device(principal.device_id, principal.user_id, "auth.logout")
        return {"detail": "signed out"}

    @get("/me", guards=[requires_any_user])
    async def me(self, db_session: DbSession, principal: CurrentUser) -> UserOut:
        user = await db_session.get(User, principal.user_id)
        return UserOut.model_validate(user)

    @post("/password", guards=[requires_any_user], status_code=200)
    async def change_password(
        self, data: JSONBody[PasswordChange], db_session: DbSession, principal: CurrentUser
    ) -> dict[str, str]:
        """Change the caller's password; every other device of theirs is signed out. Wrong current
        passwords are throttled per token and per account (429 with Retry-After)."""
        try:
            ok = await AuthService(db_session).change_password(
                principal.user_id, data.old_password, data.new_password, principal.device_id
            )
        except LoginThrottled as exc:
            raise TooManyRequestsException(
                f"too many wrong passwords: try again in {exc.retry_after // 60 + 1} min",
                extra=problem_code("auth.throttled", minutes=exc.retry_after // 60 + 1),
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
        if not ok:
            raise Invalid(
                "the current password is wrong", field="old_password", code="auth.wrong_current_password"
            )
        return {"detail": "password changed; other devices were signed out"}


class DeviceController(Controller):
    path = "/api/devices"
    tags = ["auth"]  # noqa: RUF012
    guards = [requires_admin]  # noqa: RUF012

    @get("/")
    async def list_devices(
        self,
        db_session: DbSession,
        user_id: FromQuery[uuid.UUID | None] = None,
    ) -> list[DeviceOut]:
        query = select(Device).order_by(Device.created_at.desc())
        if user_id is not None:
            query = query.where(Device.user_id == user_id)
        return [DeviceOut.model_validate(d) for d in (await db_session.scalars(query.limit(500)))]

    @post("/{device_id:uuid}/revoke", status_code=200)
    async def revoke(
        self, device_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> DeviceOut:
        """Revoke a lost or stolen device: its token stops working at once."""
        device = await AuthService(db_session).revoke_device(device_id, principal.user_id)
        return DeviceOut.model_validate(device)
