"""The field app in the tablet's browser: the same device code, behind three small seams (issue 14).

Runs inside Pyodide, in the web worker of Flet's web client (``levee pwa build`` packs it as the app's
``main.py``). What differs from ``levee app`` is only here:

* **HTTP** goes through the browser's ``fetch`` (:class:`FetchTransport`, an httpx transport), so the
  sync runner, its retries and its long poll are unchanged; the API is on the page's own origin.
* **Storage.** Emscripten's file system is memory. The replica file is saved whole to IndexedDB now and
  then (:meth:`BrowserDevice.save_replica`: after sign-in, after sync rounds, a few seconds after taps),
  which may be tens of MB; each tap is made durable on its own first by writing just its outbox entry
  (and a new photo) to IndexedDB (:meth:`BrowserDevice.keep`), which the screen awaits before it shows
  the tap as saved. At start the last saved replica is loaded and the taps logged after it are put
  back (:meth:`mobile.replica.store.Replica.adopt`). See docs/pwa.md for what is durable when.
* **Network events**: the browser's online/offline events (the page's, relayed on a BroadcastChannel,
  and the worker's own) kick the sync runner.

One tab owns the device at a time (a Web Lock): two would save over each other's replica.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import httpx

from mobile.app.state import FieldApp
from mobile.services.session import DeviceSession, SignedIn
from shared.i18n import DEFAULT_LANG, translate
from sync.protocol import Mutation

log = logging.getLogger("levee.pwa")

DATA_DIR = Path("/levee")
REPLICA_KEY = "replica"
PHOTO_PREFIX = "photo:"
#: Quiet time after the last change before the replica file (tens of MB) is saved whole. Every tap is
#: durable in the tap log before it shows as saved, so this only bounds how long the log grows; at 3 s an
#: engineer tapping every few seconds rewrote the whole file after nearly every tap.
SAVE_AFTER_S = 10.0
LOCK_WAIT_MS = 15000  # how long a new tab waits for an old one (closing) to let go of the device
_DROP_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding", "user-agent"})
_DECODED = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class FetchTransport(httpx.AsyncBaseTransport):
    """httpx over the browser's ``fetch``: same requests, same timeouts (an AbortController), and a
    failed fetch is an httpx transport error, which the runner already retries with backoff."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import js
        from pyodide.ffi import JsException, create_once_callable, to_js

        timeouts = request.extensions.get("timeout") or {}
        seconds = timeouts.get("read") or timeouts.get("connect")
        controller = js.AbortController.new()
        timer = (
            js.setTimeout(create_once_callable(lambda: controller.abort()), int(seconds * 1000))
            if seconds
            else None
        )
        headers = js.Headers.new()
        for key, value in request.headers.multi_items():
            if key.lower() not in _DROP_HEADERS:
                headers.append(key, value)
        init = js.Object.new()
        init.method = request.method
        init.headers = headers
        init.signal = controller.signal
        init.cache = "no-store"
        body = await request.aread()
        if body:
            init.body = to_js(body)
        try:
            response = await js.fetch(str(request.url), init)
            buffer = await response.arrayBuffer()
        except JsException as exc:
            if controller.signal.aborted:
                raise httpx.ReadTimeout(f"no answer within {seconds} s", request=request) from None
            raise httpx.ConnectError(f"the browser could not fetch: {exc}", request=request) from None
        finally:
            if timer is not None:
                js.clearTimeout(timer)
        out = [
            (str(pair[0]), str(pair[1]))
            for pair in response.headers.entries()
            if str(pair[0]).lower() not in _DECODED  # fetch already decoded the body
        ]
        return httpx.Response(response.status, headers=out, content=buffer.to_bytes(), request=request)


class BrowserFieldApp(FieldApp):
    """The field app's device with its files saved to IndexedDB (see the module's docstring)."""

    def __init__(self, data_dir: Path, store: Any, *, build: str, **kwargs: Any) -> None:
        session = DeviceSession(data_dir, transport=FetchTransport())
        super().__init__(data_dir, session=session, **kwargs)
        self.store = store
        self.build = build
        self.keep = self._keep
        self._logged_seq = self._max_seq()
        self._kept_photos: set[str] = set()
        self._keep_lock = asyncio.Lock()
        self._save_lock = asyncio.Lock()
        self._save_task: asyncio.Task[None] | None = None
        self._dirty = asyncio.Event()
        self.saves = 0

    # --- taps: small, durable at once ---------------------------------------------------------------

    def _max_seq(self) -> int:
        return int(self.session.replica.get_meta("client_seq") or 0)

    async def _keep(self) -> None:
        """Put the outbox entries (and photos) made since the last call into IndexedDB; returns once the
        browser has committed them (durability 'strict')."""
        from pyodide.ffi import to_js

        async with self._keep_lock:
            replica = self.session.replica
            fresh = [m for m in replica.pending(1_000_000) if m.client_seq > self._logged_seq]
            entries: list[list[Any]] = [[_tap_key(m.client_seq), m.model_dump_json()] for m in fresh]
            if replica.photo_dir.exists():
                for path in sorted(replica.photo_dir.iterdir()):
                    if path.name not in self._kept_photos:
                        entries.append([PHOTO_PREFIX + path.name, to_js(path.read_bytes())])
            if entries:
                writing = time.perf_counter()
                await self.store.putMany(to_js(entries))
                _tap_timing(writing)
            if replica.photo_dir.exists():
                self._kept_photos.update(p.name for p in replica.photo_dir.iterdir())
            self._logged_seq = max([self._logged_seq, *(m.client_seq for m in fresh)])
        self.save_soon()

    # --- the replica file: whole, now and then ----------------------------------------------------

    def save_soon(self) -> None:
        """Save the replica file once nothing changed for :data:`SAVE_AFTER_S`."""
        self._dirty.set()
        if self._save_task is None or self._save_task.done():
            self._save_task = asyncio.get_running_loop().create_task(self._save_later())

    async def _save_later(self) -> None:
        while self._dirty.is_set():
            self._dirty.clear()
            await asyncio.sleep(SAVE_AFTER_S)
            if self._dirty.is_set():
                continue
            try:
                await self.save_replica()
            except Exception:  # pragma: no cover - the taps are in the log; the next save tries again
                log.exception("saving the replica to IndexedDB failed")

    async def save_replica(self) -> None:
        """The whole replica file into IndexedDB, and the taps it now holds out of the log, in one
        IndexedDB transaction."""
        from pyodide.ffi import to_js

        async with self._save_lock:
            replica = self.session.replica
            with replica.engine.connect() as conn:
                raw: Any = conn.connection.dbapi_connection
                data = raw.serialize()
            upto = self._max_seq()
            await self.store.saveReplica(to_js(data), _tap_key(upto))
            self.saves += 1

    # --- what the screens call that changes the device as a whole -----------------------------------

    async def sign_in(
        self, server_url: str, username: str, password: str, device_name: str, *, browser: str | None = None
    ) -> SignedIn:
        signed = await super().sign_in(server_url, username, password, device_name, browser=browser)
        await self.save_replica()
        self._logged_seq = self._max_seq()
        return signed

    async def sign_out(self) -> None:
        await super().sign_out()
        await self.save_replica()

    def _changed(self, _status: Any = None) -> None:
        super()._changed(_status)
        current = self.session.current
        if current is not None and not current.runner.status.syncing:
            self.save_soon()  # after a round: what was pulled and acknowledged


#: When the latest control event (a tap) reached Python (perf_counter), for the tap timing below.
_EVENT_AT: list[float] = [0.0]


def _tap_timing(writing: float) -> None:
    """Tell the page (``levee.taps``) how long a tap took to become durable: from its event reaching
    Python to the IndexedDB commit resolving (the SQLite write, the outbox entry, the commit), and the
    IndexedDB transaction alone. The ✓ on screen comes later, after Flutter's redraw."""
    import js

    done = time.perf_counter()
    if hasattr(js, "leveeTap") and _EVENT_AT[0]:
        js.leveeTap((done - _EVENT_AT[0]) * 1000, (done - writing) * 1000)


def _time_events() -> None:
    """Note when each control event reaches Python (for :func:`_tap_timing`)."""
    from flet.messaging.session import Session

    dispatch = Session.dispatch_event

    async def timed(self: Session, control_id: int, event_name: str, event_data: Any) -> None:
        _EVENT_AT[0] = time.perf_counter()
        await dispatch(self, control_id, event_name, event_data)

    Session.dispatch_event = timed  # type: ignore[method-assign]


def _tap_key(seq: int) -> str:
    return f"tap:{seq:012d}"


async def open_device(store: Any, build: str, server: str) -> BrowserFieldApp:
    """Load the last saved replica and the taps logged after it, and make the device."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - Emscripten's in-memory file system
    saved = await store.get(REPLICA_KEY)
    if saved is not None:
        (DATA_DIR / "replica.db").write_bytes(saved.to_bytes())
    photos = DATA_DIR / "replica.photos"
    for pair in await store.entries(PHOTO_PREFIX):
        photos.mkdir(exist_ok=True)
        (photos / str(pair[0])[len(PHOTO_PREFIX) :]).write_bytes(pair[1].to_bytes())
    app = BrowserFieldApp(DATA_DIR, store, build=build, default_server=server)
    if photos.exists():
        app._kept_photos.update(p.name for p in photos.iterdir())
    logged = [Mutation.model_validate_json(str(pair[1])) for pair in await store.entries("tap:")]
    if app.session.replica.adopt(logged):
        if app.current is not None:
            app.current.runner.refresh_status()
        await app.save_replica()
    app._logged_seq = app._max_seq()
    return app


def _listen_to_network(app: FieldApp, store: Any) -> None:
    from pyodide.ffi import create_proxy

    def changed(online: Any) -> None:
        if bool(online):
            app.sync_now()

    store.onNetwork = create_proxy(changed)


_DEVICE: dict[str, BrowserFieldApp] = {}
_BACKGROUND: set[asyncio.Task[None]] = set()


def mark(name: str) -> None:
    """A start-up timing for the page (``levee.timings``, performance marks; python-worker.js)."""
    import js

    if hasattr(js, "leveeMark"):
        js.leveeMark(name)


def run() -> None:
    """The archive's ``main.py``: start Flet in the worker with the browser's device."""
    mark("device imported")
    import flet as ft
    import js

    from mobile.app import main as field

    mark("app imported")
    _time_events()
    build = json.loads(Path("build.json").read_text())["version"]
    os.environ.setdefault("LEVEE_APP_BUILD", build)
    server = str(js.location.origin)

    async def open_early() -> BrowserFieldApp | None:
        """Take the device (one tab at a time) and open it: the replica and the taps from IndexedDB.
        Started now, before Flutter connects, so it runs while the page's Flutter client still loads;
        ``None`` when another tab keeps the device."""
        store = js.leveeStore
        if not await store.holdDevice(LOCK_WAIT_MS):
            return None
        app = await open_device(store, build, server)
        mark("device opened")
        _listen_to_network(app, store)
        _DEVICE["app"] = app
        field._APP["app"] = app
        if not getattr(js, "leveeBytecodeCached", True):
            from mobile.pwa.bytecode import keep_bytecode

            _BACKGROUND.add(asyncio.get_event_loop().create_task(keep_bytecode()))
        return app

    opening = asyncio.get_event_loop().create_task(open_early())

    async def page_main(page: ft.Page) -> None:
        if "app" not in _DEVICE and await opening is None:
            page.add(ft.Text(translate(DEFAULT_LANG, "app.pwa.other_tab"), size=20))
            return
        await field.main(page)
        mark("first page built")

    ft.run(page_main)
