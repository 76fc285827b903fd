"""One job for the service desk: the call, the SLA deadlines it created with their live clocks, and
dispatch: assign or reassign (seeing each engineer's load and last sync), hold, resume or cancel."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.api import ConsoleApi
from console.components.engineers import engineer_rows
from console.components.widgets import button, chip, chips, error_text, muted, on, pairs, panel
from console.context import use_office
from console.logic.board import past_backup_limit
from console.logic.contacts import care_text
from console.logic.times import full
from console.roles import can_dispatch, can_review
from console.screens.customers import BillingPanel, TrainingPanel
from console.screens.decision import DecisionPanel
from console.screens.people import unqualified_confirm, unqualified_warning
from console.state import ConsoleState, use_draft, use_remote
from shared import job_rules
from shared.enums import Severity
from shared.roles import Capability, can
from ui.components.common import AMBER_BG, INK, RED, RED_BG, badge, tagged, text_field
from ui.logic.clocks import Promise, clock, parse_time
from ui.text import clock_text


def deadlines_panel(state: ConsoleState, job: dict[str, Any], tz: Any) -> ft.Control:
    """The four deadlines the call created, each with its clock now."""
    t = state.t
    lines: list[ft.Control] = []
    for promise, due_field in (
        (Promise.RESPOND, "respond_due_at"),
        (Promise.ONSITE, "onsite_due_at"),
        (Promise.FIX, "fix_due_at"),
    ):
        text, late = clock_text(state.lang, clock(job, promise, state.now))
        lines.append(
            tagged(
                f"due-{promise.value}",
                ft.Row(
                    [
                        ft.Text(t(f"console.job.due.{promise.value}"), size=15, color=INK, width=120),
                        ft.Text(
                            full(parse_time(job.get(due_field)), tz),
                            size=16,
                            weight=ft.FontWeight.W_600,
                            color=INK,
                            width=150,
                        ),
                        ft.Text(
                            text, size=15, color="#ffffff" if late else INK, bgcolor=RED if late else None
                        ),
                    ]
                ),
            )
        )
    backup_due = parse_time(job.get("backup_due_at"))
    if job.get("backup_lent"):
        backup = badge(t("console.board.backup_lent"), bg="#d7f5dc")
    elif past_backup_limit(job, state.now):
        backup = badge(t("console.board.lend_backup"), bg="#ffd8a8", fg="#7a3300", border="#b35900")
    else:
        backup = ft.Text(t("console.job.backup_if_not_fixed"), size=15, color=INK)
    lines.append(
        tagged(
            "due-backup",
            ft.Row(
                [
                    ft.Text(t("console.job.due.backup"), size=15, color=INK, width=120),
                    ft.Text(full(backup_due, tz), size=16, weight=ft.FontWeight.W_600, color=INK, width=150),
                    backup,
                ]
            ),
        )
    )
    return panel(t("console.job.deadlines"), lines, ident="deadlines")


def assignment_history(state: ConsoleState, entries: list[dict[str, Any]], tz: Any) -> ft.Control:
    """Who had the job, from when until when, assigned by whom and why (指派记录), oldest first."""
    t = state.t
    rows = [
        tagged(
            f"assignment-{i}",
            ft.Row(
                [
                    ft.Text(
                        entry["engineer_name"], size=15, weight=ft.FontWeight.W_600, color=INK, width=120
                    ),
                    ft.Text(
                        t(
                            "console.job.history.period",
                            start=full(parse_time(entry["assigned_at"]), tz),
                            end=full(parse_time(entry["unassigned_at"]), tz)
                            if entry.get("unassigned_at")
                            else t("console.job.history.now"),
                        ),
                        size=15,
                        color=INK,
                        width=330,
                    ),
                    ft.Text(
                        t("console.job.history.by", name=entry["assigned_by_name"] or "—"), size=15, color=INK
                    ),
                    ft.Text(
                        t("console.job.history.reason", reason=entry["reason"]) if entry["reason"] else "",
                        size=15,
                        color=INK,
                    ),
                ],
                wrap=True,
            ),
        )
        for i, entry in enumerate(entries)
    ]
    return panel(t("console.job.history.title"), rows, ident="assignment-history")


@ft.component
def JobScreen(state: ConsoleState, job_id: str) -> ft.Control:
    office = use_office()
    t = state.t
    dispatch = can_dispatch(state.role)
    reason, set_reason = use_draft(office, f"job.{job_id}.reason", "")
    why, set_why = use_draft(office, f"job.{job_id}.assign_reason", "")  # why (re)assigned
    unqualified, set_unqualified = ft.use_state(("", ""))  # (engineer, warning) awaiting confirmation
    loaded = use_remote(office, lambda api: api.get(f"/api/jobs/{job_id}"), [job_id, state.revision])

    site_id = (loaded.value or {}).get("site_id")

    async def load_engineers(api: ConsoleApi) -> list[dict[str, Any]]:
        if not dispatch or not site_id:
            return []
        # the site's station's engineers first, with the distance or the site's region
        return list(await api.get("/api/console/engineers", site_id=site_id))

    engineers = use_remote(office, load_engineers, [job_id, state.revision, dispatch, site_id])
    history = use_remote(
        office, lambda api: api.get(f"/api/jobs/{job_id}/assignments"), [job_id, state.revision]
    )
    job: dict[str, Any] | None = loaded.value
    body: list[ft.Control] = [
        ft.Row(
            [
                button(
                    t("console.common.back_to_board"),
                    lambda _e: office.go("/"),
                    kind="quiet",
                    icon=ft.Icons.ARROW_BACK,
                )
            ]
        )
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    if job is None:
        if loaded.loading:
            body.append(muted(t("console.common.loading")))
        return ft.ListView(body, spacing=12, padding=16, expand=True)

    major = job["severity"] == "major"
    head: list[ft.Control] = [
        ft.Text(job["number"], size=26, weight=ft.FontWeight.BOLD, color=INK),
        *(
            [
                badge(
                    t(f"enum.severity.{job['severity']}"),
                    bg=RED_BG if major else "#e9eef3",
                    fg=RED if major else INK,
                )
            ]
            if job["kind"] == "repair"  # a severity is a fault's
            else []
        ),
        badge(t(f"enum.kind.{job['kind']}"), bg="#e9eef3"),
        tagged("job-status", badge(t(f"enum.status.{job['status']}"), bg="#dbe9ff")),
    ]
    if job.get("office_reason"):
        head.append(badge(t("console.job.office_reason", reason=job["office_reason"]), bg=AMBER_BG))
    body.append(ft.Row(head, wrap=True, spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER))

    eq = job.get("equipment")
    site = job["site"]
    call = panel(
        t("console.job.call"),
        [
            pairs(
                [
                    (
                        t("form.customer"),
                        " · ".join(
                            x
                            for x in (
                                job["customer"]["name"],
                                care_text(
                                    job["customer"],
                                    {
                                        k: str(u.get("display_name", ""))
                                        for k, u in office.directory.users.items()
                                    },
                                    t,
                                ),
                            )
                            if x
                        ),
                    ),
                    (t("form.site"), f"{site['name']}  {site.get('address', '')}".strip()),
                    (
                        t("form.contact"),
                        f"{site.get('contact_name', '')} {site.get('contact_phone', '')}".strip(),
                    ),
                    (
                        t("form.equipment"),
                        f"{t('enum.category.' + eq['category'])} {eq['model']}  {eq['serial_no']}"
                        if eq
                        else "",
                    ),
                    (t("app.field.symptom"), job.get("symptom", "")),
                    (t("form.caller"), f"{job.get('caller_name', '')} {job.get('caller_phone', '')}".strip()),
                    (t("form.received"), full(parse_time(job["call_received_at"]), office.tz)),
                    (
                        t("form.engineer"),
                        (job.get("engineer") or {}).get("display_name", "") or t("console.board.unassigned"),
                    ),
                ]
            )
        ],
        ident="job-call",
    )
    body.append(
        ft.Row(
            [ft.Container(call, expand=1), ft.Container(deadlines_panel(state, job, office.tz), expand=1)],
            vertical_alignment=ft.CrossAxisAlignment.START,
            wrap=False,
        )
    )

    open_job = job["status"] not in job_rules.FINAL
    if dispatch and open_job:

        async def assign(engineer_id: str, confirmed: bool = False) -> None:
            name = office.directory.name("engineers", engineer_id)
            warning = (
                "" if confirmed else await unqualified_warning(office, state, job["id"], engineer_id, name)
            )
            set_unqualified((engineer_id, warning) if warning else ("", ""))
            if warning:  # 持证上岗: the dispatcher confirms first; the server audits the gaps
                return
            if await office.act(
                lambda api: api.assign(job["id"], engineer_id, why.strip()),
                done=t("console.job.assigned", name=name),
            ):
                set_why("")

        current = job.get("assigned_engineer_id")
        if job_rules.may_assign(job["status"]):  # not once the customer signed (shared/job_rules.py)
            body.append(
                panel(
                    t("console.job.reassign" if current else "console.job.assign"),
                    [
                        muted(t("console.job.assign_explain")),
                        ft.Container(
                            tagged(
                                "assign-reason",
                                text_field(
                                    t("console.job.assign_reason"),
                                    why,
                                    lambda e: set_why(e.control.value),
                                    hint=t("console.job.assign_reason_hint"),
                                ),
                            ),
                            width=420,
                        ),
                        error_text(engineers.error) if engineers.error else ft.Container(),
                        unqualified_confirm(
                            state,
                            unqualified[1],
                            on(assign, unqualified[0], True),
                            lambda _: set_unqualified(("", "")),
                        )
                        if unqualified[1]
                        else ft.Container(),
                        engineer_rows(
                            state,
                            engineers.value or [],
                            selected=None,
                            current=current,
                            action=t("console.job.assign_to"),
                            on_pick=assign,
                        ),
                    ],
                    ident="assign-panel",
                )
            )

        async def office_status(action: str) -> None:
            if action != "resume" and len(reason.strip()) < 2:
                state.tell(t("console.job.reason_needed"), error=True)
                return
            done = t(f"console.job.done.{action}")
            if await office.act(lambda api: api.office_status(job["id"], action, reason.strip()), done=done):
                set_reason("")

        held = job["status"] == "on_hold"
        decisions: list[ft.Control] = []  # what the office may still decide (shared/job_rules.py)
        if held:
            decisions.append(
                button(t("console.job.resume"), on(office_status, "resume"), kind="ok", ident="job-resume")
            )
        elif job_rules.may_hold(job["status"]):
            decisions.append(
                button(t("console.job.hold"), on(office_status, "hold"), kind="quiet", ident="job-hold")
            )
        if job_rules.may_cancel(job["status"]):
            decisions.append(
                button(
                    t("console.job.cancel"), on(office_status, "cancel"), kind="danger", ident="job-cancel"
                )
            )
        reason_field = ft.Container(
            text_field(t("console.job.reason"), reason, lambda e: set_reason(e.control.value)), width=420
        )
        actions = (
            [reason_field, *decisions]
            if decisions
            else [tagged("office-awaits-qa", muted(t("console.job.awaits_qa")))]
        )

        async def set_severity(severity: str) -> None:
            await office.act(
                # the version on screen: a change made meanwhile is refused (409), not overwritten
                lambda api: api.patch(
                    f"/api/jobs/{job['id']}", {"severity": severity, "base_version": job["version"]}
                ),
                done=t("console.job.severity_changed"),
            )

        severities = chips(
            [
                chip(
                    t(f"enum.severity.{s.value}"),
                    job["severity"] == s.value,
                    on(set_severity, s.value),
                )
                for s in Severity
            ]
        )
        body.append(
            panel(
                t("console.job.office_decisions"),
                [
                    ft.Row(
                        [muted(t("console.job.severity")), severities],
                        wrap=True,
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                    muted(t("console.job.severity_explain")),
                    ft.Row(actions, wrap=True, spacing=10, vertical_alignment=ft.CrossAxisAlignment.CENTER),
                ],
                ident="office-panel",
            )
        )

    if history.value:
        body.append(assignment_history(state, history.value, office.tz))
    if job["kind"] == "training":
        body.append(TrainingPanel(state, job))
    body.append(BillingPanel(state, job))
    body.append(DecisionPanel(state, job))
    if can_review(state.role) or dispatch:
        extra: list[ft.Control] = []
        if can_review(state.role) and job["status"] in job_rules.REVIEWABLE:
            extra.append(
                button(
                    t("console.job.open_review"),
                    lambda _e: office.go(f"/qa/{job['id']}"),
                    icon=ft.Icons.FACT_CHECK,
                )
            )

        async def pdf(_e: object) -> None:
            result = await office.act(
                lambda api: api.download(f"/api/jobs/{job['id']}/form.pdf", lang=state.lang)
            )
            if isinstance(result, tuple):
                await office.save_file(result[0], result[1])

        extra.append(
            button(t("console.job.print"), pdf, kind="quiet", icon=ft.Icons.PICTURE_AS_PDF, ident="job-pdf")
        )
        if can(state.role, Capability.MANAGE_QUALITY_INCIDENTS) and job.get("equipment_id"):

            def to_incident(_e: object) -> None:
                """批量或重大质量问题: the quality tab's new-incident form, with this job's number."""
                office.drafts["quality.new.job"] = job["number"]
                office.drafts_changed()
                office.go("/quality")

            extra.append(
                button(
                    t("console.job.quality_incident"),
                    to_incident,
                    kind="quiet",
                    icon=ft.Icons.REPORT_PROBLEM,
                    ident="job-quality-incident",
                )
            )
        body.append(ft.Row(extra, spacing=10, wrap=True))
    return ft.ListView(body, spacing=12, padding=16, expand=True)
