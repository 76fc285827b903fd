"""The field app's state: one ``FieldApp`` per process (the device), one ``AppState`` per open page.

``FieldApp`` owns the device session, runs the sync runner in the background while signed in, and
turns a revoked device into an export plus a wipe. ``AppState`` is what the screens observe: language,
who is signed in, a snapshot of sync status, the clock the SLA timers read, and a revision that moves
whenever data on the device changed, so screens read the replica again.

Over 400 lines because the page state and its binding to the device are read together (every field
of ``AppState`` is written by ``PageBinding``); the page state's parts could move to a module of their
own once another helper's work on the job screen has merged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import flet as ft

from mobile.app.queries import JobQueries
from mobile.services.jobs import ActionError, JobActions, Refusal
from mobile.services.session import DeviceSession, SignedIn, off_loop
from mobile.services.sync import SyncError, SyncStatus
from shared.clock import utcnow
from shared.i18n import DEFAULT_LANG, translate
from shared.refusals import refusal_text

log = logging.getLogger("levee.app")


@dataclass(frozen=True)
class SyncView:
    """An immutable snapshot of :class:`SyncStatus` (so a change is a new value the UI notices)."""

    online: bool = False
    syncing: bool = False
    signed_out: bool = False
    last_success_at: datetime | None = None
    pending: int = 0
    oldest_pending_at: datetime | None = None
    rejected: int = 0
    conflicts: int = 0
    open_conflicts: int = 0
    last_error_code: str = ""

    @classmethod
    def of(cls, status: SyncStatus) -> SyncView:
        return cls(
            online=status.online,
            syncing=status.syncing,
            signed_out=status.signed_out,
            last_success_at=status.last_success_at,
            pending=status.pending,
            oldest_pending_at=status.oldest_pending_at,
            rejected=status.rejected,
            conflicts=len(status.conflicts),
            open_conflicts=sum(1 for c in status.conflicts if c.get("status", "open") == "open"),
            last_error_code=status.last_error_code,
        )


class FieldApp:
    """The device: its session, the background sync, and the pages watching it."""

    def __init__(
        self,
        data_dir: Path,
        *,
        default_server: str = "http://127.0.0.1:8000",
        session: DeviceSession | None = None,
        clock: Callable[[], datetime] = utcnow,
        tz: tzinfo | None = None,
        runner_options: dict[str, Any] | None = None,
    ) -> None:
        self.session = session or DeviceSession(data_dir, clock=clock, runner_options=runner_options)
        self.default_server = default_server
        self.clock = clock
        self.tz_override = tz
        self.queries = JobQueries(self.session.replica)
        self.revoked_export: Path | None = None
        self.revoked = False
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._watchers: set[Callable[[], None]] = set()
        self._unlock_failures = 0
        #: Makes what the last action wrote durable and returns once it is; None where the replica
        #: file itself is durable (``levee app``, the packaged app). The browser sets it: its files live
        #: in memory until saved to IndexedDB (mobile/pwa/device.py).
        self.keep: Callable[[], Awaitable[None]] | None = None
        self.session.restore()
        # the jobs the device has, to tell a job that just arrived (None while the first download runs)
        self._known_jobs: set[str] | None = self._job_ids() if self.session.current else None

    @property
    def tz(self) -> tzinfo:
        """The installation's time zone: ``levee app --tz`` if given, else what the server said at
        sign-in (``LEVEE_TIMEZONE``), else Asia/Shanghai; never the host's own zone."""
        return self.tz_override or self.session.timezone

    # --- who is signed in -------------------------------------------------------------------------

    @property
    def current(self) -> SignedIn | None:
        return self.session.current

    @property
    def actions(self) -> JobActions:
        if self.session.current is None:
            raise ActionError("signed_out", "sign in first")
        return self.session.current.actions

    def status(self) -> SyncView:
        current = self.session.current
        return SyncView.of(current.runner.status) if current else SyncView(signed_out=True)

    def watch(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` whenever sync status or the signed-in state changes; returns an unsubscribe."""
        self._watchers.add(callback)
        return lambda: self._watchers.discard(callback)

    def _changed(self, _status: SyncStatus | None = None) -> None:
        self._note_arrivals()
        for callback in list(self._watchers):
            callback()

    # --- jobs that arrived ------------------------------------------------------------------------

    def _job_ids(self) -> set[str]:
        return {str(job_id) for job_id in self.session.replica.job_ids()}

    def _note_arrivals(self) -> None:
        """Jobs that came down in a pull since the last look are new until the engineer opens them
        (kept in the replica, so a restart does not forget them); the first download is not news."""
        if self.session.current is None or self._known_jobs is None:
            return
        ids = self._job_ids()
        arrived = ids - self._known_jobs
        self._known_jobs = ids
        if arrived:
            self._set_new_jobs([*self.new_jobs(), *sorted(arrived)])

    def new_jobs(self) -> list[str]:
        """Ids of jobs that arrived on this device and have not been opened yet, oldest first."""
        if self.session.current is None:
            return []
        stored = json.loads(self.session.replica.get_meta("new_jobs") or "[]")
        if not stored:  # mostly: no need to read every job's id (each refresh asks, on every tap)
            return []
        ids = self._job_ids()
        return [j for j in stored if j in ids]

    def _set_new_jobs(self, ids: list[str]) -> None:
        self.session.replica.set_meta("new_jobs", json.dumps(list(dict.fromkeys(ids))))

    def opened(self, job_id: str) -> None:
        """The engineer opened this job: it is no longer new."""
        new = self.new_jobs()
        if job_id in new:
            self._set_new_jobs([j for j in new if j != job_id])
            for callback in list(self._watchers):
                callback()

    def new_job_rows(self) -> tuple[tuple[str, str, str], ...]:
        """(id, number, customer) of each new job, for the notice and the badges."""
        rows = []
        for job_id in self.new_jobs():
            job = self.session.replica.job(uuid.UUID(job_id)) or {}
            customer = self.session.replica.reference("customer", job.get("customer_id")) or {}
            rows.append((job_id, str(job.get("number", "")), str(customer.get("name", ""))))
        return tuple(rows)

    # --- background sync --------------------------------------------------------------------------

    def ensure_running(self) -> None:
        """Start the sync runner in the background (once per process) while someone is signed in."""
        current = self.session.current
        if current is None or (self._task is not None and not self._task.done()):
            return
        if self._changed not in current.runner.listeners:
            current.runner.listeners.append(self._changed)
        self._stop = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(current, self._stop))

    async def _run(self, current: SignedIn, stop: asyncio.Event) -> None:
        try:
            await current.runner.run(stop)
        except Exception:  # pragma: no cover - the runner handles its own errors; this is a last guard
            log.exception("sync runner stopped")
        if current.runner.status.signed_out and self.session.current is current:
            self.revoked_export = await self.session.handle_revoked()
            self.revoked = True
            self._changed()

    async def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, timeout=5)
        self._task = None

    async def fetch_manual(self, manual: dict[str, Any]) -> Path:
        """A manual's file: kept on the tablet already, or fetched now (needs the network)."""
        current = self.session.current
        if current is None:
            raise ActionError("signed_out", "sign in first")
        try:
            return await current.runner.fetch_manual(manual)
        except SyncError as exc:
            raise ActionError("manual_unavailable", str(exc)) from exc

    def sync_now(self) -> None:
        current = self.session.current
        if current is not None:
            current.runner.kick()
            self.ensure_running()

    # --- signing in and out -------------------------------------------------------------------------

    async def sign_in(
        self, server_url: str, username: str, password: str, device_name: str, *, browser: str | None = None
    ) -> SignedIn:
        self._known_jobs = None
        signed = await self.session.sign_in(server_url, username, password, device_name, browser=browser)
        self.revoked, self.revoked_export = False, None
        await signed.runner.sync_once()  # the first download, so the list is not empty
        self._known_jobs = self._job_ids()
        self.ensure_running()
        self._changed()
        return signed

    async def unlock(self, password: str, browser: str | None) -> bool:
        """Let a browser (or, without a key, one page) that did not sign in use the signed-in device,
        given the engineer's password: checked offline against the digest kept at sign-in, or with the
        server for a replica signed in before digests were kept. Wrong passwords slow down."""
        if self.current is None:
            raise ActionError("signed_out", "sign in first")
        if self.session.can_check_password():
            ok = await off_loop(self.session.check_password, password)
        else:
            ok = await self.session.check_password_with_server(password)
        if not ok:
            self._unlock_failures += 1
            await asyncio.sleep(min(2 ** (self._unlock_failures - 1), 30))
            return False
        self._unlock_failures = 0
        if browser:
            self.session.bind_browser(browser)
        self._changed()
        return True

    async def sign_out(self) -> None:
        current = self.session.current
        if current is None:
            return
        await self.stop()
        try:
            await self.session.sign_out()
        except ActionError:
            self.ensure_running()
            raise
        self._changed()


class Key(str):
    """A notice parameter that is itself a catalogue key (translated when shown, in the language then)."""


@ft.observable
@dataclass
class Talk:
    """The message under the bar, as a catalogue key and its parameters so it follows the language
    switch; it goes by itself after a few seconds, and when the screen changes."""

    key: str = ""
    params: tuple[tuple[str, Any], ...] = ()
    error: bool = False
    serial: int = 0  # moves with every new message (its timer knows whether it is still shown)


@ft.observable
@dataclass
class Live:
    """The device's sync status and the jobs that arrived: what the bars show."""

    sync: SyncView = field(default_factory=SyncView)
    #: (id, number, customer) of jobs that arrived and are not opened yet: shown until opened
    new_jobs: tuple[tuple[str, str, str], ...] = ()


@ft.observable
@dataclass
class Data:
    """Moves whenever data on the device changed, so the screens that show it read the replica again."""

    revision: int = 0


@ft.observable
@dataclass
class AppState:
    """What one open page shows; screens re-render when it changes.

    A component re-renders when an observable it was given changes, and re-renders every component
    below it. So what changes on every tap lives in parts of its own, each watched only by the
    components that show it (``talk``: the notice; ``live``: the sync bar and the new jobs; ``data``:
    the screens that read the replica): a tap re-renders the job screen, the sync bar and the notice,
    never the whole page with its bars (issue 14: a tap's ✓ took 0.85 s to show in the browser).
    The parts are made once and never replaced; read them through the properties below.
    """

    lang: str = DEFAULT_LANG
    signed_in: bool = False
    locked: bool = False  # the device is signed in, but this page's browser has not shown it may use it
    user_name: str = ""
    now: datetime = field(default_factory=utcnow)
    #: a landscape tablet (or a wide window): one compact bar, two columns where a screen has them
    wide: bool = False
    talk: Talk = field(default_factory=Talk)
    live: Live = field(default_factory=Live)
    data: Data = field(default_factory=Data)

    @property
    def sync(self) -> SyncView:
        return self.live.sync

    @property
    def new_jobs(self) -> tuple[tuple[str, str, str], ...]:
        return self.live.new_jobs

    @property
    def revision(self) -> int:
        return self.data.revision

    @property
    def notice_key(self) -> str:
        return self.talk.key

    @property
    def notice_error(self) -> bool:
        return self.talk.error

    @property
    def notice_serial(self) -> int:
        return self.talk.serial

    def t(self, key: str, **params: Any) -> str:
        return translate(self.lang, key, **params)

    @property
    def notice(self) -> str:
        """The message in the page's language now ('' when none)."""
        talk = self.talk
        if not talk.key:
            return ""
        return self.t(talk.key, **{k: self._shown(v) for k, v in talk.params})

    def _shown(self, value: Any) -> Any:
        """A message parameter as shown now: a catalogue key or the server's refusal in the page's language,
        a list joined, anything else as it is."""
        if isinstance(value, Key):
            return self.t(value)
        if isinstance(value, Refusal):
            return refusal_text(self.lang, value) or ""
        if isinstance(value, list | tuple):
            return ", ".join(map(str, value))
        return value

    def say(self, key: str, *, error: bool = False, **params: Any) -> None:
        """Show the catalogue text ``key``; a parameter given as :class:`Key` is translated too."""
        talk = self.talk
        talk.key, talk.params, talk.error = key, tuple(params.items()), error
        talk.serial += 1

    def say_error(self, exc: ActionError) -> None:
        self.say(f"error.{exc.code}", error=True, **exc.params)

    def clear_notice(self) -> None:
        talk = self.talk
        if talk.key:
            talk.key, talk.params, talk.error = "", (), False
            talk.serial += 1

    def error_text(self, exc: ActionError) -> str:
        return self.t(f"error.{exc.code}", **{k: self._shown(v) for k, v in exc.params.items()})


class PageBinding:
    """Keeps one page's :class:`AppState` in step with the device (sync status, clock, sign-in).

    ``browser`` is whose browser the page is served to (:data:`ui.web.guard.BROWSER`): None for the
    packaged app's own window, which is the device; in web mode the page shows the signed-in device
    only in a browser bound at sign-in or unlocked with the password, and otherwise asks for it
    (issue 13: a page from elsewhere, or a second browser, is not silently the engineer).
    """

    TICK_SECONDS = 15.0

    def __init__(self, app: FieldApp, state: AppState, browser: str | None = None) -> None:
        self.app = app
        self.state = state
        self.browser = browser
        self._unlocked_for: str | None = None  # this page alone, for a browser without a key
        self._wake = asyncio.Event()
        self._unwatch = app.watch(self._wake.set)
        self._last_success: datetime | None = None
        self._last_pending = -1

    def refresh(self) -> None:
        """Copy the device's state into the page state (only changed values notify)."""
        app, state = self.app, self.state
        current = app.current
        trusted = self.trusted()
        state.signed_in = trusted
        state.locked = current is not None and not trusted
        state.user_name = current.user.get("display_name", "") if current and trusted else ""
        view = app.status()
        if view.last_success_at != self._last_success or view.pending < self._last_pending:
            state.data.revision += 1  # a pull or an acknowledged push may have changed what screens show
        self._last_success, self._last_pending = view.last_success_at, view.pending
        state.live.sync = view
        now = app.clock()
        if (now - state.now).total_seconds() >= self.TICK_SECONDS:
            state.now = now
        new_jobs = app.new_job_rows() if trusted else ()
        if new_jobs != state.live.new_jobs:
            state.live.new_jobs = new_jobs
        if app.revoked and not state.signed_in:
            where = str(app.revoked_export) if app.revoked_export else ""
            state.say("app.signin.revoked", error=True, path=where or Key("app.signin.nothing_unsent"))
            app.revoked = False

    def trusted(self) -> bool:
        """Whether this page may show and work the signed-in device."""
        current = self.app.current
        if current is None:
            return False
        if self.browser is None:
            return True
        if self._unlocked_for is not None and self._unlocked_for == current.user.get("id"):
            return True
        return self.app.session.browser_bound(self.browser)

    async def sign_in(self, server_url: str, username: str, password: str, device_name: str) -> None:
        """Sign the device in from this page; this page's browser may then open it."""
        signed = await self.app.sign_in(
            server_url, username, password, device_name, browser=self.browser or None
        )
        self._unlocked_for = signed.user.get("id")
        self.refresh()

    async def unlock(self, password: str) -> bool:
        """Open the signed-in device in this page (and, with a key, its browser) with the password."""
        current = self.app.current
        ok = await self.app.unlock(password, self.browser or None)
        if ok and current is not None:
            self._unlocked_for = current.user.get("id")
        self.refresh()
        return ok

    def changed_locally(self) -> None:
        """After the engineer did something: re-read, and show the new pending count at once."""
        current = self.app.current
        if current is not None:
            current.runner.refresh_status()
        self.state.data.revision += 1
        self.refresh()

    async def run(self) -> None:
        try:
            while True:
                self.refresh()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.TICK_SECONDS)
        finally:
            self._unwatch()
