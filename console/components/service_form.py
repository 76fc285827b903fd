"""A job's whole service form on screen, as QA reviews it: call, timeline with clock flags, fault and
fix, checklist, parts, photos, the customer's acceptance and signature, earlier reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import flet as ft

from console.components.widgets import muted, pairs, panel, table
from console.logic.times import full
from console.state import ConsoleState
from shared.enums import JobKind
from shared.service_form import ServiceForm, flag_reason_text, timeline
from ui.components.common import AMBER_BG, INK, LINE, RED, RED_BG, SURFACE, badge, tagged
from ui.components.signature_pad import signature_view
from ui.logic.signature import path_to_strokes
from ui.text import duration

THUMB = 150


def _header(state: ConsoleState, form: ServiceForm) -> ft.Control:
    t, job = state.t, form.job
    items: list[ft.Control] = [
        ft.Text(job.number, size=24, weight=ft.FontWeight.BOLD, color=INK),
        badge(t(f"enum.status.{job.status.value}"), bg="#dbe9ff"),
        badge(t(f"enum.kind.{job.kind.value}"), bg="#e9eef3"),
        badge(
            t(f"enum.severity.{job.severity.value}"),
            bg=RED_BG if job.severity.value == "major" else "#e9eef3",
            fg=RED if job.severity.value == "major" else INK,
        ),
    ]
    if job.times_flagged:
        items.append(
            tagged("times-flagged", badge(t("console.qa.times_flagged"), bg=RED_BG, fg=RED, border=RED))
        )
    if job.qa_returns:
        items.append(badge(t("console.qa.returned_before", n=job.qa_returns), bg=AMBER_BG))
    return ft.Row(items, wrap=True, spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER)


def _call(state: ConsoleState, form: ServiceForm, tz: Any) -> ft.Control:
    t, job = state.t, form.job
    eq = job.equipment
    equipment = f"{t(f'enum.category.{eq.category.value}')} {eq.model}  {eq.serial_no}" if eq else ""
    return panel(
        t("form.section.call"),
        [
            pairs(
                [
                    (t("form.customer"), job.customer.name),
                    (t("form.site"), f"{job.site.name}  {job.site.address}".strip()),
                    (t("form.equipment"), equipment),
                    (t("form.engineer"), job.engineer.display_name if job.engineer else ""),
                    (t("form.caller"), f"{job.caller_name} {job.caller_phone}".strip()),
                    (t("form.received"), full(job.call_received_at, tz)),
                ]
            )
        ],
    )


def _timeline(state: ConsoleState, form: ServiceForm, tz: Any, now: datetime) -> ft.Control:
    t, lang = state.t, state.lang
    rows, red = [], []
    for i, step in enumerate(timeline(form, now)):
        notes = []
        if step.outcome == "late" and step.late_seconds is not None:
            notes.append(t("form.sla.late", d=duration(lang, step.late_seconds)))
        elif step.outcome:
            notes.append(t(f"form.sla.{step.outcome}"))
        notes += [t("form.flagged", reason=flag_reason_text(lang, r)) for r in step.flags]
        name = {"call": t("form.event.call"), "backup": t("form.backup")}.get(step.step) or t(
            f"enum.event.{step.step}"
        )
        rows.append(
            [
                name,
                full(step.due_at, tz) if step.due_at else "",
                full(step.done_at, tz) if step.step != "backup" else "",
                full(step.received_at, tz) if step.received_at else "",
                "；".join(notes),
            ]
        )
        if step.bad:
            red.append((i, 4))
    return panel(
        t("form.section.timeline"),
        [
            table(
                [
                    t("form.event"),
                    t("form.due"),
                    t("form.device_time"),
                    t("form.received_at"),
                    t("form.result"),
                ],
                rows,
                red=red,
                ident="form-timeline",
            )
        ],
    )


def _fault(state: ConsoleState, form: ServiceForm) -> ft.Control:
    t, job = state.t, form.job
    billable = "—" if job.billable is None else t("app.common.yes" if job.billable else "app.common.no")
    if job.billable_reason is not None:
        billable += f"（{t(f'enum.billable_reason.{job.billable_reason.value}')}）"
    backup = t("app.common.yes" if job.backup_lent else "app.common.no") + (
        f" {job.backup_note}" if job.backup_note else ""
    )
    return panel(
        t("form.section.fault"),
        [
            pairs(
                [
                    (t("app.field.symptom"), job.symptom),
                    (t("app.field.cause"), job.cause),
                    (t("app.field.fix"), job.fix),
                    (t("app.field.billable"), billable),
                    (t("app.field.backup_lent"), backup),
                    (t("app.field.notes"), job.notes),
                ]
                # an inspection's report carries the engineer's maintenance advice (维护建议)
                + (
                    [(t("app.field.advice"), job.advice)]
                    if job.kind is JobKind.INSPECTION or job.advice
                    else []
                )
            )
        ],
        ident="form-fault",
    )


def _checklist(state: ConsoleState, form: ServiceForm) -> ft.Control | None:
    t = state.t
    if not form.checklist:
        return None
    rows, red = [], []
    for i, a in enumerate(form.checklist):
        if a.value is not None:
            answer = f"{a.value:g} {a.unit}".strip()
        elif a.result is not None:
            answer = t(f"enum.check_result.{a.result.value}")
        else:
            answer = t("form.unanswered") if a.required else "—"
        if a.out_of_range:
            answer += f"（{t('form.out_of_range')}）"
        limits = " ".join(
            x
            for x in (
                f"≥ {a.min_value:g}" if a.min_value is not None else "",
                f"≤ {a.max_value:g}" if a.max_value is not None else "",
            )
            if x
        )
        rows.append(
            [
                a.label_zh if state.lang == "zh-CN" else a.label_en,
                answer,
                f"{limits} {a.unit}".strip() if limits else "",
                a.note,
            ]
        )
        if (
            a.out_of_range
            or (a.result is not None and a.result.value == "fault")
            or (a.required and a.result is None and a.value is None)
        ):
            red.append((i, 1))
    return panel(
        t("form.section.checklist", name=form.template_name or "—"),
        [
            table(
                [t("form.item"), t("form.answer"), t("form.limits"), t("form.note")],
                rows,
                red=red,
                ident="form-checklist",
            )
        ],
    )


def _parts(state: ConsoleState, form: ServiceForm, tz: Any) -> ft.Control:
    t = state.t
    if not form.parts:
        return panel(t("form.section.parts"), [muted(t("form.none"))])
    rows = [
        [
            p.code,
            p.name,
            f"{p.quantity} {p.unit}",
            t("form.voided")
            if p.voided_at
            else t("app.common.yes" if p.old_part_returned else "app.common.no"),
            full(p.used_at, tz),
        ]
        for p in form.parts
    ]
    return panel(
        t("form.section.parts"),
        [
            table(
                [
                    t("form.part_code"),
                    t("form.part_name"),
                    t("form.quantity"),
                    t("form.old_returned"),
                    t("form.used_at"),
                ],
                rows,
                red=[(i, 3) for i, p in enumerate(form.parts) if p.voided_at],
                ident="form-parts",
            )
        ],
    )


def _photos(state: ConsoleState, form: ServiceForm, photos: dict[str, bytes]) -> ft.Control | None:
    if not form.photos:
        return None
    tiles: list[ft.Control] = []
    for p in form.photos:
        data = photos.get(str(p.id))
        image: ft.Control = (
            ft.Image(src=data, width=THUMB, height=THUMB, fit=ft.BoxFit.COVER, border_radius=6)
            if data
            else ft.Container(width=THUMB, height=THUMB, bgcolor="#e9eef3", border_radius=6)
        )
        tiles.append(
            ft.Container(
                bgcolor=SURFACE,
                border=ft.Border.all(1, LINE),
                border_radius=8,
                padding=6,
                content=ft.Column(
                    [image, ft.Text(p.caption or p.filename, size=13, color=INK, width=THUMB, max_lines=2)],
                    spacing=4,
                    tight=True,
                ),
            )
        )
    return panel(state.t("form.section.photos", n=len(form.photos)), [ft.Row(tiles, wrap=True, spacing=10)])


def _acceptance(state: ConsoleState, form: ServiceForm, tz: Any) -> ft.Control:
    t, job = state.t, form.job
    strokes = path_to_strokes(job.signature)
    signature: ft.Control = (
        signature_view(strokes, width=360, height=150)
        if strokes
        else tagged("signature-missing", ft.Text(t("form.not_signed"), size=16, color=RED))
    )
    return panel(
        t("form.section.acceptance"),
        [
            ft.Row(
                [
                    ft.Container(
                        pairs(
                            [
                                (t("form.opinion"), job.acceptance_opinion),
                                (
                                    t("form.satisfaction"),
                                    t("form.satisfaction_of", n=job.satisfaction) if job.satisfaction else "",
                                ),
                                (t("form.comment"), job.acceptance_comment),
                                (t("form.signed_at"), full(job.signed_off_at, tz)),
                            ]
                        ),
                        expand=True,
                    ),
                    ft.Column([muted(t("form.signature"), 13), signature], spacing=4, tight=True),
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
            )
        ],
        ident="form-acceptance",
    )


def _review(state: ConsoleState, form: ServiceForm, tz: Any) -> ft.Control | None:
    t, job = state.t, form.job
    if job.qa_at is None:
        return None
    return panel(
        t("form.section.review"),
        [
            pairs(
                [
                    (t("form.qa_opinion"), job.qa_note),
                    (
                        t("console.qa.reviewed_by"),
                        t("form.qa_by", name=form.qa_by_name or "—", when=full(job.qa_at, tz)),
                    ),
                    (t("form.qa_returns"), str(job.qa_returns)),
                ]
            )
        ],
    )


def service_form_view(
    state: ConsoleState, form: ServiceForm, tz: Any, now: datetime, photos: dict[str, bytes]
) -> list[ft.Control]:
    """The form's sections, top to bottom."""
    parts: list[ft.Control | None] = [
        _header(state, form),
        _call(state, form, tz),
        _timeline(state, form, tz, now),
        _fault(state, form),
        _checklist(state, form),
        _parts(state, form, tz),
        _photos(state, form, photos),
        _acceptance(state, form, tz),
        _review(state, form, tz),
    ]
    shown = [p for p in parts if p is not None]
    if form.job.times_flagged:
        shown.insert(1, ft.Text(state.t("form.times_flagged"), size=15, color=RED))
    return shown
