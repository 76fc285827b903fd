"""Request-scoped dependencies and role guards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection, Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from shared.enums import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user and the device their token is bound to."""

    user_id: uuid.UUID
    username: str
    display_name: str
    role: Role
    device_id: uuid.UUID

    @property
    def is_engineer(self) -> bool:
        return self.role is Role.ENGINEER


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with state.sessionmaker() as session:
        yield session


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    user = request.scope.get("user")
    if not isinstance(user, Principal):  # pragma: no cover - the middleware guarantees it
        raise NotAuthorizedException("sign in first")
    return user


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def requires(*roles: Role) -> Guard:
    """A guard letting through only the given roles; the roles are kept on it for the access matrix."""
    allowed = frozenset(roles)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if not isinstance(user, Principal):
            raise NotAuthorizedException("sign in first")
        if user.role not in allowed:
            raise PermissionDeniedException(
                f"a {user.role.value} may not do this; it needs one of: "
                + ", ".join(sorted(r.value for r in allowed))
            )

    guard.allowed_roles = allowed  # type: ignore[attr-defined]
    guard.__name__ = "requires_" + "_".join(sorted(r.value for r in allowed))
    return guard


ANY_USER = tuple(Role)
OFFICE = (Role.DISPATCHER, Role.MANAGER, Role.QA, Role.WAREHOUSE, Role.ADMIN)
DISPATCH = (Role.DISPATCHER, Role.MANAGER, Role.ADMIN)
requires_any_user = requires(*ANY_USER)
requires_office = requires(*OFFICE)
requires_dispatch = requires(*DISPATCH)
requires_admin = requires(Role.ADMIN)
requires_engineer = requires(Role.ENGINEER)
requires_qa = requires(Role.QA, Role.MANAGER, Role.ADMIN)


DbSession = NamedDependency[AsyncSession]
CurrentUser = NamedDependency[Principal]
