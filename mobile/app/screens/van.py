"""My van: the parts the van holds, as synced and as this tablet believes after its unsent uses."""

from __future__ import annotations

from typing import Any

import flet as ft

from mobile.app.components.back import back_to_jobs
from mobile.app.context import use_device
from mobile.app.state import AppState, Data
from ui.components.common import (
    INK,
    LINE,
    MUTED,
    RED,
    RED_BG,
    SURFACE,
    badge,
    big_button,
    pinned_screen,
    section,
    tagged,
)


@ft.component
def VanScreen(state: AppState, data: Data) -> ft.Control:
    """The van's stock (``data``: read again when the device's data changed)."""
    device = use_device()
    t = state.t
    rows = ft.use_memo(
        lambda: device.app.queries.van_rows() if state.signed_in else [],
        [data.revision, state.signed_in],
    )
    lines: list[ft.Control] = []
    for row in rows:
        details: list[ft.Control] = [
            ft.Text(t("app.van.line", code=row.code, synced=row.synced, unit=row.unit), size=15, color=MUTED)
        ]
        if row.unsent:
            details.append(ft.Text(t("app.van.unsent", n=row.unsent, unit=row.unit), size=15, color=MUTED))
        head: list[ft.Control] = [
            ft.Text(row.name, size=19, weight=ft.FontWeight.W_600, color=INK, expand=True),
            ft.Text(t("app.van.believed_label"), size=15, color=MUTED),
            tagged(
                f"van-qty-{row.code}",
                ft.Text(
                    str(row.believed),
                    size=26,
                    weight=ft.FontWeight.BOLD,
                    color=RED if row.believed < 0 else INK,
                ),
            ),
            ft.Text(row.unit, size=17, color=INK),
        ]
        if row.believed < 0:
            head.append(badge(t("app.van.short"), bg=RED_BG, fg=RED, border=RED))
        lines.append(
            tagged(
                f"van-part-{row.code}",
                ft.Container(
                    bgcolor=SURFACE,
                    border=ft.Border.all(1, LINE),
                    border_radius=10,
                    padding=12,
                    content=ft.Column(
                        [
                            ft.Row(head, spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER),
                            *details,
                        ],
                        spacing=4,
                        tight=True,
                    ),
                ),
            )
        )
    if not lines:
        lines.append(ft.Text(t("app.van.empty"), size=17, color=MUTED))
    shipments = ft.use_memo(
        lambda: device.app.actions.shipments() if state.signed_in else [],
        [data.revision, state.signed_in],
    )
    arriving = [s for s in shipments if s["status"] == "in_transit"]
    return pinned_screen(
        ft.Row([back_to_jobs(state, device)]),
        [
            section(
                t("app.van.title"),
                [
                    ft.Text(t("app.van.note"), size=16, color=MUTED),
                    tagged("van-list", ft.Column(lines, spacing=8)),
                ],
            ),
            section(
                t("app.ship.title"),
                [ShipmentCard(state, s) for s in arriving]
                or [ft.Text(t("app.ship.none"), size=16, color=MUTED)],
            ),
        ],
    )


@ft.component
def ShipmentCard(state: AppState, shipment: dict[str, Any]) -> ft.Control:
    """One shipment on its way (``ship-<id>``): part, quantity, courier and tracking number, and the
    button that records its receipt (offline; the van shows the units after the server took it)."""
    device = use_device()
    t = state.t
    details: list[ft.Control] = [
        ft.Text(
            t("app.ship.line", n=shipment["quantity"], unit=shipment["unit"], part=shipment["part_name"]),
            size=19,
            weight=ft.FontWeight.W_600,
            color=INK,
        ),
        ft.Text(
            t(
                "app.ship.courier",
                courier=shipment.get("courier") or "—",
                tracking=shipment.get("tracking_no") or "—",
            ),
            size=15,
            color=MUTED,
        ),
    ]
    if shipment.get("site"):
        details.append(ft.Text(t("app.ship.site", site=shipment["site"]), size=15, color=MUTED))
    if shipment["receiving"]:
        details.append(badge(t("app.ship.received_unsent")))
    else:
        details.append(
            tagged(
                f"ship-receive-{shipment['id']}",
                big_button(
                    t("app.ship.receive"),
                    lambda _: device.act(
                        lambda: device.app.actions.receive_shipment(shipment["id"]), done="app.ship.received"
                    ),
                    icon=ft.Icons.INVENTORY,
                ),
            )
        )
    return tagged(
        f"ship-{shipment['id']}",
        ft.Container(
            bgcolor=SURFACE,
            border=ft.Border.all(1, LINE),
            border_radius=10,
            padding=12,
            content=ft.Column(details, spacing=6, tight=True),
        ),
    )
