"""Scheduled inspections (定期巡检): the schedules with their next due date, a new schedule, deactivate,
"generate now", and the month's compliance per customer with CSV / Excel exports."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.api import ConsoleApi
from console.components.engineers import engineer_rows
from console.components.widgets import button, chip, chips, error_text, muted, on, panel, table, title
from console.context import use_office
from console.logic.inspections import (
    FormProblem,
    ScheduleForm,
    compliance_rows,
    schedule_body,
    schedule_rows,
    shift_month,
    templates_for,
    this_month,
)
from console.state import ConsoleState, use_draft, use_remote
from shared.schedules import Frequency, ScheduleKind
from ui.components.common import RED, tagged, text_field


@ft.component
def InspectionsScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    directory = office.directory
    form, set_form = use_draft(
        office, "inspections.form", ScheduleForm(start_on=state.now.astimezone(office.tz).date().isoformat())
    )
    problem, set_problem = ft.use_state("")
    busy, set_busy = ft.use_state(False)
    show_inactive, set_show_inactive = ft.use_state(False)
    month, set_month = ft.use_state(this_month(state.now, office.tz))

    schedules = use_remote(
        office,
        lambda api: api.all_pages("/api/inspections/schedules", active=None if show_inactive else "true"),
        [state.revision, show_inactive],
    )
    compliance = use_remote(
        office, lambda api: api.get("/api/reports/inspections", month=month), [state.revision, month]
    )
    templates = use_remote(office, lambda api: api.get("/api/checklist-templates"), [])
    engineers = use_remote(office, lambda api: api.get("/api/console/engineers"), [state.revision])

    async def load_equipment(api: ConsoleApi) -> list[dict[str, Any]]:
        return list(await api.all_pages("/api/equipment", site_id=form.site_id)) if form.site_id else []

    equipment = use_remote(office, load_equipment, [form.site_id])

    def change(**fields: str) -> None:
        set_form(ScheduleForm(**{**form.__dict__, **fields}))

    async def create(_e: object) -> None:
        try:
            body = schedule_body(form)
        except FormProblem as exc:
            set_problem(t(exc.key))
            return
        set_problem("")
        set_busy(True)
        try:
            row = await office.act(lambda api: api.post("/api/inspections/schedules", body))
        finally:
            set_busy(False)
        if isinstance(row, dict):
            state.tell(t("console.inspections.created", site=row.get("site_name", "")))
            set_form(ScheduleForm(start_on=form.start_on))

    async def deactivate(schedule_id: str) -> None:
        await office.act(
            lambda api: api.post(f"/api/inspections/schedules/{schedule_id}/deactivate"),
            done=t("console.inspections.deactivated"),
        )

    async def generate(_e: object) -> None:
        set_busy(True)
        try:
            result = await office.act(lambda api: api.post("/api/inspections/generate"))
        finally:
            set_busy(False)
        if isinstance(result, dict):
            state.tell(
                t("console.inspections.generated", created=result["created"], existing=result["existing"])
            )

    async def export(fmt: str) -> None:
        result = await office.act(
            lambda api: api.download(f"/api/reports/inspections.{fmt}", month=month, lang=state.lang)
        )
        if isinstance(result, tuple):
            await office.save_file(result[0], result[1])
            state.tell(t("console.reports.exported", file=result[1]))

    def move_month(months: int) -> None:
        set_month(shift_month(month, months))

    # --- the list -------------------------------------------------------------------------------
    items = list(schedules.value or [])
    cells = schedule_rows(state.lang, items)
    list_controls: list[ft.Control] = [
        ft.Row(
            [
                button(
                    t("console.inspections.generate"),
                    generate,
                    disabled=busy,
                    icon=ft.Icons.EVENT_REPEAT,
                    ident="inspections-generate",
                ),
                chip(
                    t("console.inspections.show_inactive"),
                    show_inactive,
                    lambda _e: set_show_inactive(not show_inactive),
                    ident="inspections-show-inactive",
                ),
                muted(t("console.inspections.generate_note")),
            ],
            wrap=True,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        error_text(schedules.error) if schedules.error else ft.Container(),
    ]
    if items:
        list_controls.append(
            table(
                [t(f"console.inspections.col.{c}") for c in COLUMNS],
                cells,
                numeric=(8,),
                ident="inspections-table",
            )
        )
        list_controls.append(
            chips(
                [
                    button(
                        t("console.inspections.deactivate", site=row["site_name"], what=cell[2]),
                        on(deactivate, row["id"]),
                        kind="quiet",
                        icon=ft.Icons.PAUSE_CIRCLE,
                        ident=f"deactivate-{row['id']}",
                    )
                    for row, cell in zip(items, cells, strict=True)
                    if row.get("active")
                ]
            )
        )
    elif not schedules.loading:
        list_controls.append(muted(t("console.inspections.none")))

    # --- the form -------------------------------------------------------------------------------
    customers = sorted(directory.customers.values(), key=lambda c: c["name"])
    sites = sorted(
        (s for s in directory.sites.values() if s["customer_id"] == form.customer_id), key=lambda s: s["name"]
    )
    chosen_eq = next((e for e in equipment.value or [] if e["id"] == form.equipment_id), None)
    fitting = templates_for(list(templates.value or []), chosen_eq["category"] if chosen_eq else None)
    form_controls: list[ft.Control] = [
        muted(t("console.inspections.customer")),
        chips(
            [
                chip(
                    c["name"],
                    c["id"] == form.customer_id,
                    on(
                        lambda ident: change(customer_id=ident, site_id="", equipment_id="", template_id=""),
                        c["id"],
                    ),
                    ident=f"schedule-customer-{c['name']}",
                )
                for c in customers
            ]
        ),
    ]
    if form.customer_id:
        form_controls += [
            muted(t("console.call.site")),
            chips(
                [
                    chip(
                        s["name"],
                        s["id"] == form.site_id,
                        on(lambda ident: change(site_id=ident, equipment_id="", template_id=""), s["id"]),
                        ident=f"schedule-site-{s['name']}",
                    )
                    for s in sites
                ]
            ),
        ]
    if form.site_id:
        form_controls += [
            muted(t("console.call.equipment")),
            chips(
                [
                    chip(
                        t("console.inspections.whole_site"),
                        not form.equipment_id,
                        lambda _e: change(equipment_id="", template_id=""),
                        ident="schedule-equipment-none",
                    )
                ]
                + [
                    chip(
                        f"{t('enum.category.' + e['category'])} {e['model']} {e['serial_no']}",
                        e["id"] == form.equipment_id,
                        on(lambda ident: change(equipment_id=ident, template_id=""), e["id"]),
                        ident=f"schedule-equipment-{e['serial_no']}",
                    )
                    for e in equipment.value or []
                ]
            ),
            muted(t("console.inspections.checklist")),
            chips(
                (
                    [
                        chip(
                            t("console.inspections.default_checklist"),
                            not form.template_id,
                            lambda _e: change(template_id=""),
                            ident="schedule-template-default",
                        )
                    ]
                    if form.equipment_id
                    else []
                )
                + [
                    chip(
                        f"{tpl['name']} ({t('enum.kind.' + tpl['job_kind'])})",
                        tpl["id"] == form.template_id,
                        on(lambda ident: change(template_id=ident), tpl["id"]),
                        ident=f"schedule-template-{tpl['category']}-{tpl['job_kind']}",
                    )
                    for tpl in fitting
                ]
            ),
        ]
    form_controls += [
        muted(t("console.inspections.kind")),
        chips(
            [
                chip(
                    t(f"enum.schedule_kind.{k.value}"),
                    form.kind == k.value,
                    on(lambda value: change(kind=value), k.value),
                    ident=f"schedule-kind-{k.value}",
                )
                for k in ScheduleKind
            ]
        ),
        muted(t("console.inspections.frequency")),
        chips(
            [
                chip(
                    t(f"enum.frequency.{f.value}"),
                    form.frequency == f.value,
                    on(lambda value: change(frequency=value), f.value),
                    ident=f"frequency-{f.value}",
                )
                for f in Frequency
            ]
        ),
        ft.Row(
            [
                ft.Container(
                    text_field(
                        t("console.inspections.start"),
                        form.start_on,
                        lambda e: change(start_on=e.control.value),
                        hint="2026-01-31",
                    ),
                    width=220,
                ),
                ft.Container(
                    text_field(
                        t("console.inspections.lead_days"),
                        form.lead_days,
                        lambda e: change(lead_days=e.control.value),
                    ),
                    width=180,
                ),
                ft.Container(
                    text_field(
                        t("console.inspections.note"), form.note, lambda e: change(note=e.control.value)
                    ),
                    width=360,
                ),
            ],
            wrap=True,
        ),
        muted(t("console.inspections.engineer_explain")),
        engineer_rows(
            state,
            list(engineers.value or []),
            selected=form.engineer_id or None,
            action=t("console.call.choose"),
            on_pick=lambda ident: change(engineer_id="" if ident == form.engineer_id else ident),
        ),
        ft.Row(
            [
                button(
                    t("console.inspections.create"),
                    create,
                    disabled=busy,
                    icon=ft.Icons.SAVE,
                    ident="schedule-create",
                ),
                tagged("schedule-problem", ft.Text(problem, size=15, color=RED))
                if problem
                else ft.Container(),
            ],
            wrap=True,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    ]

    # --- compliance -----------------------------------------------------------------------------
    report_controls: list[ft.Control] = [
        ft.Row(
            [
                button("‹", on(move_month, -1), kind="quiet", ident="month-prev"),
                tagged("compliance-month", ft.Text(month, size=18)),
                button("›", on(move_month, 1), kind="quiet", ident="month-next"),
                button(
                    t("console.inspections.export_csv"), on(export, "csv"), kind="quiet", ident="export-csv"
                ),
                button(
                    t("console.inspections.export_xlsx"),
                    on(export, "xlsx"),
                    kind="quiet",
                    ident="export-xlsx",
                ),
            ],
            wrap=True,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        muted(t("console.inspections.compliance_explain")),
        error_text(compliance.error) if compliance.error else ft.Container(),
    ]
    if compliance.value is not None:
        rows, red = compliance_rows(state.lang, compliance.value)
        report_controls.append(
            table(
                [
                    t("inspections.report.customer"),
                    t("inspections.report.planned"),
                    t("inspections.report.on_time"),
                    t("inspections.report.late"),
                    t("inspections.report.missed"),
                    t("inspections.report.pending"),
                    t("inspections.report.rate"),
                ],
                rows,
                numeric=(1, 2, 3, 4, 5, 6),
                red=red,
                ident="compliance-table",
            )
        )
    return ft.ListView(
        [
            title(t("console.inspections.title")),
            panel(t("console.inspections.schedules"), list_controls, ident="inspections-list"),
            panel(t("console.inspections.new"), form_controls, ident="inspections-new"),
            panel(t("console.inspections.compliance"), report_controls, ident="inspections-compliance"),
        ],
        spacing=12,
        padding=16,
        expand=True,
    )


COLUMNS = (
    "customer",
    "site",
    "equipment",
    "frequency",
    "checklist",
    "engineer",
    "period",
    "next_due",
    "jobs",
    "state",
)
