"""Request-scoped dependencies and role guards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar.connection import ASGIConnection, Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import problem_code
from shared.enums import Role
from shared.roles import Capability, roles_for


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user and the device their token is bound to."""

    user_id: uuid.UUID
    username: str
    display_name: str
    role: Role
    device_id: uuid.UUID
    #: the device's last sync stamp as the token check read it (None: never, or not read)
    last_sync_at: datetime | None = None

    @property
    def is_engineer(self) -> bool:
        return self.role is Role.ENGINEER


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with state.sessionmaker() as session:
        yield session


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    user = request.scope.get("user")
    if not isinstance(user, Principal):  # pragma: no cover - the middleware guarantees it
        raise NotAuthorizedException("sign in first", extra=problem_code("auth.sign_in_first"))
    return user


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def requires(*roles: Role) -> Guard:
    """A guard letting through only the given roles; the roles are kept on it for the access matrix."""
    allowed = frozenset(roles)

    # async: Litestar runs a plain function guard in its thread pool (anyio's to_thread), a thread hop
    # on every request that waited in the pool's queue behind the others under load
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, Principal):
            raise NotAuthorizedException("sign in first", extra=problem_code("auth.sign_in_first"))
        if user.role not in allowed:
            raise PermissionDeniedException(
                f"a {user.role.value} may not do this; it needs one of: "
                + ", ".join(sorted(r.value for r in allowed)),
                extra=problem_code(
                    "role.not_allowed", role=user.role, roles=sorted(r.value for r in allowed)
                ),
            )

    guard.allowed_roles = allowed  # type: ignore[attr-defined]
    guard.__name__ = "requires_" + "_".join(sorted(r.value for r in allowed))
    return guard


def requires_to(*capabilities: Capability) -> Guard:
    """A guard letting through the roles that hold any of ``capabilities`` (the table in shared/roles.py)."""
    return requires(*sorted(roles_for(*capabilities)))


requires_any_user = requires_to(Capability.SIGN_IN)
requires_office = requires_to(Capability.WORK_IN_THE_OFFICE)
requires_dispatch = requires_to(Capability.DISPATCH)
requires_admin = requires_to(Capability.ADMINISTER_USERS)
requires_engineer = requires_to(Capability.WORK_IN_THE_FIELD)
requires_qa = requires_to(Capability.APPROVE_QUALITY)


DbSession = NamedDependency[AsyncSession]
CurrentUser = NamedDependency[Principal]
