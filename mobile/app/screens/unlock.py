"""A browser that did not sign the device in asks for the engineer's password before it shows anything.

The device stays signed in (its replica, its outbox and the work waiting to sync are untouched): this
page only proves that whoever uses it knows the password, so that another web page, or another
person's browser on this machine, is not silently the engineer (issue 13, item 1).
"""

from __future__ import annotations

import flet as ft

from mobile.app.context import use_device
from mobile.app.state import AppState
from mobile.services.jobs import ActionError
from ui.components.common import MUTED, RED, big_button, section, tagged, text_field


@ft.component
def UnlockScreen(state: AppState) -> ft.Control:
    device = use_device()
    t = state.t
    password, set_password = ft.use_state("")
    busy, set_busy = ft.use_state(False)
    error, set_error = ft.use_state("")
    current = device.app.current
    name = current.user.get("display_name", "") if current else ""

    async def submit(_e: object = None) -> None:
        if not password:
            set_error(t("error.fill_in_password"))
            return
        set_busy(True)
        set_error("")
        try:
            ok = await device.binding.unlock(password)
        except ActionError as exc:
            ok = False
            set_error(state.error_text(exc))
        else:
            if not ok:
                set_error(t("error.unlock_wrong"))
        finally:
            set_busy(False)
        if ok:
            set_password("")
            state.say("app.signin.welcome", name=name)
            device.go("/")

    return ft.Container(
        alignment=ft.Alignment.TOP_CENTER,
        padding=24,
        content=ft.Container(
            width=560,
            content=tagged(
                "unlock",
                section(
                    t("app.unlock.title"),
                    [
                        ft.Text(t("app.unlock.explain", name=name), size=16, color=MUTED),
                        tagged(
                            "unlock-password",
                            text_field(
                                t("app.signin.password"),
                                password,
                                lambda e: set_password(e.control.value),
                                password=True,
                                on_submit=submit,
                            ),
                        ),
                        tagged("unlock-error", ft.Text(error, color=RED, size=16))
                        if error
                        else ft.Container(),
                        tagged(
                            "unlock-submit",
                            big_button(
                                t("app.unlock.busy") if busy else t("app.unlock.submit"),
                                submit,
                                disabled=busy,
                                icon=ft.Icons.LOCK_OPEN,
                            ),
                        ),
                    ],
                ),
            ),
        ),
    )
