"""Customers: find one by name or contract number, and open its file."""

from __future__ import annotations

import flet as ft

from console.components.widgets import (
    button,
    chips,
    error_text,
    muted,
    on,
    panel,
    table,
    title,
)
from console.context import use_office
from console.logic.customers import matching_customers
from console.state import ConsoleState, use_draft, use_remote
from ui.components.common import text_field


@ft.component
def CustomersScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    find, set_find = use_draft(office, "customers.find", "")
    due = use_remote(
        office, lambda api: api.get("/api/return-visits", due="true", limit=100), [state.revision]
    )
    hits = matching_customers(list(office.directory.customers.values()), find)
    body: list[ft.Control] = [
        title(t("console.customers.title")),
        ft.Container(
            text_field(t("console.call.find_customer"), find, lambda e: set_find(e.control.value)), width=360
        ),
        chips(
            [
                # keyed: as the search narrows, each hit keeps its own control (and its identifier)
                ft.Container(
                    button(
                        c["name"],
                        on(office.go, f"/customers/{c['id']}"),
                        kind="quiet",
                        ident=f"customer-{c['id']}",
                    ),
                    key=c["id"],
                )
                for c in hits
            ]
        ),
    ]
    visits = (due.value or {}).get("items", [])
    rows = [
        [
            v["scheduled_on"],
            v["customer_name"],
            v["job_number"],
            v["engineer_name"],
            t(f"console.visit.status.{v['status']}"),
        ]
        for v in visits
    ]
    body.append(
        panel(
            t("console.customers.visits_due", n=len(visits)),
            [
                error_text(due.error) if due.error else ft.Container(),
                table(
                    [
                        t("console.visit.due_on"),
                        t("form.customer"),
                        t("console.customers.job"),
                        t("form.engineer"),
                        t("console.customers.status"),
                    ],
                    rows,
                    red=[(i, 0) for i, v in enumerate(visits) if v["overdue"]],
                    ident="visits-due",
                )
                if rows
                else muted(t("console.customers.none")),
            ],
        )
    )
    return ft.ListView(body, spacing=12, padding=16, expand=True)
