"""人员 (people): the engineers' staff list with their certificates' expiry badges, one engineer's staff
file (certificates, qualified equipment categories, training record) kept by the manager, and the
monthly appraisal from the measured figures, exported as CSV or XLSX by the server. The expiry notice
of the notification centre is :func:`ExpiringPanel`."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.api import ApiError
from console.clients.people import PeopleClient
from console.components.widgets import button, error_text, muted, on, panel, title
from console.context import use_office
from console.logic.people import (
    appraisal_line,
    certificate_line,
    expiring_line,
    gap_text,
    month_or_none,
    parse_day,
    parse_hours,
    training_line,
)
from console.state import ConsoleState, use_draft, use_remote
from shared.enums import EquipmentCategory
from shared.people import (
    CertificateIn,
    CertificateState,
    QualificationIn,
    QualificationsSet,
    StaffFile,
    StaffRow,
    TrainingIn,
    TrainingResult,
)
from shared.roles import Capability, can
from ui.components.common import (
    AMBER_BG,
    RED,
    RED_BG,
    TypedCheckbox,
    TypedDropdown,
    badge,
    handing,
    keyed,
    tagged,
    text_field,
)

STATE_COLOURS = {CertificateState.EXPIRING: AMBER_BG, CertificateState.EXPIRED: RED_BG}


def _state_badge(t: Any, state: CertificateState) -> ft.Control:
    if state is CertificateState.VALID:
        return badge(t(f"enum.certificate_state.{state.value}"), bg="#d7f5dc")
    return badge(t(f"enum.certificate_state.{state.value}"), bg=STATE_COLOURS[state])


@ft.component
def ExpiringPanel(state: ConsoleState, *, link: bool = False) -> ft.Control:
    """Certificates expired or expiring within 30 days (nothing when there are none)."""
    office = use_office()
    t = state.t
    loaded = use_remote(office, lambda api: PeopleClient(api).expiring(), [state.revision])
    rows = loaded.value or []
    if not rows:
        return ft.Container()
    lines: list[ft.Control] = [
        tagged(
            f"expiring-{c.number}",
            ft.Text(expiring_line(t, c), size=15, color=RED if c.state is CertificateState.EXPIRED else None),
        )
        for c in rows
    ]
    if link:
        lines.append(
            button(
                t("console.people.see_staff"), lambda _: office.go("/people"), kind="quiet", ident="see-staff"
            )
        )
    return panel(t("console.people.expiring_title"), lines, ident="people-expiring")


def _staff_row(t: Any, row: StaffRow, selected: bool, pick: Any) -> ft.Control:
    marks: list[ft.Control] = [
        ft.Text(
            t("console.people.row", name=row.name, certificates=row.certificates, hours=row.training_hours),
            size=16,
            weight=ft.FontWeight.BOLD if selected else None,
        ),
        ft.Text(
            "、".join(t(f"enum.category.{c.value}") for c in row.qualifications)
            or t("console.people.no_qualification"),
            size=14,
        ),
    ]
    if row.expiring:
        marks.append(
            tagged(f"staff-expiring-{row.username}", badge(t("console.people.expiring_n", n=row.expiring)))
        )
    if row.expired:
        marks.append(
            tagged(
                f"staff-expired-{row.username}",
                badge(t("console.people.expired_n", n=row.expired), bg=RED_BG),
            )
        )
    marks.append(button(t("console.people.open"), pick, kind="quiet", ident=f"staff-open-{row.username}"))
    return tagged(f"staff-{row.username}", ft.Row(marks, wrap=True, spacing=12))


@ft.component
def StaffFilePanel(state: ConsoleState, file: StaffFile) -> ft.Control:
    office = use_office()
    t = state.t
    editor = can(state.role, Capability.MANAGE_STAFF)
    eid = str(file.engineer_id)
    held = {q.category.value: q for q in file.qualifications}
    chosen, set_chosen = ft.use_state(frozenset(held))
    name, set_name = use_draft(office, f"staff.{eid}.cert_name", "")
    number, set_number = use_draft(office, f"staff.{eid}.cert_number", "")
    level, set_level = use_draft(office, f"staff.{eid}.cert_level", "")
    issued, set_issued = use_draft(office, f"staff.{eid}.cert_issued", "")
    expires, set_expires = use_draft(office, f"staff.{eid}.cert_expires", "")
    day, set_day = use_draft(office, f"staff.{eid}.training_day", "")
    course, set_course = use_draft(office, f"staff.{eid}.training_course", "")
    hours, set_hours = use_draft(office, f"staff.{eid}.training_hours", "")
    result, set_result = ft.use_state(TrainingResult.PASSED.value)

    certificates: list[ft.Control] = [
        tagged(
            f"cert-{c.number}",
            ft.Row(
                [_state_badge(t, c.state), ft.Text(certificate_line(t, c), size=15)], wrap=True, spacing=8
            ),
        )
        for c in file.certificates
    ] or [muted(t("console.people.nothing"))]
    qualifications: list[ft.Control] = []
    for category in EquipmentCategory:
        q = held.get(category.value)
        label = t(f"enum.category.{category.value}")
        if q is not None and q.certificate_name:
            label += " · " + t("console.people.backed_by", name=q.certificate_name)
        if editor:

            def toggle(e: Any, c: str = category.value) -> None:
                set_chosen(lambda old: old | {c} if e.control.value else old - {c})

            qualifications.append(
                tagged(
                    f"qual-{category.value}",
                    TypedCheckbox(label=label, value=category.value in chosen, on_change=handing(toggle)),
                )
            )
        elif q is not None:
            qualifications.append(ft.Row([_state_badge(t, q.state), ft.Text(label, size=15)], spacing=8))
    if not qualifications:
        qualifications.append(muted(t("console.people.nothing")))
    training: list[ft.Control] = [
        tagged(f"training-{row.id}", ft.Text(training_line(t, row), size=15)) for row in file.training
    ] or [muted(t("console.people.nothing"))]

    async def save_qualifications() -> None:
        body = QualificationsSet(
            qualifications=[
                QualificationIn(
                    category=c, certificate_id=held[c.value].certificate_id if c.value in held else None
                )
                for c in EquipmentCategory
                if c.value in chosen
            ]
        )
        await office.act(
            lambda api: PeopleClient(api).set_qualifications(eid, body),
            done=t("console.people.qualifications_saved"),
        )

    async def add_certificate() -> None:
        start, end = parse_day(issued), parse_day(expires) if expires.strip() else None
        if start is None or (expires.strip() and end is None):
            state.tell(t("console.people.bad_date"), error=True)
            return
        try:
            body = CertificateIn(name=name, number=number, level=level, issued_on=start, expires_on=end)
        except ValueError as exc:
            state.tell(str(exc.errors()[0]["msg"]) if hasattr(exc, "errors") else str(exc), error=True)
            return
        if await office.act(
            lambda api: PeopleClient(api).add_certificate(eid, body),
            done=t("console.people.certificate_added"),
        ):
            for setter in (set_name, set_number, set_level, set_issued, set_expires):
                setter("")

    async def add_training() -> None:
        taken, amount = parse_day(day), parse_hours(hours)
        if taken is None:
            state.tell(t("console.people.bad_date"), error=True)
            return
        if amount is None:
            state.tell(t("console.people.bad_hours"), error=True)
            return
        try:
            body = TrainingIn(taken_on=taken, course=course, hours=amount, result=TrainingResult(result))
        except ValueError as exc:
            state.tell(str(exc.errors()[0]["msg"]) if hasattr(exc, "errors") else str(exc), error=True)
            return
        if await office.act(
            lambda api: PeopleClient(api).add_training(eid, body), done=t("console.people.training_added")
        ):
            for setter in (set_day, set_course, set_hours):
                setter("")

    def field(label: str, value: str, setter: Any, ident: str, width: int = 220) -> ft.Control:
        return tagged(ident, text_field(label, value, lambda e: setter(e.control.value), width=width))

    cert_section: list[ft.Control] = list(certificates)
    qual_section: list[ft.Control] = list(qualifications)
    training_section: list[ft.Control] = list(training)
    if editor:
        cert_section.append(
            ft.Row(
                [
                    field(t("console.people.cert_name"), name, set_name, "cert-name", 260),
                    field(t("console.people.cert_number"), number, set_number, "cert-number"),
                    field(t("console.people.cert_level"), level, set_level, "cert-level", 140),
                    field(t("console.people.cert_issued"), issued, set_issued, "cert-issued"),
                    field(t("console.people.cert_expires"), expires, set_expires, "cert-expires", 280),
                    button(t("console.people.add_certificate"), on(add_certificate), ident="cert-add"),
                ],
                wrap=True,
                spacing=8,
            )
        )
        qual_section.append(
            button(t("console.people.save_qualifications"), on(save_qualifications), ident="qual-save")
        )
        training_section.append(
            ft.Row(
                [
                    field(t("console.people.training_day"), day, set_day, "training-day"),
                    field(t("console.people.training_course"), course, set_course, "training-course", 260),
                    field(t("console.people.training_hours"), hours, set_hours, "training-hours", 120),
                    TypedDropdown(
                        value=result,
                        options=[
                            ft.DropdownOption(key=r.value, text=t(f"enum.training_result.{r.value}"))
                            for r in TrainingResult
                        ],
                        on_select=handing(
                            lambda e: set_result(e.control.value or TrainingResult.PASSED.value)
                        ),
                        width=160,
                    ),
                    button(t("console.people.add_training"), on(add_training), ident="training-add"),
                ],
                wrap=True,
                spacing=8,
            )
        )
    return panel(
        t("console.people.file", name=file.name),
        [
            ft.Text(t("console.people.certificates"), size=16, weight=ft.FontWeight.W_600),
            *cert_section,
            ft.Text(t("console.people.qualifications"), size=16, weight=ft.FontWeight.W_600),
            *qual_section,
            ft.Text(
                t("console.people.training", hours=file.training_hours), size=16, weight=ft.FontWeight.W_600
            ),
            *training_section,
        ],
        ident="staff-file",
    )


@ft.component
def AppraisalPanel(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    default = state.now.astimezone(office.tz).strftime("%Y-%m")
    typed, set_typed = ft.use_state(default)
    month = month_or_none(typed) or default
    loaded = use_remote(office, lambda api: PeopleClient(api).appraisal(month), [month, state.revision])

    async def export(fmt: str) -> None:
        path = f"/api/people/appraisal/export/appraisal.{fmt}"
        got = await office.act(lambda api: api.download(path, month=month, lang=state.lang))
        if isinstance(got, tuple):
            await office.save_file(got[0], got[1])
            state.tell(t("console.people.exported", file=got[1]))

    body: list[ft.Control] = [
        ft.Row(
            [
                tagged(
                    "appraisal-month",
                    text_field(
                        t("console.people.month"), typed, lambda e: set_typed(e.control.value), width=200
                    ),
                ),
                button(
                    t("console.people.export_csv"), on(export, "csv"), kind="quiet", ident="appraisal-csv"
                ),
                button(
                    t("console.people.export_xlsx"), on(export, "xlsx"), kind="quiet", ident="appraisal-xlsx"
                ),
            ],
            wrap=True,
            spacing=8,
        )
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    for a in loaded.value or []:
        body.append(tagged(f"appraisal-{a.engineer_id}", ft.Text(appraisal_line(t, a), size=15)))
    return panel(t("console.people.appraisal"), body, ident="people-appraisal")


@ft.component
def PeopleScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    selected, set_selected = ft.use_state("")
    staff = use_remote(office, lambda api: PeopleClient(api).staff(), [state.revision])

    async def load_file(api: Any) -> StaffFile | None:
        return await PeopleClient(api).file(selected) if selected else None

    file = use_remote(office, load_file, [selected, state.revision])
    body: list[ft.Control] = [title(t("console.people.title")), muted(t("console.people.explain"))]
    body.append(ExpiringPanel(state))
    if staff.error:
        body.append(error_text(staff.error))
    rows = staff.value
    if rows is None:
        body.append(muted(t("console.stock.loading")))
    else:
        body.append(
            panel(
                t("console.people.staff"),
                [
                    _staff_row(t, r, str(r.engineer_id) == selected, on(set_selected, str(r.engineer_id)))
                    for r in rows
                ]
                or [muted(t("console.people.none"))],
                ident="staff-list",
            )
        )
    if selected and file.value is not None and str(file.value.engineer_id) == selected:
        body.append(keyed(StaffFilePanel)(state, file.value, key=selected))
    if can(state.role, Capability.READ_REPORTS):
        body.append(AppraisalPanel(state))
    return ft.ListView(body, spacing=12, padding=16, expand=True)


# --- dispatch: 持证上岗 before an assignment --------------------------------------------------------


async def unqualified_warning(
    office: Any, state: ConsoleState, job_id: str, engineer_id: str, name: str
) -> str:
    """The warning to confirm before assigning the job to the engineer, or "" when they are qualified
    (or the check cannot be made: the server keeps the gaps with the assignment either way)."""
    try:
        check = await PeopleClient(office.require()).check(engineer_id, job_id)
    except ApiError:
        return ""
    return gap_text(state.t, name, check.gaps) if check.gaps else ""


def unqualified_confirm(state: ConsoleState, warning: str, confirm: Any, cancel: Any) -> ft.Control:
    """The dispatcher's choice after the warning: assign anyway (kept in the assignment history) or not."""
    t = state.t
    return tagged(
        "unqualified-warning",
        ft.Container(
            bgcolor=AMBER_BG,
            border_radius=8,
            padding=10,
            content=ft.Column(
                [
                    ft.Text(t("console.people.unqualified_title"), size=16, weight=ft.FontWeight.BOLD),
                    ft.Text(warning, size=15),
                    ft.Row(
                        [
                            button(
                                t("console.people.assign_anyway"),
                                confirm,
                                kind="danger",
                                ident="assign-anyway",
                            ),
                            button(t("console.people.cancel"), cancel, kind="quiet", ident="assign-cancel"),
                        ],
                        spacing=8,
                    ),
                ],
                spacing=6,
                tight=True,
            ),
        ),
    )
