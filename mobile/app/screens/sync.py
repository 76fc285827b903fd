"""Sync in detail: conflicts that touched my jobs and refused taps, each explained in words."""

from __future__ import annotations

from functools import partial

import flet as ft

from mobile.app.components.back import back_to_jobs
from mobile.app.context import use_device
from mobile.app.state import AppState, Live
from ui.components.common import (
    INK,
    LINE,
    MUTED,
    RED,
    RED_BG,
    SURFACE,
    big_button,
    bind,
    label_value,
    pinned_screen,
    section,
    tagged,
)
from ui.logic.explain import explain_conflict, explain_rejection
from ui.text import ago, when


@ft.component
def SyncScreen(state: AppState, live: Live) -> ft.Control:
    device = use_device()
    t, lang, s = state.t, state.lang, live.sync
    queries = device.app.queries
    numbers = queries.job_numbers() if state.signed_in else {}
    labels = queries.item_labels(lang)
    part_names = (
        {pid: str(p.get("name", "")) for pid, p in queries.part_names().items()} if state.signed_in else {}
    )
    status = [
        label_value(
            t("app.sync.connection"),
            t("app.sync.online" if s.online else "app.sync.offline"),
            color=INK if s.online else RED,
            bold=True,
        ),
        label_value(
            t("app.sync.last_label"),
            f"{when(lang, s.last_success_at, state.now, device.app.tz)} ({ago(lang, s.last_success_at, state.now)})",
        ),
        label_value(t("app.sync.pending_label"), t("app.sync.pending_count", n=s.pending)),
        label_value(
            t("app.sync.oldest_label"), ago(lang, s.oldest_pending_at, state.now) if s.pending else "—"
        ),
        ft.Text(t("app.sync.offline_note"), size=15, color=MUTED),
        big_button(t("app.sync.now"), lambda _: device.app.sync_now(), icon=ft.Icons.SYNC),
    ]
    build = getattr(device.app, "build", "")  # the web build the browser runs (mobile/pwa/device.py)
    if build:
        status.insert(0, tagged("app-build", ft.Text(t("app.pwa.build", build=build), size=14, color=MUTED)))
    conflict_rows: list[ft.Control] = []
    for conflict in queries.conflicts() if state.signed_in else []:
        number = numbers.get(str(conflict.get("job_id")), "")
        conflict_rows.append(
            tagged(
                f"conflict-{conflict['id']}",
                ft.Container(
                    bgcolor=RED_BG if conflict.get("status", "open") == "open" else SURFACE,
                    border=ft.Border.all(1, LINE),
                    border_radius=10,
                    padding=12,
                    content=ft.Text(
                        explain_conflict(lang, conflict, number, labels, part_names), size=17, color=INK
                    ),
                ),
            )
        )
    if not conflict_rows:
        conflict_rows.append(ft.Text(t("app.sync.no_conflicts"), size=17, color=MUTED))
    rejection_rows: list[ft.Control] = []
    for rejection in queries.rejections() if state.signed_in else []:
        mutation = rejection.mutation
        number = numbers.get(str(mutation.job_id()), "")
        rejection_rows.append(
            ft.Container(
                bgcolor=RED_BG,
                border=ft.Border.all(1, RED),
                border_radius=10,
                padding=12,
                content=ft.Row(
                    [
                        ft.Text(
                            explain_rejection(
                                lang, mutation.name.value, rejection.reason, rejection.message, number
                            ),
                            size=17,
                            color=INK,
                            expand=True,
                        ),
                        big_button(
                            t("app.sync.dismiss"),
                            bind(device.act, partial(queries.dismiss_rejection, mutation.id)),
                            kind="quiet",
                        ),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                ),
            )
        )
    if not rejection_rows:
        rejection_rows.append(ft.Text(t("app.sync.no_rejections"), size=17, color=MUTED))
    return pinned_screen(
        ft.Row([back_to_jobs(state, device)]),
        [
            section(t("app.sync.title"), status),
            tagged(
                "van-open",
                big_button(
                    t("app.van.open"), lambda _: device.go("/van"), kind="quiet", icon=ft.Icons.INVENTORY_2
                ),
            ),
            section(
                t("app.sync.conflicts_title"), [tagged("conflict-list", ft.Column(conflict_rows, spacing=8))]
            ),
            section(t("app.sync.rejections_title"), rejection_rows),
        ],
    )
