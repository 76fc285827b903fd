"""Training: the form that plans a session from the customer's file, and the panel the job screen shows."""

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
    can_record,
    parse_attendees,
    training_body,
)
from console.logic.times import full
from console.screens.customers.common import FINAL
from console.screens.knowledge import TrainingMaterialsPanel
from console.state import ConsoleState, use_draft
from ui.components.common import text_field
from ui.logic.clocks import parse_time


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
    lines.append(TrainingMaterialsPanel(state, str(job["id"])))
    return panel(t("app.training.title"), lines, ident="training-panel")
