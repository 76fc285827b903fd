"""One customer's file: equipment and warranty, jobs, complaints, return visits, satisfaction."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.components.widgets import (
    button,
    error_text,
    muted,
    pairs,
    panel,
    table,
    title,
)
from console.context import use_office
from console.logic.contracts import can_edit_customers
from console.logic.customers import (
    average_text,
    can_record,
    warranty_colour,
)
from console.logic.times import full
from console.screens.customers.care import CarePanel, contacts_panel
from console.screens.customers.common import job_link
from console.screens.customers.complaints import ComplaintForm, ComplaintItem
from console.screens.customers.contracts import ContractsPanel, CustomerEditForm
from console.screens.customers.delivery import DeliveryDocumentsPanel
from console.screens.customers.training import TrainingForm
from console.screens.customers.visits import VisitItem
from console.state import ConsoleState, use_remote
from ui.components.common import badge, keyed
from ui.logic.clocks import parse_time


@ft.component
def CustomerFileScreen(state: ConsoleState, customer_id: str) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(
        office, lambda api: api.get(f"/api/customers/{customer_id}/file"), [customer_id, state.revision]
    )
    body: list[ft.Control] = [
        ft.Row(
            [
                button(
                    t("console.customers.back"),
                    lambda _e: office.go("/customers"),
                    kind="quiet",
                    icon=ft.Icons.ARROW_BACK,
                )
            ]
        )
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    f: dict[str, Any] | None = loaded.value
    if f is None:
        if loaded.loading:
            body.append(muted(t("console.common.loading")))
        return ft.ListView(body, spacing=12, padding=16, expand=True)

    c, s = f["customer"], f["satisfaction"]
    body.append(
        ft.Row(
            [title(c["name"])]
            + ([badge(t("console.care.key"), bg="#fff1c2", fg="#6b4e00")] if c.get("key_customer") else []),
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )
    )
    body.append(
        panel(
            t("console.customers.summary"),
            [
                pairs(
                    [
                        (t("console.customers.contract"), c.get("contract_no", "")),
                        (
                            t("console.customers.contact"),
                            f"{c.get('contact_name', '')} {c.get('contact_phone', '')}".strip(),
                        ),
                        (t("console.customers.warranty_years"), str(c["warranty_years"])),
                        (
                            t("console.customers.visit_satisfaction"),
                            t(
                                "console.customers.average",
                                avg=average_text(s["visit_average"]),
                                n=s["visits"],
                            ),
                        ),
                        (
                            t("console.customers.acceptance_satisfaction"),
                            t(
                                "console.customers.average",
                                avg=average_text(s["acceptance_average"]),
                                n=s["acceptances"],
                            ),
                        ),
                    ],
                    label_width=140,
                )
            ],
            ident="customer-summary",
        )
    )
    body.append(
        keyed(CarePanel)(state, c, f.get("responsible_name", ""), f["return_visits"], key=f"care-{c['id']}")
    )
    if can_edit_customers(state.role):
        body.append(keyed(CustomerEditForm)(state, c, key=f"edit-{c['id']}"))
    body.append(ContractsPanel(state, c["id"]))
    equipment_rows = [
        [
            t(f"enum.category.{e['category']}"),
            f"{e['model']} {e['serial_no']}",
            e["site_name"],
            e.get("delivered_on") or "—",
            e.get("warranty_end") or "—",
            t(f"console.warranty.{e['warranty_state']}"),
        ]
        for e in f["equipment"]
    ]
    body.append(
        panel(
            t("console.customers.equipment"),
            [
                table(
                    [
                        t("form.equipment"),
                        t("console.customers.serial"),
                        t("form.site"),
                        t("console.customers.delivered"),
                        t("form.warranty_end"),
                        t("console.customers.warranty"),
                    ],
                    equipment_rows,
                    red=[(i, 5) for i, e in enumerate(f["equipment"]) if e["warranty_state"] == "expired"],
                    ident="customer-equipment",
                )
                if equipment_rows
                else muted(t("console.customers.none")),
                ft.Row(
                    [
                        badge(t(f"console.warranty.{k}"), bg=warranty_colour(k))
                        for k in ("in_warranty", "expired", "unknown")
                    ],
                    spacing=6,
                ),
            ],
        )
    )
    body.append(DeliveryDocumentsPanel(state, c["id"]))
    job_lines: list[ft.Control] = []
    for j in f["jobs"][:50]:
        billing = (
            "—"
            if j["billable"] is None
            else t("app.billing.billable" if j["billable"] else "app.billing.free")
            + (" · " + t("console.billing.by_office") if j["billing_overridden"] else "")
        )
        job_lines.append(
            ft.Row(
                [
                    job_link(office, j["number"], j["id"]),
                    muted(full(parse_time(j["call_received_at"]), office.tz)),
                    badge(t(f"enum.kind.{j['kind']}"), bg="#e9eef3"),
                    badge(t(f"enum.status.{j['status']}"), bg="#dbe9ff"),
                    muted(billing),
                    muted(j.get("engineer_name", "")),
                ],
                wrap=True,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            )
        )
    body.append(
        panel(
            t("console.customers.jobs", n=f["jobs_total"]),
            job_lines or [muted(t("console.customers.none"))],
            ident="customer-jobs",
        )
    )
    body.append(
        panel(
            t("console.customers.complaints", n=len(f["complaints"])),
            [keyed(ComplaintItem)(state, cm, key=cm["id"]) for cm in f["complaints"]]
            or [muted(t("console.customers.none"))],
            ident="customer-complaints",
        )
    )
    if can_record(state.role):
        body.append(ComplaintForm(state, c["id"], f["jobs"]))
    body.append(contacts_panel(state, f.get("contacts", []), office.tz))
    body.append(
        panel(
            t("console.customers.visits", n=len(f["return_visits"])),
            [keyed(VisitItem)(state, v, key=v["id"]) for v in f["return_visits"]]
            or [muted(t("console.customers.none"))],
            ident="customer-visits",
        )
    )
    if can_record(state.role) and f["sites"]:
        body.append(TrainingForm(state, f))
    return ft.ListView(body, spacing=12, padding=16, expand=True)


# --- panels on the job screen ----------------------------------------------------------------------
