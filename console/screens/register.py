"""The contact register (来电来函登记): every contact, whatever it was and however it came (hotline, phone,
letter, e-mail, web, on site), filtered by kind, channel and customer; a form that registers an inquiry
with its answer, a complaint (the server records the complaint with its deadline), a letter or another
contact; and an inquiry that needs an engineer turned into a job, the link kept. Calls that open a job
are registered on the call screen, complaints on the customer file: both show here.
"""

from __future__ import annotations

from typing import Any

import flet as ft

from console.api import ConsoleApi
from console.components.widgets import button, chip, chips, error_text, muted, on, pairs, panel, title
from console.context import use_office
from console.logic.contacts import FORM_KINDS, TO_JOB, can_open_job, contact_body, job_body, register_query
from console.logic.customers import FormError, can_care
from console.logic.times import full
from console.screens.call import customer_matches
from console.state import ConsoleState, use_draft, use_remote
from shared.contacts import ContactKind
from shared.enums import ContactChannel, Severity
from ui.components.common import AMBER_BG, INK, badge, keyed, tagged, text_field
from ui.logic.clocks import parse_time

SHOWN = 100  # the newest of the filtered register; narrow the filters for older ones


@ft.component
def ContactItem(state: ConsoleState, contact: dict[str, Any]) -> ft.Control:
    """One contact: what, how, who, when; an inquiry without a job can become one here."""
    office = use_office()
    t = state.t
    ident = contact["id"]
    site_id, set_site = use_draft(office, f"register.{ident}.site", "")
    severity, set_severity = use_draft(office, f"register.{ident}.severity", Severity.GENERAL.value)
    opening, set_opening = ft.use_state(False)
    number = contact["number"]

    async def open_job(_e: object) -> None:
        try:
            body = job_body(site_id, severity)
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        job = await office.act(lambda api: api.post(f"/api/contacts/{ident}/job", body))
        if isinstance(job, dict):
            office.forget(f"register.{ident}.")
            state.tell(t("console.register.job_opened", number=job["number"], contact=number))
            office.go(f"/job/{job['id']}")

    head: list[ft.Control] = [
        ft.Text(number, size=16, weight=ft.FontWeight.BOLD, color=INK),
        badge(t(f"enum.contact_kind.{contact['kind']}"), bg=AMBER_BG),
        badge(t(f"enum.contact_channel.{contact['channel']}"), bg="#e9eef3"),
        muted(full(parse_time(contact["received_at"]), office.tz)),
        muted(contact.get("customer_name") or t("console.register.no_customer")),
    ]
    if contact.get("job_number"):
        head.append(
            button(
                contact["job_number"],
                lambda _e: office.go(f"/job/{contact['job_id']}"),
                kind="quiet",
                ident=f"contact-job-{number}",
            )
        )
    if contact.get("complaint_number"):
        head.append(badge(contact["complaint_number"], bg="#ffd8d8"))
    lines: list[ft.Control] = [
        ft.Row(head, wrap=True, spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER),
        ft.Text(contact["summary"], size=15, color=INK),
        pairs(
            [
                (
                    t("console.register.who"),
                    f"{contact.get('contact_name', '')} {contact.get('phone', '')}".strip(),
                ),
                (t("console.register.answer"), contact.get("answer", "")),
                (t("console.register.outcome"), contact.get("outcome", "")),
                (t("console.register.taken_by"), contact.get("taken_by_name", "")),
            ]
        ),
    ]
    can_convert = (
        contact["kind"] in TO_JOB
        and not contact.get("job_id")
        and contact.get("customer_id")
        and can_open_job(state.role)
    )
    if can_convert and not opening:
        lines.append(
            button(
                t("console.register.to_job"),
                lambda _e: set_opening(True),
                kind="quiet",
                icon=ft.Icons.BUILD,
                ident=f"contact-to-job-{number}",
            )
        )
    elif can_convert:
        sites = sorted(
            (s for s in office.directory.sites.values() if s["customer_id"] == contact["customer_id"]),
            key=lambda s: s["name"],
        )
        lines += [
            muted(t("console.register.pick_site")),
            chips(
                [
                    chip(
                        s["name"],
                        s["id"] == site_id,
                        on(set_site, s["id"]),
                        ident=f"contact-site-{s['name']}",
                    )
                    for s in sites
                ]
            ),
            chips(
                [
                    chip(t(f"enum.severity.{s.value}"), severity == s.value, on(set_severity, s.value))
                    for s in Severity
                ]
            ),
            ft.Row(
                [
                    button(t("console.register.open_job"), open_job, ident=f"contact-open-job-{number}"),
                    button(t("console.register.cancel"), lambda _e: set_opening(False), kind="quiet"),
                ],
                wrap=True,
            ),
        ]
    return tagged(f"contact-{number}", ft.Column(lines, spacing=6))


@ft.component
def ContactForm(state: ConsoleState) -> ft.Control:
    """Register a contact: kind, channel, customer (or none), who, what, the answer and the outcome."""
    office = use_office()
    t = state.t
    kind, set_kind = use_draft(office, "register.new.kind", ContactKind.INQUIRY.value)
    channel, set_channel = use_draft(office, "register.new.channel", ContactChannel.HOTLINE.value)
    find, set_find = use_draft(office, "register.new.find", "")
    customer_id, set_customer = use_draft(office, "register.new.customer", "")
    name, set_name = use_draft(office, "register.new.name", "")
    phone, set_phone = use_draft(office, "register.new.phone", "")
    summary, set_summary = use_draft(office, "register.new.summary", "")
    answer, set_answer = use_draft(office, "register.new.answer", "")
    outcome, set_outcome = use_draft(office, "register.new.outcome", "")
    severity, set_severity = use_draft(office, "register.new.severity", Severity.GENERAL.value)

    async def submit(_e: object) -> None:
        try:
            body = contact_body(
                kind=kind,
                channel=channel,
                customer_id=customer_id,
                name=name,
                phone=phone,
                summary=summary,
                answer=answer,
                outcome=outcome,
                severity=severity,
            )
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        made = await office.act(lambda api: api.post("/api/contacts", body))
        if isinstance(made, dict):
            office.forget("register.new.")
            for reset in (set_name, set_phone, set_summary, set_answer, set_outcome, set_find, set_customer):
                reset("")
            state.tell(t("console.register.recorded", number=made["number"]))

    def typed(put: Any) -> Any:
        return lambda e: put(e.control.value)

    matches = customer_matches(list(office.directory.customers.values()), find) if find.strip() else []
    chosen = office.directory.customers.get(customer_id)
    controls: list[ft.Control] = [
        chips(
            [
                chip(
                    t(f"enum.contact_kind.{k.value}"),
                    kind == k.value,
                    on(set_kind, k.value),
                    ident=f"contact-kind-{k.value}",
                )
                for k in FORM_KINDS
            ]
        ),
        chips(
            [
                chip(
                    t(f"enum.contact_channel.{c.value}"),
                    channel == c.value,
                    on(set_channel, c.value),
                    ident=f"contact-channel-{c.value}",
                )
                for c in ContactChannel
            ]
        ),
        ft.Row(
            [
                ft.Container(text_field(t("console.call.find_customer"), find, typed(set_find)), width=300),
                muted(
                    t("console.register.customer", name=chosen["name"])
                    if chosen
                    else t("console.register.no_customer")
                ),
            ],
            wrap=True,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        chips(
            [
                chip(
                    c["name"],
                    c["id"] == customer_id,
                    on(set_customer, "" if c["id"] == customer_id else c["id"]),
                    ident=f"contact-customer-{c['name']}",
                )
                for c in matches
            ]
        ),
        ft.Row(
            [
                ft.Container(text_field(t("console.register.who"), name, typed(set_name)), width=220),
                ft.Container(text_field(t("console.call.phone"), phone, typed(set_phone)), width=220),
            ],
            wrap=True,
        ),
        tagged(
            "contact-summary",
            text_field(t("console.register.summary"), summary, typed(set_summary), multiline=True),
        ),
    ]
    if kind == ContactKind.COMPLAINT.value:
        controls.append(
            chips(
                [
                    chip(t(f"enum.severity.{s.value}"), severity == s.value, on(set_severity, s.value))
                    for s in Severity
                ]
            )
        )
        controls.append(muted(t("console.register.complaint_note")))
    else:
        controls.append(
            tagged(
                "contact-answer",
                text_field(t("console.register.answer"), answer, typed(set_answer), multiline=True),
            )
        )
    controls += [
        text_field(t("console.register.outcome"), outcome, typed(set_outcome)),
        button(t("console.register.record"), submit, icon=ft.Icons.SAVE, ident="contact-record"),
    ]
    return panel(t("console.register.new"), controls, ident="contact-form")


@ft.component
def RegisterScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    kind, set_kind = use_draft(office, "register.filter.kind", "")
    channel, set_channel = use_draft(office, "register.filter.channel", "")
    find, set_find = use_draft(office, "register.filter.find", "")
    customer_id, set_customer = use_draft(office, "register.filter.customer", "")
    text, set_text = use_draft(office, "register.filter.text", "")
    query = register_query(kind, channel, customer_id, text)

    async def load(api: ConsoleApi) -> dict[str, Any]:
        return dict(await api.get("/api/contacts", limit=SHOWN, **query))

    loaded = use_remote(office, load, [sorted(query.items()), state.revision])
    matches = customer_matches(list(office.directory.customers.values()), find) if find.strip() else []
    chosen = office.directory.customers.get(customer_id)

    def toggle(current: str, value: str, put: Any) -> Any:
        return lambda _e: put("" if current == value else value)

    filters = panel(
        t("console.register.filters"),
        [
            chips(
                [
                    chip(
                        t(f"enum.contact_kind.{k.value}"),
                        kind == k.value,
                        toggle(kind, k.value, set_kind),
                        ident=f"filter-kind-{k.value}",
                    )
                    for k in ContactKind
                ]
            ),
            chips(
                [
                    chip(
                        t(f"enum.contact_channel.{c.value}"),
                        channel == c.value,
                        toggle(channel, c.value, set_channel),
                        ident=f"filter-channel-{c.value}",
                    )
                    for c in ContactChannel
                ]
            ),
            ft.Row(
                [
                    ft.Container(
                        text_field(
                            t("console.call.find_customer"), find, lambda e: set_find(e.control.value)
                        ),
                        width=260,
                    ),
                    ft.Container(
                        text_field(t("console.register.search"), text, lambda e: set_text(e.control.value)),
                        width=260,
                    ),
                    chip(chosen["name"], True, lambda _e: set_customer(""), ident="filter-customer-clear")
                    if chosen
                    else ft.Container(),
                ],
                wrap=True,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
            chips(
                [
                    chip(
                        c["name"],
                        c["id"] == customer_id,
                        on(set_customer, c["id"]),
                        ident=f"filter-customer-{c['name']}",
                    )
                    for c in matches
                ]
            ),
        ],
        ident="register-filters",
    )
    page: dict[str, Any] | None = loaded.value
    items = list(page["items"]) if page else []
    rows: list[ft.Control] = [keyed(ContactItem)(state, c, key=c["id"]) for c in items]
    if loaded.error:
        rows.insert(0, error_text(loaded.error))
    elif page is None and loaded.loading:
        rows.append(muted(t("console.common.loading")))
    elif not items:
        rows.append(muted(t("console.register.none")))
    if page and page["total"] > len(items):
        rows.append(muted(t("console.register.more", n=page["total"] - len(items))))
    body: list[ft.Control] = [title(t("console.register.title")), muted(t("console.register.explain"))]
    if can_care(state.role):
        body.append(ContactForm(state))
    body += [
        filters,
        panel(t("console.register.list", n=page["total"] if page else 0), rows, ident="register-list"),
    ]
    return ft.ListView(body, spacing=12, padding=16, expand=True)
