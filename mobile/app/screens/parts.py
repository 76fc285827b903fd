"""Parts used on the job, picked from the parts catalogue filtered by the equipment's category.

Van stock does not exist yet, so the list is the whole catalogue for this kind of equipment; the UI says so.
"""

from __future__ import annotations

import uuid
from typing import Any

import flet as ft

from mobile.app.components.common import (
    FONT,
    INK,
    LINE,
    MUTED,
    SURFACE,
    big_button,
    bind,
    keyed,
    section,
    tagged,
)
from mobile.app.context import use_device
from mobile.app.logic.clocks import parse_time
from mobile.app.queries import JobView
from mobile.app.state import AppState
from mobile.app.text import when


@ft.component
def CatalogueRow(state: AppState, view: JobView, part: dict[str, Any]) -> ft.Control:
    device = use_device()
    t = state.t
    qty, set_qty = ft.use_state(1)
    returned, set_returned = ft.use_state(False)
    code = part.get("code", "")

    def add(_e: object) -> None:
        ok = device.act(
            lambda: device.app.actions.use_part(view.id, uuid.UUID(part["id"]), qty, returned),
            done="app.parts.added",
        )
        if ok:
            set_qty(1)
            set_returned(False)

    return ft.Container(
        bgcolor=SURFACE,
        border=ft.Border.all(1, LINE),
        border_radius=10,
        padding=10,
        content=ft.Row(
            [
                ft.Column(
                    [
                        ft.Text(part.get("name", ""), size=18, weight=ft.FontWeight.W_600, color=INK),
                        ft.Text(
                            t(
                                "app.parts.line",
                                code=code,
                                price=f"{part.get('unit_price', 0):.2f}",
                                unit=part.get("unit", ""),
                            ),
                            size=15,
                            color=MUTED,
                        ),
                    ],
                    spacing=2,
                    expand=True,
                    tight=True,
                ),
                big_button("−", lambda _: set_qty(max(1, qty - 1)), kind="quiet", width=64),
                tagged(
                    f"part-qty-{code}",
                    ft.Text(
                        str(qty),
                        size=22,
                        weight=ft.FontWeight.BOLD,
                        color=INK,
                        width=40,
                        text_align=ft.TextAlign.CENTER,
                    ),
                ),
                big_button("+", lambda _: set_qty(min(999, qty + 1)), kind="quiet", width=64),
                ft.Checkbox(
                    label=t("app.parts.old_returned"),
                    value=returned,
                    on_change=lambda e: set_returned(bool(e.control.value)),
                    label_style=ft.TextStyle(size=16, color=INK, font_family=FONT),
                    height=56,
                ),
                tagged(f"part-add-{code}", big_button(t("app.parts.add"), add, icon=ft.Icons.ADD)),
            ],
            wrap=True,
            spacing=8,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    )


@ft.component
def PartsSection(state: AppState, view: JobView) -> ft.Control:
    device = use_device()
    t, lang = state.t, state.lang

    def void(usage_id: str) -> None:
        device.act(
            lambda: device.app.actions.void_part(view.id, uuid.UUID(usage_id)), done="app.parts.voided_done"
        )

    used_rows: list[ft.Control] = []
    for usage in view.job.get("parts", []):
        part = view.part_names.get(usage["part_id"], {})
        voided = usage.get("voided_at") is not None
        text = t(
            "app.parts.used_line",
            name=part.get("name", usage["part_id"][:8]),
            qty=usage["quantity"],
            unit=part.get("unit", ""),
            when=when(lang, parse_time(usage.get("used_at")), state.now, device.app.tz),
        )
        if usage.get("old_part_returned"):
            text += " · " + t("app.parts.old_returned")
        row: list[ft.Control] = [
            ft.Text(
                text + (" · " + t("app.parts.voided") if voided else ""),
                size=17,
                color=MUTED if voided else INK,
                expand=True,
                style=ft.TextStyle(decoration=ft.TextDecoration.LINE_THROUGH) if voided else None,
            )
        ]
        if not voided:
            row.append(
                big_button(
                    t("app.parts.void"),
                    bind(void, usage["id"]),
                    kind="quiet",
                )
            )
        used_rows.append(ft.Row(row, vertical_alignment=ft.CrossAxisAlignment.CENTER))
    if not used_rows:
        used_rows.append(ft.Text(t("app.parts.none_used"), size=17, color=MUTED))
    category = (view.equipment or {}).get("category", "")
    catalogue = [keyed(CatalogueRow)(state, view, p, key=p["id"]) for p in view.parts_catalogue]
    if not catalogue:
        catalogue.append(ft.Text(t("app.parts.catalogue_empty"), size=17, color=MUTED))
    return ft.Column(
        [
            section(t("app.parts.used"), [tagged("parts-used", ft.Column(used_rows, spacing=8))]),
            section(
                t("app.parts.catalogue"),
                [
                    ft.Text(
                        t(
                            "app.parts.catalogue_note",
                            category=t(f"enum.category.{category}") if category else "—",
                        ),
                        size=16,
                        color=MUTED,
                    ),
                    *catalogue,
                ],
            ),
        ],
        spacing=14,
    )
