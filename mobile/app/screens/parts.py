"""Parts used on the job, picked from the engineer's van first, then from the rest of the catalogue.

The van's quantities are as this tablet believes them (the synced figure less uses not yet sent). Using
more than that is allowed (the part was used on site): the row warns before saving, and the server
records the shortfall for the warehouse.
"""

from __future__ import annotations

import uuid
from typing import Any

import flet as ft

from mobile.app.context import use_device
from mobile.app.queries import JobView
from mobile.app.state import AppState
from ui.components.common import (
    AMBER_BG,
    FONT,
    GREEN,
    INK,
    LINE,
    MUTED,
    RED,
    SURFACE,
    TypedCheckbox,
    badge,
    big_button,
    bind,
    handing,
    keyed,
    section,
    tagged,
)
from ui.logic.clocks import parse_time
from ui.text import when


@ft.component
def PartRow(state: AppState, view: JobView, part: dict[str, Any], in_van: int) -> ft.Control:
    """One part to pick: how many the van holds, a quantity, and a warning when that is more."""
    device = use_device()
    t = state.t
    qty, set_qty = ft.use_state(1)
    returned, set_returned = ft.use_state(False)
    code = part.get("code", "")
    unit = part.get("unit", "")
    short = qty > max(in_van, 0)

    def add(_e: object) -> None:
        ok = device.act(
            lambda: device.app.actions.use_part(view.id, uuid.UUID(part["id"]), qty, returned),
            done="app.parts.added_short" if short else "app.parts.added",
        )
        if ok:
            set_qty(1)
            set_returned(False)

    stock = tagged(
        f"part-invan-{code}",
        badge(
            t("app.parts.in_van", n=in_van, unit=unit),
            bg="#dff3e4" if in_van > 0 else AMBER_BG,
            fg=GREEN if in_van > 0 else INK,
        ),
    )
    lines: list[ft.Control] = [
        ft.Row(
            [ft.Text(part.get("name", ""), size=18, weight=ft.FontWeight.W_600, color=INK), stock],
            wrap=True,
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        ft.Text(
            t("app.parts.line", code=code, price=f"{part.get('unit_price', 0):.2f}", unit=unit),
            size=15,
            color=MUTED,
        ),
    ]
    if short:
        lines.append(
            tagged(
                f"part-warn-{code}",
                ft.Text(
                    t("app.parts.short_warning", n=max(in_van, 0), qty=qty, unit=unit),
                    size=16,
                    color=RED,
                    weight=ft.FontWeight.W_600,
                ),
            )
        )
    return ft.Container(
        bgcolor=SURFACE,
        border=ft.Border.all(1, LINE),
        border_radius=10,
        padding=10,
        content=ft.Row(
            [
                ft.Column(
                    lines,
                    spacing=2,
                    expand=True,
                    tight=True,
                ),
                tagged(
                    f"part-less-{code}",
                    big_button("−", lambda _: set_qty(max(1, qty - 1)), kind="quiet", width=64),
                ),
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
                tagged(
                    f"part-more-{code}",
                    big_button("+", lambda _: set_qty(min(999, qty + 1)), kind="quiet", width=64),
                ),
                TypedCheckbox(
                    label=t("app.parts.old_returned"),
                    value=returned,
                    on_change=handing(lambda e: set_returned(bool(e.control.value))),
                    label_style=ft.TextStyle(size=16, color=INK, font_family=FONT),
                    height=56,
                ),
                tagged(f"part-add-{code}", big_button(t("app.parts.add"), add, icon=ft.Icons.ADD)),
            ],
            # no wrap: the name column expands, and Flutter draws an expanding child of a Wrap as an
            # error box (a grey rectangle where the part should be, and taps that miss)
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
    held = {part_id: line.believed for part_id, line in view.van.items() if line.believed or line.synced}
    van_parts = sorted(
        (view.part_names.get(pid) or {"id": pid, "code": pid[:8], "name": pid[:8]} for pid in held),
        key=lambda p: str(p.get("code", "")),
    )
    van_rows: list[ft.Control] = [
        keyed(PartRow)(state, view, p, held[p["id"]], key=p["id"]) for p in van_parts
    ]
    if not van_rows:
        van_rows.append(ft.Text(t("app.parts.van_empty"), size=17, color=MUTED))
    others: list[ft.Control] = [
        keyed(PartRow)(state, view, p, 0, key=p["id"]) for p in view.parts_catalogue if p["id"] not in held
    ]
    if not others:
        others.append(ft.Text(t("app.parts.catalogue_empty"), size=17, color=MUTED))
    return ft.Column(
        [
            section(t("app.parts.used"), [tagged("parts-used", ft.Column(used_rows, spacing=8))]),
            section(
                t("app.parts.van"),
                [
                    ft.Text(t("app.parts.van_note"), size=16, color=MUTED),
                    tagged("parts-van", ft.Column(van_rows, spacing=8)),
                ],
            ),
            section(
                t("app.parts.others"),
                [
                    ft.Text(
                        t(
                            "app.parts.others_note",
                            category=t(f"enum.category.{category}") if category else "—",
                        ),
                        size=16,
                        color=MUTED,
                    ),
                    *others,
                ],
            ),
        ],
        spacing=14,
    )
