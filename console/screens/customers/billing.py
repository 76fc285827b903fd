"""The billing decision panel the job screen shows (the office overrules or confirms the tablet's)."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.components.widgets import (
    button,
    chip,
    chips,
    on,
    panel,
)
from console.context import use_office
from console.logic.customers import (
    FormError,
    billing_body,
    can_decide,
)
from console.logic.times import full
from console.state import ConsoleState, use_draft
from shared.enums import BillableReason
from ui.components.common import AMBER_BG, INK, badge, text_field
from ui.logic.clocks import parse_time


@ft.component
def BillingPanel(state: ConsoleState, job: dict[str, Any]) -> ft.Control:
    """The field's billing value, and the office's decision overruling it (manager, QA, admin)."""
    office = use_office()
    t = state.t
    billable, set_billable = ft.use_state(job.get("billable"))
    reason, set_reason = ft.use_state(job.get("billable_reason") or "")
    note, set_note = use_draft(office, f"billing.{job['id']}.note", "")

    async def decide(_e: object) -> None:
        try:
            body = billing_body(billable, reason, note)
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        if await office.act(
            lambda api: api.post(f"/api/jobs/{job['id']}/billing", body), done=t("console.billing.saved")
        ):
            set_note("")

    current = (
        t("app.billing.not_decided")
        if job.get("billable") is None
        else t(
            "app.billing.recorded",
            what=t("app.billing.billable" if job["billable"] else "app.billing.free"),
            reason=t(f"enum.billable_reason.{job.get('billable_reason') or 'none'}"),
        )
    )
    lines: list[ft.Control] = [ft.Text(current, size=16, weight=ft.FontWeight.W_600, color=INK)]
    if job.get("billing_override_at"):
        lines.append(
            badge(
                t(
                    "console.billing.overridden",
                    when=full(parse_time(job["billing_override_at"]), office.tz),
                    note=job.get("billing_override_note", ""),
                ),
                bg=AMBER_BG,
            )
        )
    if can_decide(state.role) and job["status"] != "cancelled":
        lines += [
            chips(
                [
                    chip(t("app.billing.free"), billable is False, on(set_billable, False)),
                    chip(t("app.billing.billable"), billable is True, on(set_billable, True)),
                ]
            ),
            chips(
                [
                    chip(t(f"enum.billable_reason.{r.value}"), reason == r.value, on(set_reason, r.value))
                    for r in BillableReason
                ]
            ),
            ft.Row(
                [
                    ft.Container(
                        text_field(t("console.billing.note"), note, lambda e: set_note(e.control.value)),
                        width=420,
                    ),
                    button(t("console.billing.decide"), decide, ident="billing-decide"),
                ],
                wrap=True,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        ]
    return panel(t("app.billing.title"), lines, ident="billing-panel")
