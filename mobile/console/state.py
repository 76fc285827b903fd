"""The console's state: what a page observes (:class:`ConsoleState`) and the signed-in office user
behind it (:class:`Office`: the API client, the directory of names, the time zone).

One :class:`Office` per open page: office staff sign in in their own browser tab, and each tab talks to
the server with its own token.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Generic, TypeVar

import flet as ft

from mobile.console.api import ApiError, ConsoleApi
from shared.clock import utcnow
from shared.i18n import DEFAULT_LANG, translate
from shared.local_time import DEFAULT_TIMEZONE, zone

T = TypeVar("T")


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
        """The refusal in the page's language. The server words its details in English: they are shown
        after an English text only, so a Chinese page never reads 连不上服务器：cannot reach the server."""
        key = f"error.console.{exc.code}"
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
        customers, sites, engineers = await asyncio.gather(
            api.all_pages("/api/customers"),
            api.all_pages("/api/sites"),
            api.all_pages("/api/users", role="engineer"),
        )
        self.customers = {c["id"]: c for c in customers}
        self.sites = {s["id"]: s for s in sites}
        self.engineers = {e["id"]: e for e in engineers}


def _same_server(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


class Office:
    """The signed-in user of one page, or nobody."""

    TICK_SECONDS = 15.0
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
        if self.tz_override is None:
            self.tz = api.timezone
        state = self.state
        state.signed_in, state.user_name, state.role = True, user["display_name"], user["role"]
        state.changed()

    def forget(self, prefix: str) -> None:
        """Drop the drafts of one form (keys starting ``prefix``) once it has been sent."""
        for key in [k for k in self.drafts if k.startswith(prefix)]:
            del self.drafts[key]

    async def sign_out(self) -> None:
        self.drafts.clear()  # the next person at this desk does not inherit them
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
    Like ``use_state``'s setter, the returned one takes a value or a function of the newest value."""
    value, set_value = ft.use_state(office.drafts.get(key, initial))

    def keep(new: T | Callable[[T], T]) -> None:
        if callable(new):
            new = new(office.drafts.get(key, initial))
        office.drafts[key] = new
        set_value(new)

    return value, keep


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
