"""The "back" button of the screens a job list opens (a job, the van, sync): one look, one way back."""

from __future__ import annotations

import flet as ft

from mobile.app.context import Device
from mobile.app.state import AppState
from ui.components.common import big_button


def back_to_jobs(state: AppState, device: Device) -> ft.Control:
    """返回: to the job list."""
    return big_button(
        state.t("app.common.back"), lambda _: device.go("/"), kind="quiet", icon=ft.Icons.ARROW_BACK
    )
