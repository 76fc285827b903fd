"""Sync status, always visible: online or offline, last sync, pending changes and their age, conflicts."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from mobile.app.state import AppState, Live
from ui.components.common import AMBER_BG, GREEN, INK, RED, RED_BG, badge, big_button, tagged
from ui.text import ago


@ft.component
def SyncBar(
    state: AppState, live: Live, on_sync_now: Callable[[], None], on_open: Callable[[], None]
) -> ft.Control:
    t, s, lang = state.t, live.sync, state.lang
    if s.syncing:
        link = badge(t("app.sync.syncing"), bg="#dbe9ff")
    elif s.online:
        link = badge(t("app.sync.online"), bg="#d7f5dc", fg=GREEN, border=GREEN)
    else:
        link = badge(t("app.sync.offline"), bg=RED_BG, fg=RED, border=RED)
    parts: list[ft.Control] = [
        tagged("sync-state", link),
        ft.Text(t("app.sync.last", when=ago(lang, s.last_success_at, state.now)), size=16, color=INK),
    ]
    if s.pending:
        oldest = ago(lang, s.oldest_pending_at, state.now)
        parts.append(
            tagged("sync-pending", badge(t("app.sync.pending", n=s.pending, oldest=oldest), bg=AMBER_BG))
        )
    else:
        parts.append(tagged("sync-pending", badge(t("app.sync.all_sent"), bg="#e9eef3")))
    if s.open_conflicts:
        parts.append(badge(t("app.sync.conflicts", n=s.open_conflicts), bg=RED_BG, fg=RED, border=RED))
    if s.rejected:
        parts.append(badge(t("app.sync.rejected", n=s.rejected), bg=RED_BG, fg=RED, border=RED))
    if s.last_error_code and s.last_error_code not in {"offline", "timeout"}:
        parts.append(ft.Text(t(f"error.sync.{s.last_error_code}"), size=15, color=RED))
    return ft.Container(
        bgcolor="#f7f9fb",
        border=ft.Border.only(bottom=ft.BorderSide(1, "#9aa3ad")),
        padding=ft.Padding.symmetric(horizontal=12, vertical=6),
        content=ft.Row(
            [
                ft.Row(
                    parts, wrap=True, spacing=10, expand=True, vertical_alignment=ft.CrossAxisAlignment.CENTER
                ),
                big_button(t("app.sync.details"), lambda _: on_open(), kind="quiet"),
                big_button(t("app.sync.now"), lambda _: on_sync_now(), icon=ft.Icons.SYNC),
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    )
