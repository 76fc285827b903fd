"""One job: a header, its sections (overview, checklist, parts, photos, acceptance) one at a time."""

from __future__ import annotations

import flet as ft

from mobile.app.components.back import back_to_jobs
from mobile.app.context import use_device
from mobile.app.screens.acceptance import AcceptanceSection
from mobile.app.screens.checklist import ChecklistSection
from mobile.app.screens.job_overview import OverviewSection
from mobile.app.screens.knowledge import KnowledgeSection
from mobile.app.screens.loans import LoansSection
from mobile.app.screens.parts import PartsSection
from mobile.app.screens.photos import PhotosSection
from mobile.app.screens.quote import QuoteSection
from mobile.app.state import AppState, Data
from ui.components.common import (
    AMBER_BG,
    INK,
    MUTED,
    RED,
    RED_BG,
    badge,
    big_button,
    bind,
    pinned_screen,
    tagged,
)
from ui.logic.explain import explain_conflict

SECTIONS = ("overview", "checklist", "parts", "loans", "quote", "photos", "acceptance", "knowledge")


@ft.component
def JobScreen(state: AppState, data: Data, job_id: str) -> ft.Control:
    """``data`` moves when the device's data changed (a tap, a pull): the job is read again."""
    device = use_device()
    t = state.t
    section, set_section = ft.use_state("overview")

    def opened() -> None:  # a job that had just arrived is no longer new
        device.app.opened(job_id)
        device.binding.refresh()

    ft.use_effect(opened, [job_id])
    view = device.app.queries.job_view(job_id, device.app.actions.template_for) if state.signed_in else None
    if view is None:
        return ft.Column(
            [
                ft.Text(t("app.job.gone"), size=20, color=INK),
                back_to_jobs(state, device),
            ],
            spacing=16,
        )
    job = view.job
    missing = device.app.actions.missing_required(job)
    head: list[ft.Control] = [
        back_to_jobs(state, device),
        ft.Text(job["number"], size=26, weight=ft.FontWeight.BOLD, color=INK),
        *(
            [
                badge(
                    t(f"enum.severity.{job['severity']}"),
                    bg=RED_BG if job["severity"] == "major" else "#e9eef3",
                )
            ]
            if job["kind"] == "repair"  # no fault, no severity: training, installation, inspection, visit
            else []
        ),
        badge(t(f"enum.kind.{job['kind']}"), bg="#e9eef3"),
        tagged("job-status", badge(t(f"enum.status.{job['status']}"), bg="#dbe9ff")),
    ]
    if view.pending:
        head.append(badge(t("app.jobs.unsynced", n=view.pending), bg=AMBER_BG, border="#8a6d00"))
    tabs = ft.Row(
        [
            tagged(
                f"section-{name}",
                big_button(
                    t(f"app.job.section.{name}")
                    + (f" ({len(missing)})" if name == "checklist" and missing else ""),
                    bind(set_section, name),
                    kind="selected" if section == name else "quiet",
                ),
            )
            for name in SECTIONS
        ],
        wrap=True,
        spacing=8,
        run_spacing=8,
    )
    header = ft.Row(head, wrap=True, spacing=10, vertical_alignment=ft.CrossAxisAlignment.CENTER)
    body: list[ft.Control] = []
    for conflict_line in view.conflicts[:3]:
        body.append(
            ft.Container(
                bgcolor=RED_BG,
                border_radius=8,
                padding=10,
                content=ft.Text(
                    explain_conflict(
                        state.lang,
                        conflict_line,
                        job["number"],
                        view.item_labels(state.lang),
                        {pid: str(p.get("name", "")) for pid, p in view.part_names.items()},
                    ),
                    size=16,
                    color=RED,
                ),
            )
        )
    body.append(tabs)
    if section == "overview":
        body.append(OverviewSection(state, view))
    elif section == "checklist":
        body.append(ChecklistSection(state, view))
    elif section == "parts":
        body.append(PartsSection(state, view))
    elif section == "loans":
        body.append(LoansSection(state, view))
    elif section == "quote":
        body.append(QuoteSection(state, view))
    elif section == "photos":
        body.append(PhotosSection(state, view))
    elif section == "knowledge":
        body.append(KnowledgeSection(state, view))
    else:
        body.append(AcceptanceSection(state, view))
    if job.get("times_flagged"):
        body.append(ft.Text(t("app.job.times_flagged"), size=15, color=MUTED))
    return pinned_screen(header, body)
