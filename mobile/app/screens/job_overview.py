"""The job's overview: SLA clocks, one-tap timeline, customer and site, equipment, fault, billing, backup."""

from __future__ import annotations

from datetime import date, datetime

import flet as ft

from mobile.app.components.autosave import AutosaveField, use_box
from mobile.app.context import use_device
from mobile.app.queries import JobView
from mobile.app.state import AppState, Key
from mobile.services.jobs import ActionError
from shared.enums import JobEventType, JobKind
from shared.warranty import CauseCategory, WarrantyState, cause_of, propose_billing
from sync.merge import EVENT_FIELD
from ui.components.common import (
    FONT,
    GREEN,
    INK,
    MUTED,
    RED,
    TypedSwitch,
    badge,
    big_button,
    bind,
    handing,
    label_value,
    section,
    tagged,
)
from ui.logic.clocks import clocks, parse_time
from ui.text import clock_text, when

TIMELINE = [
    JobEventType.ACKNOWLEDGED,
    JobEventType.DEPARTED,
    JobEventType.ARRIVED,
    JobEventType.STARTED,
    JobEventType.RESOLVED,
]


def _phone_button(label: str, phone: str) -> ft.Control:
    if not phone:
        return ft.Container()
    return big_button(
        f"{label} {phone}", None, icon=ft.Icons.PHONE, kind="ok", action=ft.OpenUrl(f"tel:{phone}")
    )


@ft.component
def OverviewSection(state: AppState, view: JobView) -> ft.Control:
    device = use_device()
    t, lang, tz = state.t, state.lang, device.app.tz
    job = view.job
    now = state.now
    today = now.astimezone(tz).date()

    def tap(event: JobEventType) -> None:
        try:
            device.app.actions.tap(view.id, event)
        except ActionError as exc:
            if exc.code == "checklist_incomplete":
                labels = view.item_labels(lang)
                items = "、".join(labels.get(c, c) for c in exc.params.get("items", []))
                state.say("error.checklist_incomplete", error=True, items=items)
            else:
                state.say_error(exc)
            return
        device.saved("app.job.tapped", what=Key(f"enum.event.{event.value}"))

    # --- SLA clocks ---
    clock_rows: list[ft.Control] = []
    for clk in clocks(job, now):
        text, late = clock_text(lang, clk)
        due = when(lang, clk.due_at, now, tz) if clk.due_at else "—"
        clock_rows.append(
            ft.Row(
                [
                    ft.Text(t("app.sla.due_at", when=due), size=16, color=MUTED, width=190),
                    ft.Text(
                        text,
                        size=18,
                        weight=ft.FontWeight.BOLD,
                        color="#ffffff" if late else INK,
                        bgcolor=RED if late else None,
                    ),
                ],
                wrap=True,
            )
        )
    if job.get("backup_due_at") and not job.get("resolved_at"):
        clock_rows.append(
            ft.Text(
                t("app.sla.backup", when=when(lang, parse_time(job["backup_due_at"]), now, tz)),
                size=16,
                color=MUTED,
            )
        )

    # --- timeline ---
    steps: list[ft.Control] = []
    next_done = False
    for event in TIMELINE:
        at = parse_time(job.get(EVENT_FIELD[event]))
        label = t(f"enum.event.{event.value}")
        if at is not None:
            steps.append(
                tagged(
                    f"tap-{event.value}",
                    big_button(f"✓ {label} {when(lang, at, now, tz)}", None, kind="ok", disabled=False),
                )
            )
        else:
            steps.append(
                tagged(
                    f"tap-{event.value}",
                    big_button(label, bind(tap, event), kind="quiet" if next_done else "primary"),
                )
            )
            next_done = True

    # --- customer, site, equipment ---
    customer, site, equipment = view.customer, view.site, view.equipment
    contact = [
        label_value(t("app.job.customer"), customer.get("name", ""), bold=True),
        label_value(t("app.job.site"), f"{site.get('name', '')}  {site.get('address', '')}".strip()),
        label_value(t("app.job.caller"), job.get("caller_name", "")),
        ft.Row(
            [
                _phone_button(t("app.job.call_caller"), job.get("caller_phone", "")),
                _phone_button(
                    t("app.job.call_site", name=site.get("contact_name", "")), site.get("contact_phone", "")
                ),
                _phone_button(
                    t("app.job.call_customer", name=customer.get("contact_name", "")),
                    customer.get("contact_phone", ""),
                ),
            ],
            wrap=True,
            spacing=8,
            run_spacing=8,
        ),
    ]
    equipment_lines: list[ft.Control] = []
    if equipment:
        state_w = view.warranty(today)
        end = equipment.get("warranty_end") or ""
        color = (
            GREEN
            if state_w is WarrantyState.IN_WARRANTY
            else RED
            if state_w is WarrantyState.EXPIRED
            else MUTED
        )
        equipment_lines += [
            label_value(
                t("app.job.equipment"),
                f"{t('enum.category.' + equipment.get('category', ''))} · {equipment.get('model', '')}",
            ),
            label_value(t("app.job.serial"), equipment.get("serial_no", "")),
            label_value(
                t("app.job.warranty"), t(f"app.warranty.{state_w.value}", end=end), color=color, bold=True
            ),
            ft.Text(
                t("app.job.history", n=len(view.history)), size=17, weight=ft.FontWeight.W_600, color=INK
            ),
        ]
        for other in view.history[:10]:
            started = when(lang, parse_time(other.get("call_received_at")), now, tz)
            summary = other.get("fix") or other.get("symptom") or ""
            equipment_lines.append(
                ft.Text(
                    f"{started}  {other['number']}  {t('enum.kind.' + other['kind'])} · {t('enum.status.' + other['status'])}  {summary}",
                    size=15,
                    color=INK,
                )
            )
    else:
        equipment_lines.append(ft.Text(t("app.job.no_equipment"), size=16, color=MUTED))

    return ft.Column(
        [
            section(t("app.job.sla"), clock_rows),
            section(t("app.job.timeline"), [ft.Row(steps, wrap=True, spacing=8, run_spacing=8)]),
            section(t("app.job.contact"), contact),
            section(t("app.job.equipment_title"), equipment_lines),
            *([TrainingDetails(state, view)] if job.get("kind") == JobKind.TRAINING.value else []),
            FaultForm(state, view),
            BillingForm(state, view, today),
        ],
        spacing=14,
    )


@ft.component
def TrainingDetails(state: AppState, view: JobView) -> ft.Control:
    """A training session as the office planned it (read-only: the office edits it)."""
    device = use_device()
    t, job = state.t, view.job
    at = parse_time(job.get("scheduled_at"))
    attendees = [str(a) for a in job.get("training_attendees") or []]
    return tagged(
        "training-details",
        section(
            t("app.training.title"),
            [
                label_value(
                    t("app.training.when"), when(state.lang, at, state.now, device.app.tz) if at else "—"
                ),
                label_value(t("app.training.place"), job.get("training_place") or "—"),
                label_value(t("app.training.content"), job.get("training_content") or "—"),
                label_value(t("app.training.attendees", n=len(attendees)), "、".join(attendees) or "—"),
            ],
        ),
    )


@ft.component
def FaultForm(state: AppState, view: JobView) -> ft.Control:
    device = use_device()
    t, job = state.t, view.job
    inspection = job.get("kind") == JobKind.INSPECTION.value
    # an inspection also carries the engineer's maintenance advice (维护建议), printed on its report
    names = ("symptom", "cause", "fix", "backup_note", *(("advice",) if inspection else ()))
    # what is typed now: each field writes itself a moment after typing stops; the button writes all
    typed = use_box(lambda: {k: str(job.get(k) or "") for k in names})
    lent = bool(job.get("backup_lent"))
    # a unit still out on the job: its loan record owns the flag (the server refuses switching it off)
    unit_out = any(not loan.get("returned_at") for loan in job.get("loans") or ())

    def write(**fields: object) -> bool:
        return device.act(lambda: device.app.actions.edit(view.id, **fields))

    def field(name: str, *, multiline: bool = True) -> ft.Control:
        def save(text: str) -> bool:
            typed[name] = text
            return write(**{name: text})

        return AutosaveField(
            state,
            f"fault-{name}",
            t(f"app.field.{name}"),
            str(job.get(name) or ""),
            save,
            multiline=multiline,
            on_text=lambda text: typed.__setitem__(name, text),
        )

    def save(_e: object) -> None:
        fields = {k: v for k, v in typed.items() if v != str(job.get(k) or "")}
        if not fields:
            state.say("app.job.nothing_changed")
            return
        device.act(lambda: device.app.actions.edit(view.id, **fields), done="app.job.saved")

    return section(
        t("app.job.fault"),
        [
            field("symptom"),
            field("cause"),
            field("fix"),
            *([field("advice")] if inspection else []),
            TypedSwitch(
                label=t("app.field.backup_lent"),
                value=lent,
                disabled=unit_out,
                on_change=handing(lambda e: write(backup_lent=bool(e.control.value))),
                label_text_style=ft.TextStyle(size=18, color=INK, font_family=FONT),
                height=56,
            ),
            field("backup_note", multiline=False) if lent else ft.Container(),
            tagged("fault-save", big_button(t("app.job.save_fault"), save, icon=ft.Icons.SAVE)),
        ],
    )


@ft.component
def BillingForm(state: AppState, view: JobView, today: date) -> ft.Control:
    device = use_device()
    t, job = state.t, view.job
    actions = device.app.actions
    # the cause picked is kept on the device until the decision is confirmed, like every choice made
    picked = actions.draft(view.id, "billing_cause")
    known = {c.value for c in CauseCategory}
    cause, set_picked = ft.use_state(
        picked if picked in known else cause_of(job.get("billable_reason")).value
    )

    def set_cause(value: str) -> None:
        actions.keep_draft(view.id, "billing_cause", value)
        set_picked(value)

    end_text = (view.equipment or {}).get("warranty_end")
    warranty_end = date.fromisoformat(end_text) if end_text else None
    called = parse_time(job.get("call_received_at"))
    fault_on = called.date() if isinstance(called, datetime) else today
    proposal = propose_billing(JobKind(job["kind"]), CauseCategory(cause), warranty_end, fault_on)

    def confirm(billable: bool, reason: str) -> None:
        def record() -> object:
            mutation = actions.edit(view.id, billable=billable, billable_reason=reason)
            actions.keep_draft(view.id, "billing_cause", None)
            return mutation

        device.act(record, done="app.billing.confirmed")

    if job.get("billing_override_at"):
        # the office decided: its decision stands and the device's edits of billing no longer land
        what = t("app.billing.billable" if job.get("billable") else "app.billing.free")
        decided = t(
            "app.billing.office_decided",
            what=what,
            reason=t(f"enum.billable_reason.{job.get('billable_reason') or 'none'}"),
        )
        return section(
            t("app.billing.title"),
            [
                tagged("billing-office", badge(decided, bg="#ffe8cc")),
                ft.Text(
                    t("app.billing.office_note", note=job.get("billing_override_note", "")),
                    size=17,
                    color=INK,
                ),
                ft.Text(t("app.billing.office_final"), size=15, color=MUTED),
            ],
        )
    recorded = job.get("billable")
    if recorded is None:
        recorded_text = t("app.billing.not_decided")
    else:
        recorded_text = t(
            "app.billing.recorded",
            what=t("app.billing.billable" if recorded else "app.billing.free"),
            reason=t(f"enum.billable_reason.{job.get('billable_reason') or 'none'}"),
        )
    controls: list[ft.Control] = [
        ft.Text(t("app.billing.rules"), size=15, color=MUTED),
        ft.Text(t("app.billing.cause"), size=17, color=INK),
        ft.Row(
            [
                tagged(
                    f"cause-{c.value}",
                    big_button(
                        t(f"enum.cause.{c.value}"),
                        bind(set_cause, c.value),
                        kind="selected" if cause == c.value else "quiet",
                    ),
                )
                for c in CauseCategory
            ],
            wrap=True,
            spacing=8,
            run_spacing=8,
        ),
    ]
    if proposal.billable is None:
        controls.append(ft.Text(t("app.billing.unknown"), size=17, color=INK))
        controls.append(
            ft.Row(
                [
                    big_button(
                        t("app.billing.confirm_free"), lambda _: confirm(False, "in_warranty"), kind="quiet"
                    ),
                    big_button(
                        t("app.billing.confirm_billable"),
                        lambda _: confirm(True, "out_of_warranty"),
                        kind="quiet",
                    ),
                ],
                wrap=True,
                spacing=8,
            )
        )
    else:
        what = t("app.billing.billable" if proposal.billable else "app.billing.free")
        reason = proposal.reason.value if proposal.reason else "none"
        controls.append(
            tagged(
                "billing-proposal",
                badge(
                    t("app.billing.proposal", what=what, reason=t(f"enum.billable_reason.{reason}")),
                    bg="#dbe9ff",
                ),
            )
        )
        controls.append(
            tagged(
                "billing-confirm",
                big_button(
                    t("app.billing.confirm"),
                    lambda _: confirm(bool(proposal.billable), reason),
                    icon=ft.Icons.CHECK,
                ),
            )
        )
    controls.append(ft.Text(recorded_text, size=17, weight=ft.FontWeight.W_600, color=INK))
    return section(t("app.billing.title"), controls)
