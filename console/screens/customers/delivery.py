"""On a customer's file: the delivery documents (合格证, 使用说明书, 保修卡) of each delivered unit, received or
not and when, with a scan to attach and to download. The service desk records them; everyone in the office
reads them. The day typed is a persisted draft until it is recorded."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.components.widgets import button, error_text, muted, on, panel
from console.context import use_office
from console.logic.contracts import can_edit_customers
from console.logic.customers import FormError
from console.logic.delivery import SCAN_EXTENSIONS, document_body, scan_type, units_to_show
from console.state import ConsoleState, use_draft, use_remote
from ui.components.common import badge, keyed, text_field


@ft.component
def DocumentLine(state: ConsoleState, unit: dict[str, Any], doc: dict[str, Any]) -> ft.Control:
    office = use_office()
    t = state.t
    base = f"/api/equipment/{unit['equipment_id']}/documents/{doc['kind']}"
    ident = f"{unit['serial_no']}-{doc['kind']}"
    prefix = f"delivery.{unit['equipment_id']}.{doc['kind']}."
    day, set_day = use_draft(office, prefix + "day", doc.get("received_on") or "")
    desk = can_edit_customers(state.role)

    async def record(received: bool) -> None:
        try:
            body = document_body(received, day, doc.get("note") or "")
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        if await office.act(lambda api: api.put(base, body), done=t("console.delivery.saved")):
            office.forget(prefix)

    async def upload(_e: object) -> None:
        picked = await office.pick_file(sorted(SCAN_EXTENSIONS))
        if picked is None:
            return
        name, data = picked
        try:
            content_type = scan_type(name, len(data))
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        await office.act(
            lambda api: api.upload(base + "/scan", data, content_type, filename=name),
            done=t("console.delivery.scan_saved", name=name),
        )

    async def download(_e: object) -> None:
        got = await office.act(lambda api: api.download(base + "/scan"))
        if isinstance(got, tuple):
            await office.save_file(got[0], doc.get("scan_filename") or got[1])

    status = (
        badge(t("console.delivery.received_on", day=doc["received_on"]), bg="#d9f2e3")
        if doc["received"]
        else badge(t("console.delivery.not_received"), bg="#f8e0e0")
    )
    controls: list[ft.Control] = [
        ft.Container(ft.Text(t(f"console.delivery.kind.{doc['kind']}"), size=15), width=110),
        status,
    ]
    if doc.get("scan_filename"):
        controls.append(
            button(
                t("console.delivery.scan", name=doc["scan_filename"]),
                download,
                kind="quiet",
                icon=ft.Icons.DOWNLOAD,
                ident=f"scan-get-{ident}",
            )
        )
    else:
        controls.append(muted(t("console.delivery.no_scan")))
    if desk:
        controls += [
            ft.Container(
                text_field(t("console.delivery.day"), day, lambda e: set_day(e.control.value)), width=160
            ),
            button(
                t("console.delivery.mark_received"),
                on(record, True),
                kind="ok",
                ident=f"doc-received-{ident}",
            ),
            button(
                t("console.delivery.mark_missing"),
                on(record, False),
                kind="quiet",
                ident=f"doc-missing-{ident}",
            ),
            button(
                t("console.delivery.upload"),
                upload,
                kind="quiet",
                icon=ft.Icons.UPLOAD_FILE,
                ident=f"scan-put-{ident}",
            ),
        ]
    return ft.Row(controls, wrap=True, spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER)


@ft.component
def DeliveryDocumentsPanel(state: ConsoleState, customer_id: str) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(
        office,
        lambda api: api.get(f"/api/customers/{customer_id}/delivery-documents"),
        [customer_id, state.revision],
    )
    show_all, set_show_all = ft.use_state(False)
    lines: list[ft.Control] = [error_text(loaded.error)] if loaded.error else []
    units, folded = units_to_show(loaded.value or [], show_all)
    if folded or show_all:
        lines.append(
            ft.Row(
                [
                    muted(t("console.delivery.folded", n=folded)) if folded else ft.Container(),
                    button(
                        t("console.delivery.show_open") if show_all else t("console.delivery.show_all"),
                        lambda _e: set_show_all(not show_all),
                        kind="quiet",
                        ident="delivery-show-all",
                    ),
                ],
                wrap=True,
                spacing=8,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            )
        )
    for unit in units:
        head = t(
            "console.delivery.unit",
            category=t(f"enum.category.{unit['category']}"),
            model=unit["model"],
            serial=unit["serial_no"],
            delivered=unit.get("delivered_on") or "—",
        )
        lines.append(ft.Text(head, size=15, weight=ft.FontWeight.W_600))
        lines += [
            keyed(DocumentLine)(state, unit, d, key=f"{unit['equipment_id']}-{d['kind']}")
            for d in unit["documents"]
        ]
    if not lines and not loaded.loading:
        lines.append(muted(t("console.customers.none")))
    return panel(t("console.delivery.title"), lines, ident="delivery-documents")
