"""The back-office console: ``main(page)`` and ``run()`` for ``levee console`` (web mode, no CDN).

Each open page is one office user's session: its own :class:`~console.state.Office` (token,
directory) and observable :class:`~console.state.ConsoleState`. Tabs follow the user's role.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import flet as ft

from console.clients.escalation import EscalationClient
from console.components.widgets import button, chip, on
from console.context import OFFICE, STATE, use_office
from console.roles import ROUTES as SCREEN_ROUTES
from console.roles import Screen, screen_of, screens_for
from console.screens.board import BoardScreen
from console.screens.call import CallScreen
from console.screens.conflicts import ConflictsScreen
from console.screens.customers import CustomerFileScreen, CustomersScreen
from console.screens.escalation import EscalationScreen
from console.screens.inspections import InspectionsScreen
from console.screens.job import JobScreen
from console.screens.knowledge import KnowledgeScreen
from console.screens.loans import LoansScreen
from console.screens.notifications import NotificationsScreen
from console.screens.paid import PaidScreen
from console.screens.people import PeopleScreen
from console.screens.qa import QaFormScreen, QaListScreen
from console.screens.quality import QualityScreen
from console.screens.register import RegisterScreen
from console.screens.reports import ReportsScreen
from console.screens.returns import ReturnsScreen
from console.screens.signin import SignInScreen
from console.screens.stations import StationsScreen
from console.screens.stock import StockScreen
from console.state import BrowserDrafts, ConsoleState, Office, use_remote
from shared.i18n import LANGS
from shared.local_time import zone
from shared.relay import read_key as read_relay_key
from ui.components.common import (
    BLUE,
    PAGE_BG,
    RED,
    keyed,
    notice_banner,
    tagged,
    title_bar,
)
from ui.components.common import FONT as FONT_FAMILY
from ui.web.events import install as draw_before_events
from ui.web.events import report_failures

CONFIG: dict[str, Any] = {
    "server": os.environ.get("LEVEE_CONSOLE_SERVER", "http://127.0.0.1:8000"),
    "tz": os.environ.get("LEVEE_CONSOLE_TZ") or None,  # None: the zone the server tells at sign-in
    "relay_key_file": None,  # the server's relay.key (shared.relay); LEVEE_RELAY_KEY wins
}


def _relay_key() -> str | None:
    path = CONFIG["relay_key_file"]
    return read_relay_key(Path(path) if path else None)


@ft.component
def BoardRoute() -> ft.Control:
    return BoardScreen(ft.use_context(STATE))


@ft.component
def CallRoute() -> ft.Control:
    return CallScreen(ft.use_context(STATE))


@ft.component
def RegisterRoute() -> ft.Control:
    return RegisterScreen(ft.use_context(STATE))


@ft.component
def JobRoute() -> ft.Control:
    job_id = ft.use_route_params().get("job_id", "")
    screen: ft.Control = keyed(JobScreen)(ft.use_context(STATE), job_id, key=job_id)
    return screen


@ft.component
def ConflictsRoute() -> ft.Control:
    return ConflictsScreen(ft.use_context(STATE))


@ft.component
def QaListRoute() -> ft.Control:
    return QaListScreen(ft.use_context(STATE))


@ft.component
def QaFormRoute() -> ft.Control:
    job_id = ft.use_route_params().get("job_id", "")
    screen: ft.Control = keyed(QaFormScreen)(ft.use_context(STATE), job_id, key=job_id)
    return screen


@ft.component
def ReportsRoute() -> ft.Control:
    return ReportsScreen(ft.use_context(STATE))


@ft.component
def InspectionsRoute() -> ft.Control:
    return InspectionsScreen(ft.use_context(STATE))


@ft.component
def CustomersRoute() -> ft.Control:
    return CustomersScreen(ft.use_context(STATE))


@ft.component
def CustomerFileRoute() -> ft.Control:
    customer_id = ft.use_route_params().get("customer_id", "")
    screen: ft.Control = keyed(CustomerFileScreen)(ft.use_context(STATE), customer_id, key=customer_id)
    return screen


@ft.component
def StockRoute() -> ft.Control:
    return StockScreen(ft.use_context(STATE))


@ft.component
def LoansRoute() -> ft.Control:
    return LoansScreen(ft.use_context(STATE))


@ft.component
def PaidRoute() -> ft.Control:
    return PaidScreen(ft.use_context(STATE))


@ft.component
def ReturnsRoute() -> ft.Control:
    return ReturnsScreen(ft.use_context(STATE))


@ft.component
def QualityRoute() -> ft.Control:
    return QualityScreen(ft.use_context(STATE))


@ft.component
def NotificationsRoute() -> ft.Control:
    return NotificationsScreen(ft.use_context(STATE))


@ft.component
def EscalationRoute() -> ft.Control:
    return EscalationScreen(ft.use_context(STATE))


@ft.component
def StationsRoute() -> ft.Control:
    return StationsScreen(ft.use_context(STATE))


@ft.component
def PeopleRoute() -> ft.Control:
    return PeopleScreen(ft.use_context(STATE))


@ft.component
def KnowledgeRoute() -> ft.Control:
    return KnowledgeScreen(ft.use_context(STATE))


@ft.component
def Layout() -> ft.Control:
    """The tabs this role may use, above the routed screen."""
    state: ConsoleState = ft.use_context(STATE)
    office = use_office()
    t = state.t
    allowed = screens_for(state.role)
    current = screen_of(ft.use_route_location())
    outlet = ft.use_route_outlet()
    # the notification centre's unread count, again whenever data may have changed (every 30 s too)
    unread = use_remote(office, lambda api: EscalationClient(api).unread(), [state.revision]).value or 0
    if current not in allowed:
        return ft.Container(padding=24, content=ft.Text(t("console.nav.not_allowed"), size=18, color=RED))

    def open_tab(route: str) -> None:
        state.tell("")  # a message about the last screen does not belong to the next
        office.go(route)

    tabs = ft.Row(
        [
            chip(
                t("console.nav.unread", label=t(f"console.nav.{s.value}"), n=unread)
                if s is Screen.NOTIFICATIONS and unread
                else t(f"console.nav.{s.value}"),
                s is current,
                on(open_tab, SCREEN_ROUTES[s]),
                ident=f"nav-{s.value}",
            )
            for s in allowed
        ],
        spacing=8,
        wrap=True,
    )
    return ft.Column(
        [
            ft.Container(
                content=tabs,
                padding=ft.Padding.symmetric(horizontal=16, vertical=8),
                bgcolor="#f7f9fb",
                border=ft.Border.only(bottom=ft.BorderSide(1, "#9aa3ad")),
            ),
            ft.Container(content=outlet, expand=True),
        ],
        spacing=0,
        expand=True,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
    )


ROUTES = [
    ft.Route(
        component=Layout,
        children=[
            ft.Route(index=True, component=BoardRoute),
            ft.Route(path="call", component=CallRoute),
            ft.Route(path="register", component=RegisterRoute),
            ft.Route(path="job/:job_id", component=JobRoute),
            ft.Route(path="conflicts", component=ConflictsRoute),
            ft.Route(path="qa", component=QaListRoute),
            ft.Route(path="qa/:job_id", component=QaFormRoute),
            ft.Route(path="reports", component=ReportsRoute),
            ft.Route(path="stock", component=StockRoute),
            ft.Route(path="loans", component=LoansRoute),
            ft.Route(path="paid", component=PaidRoute),
            ft.Route(path="returns", component=ReturnsRoute),
            ft.Route(path="quality", component=QualityRoute),
            ft.Route(path="notifications", component=NotificationsRoute),
            ft.Route(path="escalation", component=EscalationRoute),
            ft.Route(path="stations", component=StationsRoute),
            ft.Route(path="people", component=PeopleRoute),
            ft.Route(path="knowledge", component=KnowledgeRoute),
            ft.Route(path="inspections", component=InspectionsRoute),
            ft.Route(path="customers", component=CustomersRoute),
            ft.Route(path="customers/:customer_id", component=CustomerFileRoute),
        ],
    )
]


@ft.component
def TopBar(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t

    async def sign_out(_e: object) -> None:
        await office.sign_out()
        state.tell(t("console.signin.signed_out"))
        office.go("/")

    other = next(code for code in LANGS if code != state.lang)
    actions: list[ft.Control] = [
        tagged(
            "lang-switch",
            button(
                LANGS[other], lambda _: setattr(state, "lang", other), kind="quiet", icon=ft.Icons.TRANSLATE
            ),
        )
    ]
    if state.signed_in:
        actions.insert(
            0,
            tagged(
                "who",
                ft.Text(
                    t("console.top.who", name=state.user_name, role=t(f"console.role.{state.role}")),
                    size=16,
                    color="#ffffff",
                ),
            ),
        )
        actions.append(
            button(t("app.signin.sign_out"), sign_out, kind="quiet", icon=ft.Icons.LOGOUT, ident="sign-out")
        )
    return title_bar(t("console.title"), actions, size=21)


@ft.component
def Notice(state: ConsoleState) -> ft.Control:
    if not state.notice:
        return ft.Container()
    close = button(state.t("app.common.close"), lambda _: state.tell(""), kind="quiet")
    return notice_banner(state.notice, error=state.notice_error, close=close, size=16, vertical_padding=4)


@ft.component
def App(state: ConsoleState, office: Office) -> ft.Control:
    def content() -> ft.Control:
        if not state.signed_in:
            return SignInScreen(state)
        return ft.Router(ROUTES)

    body = STATE(state, lambda: OFFICE(office, content))
    bars: list[ft.Control] = [OFFICE(office, lambda: TopBar(state)), Notice(state)]
    return ft.Column([*bars, ft.Container(content=body, expand=True)], spacing=0, expand=True)


async def main(page: ft.Page) -> None:
    """One open page: one office user's session."""
    draw_before_events()  # a press sees the keys and choices just before it (ui/web/events.py)
    state = ConsoleState()
    # a failing press is a notice in the page's language, not Flet's "Error running app" (ui/web/events.py)
    report_failures(page, lambda: state.tell(state.t("console.failed"), error=True))
    office = Office(
        state, CONFIG["server"], zone(CONFIG["tz"]) if CONFIG["tz"] else None, relay_key=_relay_key
    )
    office.page = page
    office.draft_store = BrowserDrafts(page)  # unsent forms outlive a reload (issue 11: nothing typed lost)
    office.client_address = page.client_ip or ""  # the browser's, named to the server at sign-in
    page.title = state.t("console.title")
    page.fonts = {FONT_FAMILY: "fonts/NotoSansSC-Levee.otf"}
    page.theme = ft.Theme(font_family=FONT_FAMILY, color_scheme_seed=BLUE)
    page.theme_mode = ft.ThemeMode.LIGHT
    page.bgcolor = PAGE_BG
    page.padding = 0

    async def closed(_e: object) -> None:
        await office.sign_out(forget_drafts=False)  # closed or reloaded, not signed out: drafts stay

    page.on_close = closed
    page.run_task(office.tick)
    page.render(App, state, office)


def run(
    *,
    server: str,
    port: int,
    host: str,
    tz: str | None,
    allowed_origins: Iterable[str] = (),
    relay_key_file: str | None = None,
    trusted_proxies: Iterable[str] = (),
) -> None:
    """Serve the console to browsers (no CDN: the page needs only this process and the API server);
    only pages from its own address (or ``allowed_origins``) may drive it (:mod:`ui.web.guard`)."""
    from ui.web.serving import serve

    CONFIG.update(server=server, tz=tz, relay_key_file=relay_key_file)
    print(f"Levee console: http://{host}:{port}/  (server {server})", flush=True)
    serve(
        main,
        name="console",
        host=host,
        port=port,
        allowed_origins=allowed_origins,
        trusted_proxies=trusted_proxies,  # the browser's address it names to the server is its own
    )
