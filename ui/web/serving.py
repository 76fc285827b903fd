"""Serving a Flet app (the field app or the console) to browsers, behind the guard, and stopping it
within the project's 2 s on SIGTERM as on Ctrl+C (issue 11, item 13).

Flet's own ``ft.run`` serves with uvicorn but waits without limit for open connections when told to
stop: a ``levee app`` with a browser attached outlived its parent's SIGTERM by 20 minutes. Here the
app runs as an ASGI program (``ft.run(..., export_asgi_app=True)``) wrapped by
:class:`~ui.web.guard.WebGuard`, under a uvicorn server that gives connections
:data:`GRACE_S` to finish, runs the app's own shutdown (the field app stops its sync runner), and is
stopped hard after :data:`HARD_STOP_S` should anything still hang (every write of the replica is a
transaction, so a hard stop loses nothing that was saved).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any

import flet as ft
import uvicorn

import shared
from shared.lifetime import die_with_parent
from ui.web.guard import ASGIApp, Receive, Scope, Send, WebGuard

GRACE_S = 0.5  # for open requests and WebSockets to finish once told to stop
SHUTDOWN_HOOK_S = 0.6  # for the app's own shutdown (the field app's sync runner)
HARD_STOP_S = 1.6  # from the signal to a hard stop, inside the brief's 2 s

#: CanvasKit, not the skwasm renderer Flet picks on Chromium by default: under load skwasm stopped with a
#: WebAssembly "null function" trap, leaving part of a screen unpainted and deaf to taps (a customer
#: list that ignored clicks; most likely also a blank page after sign-in), and CanvasKit exchanges the
#: byte buffers of every Flet update faster.
WEB_RENDERER = ft.WebRenderer.CANVAS_KIT
ASSETS_DIR = Path(shared.__file__).resolve().parent / "assets"  # the font, icons and web manifest


class _ShutdownHook:
    """Runs ``hook`` when the server shuts the app down (before Flet's own shutdown), bounded in time."""

    def __init__(self, app: ASGIApp, hook: Callable[[], Awaitable[None]] | None) -> None:
        self.app, self.hook = app, hook

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan" or self.hook is None:
            await self.app(scope, receive, send)
            return
        hook = self.hook

        async def receiving() -> Any:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(hook(), SHUTDOWN_HOOK_S)
            return message

        await self.app(scope, receiving, send)


#: where Flutter's CanvasKit fetches its Noto Sans SC fallback slices with ``no_cdn`` (a glyph it has not
#: got yet, e.g. text laid out before the bundled face has loaded): files Flet does not ship
FALLBACK_FONT_PREFIX = "/assets/fonts/notosanssc/"
BUNDLED_FONT = ASSETS_DIR / "fonts" / "NotoSansSC-Levee.otf"


class _FontFallback:
    """Answers CanvasKit's font fallback requests with the bundled CJK face, which holds every glyph
    the apps draw: without it each page load asked for dozens of slices that were not there, and the
    console logged thousands of 404s in a day (issue 11)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._font: bytes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(FALLBACK_FONT_PREFIX):
            await self.app(scope, receive, send)
            return
        if self._font is None:
            self._font = BUNDLED_FONT.read_bytes()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"font/otf"),
                    (b"content-length", str(len(self._font)).encode()),
                    (b"cache-control", b"public, max-age=86400"),
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else self._font}
        )


class BoundedServer(uvicorn.Server):
    """A uvicorn server whose stop is bounded: after the first SIGTERM or SIGINT it has
    :data:`HARD_STOP_S` to finish before the process ends regardless."""

    _timer: threading.Timer | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._timer is None:
            self._timer = threading.Timer(HARD_STOP_S, _hard_stop, args=(sig,))
            self._timer.daemon = True
            self._timer.start()
        super().handle_exit(sig, frame)


def _hard_stop(sig: int) -> None:
    with contextlib.suppress(Exception):
        sys.stderr.write(f"levee: shutdown took longer than {HARD_STOP_S} s; stopping now\n")
        sys.stderr.flush()
    os._exit(128 + sig)


def serve(
    main: Callable[[ft.Page], Any],
    *,
    name: str,
    host: str,
    port: int,
    allowed_origins: Iterable[str] = (),
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
    trusted_proxies: Iterable[str] | None = None,
) -> None:
    """Serve a Flet app to browsers: the bundled assets (no CDN: it works with no network at all), the
    :data:`WEB_RENDERER`, the guard, and a bounded stop.

    ``trusted_proxies``: the only addresses whose ``X-Forwarded-For`` / ``-Proto`` are believed (none
    when empty); None keeps uvicorn's default (from 127.0.0.1). The console names the browser's address
    to the server, so it must not let a client choose it."""
    die_with_parent()
    flet_app = ft.run(
        main,
        assets_dir=str(ASSETS_DIR),
        no_cdn=True,
        web_renderer=WEB_RENDERER,
        export_asgi_app=True,
    )
    guarded = WebGuard(
        flet_app, cookie_name=f"levee_{name}_{port}", allowed_origins=allowed_origins, served_host=host
    )
    proxies: dict[str, Any] = {}
    if trusted_proxies is not None:
        trusted = [p.strip() for p in trusted_proxies if p.strip()]
        proxies = {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}
    config = uvicorn.Config(
        _ShutdownHook(_FontFallback(guarded), on_shutdown),
        host=host,
        port=port,
        ws="websockets-sansio",  # as Flet serves itself
        timeout_graceful_shutdown=GRACE_S,  # type: ignore[arg-type]  # annotated int; any number works
        log_level="info",
        **proxies,
    )
    try:
        BoundedServer(config).run()  # a SIGTERM it handled is raised again once it has stopped: we end
    except KeyboardInterrupt:  # Ctrl+C, raised again the same way
        end_now(130)


def end_now(code: int) -> None:
    """End the process once everything is stopped, without the interpreter's teardown (collecting a
    large heap took seconds on a loaded machine, which is all of the 2 s)."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)
