"""Signing the tablet in: server address, user, password. Once signed in it stays so across restarts."""

from __future__ import annotations

import flet as ft

from mobile.app.context import use_device
from mobile.app.state import AppState
from mobile.services.jobs import ActionError
from ui.components.common import INK, MUTED, RED, big_button, section, tagged, text_field


@ft.component
def SignInScreen(state: AppState) -> ft.Control:
    device = use_device()
    t = state.t
    server, set_server = ft.use_state(device.app.default_server)
    username, set_username = ft.use_state("")
    password, set_password = ft.use_state("")
    device_name, set_device_name = ft.use_state(t("app.signin.default_device"))
    busy, set_busy = ft.use_state(False)
    error, set_error = ft.use_state("")

    async def submit(_e: object = None) -> None:
        if not username or not password:
            set_error(t("error.fill_in_sign_in"))
            return
        set_busy(True)
        set_error("")
        try:
            await device.binding.sign_in(
                server.strip(), username.strip(), password, device_name.strip() or "tablet"
            )
        except ActionError as exc:
            set_error(state.error_text(exc))
        finally:
            set_busy(False)
        device.binding.refresh()
        if device.app.current is not None:
            state.say("app.signin.welcome", name=state.user_name)
            device.go("/")

    return ft.Container(
        alignment=ft.Alignment.TOP_CENTER,
        padding=24,
        content=ft.Container(
            width=560,
            content=section(
                t("app.signin.title"),
                [
                    ft.Text(t("app.signin.explain"), size=16, color=MUTED),
                    text_field(t("app.signin.server"), server, lambda e: set_server(e.control.value)),
                    text_field(t("app.signin.username"), username, lambda e: set_username(e.control.value)),
                    text_field(
                        t("app.signin.password"),
                        password,
                        lambda e: set_password(e.control.value),
                        password=True,
                        on_submit=submit,
                    ),
                    text_field(
                        t("app.signin.device_name"), device_name, lambda e: set_device_name(e.control.value)
                    ),
                    tagged("signin-error", ft.Text(error, color=RED, size=16)) if error else ft.Container(),
                    big_button(
                        t("app.signin.busy") if busy else t("app.signin.submit"),
                        submit,
                        disabled=busy,
                        icon=ft.Icons.LOGIN,
                    ),
                    ft.Text(t("app.signin.offline_note"), size=15, color=INK),
                ],
            ),
        ),
    )
