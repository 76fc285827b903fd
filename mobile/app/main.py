"""The field app: ``main(page)`` for ``flet build`` and ``run()`` for ``levee app`` (web mode, offline).

One :class:`~mobile.app.state.FieldApp` per process is the device; each open page gets its own
observable :class:`~mobile.app.state.AppState`, kept in step by a :class:`~mobile.app.state.PageBinding`.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import flet as ft

from mobile.app.components.sync_bar import SyncBar
from mobile.app.context import DEVICE, STATE, Device, use_device
from mobile.app.screens.job import JobScreen
from mobile.app.screens.jobs import JobsScreen
from mobile.app.screens.signin import SignInScreen
from mobile.app.screens.sync import SyncScreen
from mobile.app.screens.unlock import UnlockScreen
from mobile.app.screens.van import VanScreen
from mobile.app.state import AppState, FieldApp, Live, PageBinding, Talk
from shared.i18n import LANGS
from shared.local_time import zone
from ui.components.common import (
    AMBER_BG,
    BLUE,
    INK,
    PAGE_BG,
    big_button,
    keyed,
    notice_banner,
    tagged,
    title_bar,
)
from ui.components.common import FONT as FONT_FAMILY
from ui.web.events import install as draw_before_events
from ui.web.events import report_failures
from ui.web.guard import current_browser

_APP: dict[str, FieldApp] = {}
CONFIG: dict[str, Any] = {
    "data_dir": os.environ.get("LEVEE_APP_DATA_DIR")
    or os.environ.get("FLET_APP_STORAGE_DATA")
    or "levee-data/app",
    "server": os.environ.get("LEVEE_APP_SERVER", "http://127.0.0.1:8000"),
    "tz": os.environ.get("LEVEE_APP_TZ") or None,  # None: the zone the server tells at sign-in
}


def field_app() -> FieldApp:
    """The device of this process (made on first use, inside the running event loop)."""
    if "app" not in _APP:
        options = json.loads(os.environ.get("LEVEE_APP_RUNNER") or "{}")  # e.g. tests slow the retries
        _APP["app"] = FieldApp(
            Path(CONFIG["data_dir"]),
            default_server=CONFIG["server"],
            runner_options=options,
            tz=zone(CONFIG["tz"]) if CONFIG["tz"] else None,
        )
    return _APP["app"]


@ft.component
def JobsRoute() -> ft.Control:
    state = ft.use_context(STATE)
    return JobsScreen(state, state.live, state.data)


@ft.component
def JobRoute() -> ft.Control:
    params = ft.use_route_params()
    state = ft.use_context(STATE)
    job: ft.Control = keyed(JobScreen)(
        state, state.data, params.get("job_id", ""), key=params.get("job_id", "")
    )
    return job


@ft.component
def SyncRoute() -> ft.Control:
    state = ft.use_context(STATE)
    return SyncScreen(state, state.live)


@ft.component
def VanRoute() -> ft.Control:
    state = ft.use_context(STATE)
    return VanScreen(state, state.data)


ROUTES = [
    ft.Route(index=True, component=JobsRoute),
    ft.Route(path="job/:job_id", component=JobRoute),
    ft.Route(path="sync", component=SyncRoute),
    ft.Route(path="van", component=VanRoute),
]


@ft.component
def TopBar(state: AppState, sync: ft.Control | None = None) -> ft.Control:
    device = use_device()
    t = state.t

    async def sign_out(_e: object) -> None:
        from mobile.services.jobs import ActionError

        try:
            await device.app.sign_out()
        except ActionError as exc:
            state.say_error(exc)
            return
        device.binding.refresh()
        device.go("/")
        state.say("app.signin.signed_out")

    other = next(code for code in LANGS if code != state.lang)
    actions: list[ft.Control] = [
        tagged(
            "lang-switch",
            big_button(
                LANGS[other], lambda _: setattr(state, "lang", other), kind="quiet", icon=ft.Icons.TRANSLATE
            ),
        ),
    ]
    if state.signed_in:
        actions.insert(0, ft.Text(state.user_name, size=18, color="#ffffff"))
        actions.append(big_button(t("app.signin.sign_out"), sign_out, kind="quiet", icon=ft.Icons.LOGOUT))
    return title_bar(t("app.title"), actions, middle=sync)


#: from this width (logical pixels) a page is laid out for a landscape tablet
WIDE = 1000

#: seconds a message stays under the bar (a problem a little longer, so it can be read)
NOTICE_SECONDS = 5.0
ERROR_NOTICE_SECONDS = 12.0


@ft.component
def Notice(state: AppState, talk: Talk) -> ft.Control:
    """The message under the bar (``talk``: re-rendered alone when a message comes or goes)."""
    serial = talk.serial

    async def expire() -> None:
        await asyncio.sleep(ERROR_NOTICE_SECONDS if state.notice_error else NOTICE_SECONDS)
        if talk.serial == serial:  # not replaced meanwhile
            state.clear_notice()

    ft.use_effect(expire, [serial])
    if not state.notice:
        return ft.Container()
    close = big_button(state.t("app.common.close"), lambda _: state.clear_notice(), kind="quiet")
    return notice_banner(state.notice, error=talk.error, close=close)


@ft.component
def NewJobs(state: AppState, live: Live, device: Device) -> ft.Control:
    """Jobs that arrived on the tablet, until each is opened (issue 11: a new job came silently)."""
    if not live.new_jobs:
        return ft.Container()
    job_id, number, customer = live.new_jobs[0]
    text = state.t("app.jobs.arrived", number=number, customer=customer)
    if len(live.new_jobs) > 1:
        text += " " + state.t("app.jobs.arrived_more", n=len(live.new_jobs) - 1)
    open_it = tagged(
        "new-job-open",
        big_button(
            state.t("app.jobs.open_new"), lambda _: device.go(f"/job/{job_id}"), icon=ft.Icons.OPEN_IN_NEW
        ),
    )
    return tagged(
        "new-job-notice",
        ft.Container(
            bgcolor=AMBER_BG,
            border=ft.Border.all(2, "#8a6d00"),
            padding=ft.Padding.symmetric(horizontal=14, vertical=4),
            content=ft.Row(
                [
                    ft.Icon(ft.Icons.NOTIFICATIONS_ACTIVE, color=INK),
                    ft.Text(text, size=18, color=INK, weight=ft.FontWeight.W_600, expand=True),
                    open_it,
                ],
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        ),
    )


@ft.component
def App(state: AppState, device: Device) -> ft.Control:
    def content() -> ft.Control:
        if state.locked:
            return UnlockScreen(state)
        if not state.signed_in:
            return SignInScreen(state)
        return ft.Router(ROUTES)

    body = STATE(state, lambda: DEVICE(device, content))
    bars: list[ft.Control] = [DEVICE(device, lambda: TopBar(state))]
    if state.signed_in:
        sync = SyncBar(state, state.live, lambda: device.app.sync_now(), lambda: device.go("/sync"))
        if state.wide:  # landscape: the sync status beside the title, one bar instead of two
            bars = [DEVICE(device, lambda: TopBar(state, sync))]
        else:
            bars.append(sync)
        bars.append(NewJobs(state, state.live, device))
    bars.append(Notice(state, state.talk))
    # the bars in a column of their own: the screen below keeps its place (and its state) when the
    # bars change, as they do when a tablet turns
    return ft.Column(
        [ft.Column(bars, spacing=0), ft.Container(content=body, expand=True)], spacing=0, expand=True
    )


async def main(page: ft.Page) -> None:
    """One page (a browser tab, or the tablet app's window)."""
    draw_before_events()  # a tap sees the keys and choices just before it (ui/web/events.py)
    app = field_app()
    state = AppState()
    # a failing tap is a notice in the page's language, not Flet's "Error running app" (ui/web/events.py)
    report_failures(page, lambda: state.say("app.failed", error=True))
    binding = PageBinding(app, state, current_browser())  # whose browser: see ui/web/guard.py
    page.title = state.t("app.title")
    page.fonts = {FONT_FAMILY: "fonts/NotoSansSC-Levee.otf"}
    page.theme = ft.Theme(font_family=FONT_FAMILY, color_scheme_seed=BLUE)
    page.theme_mode = ft.ThemeMode.LIGHT
    page.bgcolor = PAGE_BG
    page.padding = 0

    def resized(_e: object = None) -> None:
        state.wide = (page.width or 0) >= WIDE

    page.on_resize = resized
    resized()
    binding.refresh()
    app.ensure_running()
    page.run_task(binding.run)
    page.render(App, state, Device(app, binding))


async def _stop_the_device() -> None:
    """On the way out: stop the background sync (an answer in flight is taken back at the next start)."""
    if "app" in _APP:
        await _APP["app"].stop()


def run(
    *,
    server: str,
    port: int,
    host: str,
    data_dir: str,
    tz: str | None = None,
    allowed_origins: Iterable[str] = (),
) -> None:
    """Serve the field app to a browser on this machine (no CDN: it works with no network at all);
    only pages from its own address (or ``allowed_origins``) may drive it (:mod:`ui.web.guard`)."""
    from ui.web.serving import serve

    CONFIG.update(server=server, data_dir=data_dir, tz=tz)
    print(f"Levee field app: http://{host}:{port}/  (data in {Path(data_dir).resolve()})", flush=True)
    serve(
        main,
        name="app",
        host=host,
        port=port,
        allowed_origins=allowed_origins,
        on_shutdown=_stop_the_device,
    )
