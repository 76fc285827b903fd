"""Running the API server until told to stop, and stopping within the project's 2 s on SIGTERM as on
Ctrl+C (issue 11, item 13).

uvicorn on its own waits for every open request before it stops, and a tablet's long poll
(``/api/sync/wait``) stays open up to 25 s: a server in ``levee demo`` outlived its SIGTERM that long.
Here the first SIGTERM or SIGINT answers every long poll at once (the device hears "nothing new" and
finds the server gone at its next call), open requests get :data:`GRACE_S`, the app's own shutdown runs
(the inspection generator gets :data:`SCHEDULE_GRACE_S`), and after :data:`HARD_STOP_S` the process ends
regardless: every write is a database transaction, so a hard stop loses nothing that was committed.

(``ui/web/serving.py`` does the same for the two web apps; server/ and mobile/ share no code.)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from types import FrameType

import uvicorn
from litestar import Litestar

from server.collector import tune_collector
from server.settings import Settings
from shared.lifetime import die_with_parent

GRACE_S = 0.5  # for open requests to finish once told to stop
SCHEDULE_GRACE_S = 0.3  # for an inspection pass in progress (its transaction is rolled back otherwise)
HARD_STOP_S = 1.6  # from the signal to a hard stop, inside the brief's 2 s


class BoundedServer(uvicorn.Server):
    """A uvicorn server that releases the app's long polls at the first stop signal and ends the
    process :data:`HARD_STOP_S` after it whatever still runs."""

    def __init__(self, config: uvicorn.Config, app: Litestar) -> None:
        super().__init__(config)
        self.app = app
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: threading.Timer | None = None

    async def serve(self, sockets: list[object] | None = None) -> None:  # type: ignore[override]
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)  # type: ignore[arg-type]

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._timer is None:
            self._timer = threading.Timer(HARD_STOP_S, _hard_stop, args=(sig,))
            self._timer.daemon = True
            self._timer.start()
            notifier = getattr(self.app.state, "notifier", None)
            if notifier is not None and self._loop is not None:
                self._loop.call_soon_threadsafe(notifier.release_all)
        super().handle_exit(sig, frame)


def _hard_stop(sig: int) -> None:
    with contextlib.suppress(Exception):
        sys.stderr.write(f"levee: shutdown took longer than {HARD_STOP_S} s; stopping now\n")
        sys.stderr.flush()
    os._exit(128 + sig)


def serve(settings: Settings) -> None:
    """Migrate, then serve the API on ``settings.host:port`` until SIGTERM or Ctrl+C."""
    from server.app import create_app
    from server.pwa import start_build_if_needed

    die_with_parent()
    app = create_app(settings)
    app.state.schedule_grace_s = SCHEDULE_GRACE_S
    start_build_if_needed(app, settings)  # the field app's web build at /app/ (server/pwa.py)
    tune_collector()  # a first download's million short-lived objects (server/collector.py)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        # Keep-alive above the device's longest Retry-After wait (sync.protocol.SERVER_KEEP_ALIVE_S): a
        # refused device comes back on the same connection instead of reconnecting with all the others.
        timeout_keep_alive=settings.keep_alive_s,
        backlog=settings.backlog,
        timeout_graceful_shutdown=GRACE_S,  # type: ignore[arg-type]  # annotated int; any number works
        # Forwarded headers only from configured proxies: by default uvicorn believes X-Forwarded-For
        # from 127.0.0.1, which let anyone on the machine (or behind a local tunnel) pick the address
        # sign-in throttling counts.
        proxy_headers=bool(settings.trusted_proxy_list()),
        forwarded_allow_ips=settings.trusted_proxy_list() or None,
    )
    try:
        BoundedServer(config, app).run()  # a SIGTERM it handled is raised again once it has stopped
    except KeyboardInterrupt:  # Ctrl+C, raised again the same way
        end_now(130)


def end_now(code: int) -> None:
    """End the process once everything is stopped, without the interpreter's teardown (collecting a
    large heap took seconds on a loaded machine, which is all of the 2 s)."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)
