"""A return visit in the customer's file: due, and its outcome once done."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.components.widgets import (
    button,
    chip,
    chips,
    muted,
    on,
)
from console.context import use_office
from console.logic.customers import (
    FormError,
    can_care,
    visit_body,
)
from console.screens.customers.common import job_link
from console.state import ConsoleState, use_draft
from ui.components.common import badge, tagged, text_field


@ft.component
def VisitItem(state: ConsoleState, visit: dict[str, Any]) -> ft.Control:
    office = use_office()
    t = state.t
    method, set_method = ft.use_state("phone")
    score, set_score = ft.use_state(0)
    outcome, set_outcome = use_draft(office, f"visit.{visit['id']}.outcome", "")

    async def record(result: str) -> None:
        try:
            body = visit_body(result, method, score or None, outcome, "")
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        if await office.act(
            lambda api: api.post(f"/api/return-visits/{visit['id']}/record", body),
            done=t("console.visit.recorded", number=visit["job_number"]),
        ):
            office.forget(f"visit.{visit['id']}.")

    head = ft.Row(
        [
            job_link(office, visit["job_number"], visit["job_id"]),
            badge(
                t(f"console.visit.status.{visit['status']}"), bg="#ffd8d8" if visit["overdue"] else "#e9eef3"
            ),
            muted(t("console.visit.due", day=visit["scheduled_on"])),
            muted(visit.get("engineer_name", "")),
            muted(t("console.visit.score", n=visit["satisfaction"]) if visit.get("satisfaction") else ""),
            muted(visit.get("outcome", "")),
        ],
        wrap=True,
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )
    if visit["status"] == "done" or not can_care(state.role):
        return head
    form = ft.Row(
        [
            chips(
                [
                    chip(t(f"console.visit.method.{m}"), method == m, on(set_method, m))
                    for m in ("phone", "on_site")
                ]
            ),
            chips([chip(str(n), score == n, on(set_score, n)) for n in range(1, 6)]),
            ft.Container(
                text_field(t("console.visit.outcome"), outcome, lambda e: set_outcome(e.control.value)),
                width=320,
            ),
            button(t("console.visit.done"), on(record, "done"), kind="ok"),
            button(t("console.visit.unreachable"), on(record, "unreachable"), kind="quiet"),
        ],
        wrap=True,
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )
    return tagged(f"visit-{visit['job_number']}", ft.Column([head, form], spacing=6))
