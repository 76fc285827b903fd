"""The quality-incidents screen (批量或重大质量问题): the register of incidents, one incident with its jobs
(any customer) and the actions taken, a new incident from scratch or from a job, the jobs of the same model
and fault category suggested, and the status moved forward to closed with the root cause.

Which buttons show follows the server's rules (``shared.quality`` steps and ``shared.roles``): the desk
reads, QA and the manager act. Closing without a root cause is refused here before the server is asked.
Every typed or chosen value is a persisted draft.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import flet as ft

from console.clients.quality import QualityClient, Register
from console.clients.stock import checked
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
from console.logic.times import full
from console.state import ConsoleState, Office, use_draft, use_remote
from shared.enums import Severity
from shared.quality import (
    CANDIDATE_DAYS,
    ActionCreate,
    FaultCategory,
    IncidentCreate,
    IncidentJob,
    IncidentLink,
    IncidentMove,
    IncidentOut,
    IncidentStatus,
    next_statuses,
)
from shared.roles import Capability, can
from ui.components.common import keyed, text_field

NEW = "quality.new."


def _field(label: str, value: str, set_value: Callable[[str], None], width: int = 240) -> ft.Control:
    return ft.Container(text_field(label, value, lambda e: set_value(e.control.value)), width=width)


def _row(controls: list[ft.Control]) -> ft.Control:
    return ft.Row(controls, wrap=True, spacing=10, vertical_alignment=ft.CrossAxisAlignment.CENTER)


def _days(text: str) -> int:
    """The look-back typed, within what the server takes (the default when it is not a number)."""
    try:
        return min(max(int(text.strip()), 1), 730)
    except ValueError:
        return CANDIDATE_DAYS


@ft.component
def QualityScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(office, lambda api: QualityClient(api).register(), [state.revision])
    picked, set_picked = use_draft(office, "quality.pick", "")
    body: list[ft.Control] = [
        ft.Row([title(t("console.quality.title"))], wrap=True),
        muted(t("console.quality.explain")),
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    register = loaded.value
    if register is None:
        body.append(muted(t("console.common.loading")))
        return ft.ListView(body, spacing=12, padding=16, expand=True)
    if can(state.role, Capability.MANAGE_QUALITY_INCIDENTS):
        body.append(NewIncident(state, office, register, set_picked))
    body.append(Incidents(state, register, picked, set_picked))
    if picked and any(str(i.id) == picked for i in register.incidents):
        body.append(keyed(Incident)(state, office, picked, key=picked))
    return ft.ListView(body, spacing=12, padding=16, expand=True)


@ft.component
def NewIncident(
    state: ConsoleState, office: Office, register: Register, set_picked: Callable[[str], None]
) -> ft.Control:
    t = state.t
    job, set_job = use_draft(office, NEW + "job", "")
    name, set_name = use_draft(office, NEW + "title", "")
    model, set_model = use_draft(office, NEW + "model", "")
    fault, set_fault = use_draft(office, NEW + "fault", "")
    category, set_category = use_draft(office, NEW + "category", "")
    fault_cat, set_fault_cat = use_draft(office, NEW + "fault_category", "")
    severity, set_severity = use_draft(office, NEW + "severity", Severity.MAJOR.value)
    owner, set_owner = use_draft(office, NEW + "owner", str(office.user.get("id", "")))
    jobs, set_jobs = use_draft(office, NEW + "jobs", "")

    async def from_job() -> None:
        number = str(office.drafts.get(NEW + "job", job)).strip()  # the newest key press's text
        if not number:
            state.tell(t("console.quality.job_needed"), error=True)
            return
        draft = await office.act(lambda api: QualityClient(api).draft(number))
        if draft is None:
            return
        set_name(draft.title)
        set_model(draft.equipment_model)
        set_fault(draft.fault)
        set_category(draft.category.value if draft.category else "")
        set_fault_cat(draft.fault_category.value)
        set_severity(draft.severity.value)
        set_jobs(",".join(str(j) for j in draft.job_ids))
        state.tell(t("console.quality.drafted", number=number))

    async def save() -> None:
        typed = {
            k: str(office.drafts.get(NEW + k, v))
            for k, v in (("title", name), ("model", model), ("fault", fault))
        }
        if not (
            typed["title"].strip()
            and typed["model"].strip()
            and typed["fault"].strip()
            and fault_cat
            and owner
        ):
            state.tell(t("console.quality.new_incomplete"), error=True)
            return
        made = await office.act(
            lambda api: QualityClient(api).open(
                checked(
                    IncidentCreate,
                    title=typed["title"],
                    equipment_model=typed["model"],
                    category=category or None,
                    fault=typed["fault"],
                    fault_category=fault_cat,
                    severity=severity,
                    owner_id=owner,
                    job_ids=[j for j in jobs.split(",") if j],
                )
            )
        )
        if made is not None:
            office.forget(NEW)
            set_picked(str(made.id))
            state.tell(t("console.quality.opened", number=made.number))

    return panel(
        t("console.quality.new_title"),
        [
            _row(
                [
                    _field(t("console.quality.from_job_number"), job, set_job, 220),
                    button(
                        t("console.quality.from_job"),
                        on(from_job),
                        kind="quiet",
                        icon=ft.Icons.CONTENT_COPY,
                        ident="quality-from-job",
                    ),
                    muted(t("console.quality.jobs_to_link", n=len([j for j in jobs.split(",") if j]))),
                ]
            ),
            _row(
                [
                    _field(t("console.quality.field.title"), name, set_name, 420),
                    _field(t("console.quality.field.model"), model, set_model, 300),
                ]
            ),
            _field(t("console.quality.field.fault"), fault, set_fault, 600),
            muted(t("console.quality.field.fault_category")),
            chips(
                [
                    chip(
                        t(f"enum.fault_category.{c.value}"),
                        c.value == fault_cat,
                        on(set_fault_cat, c.value),
                        ident=f"quality-fault-{c.value}",
                    )
                    for c in FaultCategory
                ]
            ),
            chips(
                [
                    chip(
                        t(f"enum.severity.{s.value}"),
                        s.value == severity,
                        on(set_severity, s.value),
                        ident=f"quality-severity-{s.value}",
                    )
                    for s in Severity
                ]
            ),
            muted(t("console.quality.field.owner")),
            chips(
                [
                    chip(
                        o.display_name,
                        str(o.id) == owner,
                        on(set_owner, str(o.id)),
                        ident=f"quality-owner-{o.display_name}",
                    )
                    for o in register.owners
                ]
            ),
            button(t("console.quality.open"), on(save), icon=ft.Icons.ADD, ident="quality-open"),
        ],
        ident="quality-new",
    )


@ft.component
def Incidents(
    state: ConsoleState, register: Register, picked: str, set_picked: Callable[[str], None]
) -> ft.Control:
    t = state.t
    headers = [
        t(f"console.quality.col.{c}")
        for c in ("number", "title", "model", "fault_category", "severity", "status", "owner", "customers")
    ]
    rows = [
        [
            i.number,
            i.title,
            i.equipment_model,
            t(f"enum.fault_category.{i.fault_category.value}"),
            t(f"enum.severity.{i.severity.value}"),
            t(f"enum.incident_status.{i.status.value}"),
            i.owner_name,
            str(i.customers),
        ]
        for i in register.incidents
    ]
    return panel(
        t("console.quality.list_title", n=len(register.incidents)),
        [
            table(headers, rows, numeric=(7,), ident="quality-table")
            if rows
            else muted(t("console.quality.none")),
            chips(
                [
                    chip(
                        i.number,
                        str(i.id) == picked,
                        on(set_picked, str(i.id)),
                        ident=f"quality-pick-{i.number}",
                    )
                    for i in register.incidents
                ]
            ),
        ],
        ident="quality-list",
    )


def _job_rows(t: Callable[..., str], jobs: list[IncidentJob]) -> list[list[str]]:
    return [
        [
            j.number,
            j.customer_name,
            j.site_name,
            f"{j.equipment_model} {j.serial_no}".strip(),
            j.symptom,
            j.cause or "—",
            t(f"enum.status.{j.status.value}"),
        ]
        for j in jobs
    ]


@ft.component
def Incident(state: ConsoleState, office: Office, incident_id: str) -> ft.Control:
    """One incident: what it is, its jobs, the suggested ones, the actions and the next steps."""
    t = state.t
    loaded = use_remote(
        office, lambda api: QualityClient(api).incident(incident_id), [incident_id, state.revision]
    )
    key = f"quality.{incident_id}."
    link_number, set_link_number = use_draft(office, key + "link", "")
    days, set_days = use_draft(office, key + "days", str(CANDIDATE_DAYS))
    not_yet: list[IncidentJob] | None = None  # the candidates last looked up (None: not looked yet)
    found, set_found = ft.use_state(not_yet)
    taken_on, set_taken_on = use_draft(office, key + "taken_on", date.today().isoformat())
    who, set_who = use_draft(office, key + "who", str(office.user.get("display_name", "")))
    what, set_what = use_draft(office, key + "what", "")
    root, set_root = use_draft(office, key + "root_cause", "")
    if loaded.error:
        return error_text(loaded.error)
    i: IncidentOut | None = loaded.value
    if i is None:
        return muted(t("console.common.loading"))
    manage = can(state.role, Capability.MANAGE_QUALITY_INCIDENTS) and i.status is not IncidentStatus.CLOSED
    tz = office.tz

    def latest(name: str, rendered: str) -> str:
        """A field's newest text: the draft each key press writes, else what this render holds."""
        return str(office.drafts.get(key + name, rendered))

    async def link(chosen: str | None) -> None:
        number = chosen if chosen is not None else latest("link", link_number)
        if not number.strip():
            state.tell(t("console.quality.job_needed"), error=True)
            return
        done = await office.act(
            lambda api: QualityClient(api).link(incident_id, checked(IncidentLink, number=number.strip())),
            done=t("console.quality.linked", job=number.strip(), number=i.number),
        )
        if done is not None:
            office.forget(key + "link")
            set_link_number("")
            if found:
                set_found([j for j in found if j.number != number.strip()])

    async def unlink(job: IncidentJob) -> None:
        await office.act(
            lambda api: QualityClient(api).unlink(incident_id, str(job.job_id)),
            done=t("console.quality.unlinked", job=job.number, number=i.number),
        )

    async def look() -> None:
        result = await office.act(lambda api: QualityClient(api).candidates(incident_id, _days(days)))
        if result is not None:
            set_found(list(result) if result is not True else [])

    async def add_action() -> None:
        day_text, who_text, what_text = latest("taken_on", taken_on), latest("who", who), latest("what", what)
        if not (day_text.strip() and who_text.strip() and what_text.strip()):
            state.tell(t("console.quality.action_incomplete"), error=True)
            return
        try:
            day = date.fromisoformat(day_text.strip())
        except ValueError:
            state.tell(t("console.quality.bad_day"), error=True)
            return
        done = await office.act(
            lambda api: QualityClient(api).act(
                incident_id, checked(ActionCreate, taken_on=day, who=who_text, what=what_text)
            ),
            done=t("console.quality.action_added", number=i.number),
        )
        if done is not None:
            office.forget(key + "what")
            set_what("")

    async def move(target: IncidentStatus) -> None:
        cause = latest("root_cause", root).strip() or None
        if target is IncidentStatus.CLOSED and not (cause or i.root_cause.strip()):
            state.tell(t("console.quality.root_cause_needed"), error=True)
            return
        done = await office.act(
            lambda api: QualityClient(api).move(
                incident_id, checked(IncidentMove, status=target.value, root_cause=cause)
            ),
            done=t(
                "console.quality.moved",
                number=i.number,
                status=t(f"enum.incident_status.{target.value}"),
            ),
        )
        if done is not None:
            office.forget(key + "root_cause")

    job_headers = [
        t(f"console.quality.job.{c}")
        for c in ("number", "customer", "site", "equipment", "symptom", "cause", "status")
    ]
    controls: list[ft.Control] = [
        pairs(
            [
                (t("console.quality.field.title"), i.title),
                (t("console.quality.field.model"), i.equipment_model),
                (t("console.quality.field.fault"), i.fault),
                (
                    t("console.quality.field.fault_category"),
                    t(f"enum.fault_category.{i.fault_category.value}"),
                ),
                (t("console.quality.col.severity"), t(f"enum.severity.{i.severity.value}")),
                (t("console.quality.col.status"), t(f"enum.incident_status.{i.status.value}")),
                (t("console.quality.field.owner"), i.owner_name),
                (t("console.quality.field.root_cause"), i.root_cause),
                (t("console.quality.opened_at"), full(i.opened_at, tz)),
                (t("console.quality.closed_at"), full(i.closed_at, tz) if i.closed_at else ""),
            ],
            label_width=120,
        ),
        ft.Text(
            t("console.quality.jobs_title", n=len(i.jobs), customers=i.customers),
            size=16,
            weight=ft.FontWeight.BOLD,
        ),
        table(job_headers, _job_rows(t, i.jobs), ident="quality-jobs")
        if i.jobs
        else muted(t("console.quality.no_jobs")),
    ]
    if manage:
        controls += [
            chips(
                [
                    button(
                        t("console.quality.unlink", job=j.number),
                        on(unlink, j),
                        kind="quiet",
                        icon=ft.Icons.LINK_OFF,
                        ident=f"quality-unlink-{j.number}",
                    )
                    for j in i.jobs
                ]
            ),
            _row(
                [
                    _field(t("console.quality.link_number"), link_number, set_link_number, 220),
                    button(
                        t("console.quality.link"),
                        on(link, None),
                        icon=ft.Icons.LINK,
                        ident="quality-link",
                    ),
                    _field(t("console.quality.days"), days, set_days, 120),
                    button(
                        t("console.quality.find"),
                        on(look),
                        kind="quiet",
                        icon=ft.Icons.SEARCH,
                        ident="quality-find",
                    ),
                ]
            ),
        ]
        if found is not None:
            controls.append(
                ft.Column(
                    [
                        muted(t("console.quality.found", n=len(found), days=_days(days))),
                        *(
                            _row(
                                [
                                    button(
                                        t("console.quality.link_this", job=j.number),
                                        on(link, j.number),
                                        kind="quiet",
                                        ident=f"quality-link-{j.number}",
                                    ),
                                    muted(f"{j.customer_name} · {j.site_name} · {j.serial_no} · {j.symptom}"),
                                ]
                            )
                            for j in found
                        ),
                    ],
                    spacing=6,
                    tight=True,
                )
            )
    controls.append(ft.Text(t("console.quality.actions_title"), size=16, weight=ft.FontWeight.BOLD))
    controls.append(
        table(
            [
                t("console.quality.action.taken_on"),
                t("console.quality.action.who"),
                t("console.quality.action.what"),
            ],
            [[a.taken_on.isoformat(), a.who, a.what] for a in i.actions],
            ident="quality-actions",
        )
        if i.actions
        else muted(t("console.quality.no_actions"))
    )
    if manage:
        controls.append(
            _row(
                [
                    _field(t("console.quality.action.taken_on"), taken_on, set_taken_on, 160),
                    _field(t("console.quality.action.who"), who, set_who, 200),
                    _field(t("console.quality.action.what"), what, set_what, 420),
                    button(
                        t("console.quality.add_action"),
                        on(add_action),
                        icon=ft.Icons.ADD,
                        ident="quality-add-action",
                    ),
                ]
            )
        )
        steps = [s for s in next_statuses(i.status) if s is not IncidentStatus.CLOSED]
        controls.append(
            _row(
                [
                    *(
                        button(
                            t("console.quality.move_to", status=t(f"enum.incident_status.{s.value}")),
                            on(move, s),
                            kind="quiet",
                            ident=f"quality-move-{s.value}",
                        )
                        for s in steps
                    ),
                ]
            )
        )
        controls.append(
            _row(
                [
                    _field(t("console.quality.field.root_cause"), root, set_root, 520),
                    button(
                        t("console.quality.close"),
                        on(move, IncidentStatus.CLOSED),
                        kind="ok",
                        ident="quality-close",
                    ),
                ]
            )
        )
    return panel(f"{i.number} · {i.title}", controls, ident="quality-incident")
