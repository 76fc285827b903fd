"""Signing in to the console: server address, user, password (office roles only)."""

from __future__ import annotations

import flet as ft

from console.api import ApiError
from console.context import use_office
from console.state import ConsoleState
from ui.components.common import MUTED, RED, big_button, section, tagged, text_field


@ft.component
def SignInScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    server, set_server = ft.use_state(office.default_server)
    username, set_username = ft.use_state("")
    password, set_password = ft.use_state("")
    busy, set_busy = ft.use_state(False)
    error, set_error = ft.use_state("")

    async def submit(_e: object = None) -> None:
        if not username.strip() or not password:
            set_error(t("error.fill_in_sign_in"))
            return
        set_busy(True)
        set_error("")
        try:
            await office.sign_in(server, username.strip(), password, t("console.signin.device_name"))
        except ApiError as exc:
            set_error(state.error_text(exc))
            return
        finally:
            set_busy(False)
        state.tell(t("console.signin.welcome", name=state.user_name))
        office.go("/")

    return ft.Container(
        alignment=ft.Alignment.TOP_CENTER,
        padding=24,
        content=ft.Container(
            width=520,
            content=section(
                t("console.signin.title"),
                [
                    ft.Text(t("console.signin.explain"), size=16, color=MUTED),
                    text_field(t("app.signin.server"), server, lambda e: set_server(e.control.value)),
                    text_field(t("app.signin.username"), username, lambda e: set_username(e.control.value)),
                    text_field(
                        t("app.signin.password"),
                        password,
                        lambda e: set_password(e.control.value),
                        password=True,
                        on_submit=submit,
                    ),
                    tagged("signin-error", ft.Text(error, color=RED, size=16)) if error else ft.Container(),
                    big_button(
                        t("app.signin.busy") if busy else t("app.signin.submit"),
                        submit,
                        disabled=busy,
                        icon=ft.Icons.LOGIN,
                    ),
                ],
            ),
        ),
    )
