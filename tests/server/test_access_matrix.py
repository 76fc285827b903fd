"""Every route has a role guard, and every role outside it gets 403, checked on the live routes.

The matrix is generated from the app's routes: a new route without a guard fails here, and so does a
guard that lets in a role it names as excluded.
"""

from __future__ import annotations

import re
import uuid

from litestar.handlers import HTTPRouteHandler
from litestar.utils.predicates import is_async_callable

from shared.enums import Role
from tests.support import World

# /app: the field app's static web build, which holds no data (server/pwa.py)
PUBLIC = {"/health", "/api/auth/login", "/app", "/app/{path:path}"}


def _routes(world: World) -> list[tuple[str, str, HTTPRouteHandler]]:
    out = []
    for route in world.app.routes:
        if route.path.startswith("/schema"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                out.append((method, route.path, handler))
    return out


def _allowed(handler: HTTPRouteHandler) -> frozenset[Role] | None:
    roles = [getattr(getattr(g, "func", g), "allowed_roles", None) for g in handler.resolve_guards()]
    roles = [r for r in roles if r is not None]
    if not roles:
        return None
    allowed = frozenset(Role)
    for r in roles:
        allowed &= r
    return allowed


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.UUID(int=42)), path)


async def test_every_route_but_the_public_ones_has_a_role_guard(world: World) -> None:
    unguarded = [f"{m} {p}" for m, p, h in _routes(world) if p not in PUBLIC and _allowed(h) is None]
    assert unguarded == []


async def test_no_guard_or_handler_hops_to_a_thread(world: World) -> None:
    """Litestar runs a plain-function guard or handler in its thread pool (a hop per request that
    queued behind the others in a flood): every guard and handler of ours is a coroutine function."""
    hops = [
        f"{m} {p}: {name}"
        for m, p, h in _routes(world)
        for name, fn in [("handler", h.fn), *(("guard", g) for g in h.resolve_guards())]
        if not is_async_callable(fn)
    ]
    assert hops == []


async def test_each_role_outside_a_guard_gets_403_on_every_route(world: World) -> None:
    usernames = {
        Role.ENGINEER: "eng1",
        Role.DISPATCHER: "dispatcher",
        Role.MANAGER: "manager",
        Role.QA: "qa",
        Role.WAREHOUSE: "warehouse",
        Role.ADMIN: "admin",
    }
    checked = 0
    for method, path, handler in _routes(world):
        allowed = _allowed(handler)
        if allowed is None:
            continue
        for role, username in usernames.items():
            headers = await world.login(username)
            r = await world.client.request(
                method, _concrete(path), headers=headers, json={}, params={"timeout": 0}
            )
            if path == "/api/auth/logout":
                world.tokens.pop(username)  # that token is gone now; the next call signs in afresh
            if role in allowed:
                assert r.status_code not in (401, 403), f"{role} refused on {method} {path}"
            else:
                assert r.status_code == 403, f"{role} got {r.status_code} on {method} {path}"
            assert r.status_code < 500, f"{role}: {method} {path} -> {r.status_code} {r.text[:200]}"
            checked += 1
    assert checked > 100


async def test_no_token_is_401_everywhere_but_the_public_routes(world: World) -> None:
    for method, path, _handler in _routes(world):
        if path in PUBLIC:
            continue
        r = await world.client.request(method, _concrete(path), json={})
        assert r.status_code == 401, f"{method} {path} -> {r.status_code}"
