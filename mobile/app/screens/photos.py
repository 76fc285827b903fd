"""Photos of the job: picked from the device's files, kept beside the replica, uploaded by sync."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import flet as ft
from flet.components.hooks.use_ref import MutableRef

from mobile.app.context import use_device
from mobile.app.queries import JobView
from mobile.app.state import AppState
from ui.components.common import INK, LINE, MUTED, SURFACE, big_button, section, tagged

THUMB = 140


@ft.component
def PhotosSection(state: AppState, view: JobView) -> ft.Control:
    device = use_device()
    t = state.t
    handler: MutableRef[Callable[[ft.FilePickerResultEvent], None] | None] = ft.use_ref(None)

    def on_result(e: ft.FilePickerResultEvent) -> None:
        added = 0
        for picked in e.files or []:
            data = picked.bytes
            if data is None and picked.path:
                with open(picked.path, "rb") as fh:  # native builds give a path
                    data = fh.read()
            if data is None:
                continue
            if device.act(partial(device.app.actions.add_photo, view.id, data, picked.name)):
                added += 1
        if added:
            state.say("app.photos.added", n=added)

    handler.current = on_result

    def relay(e: ft.FilePickerResultEvent) -> None:
        if handler.current is not None:
            handler.current(e)

    picker = ft.use_memo(lambda: ft.FilePicker(on_result=relay), [])

    tiles: list[ft.Control] = []
    for photo in view.job.get("photos", []):
        data = device.app.queries.photo_bytes(photo["id"])
        if data is not None:
            image: ft.Control = ft.Image(
                src=data, width=THUMB, height=THUMB, fit=ft.BoxFit.COVER, border_radius=8
            )
        else:
            image = ft.Container(
                width=THUMB,
                height=THUMB,
                bgcolor="#e9eef3",
                border_radius=8,
                alignment=ft.Alignment.CENTER,
                content=ft.Text(
                    t("app.photos.on_server"), size=14, color=MUTED, text_align=ft.TextAlign.CENTER
                ),
            )
        tiles.append(
            ft.Container(
                bgcolor=SURFACE,
                border=ft.Border.all(1, LINE),
                border_radius=10,
                padding=6,
                content=ft.Column(
                    [
                        image,
                        ft.Text(
                            photo.get("filename", ""),
                            size=13,
                            color=INK,
                            width=THUMB,
                            max_lines=1,
                            overflow=ft.TextOverflow.ELLIPSIS,
                        ),
                    ],
                    spacing=4,
                    tight=True,
                ),
            )
        )
    return section(
        t("app.photos.title"),
        [
            ft.Text(t("app.photos.note"), size=16, color=MUTED),
            tagged(
                "photo-add",
                big_button(
                    t("app.photos.add"),
                    None,
                    icon=ft.Icons.ADD_A_PHOTO,
                    action=ft.PickFiles(
                        picker,
                        file_type=ft.FilePickerFileType.IMAGE,
                        allow_multiple=True,
                        with_data=True,
                        cancel_upload_on_window_blur=False,
                    ),
                ),
            ),
            tagged("photo-grid", ft.Row(tiles, wrap=True, spacing=10, run_spacing=10))
            if tiles
            else ft.Text(t("app.photos.none"), size=17, color=MUTED),
        ],
    )
