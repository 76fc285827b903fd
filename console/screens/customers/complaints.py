"""A complaint in the customer's file (moved along, closed with a root cause) and the form that records one."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.components.widgets import (
    button,
    chip,
    chips,
    muted,
    on,
    pairs,
    panel,
)
from console.context import use_office
from console.logic.customers import (
    FormError,
    complaint_actions,
    complaint_body,
)
from console.logic.times import full
from console.state import ConsoleState, use_draft
from ui.components.common import AMBER_BG, INK, badge, tagged, text_field
from ui.logic.clocks import parse_time


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
                tagged(
                    f"complaint-late-{number}",
                    badge(t("console.complaint.late"), bg="#ffd8d8", fg="#9b1c1c"),
                )
                if complaint.get("late")
                else muted(
                    t("console.complaint.due", when=full(parse_time(complaint["due_at"]), office.tz))
                    if complaint.get("due_at") and complaint["status"] != "closed"
                    else ""
                ),
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
