"""Customers: find one, open its file (equipment and warranty, jobs, complaints, return visits,
satisfaction), record and move complaints along, record return visits, plan training. Also the billing
decision and training panels that the job screen shows."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.components.widgets import (
    button,
    chip,
    chips,
    error_text,
    muted,
    on,
    pairs,
    panel,
    table,
    title,
)
from console.context import use_office
from console.logic.customers import (
    FormError,
    average_text,
    billing_body,
    can_care,
    can_decide,
    can_record,
    complaint_actions,
    complaint_body,
    matching_customers,
    parse_attendees,
    training_body,
    visit_body,
    warranty_colour,
)
from console.logic.times import full
from console.state import ConsoleState, Office, use_draft, use_remote
from shared.enums import BillableReason
from ui.components.common import AMBER_BG, INK, badge, keyed, tagged, text_field
from ui.logic.clocks import parse_time

FINAL = {"closed", "cancelled"}


def _job_link(office: Office, number: str, job_id: str) -> ft.Control:
    return button(number, lambda _e: office.go(f"/job/{job_id}"), kind="quiet")


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


@ft.component
def ComplaintItem(state: ConsoleState, complaint: dict[str, Any]) -> ft.Control:
    office = use_office()
    t = state.t
    text, set_text = use_draft(office, f"complaint.{complaint['id']}.text", "")  # the handling note
    cause, set_cause = use_draft(
        office, f"complaint.{complaint['id']}.cause", ""
    )  # the root cause, written when closing
    actions = complaint_actions(complaint["status"], state.role)
    number = complaint["number"]

    async def act(action: str) -> None:
        value = (text if action == "handle" else cause).strip()
        if not value:
            state.tell(t("console.customers.need_text"), error=True)
            return
        body = {"handling": value} if action == "handle" else {"root_cause": value}
        done = t(f"console.complaint.done.{action}", number=number)
        if await office.act(
            lambda api: api.post(f"/api/complaints/{complaint['id']}/{action}", body), done=done
        ):
            (set_text if action == "handle" else set_cause)("")

    lines: list[ft.Control] = [
        ft.Row(
            [
                ft.Text(complaint["number"], size=16, weight=ft.FontWeight.BOLD, color=INK),
                badge(t(f"console.complaint.status.{complaint['status']}"), bg=AMBER_BG),
                muted(full(parse_time(complaint["received_at"]), office.tz)),
                muted(complaint.get("job_number") or ""),
            ],
            wrap=True,
        ),
        ft.Text(complaint["content"], size=15, color=INK),
        pairs(
            [
                (t("console.complaint.handler"), complaint.get("handler_name", "")),
                (t("console.complaint.handling"), complaint.get("handling", "")),
                (t("console.complaint.root_cause"), complaint.get("root_cause", "")),
            ]
        ),
    ]

    def typed_into(put: Any) -> Any:
        return lambda e: put(e.control.value)

    # each step has its own field: a handling note is not a root cause (closing asks for the cause)
    fields = {
        "handle": ("console.complaint.handling", text, set_text),
        "close": ("console.complaint.root_cause", cause, set_cause),
    }
    for a in actions:
        label, value, set_value = fields[a]
        lines.append(
            ft.Row(
                [
                    ft.Container(text_field(t(label), value, typed_into(set_value)), width=420),
                    button(
                        t(f"console.complaint.{a}"),
                        on(act, a),
                        kind="ok" if a == "close" else "primary",
                        ident=f"complaint-{a}-{number}",
                    ),
                ],
                wrap=True,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            )
        )
    return tagged(f"complaint-{number}", ft.Column(lines, spacing=6))


@ft.component
def VisitItem(state: ConsoleState, visit: dict[str, Any]) -> ft.Control:
    office = use_office()
    t = state.t
    method, set_method = ft.use_state("phone")
    score, set_score = ft.use_state(0)
    outcome, set_outcome = use_draft(office, f"visit.{visit['id']}.outcome", "")

    async def record(result: str) -> None:
        try:
            body = visit_body(result, method, score or None, outcome, "")
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        if await office.act(
            lambda api: api.post(f"/api/return-visits/{visit['id']}/record", body),
            done=t("console.visit.recorded", number=visit["job_number"]),
        ):
            office.forget(f"visit.{visit['id']}.")

    head = ft.Row(
        [
            _job_link(office, visit["job_number"], visit["job_id"]),
            badge(
                t(f"console.visit.status.{visit['status']}"), bg="#ffd8d8" if visit["overdue"] else "#e9eef3"
            ),
            muted(t("console.visit.due", day=visit["scheduled_on"])),
            muted(visit.get("engineer_name", "")),
            muted(t("console.visit.score", n=visit["satisfaction"]) if visit.get("satisfaction") else ""),
            muted(visit.get("outcome", "")),
        ],
        wrap=True,
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )
    if visit["status"] == "done" or not can_care(state.role):
        return head
    form = ft.Row(
        [
            chips(
                [
                    chip(t(f"console.visit.method.{m}"), method == m, on(set_method, m))
                    for m in ("phone", "on_site")
                ]
            ),
            chips([chip(str(n), score == n, on(set_score, n)) for n in range(1, 6)]),
            ft.Container(
                text_field(t("console.visit.outcome"), outcome, lambda e: set_outcome(e.control.value)),
                width=320,
            ),
            button(t("console.visit.done"), on(record, "done"), kind="ok"),
            button(t("console.visit.unreachable"), on(record, "unreachable"), kind="quiet"),
        ],
        wrap=True,
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )
    return tagged(f"visit-{visit['job_number']}", ft.Column([head, form], spacing=6))


@ft.component
def ComplaintForm(state: ConsoleState, customer_id: str, jobs: list[dict[str, Any]]) -> ft.Control:
    office = use_office()
    t = state.t
    content, set_content = use_draft(office, f"complaint.new.{customer_id}.content", "")
    who, set_who = use_draft(office, f"complaint.new.{customer_id}.who", "")
    phone, set_phone = use_draft(office, f"complaint.new.{customer_id}.phone", "")
    job_id, set_job = ft.use_state("")

    async def submit(_e: object) -> None:
        try:
            body = complaint_body(customer_id, content, who, phone, job_id)
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        made = await office.act(lambda api: api.post("/api/complaints", body))
        if isinstance(made, dict):
            office.forget(f"complaint.new.{customer_id}.")
            state.tell(t("console.complaint.recorded", number=made["number"]))
            set_content("")
            set_job("")

    return panel(
        t("console.complaint.new"),
        [
            text_field(
                t("console.complaint.content"),
                content,
                lambda e: set_content(e.control.value),
                multiline=True,
            ),
            ft.Row(
                [
                    ft.Container(
                        text_field(
                            t("console.complaint.complainant"), who, lambda e: set_who(e.control.value)
                        ),
                        width=240,
                    ),
                    ft.Container(
                        text_field(t("console.complaint.phone"), phone, lambda e: set_phone(e.control.value)),
                        width=240,
                    ),
                ],
                wrap=True,
            ),
            muted(t("console.complaint.about_job")),
            chips(
                [
                    chip(j["number"], job_id == j["id"], on(set_job, "" if job_id == j["id"] else j["id"]))
                    for j in jobs[:12]
                ]
            ),
            button(t("console.complaint.record"), submit, ident="complaint-record"),
        ],
        ident="complaint-form",
    )


@ft.component
def TrainingForm(state: ConsoleState, file: dict[str, Any]) -> ft.Control:
    office = use_office()
    t = state.t
    site_id, set_site = ft.use_state(file["sites"][0]["id"] if len(file["sites"]) == 1 else "")
    equipment_id, set_equipment = ft.use_state("")
    engineer_id, set_engineer = ft.use_state("")
    content, set_content = use_draft(office, f"training.new.{file['customer']['id']}.content", "")
    place, set_place = use_draft(office, f"training.new.{file['customer']['id']}.place", "")
    when, set_when = use_draft(office, f"training.new.{file['customer']['id']}.when", "")
    attendees, set_attendees = use_draft(office, f"training.new.{file['customer']['id']}.attendees", "")

    async def submit(_e: object) -> None:
        try:
            body = training_body(
                customer_id=file["customer"]["id"],
                site_id=site_id,
                equipment_id=equipment_id,
                engineer_id=engineer_id,
                content=content,
                place=place,
                when=when,
                attendees=attendees,
                tz=office.tz,
            )
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        made = await office.act(lambda api: api.post("/api/training", body))
        if isinstance(made, dict):
            office.forget(f"training.new.{file['customer']['id']}.")
            state.tell(t("console.training.planned", number=made["number"]))
            office.go(f"/job/{made['id']}")

    equipment = [e for e in file["equipment"] if e["site_id"] == site_id]
    engineers = sorted(office.directory.engineers.values(), key=lambda e: e.get("display_name", ""))
    return panel(
        t("console.training.new"),
        [
            chips([chip(s["name"], site_id == s["id"], on(set_site, s["id"])) for s in file["sites"]]),
            chips(
                [
                    chip(
                        f"{t('enum.category.' + e['category'])} {e['serial_no']}",
                        equipment_id == e["id"],
                        on(set_equipment, "" if equipment_id == e["id"] else e["id"]),
                    )
                    for e in equipment
                ]
            ),
            text_field(
                t("console.training.content"), content, lambda e: set_content(e.control.value), multiline=True
            ),
            ft.Row(
                [
                    ft.Container(
                        text_field(t("console.training.place"), place, lambda e: set_place(e.control.value)),
                        width=300,
                    ),
                    ft.Container(
                        text_field(t("console.training.when"), when, lambda e: set_when(e.control.value)),
                        width=240,
                    ),
                ],
                wrap=True,
            ),
            muted(t("console.training.trainer")),
            chips(
                [
                    chip(
                        e["display_name"],
                        engineer_id == e["id"],
                        on(set_engineer, "" if engineer_id == e["id"] else e["id"]),
                    )
                    for e in engineers
                    if e.get("active", True)
                ]
            ),
            text_field(
                t("console.training.attendees"),
                attendees,
                lambda e: set_attendees(e.control.value),
                multiline=True,
            ),
            button(t("console.training.plan"), submit, ident="training-plan"),
        ],
        ident="training-form",
    )


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
    body.append(title(c["name"]))
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
                    _job_link(office, j["number"], j["id"]),
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


@ft.component
def TrainingPanel(state: ConsoleState, job: dict[str, Any]) -> ft.Control:
    """A training session's details; the service desk may change the attendees and place."""
    office = use_office()
    t = state.t
    names, set_names = use_draft(
        office, f"training.{job['id']}.names", "\n".join(job.get("training_attendees") or [])
    )
    place, set_place = use_draft(office, f"training.{job['id']}.place", job.get("training_place", ""))

    async def save(_e: object) -> None:
        try:
            body = {"attendees": parse_attendees(names), "place": place.strip()}
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        if await office.act(
            lambda api: api.patch(f"/api/training/{job['id']}", body), done=t("console.training.saved")
        ):
            office.forget(f"training.{job['id']}.")

    lines: list[ft.Control] = [
        pairs(
            [
                (t("console.training.when"), full(parse_time(job.get("scheduled_at")), office.tz)),
                (t("console.training.content"), job.get("training_content", "")),
                (t("console.training.place"), job.get("training_place", "")),
                (t("console.training.attendees"), "、".join(job.get("training_attendees") or [])),
            ]
        )
    ]
    if can_record(state.role) and job["status"] not in FINAL:
        lines += [
            text_field(t("console.training.place"), place, lambda e: set_place(e.control.value)),
            text_field(
                t("console.training.attendees"), names, lambda e: set_names(e.control.value), multiline=True
            ),
            button(t("console.training.save"), save, ident="training-save"),
        ]
    return panel(t("app.training.title"), lines, ident="training-panel")
