"""Recording a call: who called about what, where, how bad, when; optionally assign at once.
The created job's SLA deadlines are shown right after (on the job screen)."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.api import ConsoleApi
from console.components.engineers import engineer_rows
from console.components.widgets import button, chip, chips, error_text, muted, on, panel, title
from console.context import use_office
from console.logic.times import parse_local
from console.state import ConsoleState, use_draft, use_remote
from shared.enums import ContactChannel, JobKind, Severity
from ui.components.common import INK, MUTED, RED, tagged, text_field

MATCHES = 12  # customers shown for a search; type more to narrow


def customer_matches(customers: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    needle = text.strip().lower()
    hits = [
        c for c in customers if needle in c["name"].lower() or needle in (c.get("contract_no") or "").lower()
    ]
    return sorted(hits, key=lambda c: (not c["name"].lower().startswith(needle), c["name"]))[:MATCHES]


@ft.component
def CallScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    directory = office.directory
    find, set_find = use_draft(office, "call.find", "")
    customer_id, set_customer = use_draft(office, "call.customer_id", "")
    site_id, set_site = use_draft(office, "call.site_id", "")
    equipment_id, set_equipment = use_draft(office, "call.equipment_id", "")
    kind, set_kind = use_draft(office, "call.kind", JobKind.REPAIR.value)
    severity, set_severity = use_draft(office, "call.severity", Severity.GENERAL.value)
    channel, set_channel = use_draft(office, "call.channel", ContactChannel.PHONE.value)
    symptom, set_symptom = use_draft(office, "call.symptom", "")
    caller, set_caller = use_draft(office, "call.caller", "")
    phone, set_phone = use_draft(office, "call.phone", "")
    received, set_received = use_draft(office, "call.received", "")
    engineer_id, set_engineer = use_draft(office, "call.engineer_id", "")
    busy, set_busy = ft.use_state(False)
    problem, set_problem = ft.use_state("")

    async def load_equipment(api: ConsoleApi) -> list[dict[str, Any]]:
        return list(await api.all_pages("/api/equipment", site_id=site_id)) if site_id else []

    equipment = use_remote(office, load_equipment, [site_id])
    engineers = use_remote(  # with a site: its station's engineers first
        office,
        lambda api: api.get("/api/console/engineers", site_id=site_id or None),
        [state.revision, site_id],
    )

    def pick_customer(ident: str) -> None:
        set_customer(ident)
        set_site("")
        set_equipment("")
        sites = [s for s in directory.sites.values() if s["customer_id"] == ident]
        if len(sites) == 1:
            set_site(sites[0]["id"])

    def pick_site(ident: str) -> None:
        set_site(ident)
        set_equipment("")

    async def submit(_e: object) -> None:
        if not customer_id or not site_id:
            set_problem(t("console.call.need_place"))
            return
        try:
            at = parse_local(received, office.tz, state.now)
        except ValueError:
            set_problem(t("console.call.bad_time"))
            return
        body: dict[str, Any] = {
            "kind": kind,
            "severity": severity,
            "customer_id": customer_id,
            "site_id": site_id,
            "symptom": symptom.strip(),
            "caller_name": caller.strip(),
            "caller_phone": phone.strip(),
            "channel": channel,  # the call is registered under it in the contact register
        }
        if equipment_id:
            body["equipment_id"] = equipment_id
        if at is not None:
            body["call_received_at"] = at.isoformat()
        if engineer_id:
            body["assigned_engineer_id"] = engineer_id
        set_busy(True)
        set_problem("")
        try:
            job = await office.act(lambda api: api.post("/api/jobs", body))
        finally:
            set_busy(False)
        if isinstance(job, dict):
            office.forget("call.")
            state.tell(t("console.call.recorded", number=job["number"]))
            office.go(f"/job/{job['id']}")

    customers = customer_matches(list(directory.customers.values()), find)
    chosen = directory.customers.get(customer_id)
    place: list[ft.Control] = [
        ft.Row(
            [
                ft.Container(
                    text_field(t("console.call.find_customer"), find, lambda e: set_find(e.control.value)),
                    width=340,
                ),
                muted(t("console.call.find_hint")),
            ],
            wrap=True,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        chips(
            [
                chip(
                    c["name"],
                    c["id"] == customer_id,
                    on(pick_customer, c["id"]),
                    ident=f"customer-{c['name']}",
                )
                for c in customers
            ]
        ),
    ]
    if chosen is not None:
        sites = sorted(
            (s for s in directory.sites.values() if s["customer_id"] == customer_id), key=lambda s: s["name"]
        )
        place.append(ft.Text(t("console.call.site"), size=15, color=MUTED))
        place.append(
            chips(
                [
                    chip(
                        s["name"],
                        s["id"] == site_id,
                        on(pick_site, s["id"]),
                        ident=f"site-{s['name']}",
                    )
                    for s in sites
                ]
            )
        )
    if site_id:
        items = equipment.value or []
        place.append(ft.Text(t("console.call.equipment"), size=15, color=MUTED))
        place.append(
            chips(
                [
                    chip(
                        t("console.call.no_equipment"),
                        not equipment_id,
                        lambda _e: set_equipment(""),
                        ident="equipment-none",
                    )
                ]
                + [
                    chip(
                        f"{t('enum.category.' + e['category'])} {e['model']} {e['serial_no']}",
                        e["id"] == equipment_id,
                        on(set_equipment, e["id"]),
                        ident=f"equipment-{e['serial_no']}",
                    )
                    for e in items
                ]
            )
        )
    what: list[ft.Control] = [
        ft.Row(
            [
                muted(t("form.kind")),
                chips(
                    [
                        chip(
                            t(f"enum.kind.{k.value}"),
                            kind == k.value,
                            on(set_kind, k.value),
                            ident=f"kind-{k.value}",
                        )
                        for k in JobKind
                    ]
                ),
            ],
            wrap=True,
        ),
        ft.Row(
            [
                muted(t("form.severity")),
                chips(
                    [
                        chip(
                            t(f"enum.severity.{s.value}"),
                            severity == s.value,
                            on(set_severity, s.value),
                            ident=f"severity-{s.value}",
                        )
                        for s in Severity
                    ]
                ),
            ],
            wrap=True,
        ),
        ft.Row(
            [
                muted(t("console.call.channel")),
                chips(
                    [
                        chip(
                            t(f"enum.contact_channel.{c.value}"),
                            channel == c.value,
                            on(set_channel, c.value),
                            ident=f"channel-{c.value}",
                        )
                        for c in ContactChannel
                    ]
                ),
            ],
            wrap=True,
        ),
        ft.Container(
            text_field(
                t("app.field.symptom"), symptom, lambda e: set_symptom(e.control.value), multiline=True
            ),
            width=760,
        ),
        ft.Row(
            [
                ft.Container(
                    text_field(t("console.call.caller"), caller, lambda e: set_caller(e.control.value)),
                    width=220,
                ),
                ft.Container(
                    text_field(t("console.call.phone"), phone, lambda e: set_phone(e.control.value)),
                    width=220,
                ),
                ft.Container(
                    text_field(
                        t("console.call.received"),
                        received,
                        lambda e: set_received(e.control.value),
                        hint=t("console.call.received_hint"),
                    ),
                    width=300,
                ),
            ],
            wrap=True,
        ),
    ]
    return ft.ListView(
        [
            title(t("console.call.title")),
            panel(t("console.call.where"), place, ident="call-place"),
            panel(t("console.call.what"), what, ident="call-what"),
            panel(
                t("console.call.engineer"),
                [
                    muted(t("console.call.engineer_explain")),
                    error_text(engineers.error) if engineers.error else ft.Container(),
                    engineer_rows(
                        state,
                        list(engineers.value or []),
                        selected=engineer_id or None,
                        action=t("console.call.choose"),
                        on_pick=lambda ident: set_engineer("" if ident == engineer_id else ident),
                    ),
                ],
                ident="call-engineer",
            ),
            ft.Row(
                [
                    button(
                        t("console.call.submitting") if busy else t("console.call.submit"),
                        submit,
                        disabled=busy,
                        icon=ft.Icons.SAVE,
                        ident="call-submit",
                    ),
                    tagged("call-problem", ft.Text(problem, size=15, color=RED))
                    if problem
                    else ft.Container(),
                    ft.Text(
                        t("console.call.now_note", now=state.now.astimezone(office.tz).strftime("%H:%M")),
                        size=14,
                        color=INK,
                    ),
                ],
                wrap=True,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        ],
        spacing=12,
        padding=16,
        expand=True,
    )
