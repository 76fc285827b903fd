"""One job in the list: number, severity, kind, customer, site, equipment, and its live SLA clock."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from mobile.app.state import AppState
from ui.components.common import AMBER_BG, INK, LINE, MUTED, RED, RED_BG, SURFACE, badge, tagged
from ui.logic.grouping import JobRow
from ui.text import clock_text


def job_card(state: AppState, row: JobRow, on_open: Callable[[str], None]) -> ft.Control:
    t, lang = state.t, state.lang
    clock, late = clock_text(lang, row.clock)
    major = row.severity == "major"
    # a fault's severity belongs to a repair: training or a return visit has none to show
    severity = (
        [
            badge(
                t(f"enum.severity.{row.severity}"),
                bg=RED_BG if major else "#e9eef3",
                fg=RED if major else INK,
            )
        ]
        if row.kind == "repair"
        else []
    )
    top: list[ft.Control] = [
        ft.Text(row.number, size=19, weight=ft.FontWeight.BOLD, color=INK),
        *severity,
        tagged(f"job-kind-{row.number}", badge(t(f"enum.kind.{row.kind}"), bg="#e9eef3")),
        badge(t(f"enum.status.{row.status}"), bg="#dbe9ff"),
    ]
    if any(job_id == row.id for job_id, _number, _customer in state.new_jobs):
        top.append(
            ft.Semantics(
                identifier=f"job-new-{row.number}",
                content=badge(t("app.jobs.new_badge"), bg="#8a6d00", fg="#ffffff"),
            )
        )
    if row.pending:
        top.append(badge(t("app.jobs.unsynced", n=row.pending), bg=AMBER_BG, border="#8a6d00"))
    lines: list[ft.Control] = [
        ft.Row(top, wrap=True, spacing=8),
        ft.Text(f"{row.customer} · {row.site}", size=17, color=INK),
    ]
    if row.equipment:
        lines.append(ft.Text(row.equipment, size=16, color=MUTED))
    if row.symptom:
        lines.append(
            ft.Text(row.symptom, size=16, color=MUTED, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS)
        )
    lines.append(
        ft.Text(
            clock,
            size=18,
            weight=ft.FontWeight.BOLD,
            color="#ffffff" if late else INK,
            bgcolor=RED if late else None,
        )
    )
    return ft.Semantics(
        identifier=f"job-{row.number}",
        button=True,
        label=f"{row.number} {row.customer}",
        content=ft.Container(
            key=row.id,
            bgcolor=RED_BG if late else SURFACE,
            border=ft.Border.all(2 if late else 1, RED if late else LINE),
            border_radius=12,
            padding=14,
            ink=True,
            on_click=lambda _: on_open(row.id),
            content=ft.Column(lines, spacing=6, tight=True),
        ),
    )
