"""On the customer file: the key-customer flag (重点客户) and the person responsible (指定专人负责), set by
a manager or administrator; and the customer's contacts in the register (来电来函登记)."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.components.widgets import button, chip, chips, muted, on, pairs, panel
from console.context import use_office
from console.logic.contacts import can_set_care
from console.logic.times import full
from console.state import ConsoleState, use_draft
from shared.roles import ROLES, Capability
from ui.components.common import badge, tagged
from ui.logic.clocks import parse_time

#: who may be responsible for a customer: anyone in the office
OFFICE_ROLES = {r.value for r in ROLES[Capability.WORK_IN_THE_OFFICE]}


@ft.component
def CarePanel(
    state: ConsoleState, customer: dict[str, Any], responsible_name: str, visits: list[dict[str, Any]]
) -> ft.Control:
    office = use_office()
    t = state.t
    cid = customer["id"]
    key, set_key = use_draft(office, f"care.{cid}.key", bool(customer.get("key_customer")))
    who, set_who = use_draft(office, f"care.{cid}.who", customer.get("responsible_id") or "")

    async def save(_e: object) -> None:
        body = {"key_customer": key, "responsible_id": who or None}
        saved = await office.act(
            lambda api: api.put(f"/api/customers/{cid}/care", body), done=t("console.care.saved")
        )
        if isinstance(saved, dict):
            office.forget(f"care.{cid}.")
            office.directory.customers[cid] = saved  # the board's and the job's badge follow at once

    controls: list[ft.Control] = [
        ft.Row(
            [
                tagged("care-key", badge(t("console.care.key"), bg="#fff1c2", fg="#6b4e00"))
                if customer.get("key_customer")
                else muted(t("console.care.ordinary")),
            ]
        ),
        pairs(
            [(t("console.care.responsible"), responsible_name or t("console.care.nobody"))], label_width=140
        ),
    ]
    if can_set_care(state.role):
        staff = sorted(
            (
                u
                for u in office.directory.users.values()
                if u.get("role") in OFFICE_ROLES and u.get("active", True)
            ),
            key=lambda u: u.get("display_name", ""),
        )
        controls += [
            chips(
                [
                    chip(t("console.care.key"), key, lambda _e: set_key(not key), ident="care-set-key"),
                ]
            ),
            muted(t("console.care.pick")),
            chips(
                [chip(t("console.care.nobody"), not who, lambda _e: set_who(""), ident="care-nobody")]
                + [
                    chip(
                        u.get("display_name", u.get("username", "")),
                        u["id"] == who,
                        on(set_who, u["id"]),
                        ident=f"care-user-{u.get('username', '')}",
                    )
                    for u in staff
                ]
            ),
            button(t("console.care.save"), save, ident="care-save"),
        ]
    return panel(t("console.care.title"), controls, ident="customer-care")


def contacts_panel(state: ConsoleState, contacts: list[dict[str, Any]], tz: Any) -> ft.Control:
    t = state.t
    rows: list[ft.Control] = [
        ft.Row(
            [
                muted(c["number"]),
                muted(full(parse_time(c["received_at"]), tz)),
                badge(t(f"enum.contact_kind.{c['kind']}"), bg="#e9eef3"),
                badge(t(f"enum.contact_channel.{c['channel']}"), bg="#e9eef3"),
                ft.Text(c["summary"], size=15, expand=True, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS),
                muted(c.get("job_number") or c.get("complaint_number") or c.get("outcome") or ""),
            ],
            wrap=True,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )
        for c in contacts
    ]
    return panel(
        t("console.care.contacts", n=len(contacts)),
        rows or [muted(t("console.customers.none"))],
        ident="customer-contacts",
    )
