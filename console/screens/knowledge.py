"""The knowledge screen (知识库: 维护经验汇编、培训教材、用户手册): the case library, searched and filtered by
status; QA drafts a case from a closed job, edits it and publishes it to the tablets of the engineers
working on its model, or withdraws it; the manuals and training materials per equipment model, uploaded
by QA and downloaded by everyone in the office. Typed text is a persisted draft until it is saved."""

from __future__ import annotations

import uuid
from typing import Any, cast

import flet as ft

from console.clients.knowledge import KnowledgeClient
from console.components.widgets import button, chip, chips, error_text, muted, on, panel, table, title
from console.context import use_office
from console.logic.customers import FormError
from console.logic.knowledge import MANUAL_EXTENSIONS, can_curate, case_edits, manual_type
from console.logic.times import full
from console.roles import can_dispatch
from console.state import ConsoleState, use_draft, use_remote
from shared.knowledge import (
    CaseOut,
    CaseStatus,
    ManualKind,
    ManualOut,
    TrainingMaterials,
    TrainingPhase,
)
from ui.components.common import keyed, text_field


@ft.component
def CaseEditor(state: ConsoleState, case: CaseOut) -> ft.Control:
    """One case's text, editable by QA; publish, withdraw or delete it."""
    office = use_office()
    t = state.t
    prefix = f"knowledge.case.{case.id}."
    case_title, set_title = use_draft(office, prefix + "title", case.title)
    symptom, set_symptom = use_draft(office, prefix + "symptom", case.symptom)
    cause, set_cause = use_draft(office, prefix + "cause", case.cause)
    fix, set_fix = use_draft(office, prefix + "fix", case.fix)
    parts, set_parts = use_draft(office, prefix + "parts", "\n".join(case.parts))
    ident = case.number

    async def save() -> bool:
        try:
            edits = case_edits(case, case_title, symptom, cause, fix, parts)
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return False
        if not edits.model_dump(exclude_unset=True):
            return True
        if await office.act(
            lambda api: KnowledgeClient(api).edit(str(case.id), edits),
            done=t("console.knowledge.saved", number=case.number),
        ):
            office.forget(prefix)
            return True
        return False

    async def publish(status: CaseStatus) -> None:
        if status is CaseStatus.PUBLISHED and not await save():
            return
        await office.act(
            lambda api: KnowledgeClient(api).publish(str(case.id), status),
            done=t(f"console.knowledge.done.{status.value}", number=case.number),
        )

    async def remove() -> None:
        if await office.act(
            lambda api: KnowledgeClient(api).delete(str(case.id)),
            done=t("console.knowledge.deleted", number=case.number),
        ):
            office.forget(prefix)

    def field(label: str, value: str, setter: Any, lines: bool = True) -> ft.Control:
        return ft.Container(
            text_field(label, value, lambda e: setter(e.control.value), multiline=lines),
            width=640,
        )

    published = case.status is CaseStatus.PUBLISHED
    return panel(
        t("console.knowledge.case_head", number=case.number, model=case.model),
        [
            muted(
                t("console.knowledge.case_from", job=case.job_number or "—")
                + " · "
                + t(f"console.knowledge.status.{case.status.value}")
            ),
            field(t("console.knowledge.col.title"), case_title, set_title, lines=False),
            field(t("console.knowledge.col.symptom"), symptom, set_symptom),
            field(t("console.knowledge.col.cause"), cause, set_cause),
            field(t("console.knowledge.col.fix"), fix, set_fix),
            field(t("console.knowledge.col.parts"), parts, set_parts),
            ft.Row(
                [
                    button(t("console.knowledge.save"), on(save), ident=f"case-save-{ident}"),
                    button(
                        t("console.knowledge.unpublish") if published else t("console.knowledge.publish"),
                        on(publish, CaseStatus.DRAFT if published else CaseStatus.PUBLISHED),
                        kind="quiet" if published else "ok",
                        ident=f"case-publish-{ident}",
                    ),
                    *(
                        []
                        if published
                        else [
                            button(
                                t("console.knowledge.delete"),
                                on(remove),
                                kind="danger",
                                ident=f"case-delete-{ident}",
                            )
                        ]
                    ),
                ],
                wrap=True,
                spacing=8,
            ),
        ],
        ident=f"case-editor-{ident}",
    )


@ft.component
def ManualsPanel(state: ConsoleState, manuals: list[ManualOut], models: list[str]) -> ft.Control:
    office = use_office()
    t = state.t
    curator = can_curate(state.role)
    model, set_model = use_draft(office, "knowledge.manual.model", "")
    name, set_name = use_draft(office, "knowledge.manual.title", "")
    kind, set_kind = use_draft(office, "knowledge.manual.kind", ManualKind.MANUAL.value)

    async def download(manual: ManualOut) -> None:
        got = await office.act(lambda api: KnowledgeClient(api).manual_file(str(manual.id)))
        if isinstance(got, tuple):
            await office.save_file(got[0], manual.filename)

    async def remove(manual: ManualOut) -> None:
        await office.act(
            lambda api: KnowledgeClient(api).delete_manual(str(manual.id)),
            done=t("console.knowledge.manual_deleted", title=manual.title),
        )

    async def upload() -> None:
        if not model or not name.strip():
            state.tell(t("console.knowledge.need_model_title"), error=True)
            return
        picked = await office.pick_file(sorted(MANUAL_EXTENSIONS))
        if picked is None:
            return
        filename, data = picked
        try:
            content_type = manual_type(filename, len(data))
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        if await office.act(
            lambda api: KnowledgeClient(api).upload(
                model, name.strip(), ManualKind(kind), filename, data, content_type
            ),
            done=t("console.knowledge.uploaded", title=name.strip()),
        ):
            office.forget("knowledge.manual.title")
            set_name("")

    headers = [t(f"console.knowledge.manual_col.{c}") for c in ("model", "title", "kind", "file", "size")]
    rows = [
        [
            m.model,
            m.title,
            t(f"console.knowledge.kind.{m.kind.value}"),
            m.filename,
            f"{m.size / 1024:.0f} KB",
        ]
        for m in manuals
    ]
    controls: list[ft.Control] = [
        table(headers, rows, ident="knowledge-manuals") if rows else muted(t("console.knowledge.no_manuals")),
        *(
            ft.Row(
                [
                    muted(f"{m.model} · {m.title}"),
                    button(
                        t("console.knowledge.download"),
                        on(download, m),
                        kind="quiet",
                        icon=ft.Icons.DOWNLOAD,
                        ident=f"manual-get-{i}",
                    ),
                    *(
                        [
                            button(
                                t("console.knowledge.delete"),
                                on(remove, m),
                                kind="quiet",
                                ident=f"manual-delete-{i}",
                            )
                        ]
                        if curator
                        else []
                    ),
                ],
                wrap=True,
                spacing=8,
            )
            for i, m in enumerate(manuals)
        ),
    ]
    if curator:
        controls += [
            muted(t("console.knowledge.manual_model")),
            chips(
                [
                    chip(m, model == m, on(set_model, m), ident=f"manual-model-{i}")
                    for i, m in enumerate(models)
                ]
            ),
            ft.Container(
                text_field(t("console.knowledge.manual_title"), name, lambda e: set_name(e.control.value)),
                width=420,
            ),
            chips(
                [
                    chip(
                        t(f"console.knowledge.kind.{k.value}"),
                        kind == k.value,
                        on(set_kind, k.value),
                        ident=f"manual-kind-{k.value}",
                    )
                    for k in ManualKind
                ]
            ),
            button(
                t("console.knowledge.upload"), on(upload), icon=ft.Icons.UPLOAD_FILE, ident="manual-upload"
            ),
        ]
    return panel(t("console.knowledge.manuals", n=len(manuals)), controls, ident="knowledge-manuals-panel")


@ft.component
def KnowledgeScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    curator = can_curate(state.role)
    q, set_q = use_draft(office, "knowledge.q", "")
    searched, set_searched = ft.use_state("")
    status, set_status = ft.use_state("")
    editing, set_editing = ft.use_state("")
    loaded = use_remote(
        office,
        lambda api: KnowledgeClient(api).library(searched, status, closed_jobs=curator),
        [state.revision, searched, status, curator],
    )
    body: list[ft.Control] = [title(t("console.knowledge.title")), muted(t("console.knowledge.explain"))]
    if loaded.error:
        body.append(error_text(loaded.error))
    data = loaded.value
    if data is None:
        body.append(muted(t("console.stock.loading")))
        return ft.ListView(body, spacing=12, padding=16, expand=True)

    async def draft(job: dict[str, Any]) -> None:
        made = await office.act(
            lambda api: KnowledgeClient(api).draft(str(job["id"])),
            done=t("console.knowledge.drafted", job=job["number"]),
        )
        if isinstance(made, CaseOut):
            set_editing(str(made.id))

    body.append(
        ft.Row(
            [
                ft.Container(
                    text_field(t("console.knowledge.search"), q, lambda e: set_q(e.control.value)), width=360
                ),
                button(t("console.knowledge.find"), on(set_searched, q), ident="knowledge-find"),
                chip(
                    t("console.knowledge.all"), not status, on(set_status, ""), ident="knowledge-status-all"
                ),
                *(
                    chip(
                        t(f"console.knowledge.status.{s.value}"),
                        status == s.value,
                        on(set_status, s.value),
                        ident=f"knowledge-status-{s.value}",
                    )
                    for s in CaseStatus
                ),
            ],
            wrap=True,
            spacing=8,
        )
    )
    headers = [
        t(f"console.knowledge.col.{c}") for c in ("number", "title", "model", "status", "job", "published")
    ]
    rows = [
        [
            c.number,
            c.title,
            c.model,
            t(f"console.knowledge.status.{c.status.value}"),
            c.job_number or "—",
            full(c.published_at, office.tz) if c.published_at else "—",
        ]
        for c in data.cases
    ]
    body.append(
        panel(
            t("console.knowledge.cases", n=len(data.cases)),
            [
                table(headers, rows, ident="knowledge-cases")
                if rows
                else muted(t("console.knowledge.no_cases")),
                chips(
                    [
                        chip(
                            c.number,
                            editing == str(c.id),
                            on(set_editing, str(c.id)),
                            ident=f"case-open-{c.number}",
                        )
                        for c in data.cases
                    ]
                ),
            ],
            ident="knowledge-cases-panel",
        )
    )
    chosen = next((c for c in data.cases if str(c.id) == editing), None)
    if chosen is not None and curator:
        body.append(keyed(CaseEditor)(state, chosen, key=f"{chosen.id}-{chosen.updated_at.isoformat()}"))
    elif chosen is not None:
        body.append(
            panel(
                t("console.knowledge.case_head", number=chosen.number, model=chosen.model),
                [
                    muted(t("console.knowledge.col.symptom") + ": " + chosen.symptom),
                    muted(t("console.knowledge.col.cause") + ": " + chosen.cause),
                    muted(t("console.knowledge.col.fix") + ": " + chosen.fix),
                    muted(t("console.knowledge.col.parts") + ": " + ("、".join(chosen.parts) or "—")),
                ],
            )
        )
    if curator:
        body.append(
            panel(
                t("console.knowledge.closed_jobs", n=len(data.closed)),
                [
                    ft.Row(
                        [
                            muted(f"{job['number']} · {str(job.get('symptom', ''))[:60]}"),
                            button(
                                t("console.knowledge.draft"),
                                on(draft, job),
                                kind="quiet",
                                ident=f"case-draft-{job['number']}",
                            ),
                        ],
                        wrap=True,
                        spacing=8,
                    )
                    for job in data.closed[:20]
                ]
                or [muted(t("console.knowledge.no_closed"))],
                ident="knowledge-closed-jobs",
            )
        )
    body.append(keyed(ManualsPanel)(state, data.manuals, data.models, key="manuals"))
    return ft.ListView(body, spacing=12, padding=16, expand=True)


@ft.component
def TrainingMaterialsPanel(state: ConsoleState, job_id: str) -> ft.Control:
    """A training session's phase (安装期、调试期、运行后) and the manuals and training materials it uses;
    the service desk sets them, the office reads them."""
    office = use_office()
    t = state.t
    loaded = use_remote(
        office,
        lambda api: KnowledgeClient(api).training(job_id),
        [job_id, state.revision],
    )
    phase, set_phase = ft.use_state("")
    chosen, set_chosen = ft.use_state(cast(list[str] | None, None))
    if loaded.error:
        return error_text(loaded.error)
    if loaded.value is None:
        return muted(t("console.stock.loading"))
    training, manuals = loaded.value
    current_phase = phase or (training.phase.value if training.phase else "")
    picked = chosen if chosen is not None else [str(m.id) for m in training.materials]
    desk = can_dispatch(state.role)

    async def save() -> None:
        body = TrainingMaterials(
            phase=TrainingPhase(current_phase) if current_phase else None,
            manual_ids=[uuid.UUID(i) for i in picked],
        )
        if await office.act(
            lambda api: KnowledgeClient(api).set_training(job_id, body),
            done=t("console.knowledge.training_saved"),
        ):
            set_phase("")
            set_chosen(None)

    def toggle(manual_id: str) -> None:
        set_chosen([i for i in picked if i != manual_id] if manual_id in picked else [*picked, manual_id])

    lines: list[ft.Control] = [
        muted(
            t("console.knowledge.training_phase")
            + ": "
            + (t(f"console.knowledge.phase.{current_phase}") if current_phase else "—")
        ),
        muted(
            t("console.knowledge.training_materials")
            + ": "
            + ("、".join(m.title for m in manuals if str(m.id) in picked) or "—")
        ),
    ]
    if desk:
        lines += [
            chips(
                [
                    chip(
                        t(f"console.knowledge.phase.{p.value}"),
                        current_phase == p.value,
                        on(set_phase, p.value),
                        ident=f"training-phase-{p.value}",
                    )
                    for p in TrainingPhase
                ]
            ),
            chips(
                [
                    chip(
                        f"{m.title}（{m.model}）",
                        str(m.id) in picked,
                        on(toggle, str(m.id)),
                        ident=f"training-material-{i}",
                    )
                    for i, m in enumerate(manuals)
                ]
            )
            if manuals
            else muted(t("console.knowledge.no_manuals")),
            button(t("console.knowledge.save"), on(save), ident="training-materials-save"),
        ]
    return panel(t("console.knowledge.training_title"), lines, ident="training-materials")
