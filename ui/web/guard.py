"""The web apps' front door: only their own pages may drive them (issue 13, item 1).

A Flet app in a browser is driven over one WebSocket (``/ws``): whoever opens it gets a session, and a
session of the field app starts signed in as the device's engineer. Browsers let any page open a
WebSocket to ``127.0.0.1:8550``, so without a check a page from anywhere, opened in the engineer's
browser, could read the jobs and tap 接单. :class:`WebGuard` wraps either app's ASGI program and

* refuses (403) a WebSocket whose ``Origin`` is not the app's own (or one allowed with ``--allow-origin``),
  and a state-changing HTTP request from a foreign origin;
* refuses (403) a ``Host`` that is not an address, ``localhost`` or an allowed origin's host, so a
  DNS-rebinding name cannot pass a foreign page off as the app's own origin;
* gives each browser a random key in an HttpOnly, SameSite=Strict cookie (one per app and port; a foreign
  page's requests do not carry it) and tells the page it serves whose browser it is through
  :data:`BROWSER`: the field app opens signed in only in a browser bound at sign-in or unlocked with the
  password (:mod:`mobile.services.session`);
* forbids framing (``frame-ancestors 'none'``), so no page can lay the app under its own and borrow taps.

Plain ASGI and the standard library only: the packaged tablet app imports :func:`current_browser`
without a web server.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from contextvars import ContextVar
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("levee.web")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The browser a page is served to, for code running on behalf of that page: None when the app is not
#: served over the web (a packaged tablet app's own window), "" for a browser without a valid key,
#: otherwise a digest of the browser's key (the cookie itself never leaves the guard).
BROWSER: ContextVar[str | None] = ContextVar("levee_browser", default=None)

COOKIE_MAX_AGE = 400 * 24 * 3600  # as long as browsers keep a cookie: the binding outlives restarts
_KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
SECURITY_HEADERS = (
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)


def current_browser() -> str | None:
    """The browser of the page this code runs for (see :data:`BROWSER`)."""
    return BROWSER.get()


def browser_digest(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def normalize_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port; None when it is not an origin."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers by lower-case name (the first of repeated ones), decoded as Latin-1."""
    out: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        out.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return out


class WebGuard:
    """ASGI middleware in front of a Flet web app; see the module's docstring for what it refuses."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        cookie_name: str,
        allowed_origins: Iterable[str] = (),
        served_host: str = "127.0.0.1",
    ) -> None:
        self.app = app
        self.cookie_name = cookie_name
        self.allowed_origins: set[str] = set()
        for origin in allowed_origins:
            normal = normalize_origin(origin)
            if normal is None:
                raise ValueError(f"not an origin: {origin!r} (say e.g. https://levee.example.com)")
            self.allowed_origins.add(normal)
        self.allowed_hosts = {"localhost"} | {
            (urlsplit(o).hostname or "").lower() for o in self.allowed_origins
        }
        if served_host and not _is_address(served_host) and served_host not in ("0.0.0.0", "::"):
            self.allowed_hosts.add(served_host.lower())

    # --- the checks ------------------------------------------------------------------------------

    def _host_allowed(self, host_header: str) -> bool:
        host = (urlsplit(f"//{host_header}").hostname or "").lower() if host_header else ""
        return bool(host) and (_is_address(host) or host in self.allowed_hosts)

    def _origin_allowed(self, origin: str, scheme: str, host_header: str) -> bool:
        normal = normalize_origin(origin)
        if normal is None:
            return False
        own = normalize_origin(f"{scheme}://{host_header}")
        return normal == own or normal in self.allowed_origins

    def refusal(self, scope: Scope) -> str:
        """Why this request may not reach the app ("" when it may)."""
        headers = _headers(scope)
        host = headers.get("host", "")
        if not self._host_allowed(host):
            return f"host {host!r} is not this app's"
        scheme = str(scope.get("scheme") or "http")
        http_scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
        origin = headers.get("origin")
        if scope["type"] == "websocket":
            if origin is None:
                return "a WebSocket without an Origin"
            if not self._origin_allowed(origin, http_scheme, host):
                return f"a WebSocket from {origin!r}"
            return ""
        if scope.get("method", "GET").upper() in _SAFE_METHODS:
            return ""
        if origin is not None and not self._origin_allowed(origin, http_scheme, host):
            return f"a {scope.get('method')} from {origin!r}"
        if origin is None and headers.get("sec-fetch-site") == "cross-site":
            return f"a cross-site {scope.get('method')}"
        return ""

    def browser_key(self, scope: Scope) -> str | None:
        """The browser's key from its cookie, if it carries a well-formed one."""
        raw = _headers(scope).get("cookie")
        if not raw:
            return None
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:
            return None
        morsel = jar.get(self.cookie_name)
        return morsel.value if morsel is not None and _KEY.match(morsel.value) else None

    # --- ASGI ------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        why = self.refusal(scope)
        if why:
            log.warning("refused %s to %s", why, scope.get("path", "/"))
            await self._refuse(scope, receive, send)
            return
        key = self.browser_key(scope)
        if scope["type"] == "websocket":
            BROWSER.set(browser_digest(key) if key else "")  # the session's tasks inherit it
            await self.app(scope, receive, send)
            return
        await self.app(
            scope,
            receive,
            self._with_headers(send, scope, new_key=None if key else secrets.token_urlsafe(32)),
        )

    def _with_headers(self, send: Send, scope: Scope, *, new_key: str | None) -> Send:
        cookie = b""
        if new_key is not None:
            secure = "; Secure" if scope.get("scheme") == "https" else ""
            cookie = (
                f"{self.cookie_name}={new_key}; Path=/; Max-Age={COOKIE_MAX_AGE}; HttpOnly; "
                f"SameSite=Strict{secure}"
            ).encode("latin-1")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in dict(SECURITY_HEADERS)
                ]
                headers += list(SECURITY_HEADERS)
                if cookie:
                    headers.append((b"set-cookie", cookie))
                message = {**message, "headers": headers}
            await send(message)

        return sending

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
            return
        body = b"403 Forbidden: this page may only be used from its own address\n"
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *SECURITY_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": body})
