"""The console's state: what a page observes (:class:`ConsoleState`) and the signed-in office user
behind it (:class:`Office`: the API client, the directory of names, the time zone).

One :class:`Office` per open page: office staff sign in in their own browser tab, and each tab talks to
the server with its own token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime, tzinfo
from typing import Any, Generic, Protocol, TypeVar, cast

import flet as ft

from console.api import ApiError, ConsoleApi
from shared.clock import utcnow
from shared.i18n import DEFAULT_LANG, translate
from shared.local_time import DEFAULT_TIMEZONE, zone
from shared.refusals import refusal_text

T = TypeVar("T")
log = logging.getLogger("levee.console")


def in_language(text: str, lang: str) -> bool:
    """Whether ``text`` reads in ``lang``: Chinese has Han characters, English has none."""
    han = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    return han if lang.startswith("zh") else not han


@ft.observable
@dataclass
class ConsoleState:
    """What one page shows; screens re-render when it changes."""

    lang: str = DEFAULT_LANG
    signed_in: bool = False
    user_name: str = ""
    role: str = ""
    now: datetime = field(default_factory=utcnow)
    revision: int = 0  # moves when data may have changed: screens load again
    notice: str = ""
    notice_error: bool = False

    def t(self, key: str, **params: Any) -> str:
        return translate(self.lang, key, **params)

    def tell(self, text: str, *, error: bool = False) -> None:
        self.notice, self.notice_error = text, error

    def error_text(self, exc: ApiError) -> str:
        """The refusal in the page's language: the server's reason worded from its ``code`` and
        ``params`` (无法执行：工单 J-001 已关闭，不能派工). A refusal without a code this build knows (an
        older or newer server) falls back to the English detail, shown after an English text only, so a
        Chinese page never reads 连不上服务器：cannot reach the server."""
        key = f"error.console.{exc.code}"
        reason = refusal_text(self.lang, exc.body)
        if reason is not None:  # "not found" is in the reason itself (没有编号为 … 的工单)
            return reason if exc.code == "not_found" else self.t(key, detail=reason)
        if in_language(exc.message, self.lang):
            return self.t(key, detail=exc.message)
        return self.t(key, detail="").rstrip(" ：:;；")

    def changed(self) -> None:
        self.revision += 1


@dataclass
class Directory:
    """Names by id (customers, sites, engineers), read once per sign-in and on demand."""

    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    engineers: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: every user (office and field) by id: the person responsible for a customer is an office user
    users: dict[str, dict[str, Any]] = field(default_factory=dict)

    def name(self, kind: str, ident: Any) -> str:
        row = getattr(self, kind).get(str(ident)) if ident else None
        if row is None:
            return ""
        return str(row.get("display_name") or row.get("name") or "")

    def names(self) -> dict[str, str]:
        out = {k: str(v.get("name", "")) for k, v in self.customers.items()}
        out.update((k, str(v.get("name", ""))) for k, v in self.sites.items())
        out.update((k, str(v.get("display_name", ""))) for k, v in self.engineers.items())
        return out

    async def load(self, api: ConsoleApi) -> None:
        customers, sites, users = await asyncio.gather(
            api.all_pages("/api/customers"),
            api.all_pages("/api/sites"),
            api.all_pages("/api/users"),
        )
        self.customers = {c["id"]: c for c in customers}
        self.sites = {s["id"]: s for s in sites}
        self.users = {u["id"]: u for u in users}
        self.engineers = {k: u for k, u in self.users.items() if u.get("role") == "engineer"}


def _same_server(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


class DraftStore(Protocol):
    """Where a user's unsent form drafts outlive the page (a reload, a closed tab, a lost connection)."""

    async def load(self, user_id: str) -> dict[str, Any]: ...
    async def save(self, user_id: str, drafts: dict[str, Any]) -> None: ...
    async def clear(self, user_id: str) -> None: ...


class BrowserDrafts:
    """The browser's own storage (Flet's SharedPreferences: ``localStorage`` on the web), one JSON
    record per office user, so that only the same user signing in again on this browser gets them back."""

    PREFIX = "levee.console.drafts."

    def __init__(self, page: ft.Page) -> None:
        self.prefs = ft.SharedPreferences()
        page.services.append(self.prefs)

    async def load(self, user_id: str) -> dict[str, Any]:
        raw = await self.prefs.get(self.PREFIX + user_id)
        try:
            value = json.loads(raw) if isinstance(raw, str) else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    async def save(self, user_id: str, drafts: dict[str, Any]) -> None:
        if drafts:
            await self.prefs.set(self.PREFIX + user_id, json.dumps(drafts, ensure_ascii=False))
        else:
            await self.prefs.remove(self.PREFIX + user_id)

    async def clear(self, user_id: str) -> None:
        await self.prefs.remove(self.PREFIX + user_id)


class Office:
    """The signed-in user of one page, or nobody."""

    TICK_SECONDS = 15.0
    DRAFT_SAVE_DELAY = 0.3  # seconds after the last change before the drafts are written
    RELOAD_TICKS = 2  # the board and queues reload every 30 s

    def __init__(
        self,
        state: ConsoleState,
        default_server: str,
        tz: tzinfo | None = None,
        *,
        transport: Any = None,
        clock: Callable[[], datetime] = utcnow,
        relay_key: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.state = state
        self.default_server = default_server
        #: the key shared with the default server (read when needed: the server may make it after us)
        self.relay_key = relay_key
        #: the browser's address (Flet's ``page.client_ip``), named to the server at sign-in
        self.client_address = ""
        self.tz_override = tz
        #: the installation's zone: ``--tz`` if given, else the server's (told at sign-in)
        self.tz: tzinfo = tz or zone(DEFAULT_TIMEZONE)
        self.transport = transport
        self.clock = clock
        self.api: ConsoleApi | None = None
        self.user: dict[str, Any] = {}
        self.directory = Directory()
        self.page: ft.Page | None = None
        #: what is typed into the page's forms, by form and field, so that another screen and back
        #: (or a reload of the data beneath) does not lose it; forgotten once the form is sent
        self.drafts: dict[str, Any] = {}
        #: where the drafts are kept beyond this page (None: only in this page, as in unit tests)
        self.draft_store: DraftStore | None = None
        self._drafts_version = 0
        self._drafts_owner = ""  # whose drafts ``drafts`` holds
        self._writes: set[asyncio.Task[None]] = set()

    @property
    def role(self) -> str:
        return str(self.user.get("role", ""))

    def require(self) -> ConsoleApi:
        if self.api is None:
            raise ApiError("signed_out", "sign in first")
        return self.api

    def _relay(self, server: str) -> tuple[str, str] | None:
        """The key and the browser's address, for the console's own server only: a server address typed
        on the sign-in page never gets the key."""
        if _same_server(server, self.default_server) and self.client_address:
            key = self.relay_key()
            if key:
                return key, self.client_address
        return None

    async def sign_in(self, server: str, username: str, password: str, device_name: str) -> None:
        api, user = await ConsoleApi.sign_in(
            server, username, password, device_name, transport=self.transport, relay=self._relay(server)
        )
        try:
            await self.directory.load(api)
        except ApiError:
            await api.sign_out()
            raise
        self.api, self.user = api, user
        if self._drafts_owner != self._user_id:  # typed by someone else before their sign-in ran out
            self.drafts = {}
        self._drafts_owner = self._user_id
        if self.draft_store is not None:  # what this user typed before a reload or a closed tab
            with contextlib.suppress(Exception):
                self.drafts = {**await self.draft_store.load(self._user_id), **self.drafts}
        if self.tz_override is None:
            self.tz = api.timezone
        state = self.state
        state.signed_in, state.user_name, state.role = True, user["display_name"], user["role"]
        state.changed()

    @property
    def _user_id(self) -> str:
        return str(self.user.get("id") or self.user.get("username") or "")

    def draft(self, key: str, initial: Any) -> Any:
        """A draft as it is now (``use_draft``'s value, read at the press). A press handled before the
        screen is drawn again after a key or a choice runs the previous render's handlers, whose values
        are the previous render's: on a busy machine a value chosen just before read as none."""
        return draft_form(self.drafts.get(key, NOT_KEPT), initial)

    def forget(self, prefix: str) -> None:
        """Drop the drafts of one form (keys starting ``prefix``) once it has been sent."""
        for key in [k for k in self.drafts if k.startswith(prefix)]:
            del self.drafts[key]
        self.drafts_changed()

    def drafts_changed(self) -> None:
        """Keep the drafts beyond the page, a moment after the typing stops (one write, not one a key)."""
        if self.draft_store is None or not self._user_id:
            return
        self._drafts_version += 1
        if self.page is not None:
            self.page.run_task(self._save_drafts, self._drafts_version, self._user_id)
            return
        with contextlib.suppress(RuntimeError):  # no page (tests, scripts): the running loop, if any
            task = asyncio.get_running_loop().create_task(
                self._save_drafts(self._drafts_version, self._user_id)
            )
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)

    async def _save_drafts(self, version: int, user_id: str) -> None:
        await asyncio.sleep(self.DRAFT_SAVE_DELAY)
        if version != self._drafts_version or self.draft_store is None or user_id != self._user_id:
            return  # more typing came, or another user now: that later call writes
        await self.draft_store.save(user_id, self.keepable_drafts())

    def keepable_drafts(self) -> dict[str, Any]:
        """The drafts the browser's storage can hold (JSON). A value it cannot is left out and logged,
        rather than failing the whole save: the other forms' typed text is still kept."""
        kept: dict[str, Any] = {}
        for key, value in self.drafts.items():
            try:
                json.dumps(value, ensure_ascii=False)
            except (TypeError, ValueError):
                log.error("the draft %s cannot be kept (a %s is not JSON)", key, type(value).__name__)
                continue
            kept[key] = value
        return kept

    async def sign_out(self, *, forget_drafts: bool = True) -> None:
        """Sign out. Signing out forgets the drafts (the next person at this desk does not inherit
        them); a page closed or reloaded (``forget_drafts=False``) leaves them for the same user."""
        user_id = self._user_id
        self._drafts_version += 1  # a pending write of the old drafts is void
        if forget_drafts and self.draft_store is not None and user_id:
            with contextlib.suppress(Exception):
                await self.draft_store.clear(user_id)
        self.drafts.clear()
        api, self.api, self.user = self.api, None, {}
        if api is not None:
            await api.sign_out()
        self.state.signed_in, self.state.user_name, self.state.role = False, "", ""

    def failed(self, exc: ApiError) -> None:
        """Tell the user; a token the server no longer accepts ends the sign-in."""
        self.state.tell(self.state.error_text(exc), error=True)
        if exc.code == "signed_out" and self.api is not None:
            self.api, self.user = None, {}
            self.state.signed_in = False

    async def act(self, action: Callable[[ConsoleApi], Awaitable[Any]], *, done: str = "") -> Any:
        """Run one office action; a refusal becomes a message in words. Returns its answer or None."""
        try:
            result = await action(self.require())
        except ApiError as exc:
            self.failed(exc)
            return None
        self.state.changed()
        if done:
            self.state.tell(done)
        return result if result is not None else True

    async def save_file(self, data: bytes, filename: str) -> None:
        """Hand a file to the browser (a download in web mode)."""
        picker = ft.FilePicker()
        page = self.page or ft.context.page
        page.services.append(picker)
        try:
            await picker.save_file(file_name=filename, src_bytes=data)
        finally:
            with contextlib.suppress(ValueError):
                page.services.remove(picker)

    async def pick_file(self, extensions: list[str]) -> tuple[str, bytes] | None:
        """A file the user picks in the browser, with its bytes (None when they cancel)."""
        picker = ft.FilePicker()
        page = self.page or ft.context.page
        page.services.append(picker)
        try:
            files = await picker.pick_files(
                allow_multiple=False,
                with_data=True,
                file_type=ft.FilePickerFileType.CUSTOM,
                allowed_extensions=extensions,
            )
        finally:
            with contextlib.suppress(ValueError):
                page.services.remove(picker)
        if not files or files[0].bytes is None:
            return None
        return files[0].name, files[0].bytes

    def go(self, route: str) -> None:
        (self.page or ft.context.page).navigate(route)

    async def tick(self) -> None:
        """Moves the page's clock every 15 s and reloads data every 30 s while the page is open."""
        ticks = 0
        while True:
            await asyncio.sleep(self.TICK_SECONDS)
            ticks += 1
            self.state.now = self.clock()
            if self.state.signed_in and ticks % self.RELOAD_TICKS == 0:
                self.state.changed()


def use_draft(office: Office, key: str, initial: T) -> tuple[T, Callable[[T | Callable[[T], T]], None]]:
    """``ft.use_state`` for a form field whose value outlives the screen (issue 11: no field loses
    typed text): kept in the page's :attr:`Office.drafts` under ``key`` until :meth:`Office.forget`.
    Like ``use_state``'s setter, the returned one takes a value or a function of the newest value.

    The drafts are kept as JSON in the browser's storage, so a form kept whole as a dataclass is kept
    as its fields (``draft_value`` / ``draft_form``) and made again from them."""
    value, set_value = ft.use_state(draft_form(office.drafts.get(key, NOT_KEPT), initial))

    def keep(new: T | Callable[[T], T]) -> None:
        if callable(new):
            new = new(draft_form(office.drafts.get(key, NOT_KEPT), initial))
        office.drafts[key] = draft_value(new)
        office.drafts_changed()
        set_value(new)

    return value, keep


NOT_KEPT: Any = object()  # no draft under a key (None may be one)


def draft_value(value: Any) -> Any:
    """What the drafts keep of a value: a dataclass as a dict of its fields, anything else as it is."""
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


def draft_form(kept: Any, initial: T) -> T:
    """The value a kept draft stands for: a dataclass form made again from its fields (``initial`` when
    nothing is kept, or when the kept fields no longer fit the form, after an upgrade)."""
    if kept is NOT_KEPT:
        return initial
    if is_dataclass(initial) and not isinstance(initial, type):
        if not isinstance(kept, dict):
            return initial
        try:
            return cast(T, type(initial)(**kept))
        except TypeError:
            return initial
    return cast(T, kept)


@dataclass(frozen=True)
class Loaded(Generic[T]):
    value: T | None = None
    error: str = ""
    loading: bool = True


def use_remote(office: Office, load: Callable[[ConsoleApi], Awaitable[T]], deps: list[Any]) -> Loaded[T]:
    """Load from the API when ``deps`` change; keeps showing the last answer while a new one loads."""
    loaded, set_loaded = ft.use_state(Loaded[T]())
    ticket = ft.use_ref(0)

    async def run() -> None:
        ticket.current = (ticket.current or 0) + 1
        mine = ticket.current
        try:
            value = await load(office.require())
            result = Loaded[T](value, "", False)
        except ApiError as exc:
            office.failed(exc)
            result = Loaded[T](loaded.value, office.state.error_text(exc), False)
        if ticket.current == mine:
            set_loaded(result)

    ft.use_effect(run, deps)
    return loaded
