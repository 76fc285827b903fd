"""The returns-and-claims screen (三包退换与索赔): return and exchange requests through appraisal, the
manager's decision and the customer's signature; supplier claims to settlement; self-repair and direct-loss
compensation on jobs, approved by the manager.

Which buttons show follows the server's rules (``shared.returns`` steps and ``shared.roles``): a button
that would only earn a refusal is not drawn. Every typed or chosen value is a persisted draft.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import flet as ft

from console.api import ConsoleApi
from console.clients.returns import Desk, ReturnsClient
from console.clients.stock import checked
from console.components.widgets import button, chip, chips, error_text, muted, on, panel, table, title
from console.context import use_office
from console.logic.times import full
from console.screens.call import customer_matches
from console.state import ConsoleState, Office, use_draft, use_remote
from shared.clock import utcnow
from shared.returns import (
    AppraisalCreate,
    ClaimCreate,
    ClaimSettle,
    ClaimStatus,
    CompensationCreate,
    CompensationDecide,
    CompensationKind,
    CompensationStatus,
    DefectType,
    ReturnComplete,
    ReturnCreate,
    ReturnDecide,
    ReturnDecision,
    ReturnKind,
    ReturnOut,
    ReturnStatus,
)
from shared.roles import Capability, can
from ui.components.common import keyed, text_field
from ui.components.signature_pad import SignaturePad, signature_view
from ui.logic.signature import Stroke, is_signed, path_to_strokes, strokes_to_path

#: the message after each claim step
CLAIM_DONE = {
    "submit": "console.returns.claim_submitted",
    "settle": "console.returns.claim_settled",
    "reject": "console.returns.claim_rejected",
}


def money(text: str) -> Decimal | None:
    """An amount typed in yuan, or None when it is not one (the schema then says why)."""
    try:
        value = Decimal(text.strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _field(label: str, value: str, set_value: Callable[[str], None], width: int = 220) -> ft.Control:
    return ft.Container(text_field(label, value, lambda e: set_value(e.control.value)), width=width)


def _row(controls: list[ft.Control]) -> ft.Control:
    return ft.Row(controls, wrap=True, spacing=10, vertical_alignment=ft.CrossAxisAlignment.CENTER)


@ft.component
def ReturnsScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(office, lambda api: ReturnsClient(api).desk(), [state.revision])
    body: list[ft.Control] = [
        ft.Row([title(t("console.returns.title"))], wrap=True),
        muted(t("console.returns.explain")),
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    desk = loaded.value
    if desk is None:
        body.append(muted(t("console.stock.loading")))
        return ft.ListView(body, spacing=12, padding=16, expand=True)
    body += [
        NewRequest(state, office, desk),
        Requests(state, office, desk),
        Claims(state, office, desk),
        Compensations(state, office, desk),
    ]
    return ft.ListView(body, spacing=12, padding=16, expand=True)


@ft.component
def NewRequest(state: ConsoleState, office: Office, desk: Desk) -> ft.Control:
    t = state.t
    find, set_find = use_draft(office, "returns.new.find", "")
    customer_id, set_customer = use_draft(office, "returns.new.customer", "")
    part_id, set_part = use_draft(office, "returns.new.part", "")
    kind, set_kind = use_draft(office, "returns.new.kind", ReturnKind.EXCHANGE.value)
    quantity, set_quantity = use_draft(office, "returns.new.quantity", "1")
    reason, set_reason = use_draft(office, "returns.new.reason", "")
    customers = customer_matches(list(office.directory.customers.values()), find) if find.strip() else []
    chosen = office.directory.customers.get(customer_id)

    async def save() -> None:
        if not customer_id or not part_id or not reason.strip():
            state.tell(t("console.returns.new_incomplete"), error=True)
            return
        made = await office.act(
            lambda api: ReturnsClient(api).request(
                checked(
                    ReturnCreate,
                    customer_id=customer_id,
                    part_id=part_id,
                    kind=kind,
                    quantity=quantity.strip() or "1",
                    reason=reason,
                )
            ),
        )
        if made is not None:
            office.forget("returns.new.")
            state.tell(t("console.returns.requested", number=made.number))

    return panel(
        t("console.returns.new_title"),
        [
            _row(
                [
                    _field(t("console.call.find_customer"), find, set_find, 300),
                    muted(chosen["name"] if chosen else t("console.returns.no_customer")),
                ]
            ),
            chips(
                [
                    chip(
                        c["name"],
                        c["id"] == customer_id,
                        on(set_customer, c["id"]),
                        ident=f"returns-customer-{c['name']}",
                    )
                    for c in customers
                ]
            ),
            muted(t("console.returns.part")),
            chips(
                [
                    chip(
                        f"{p.code} {p.name}",
                        str(p.id) == part_id,
                        on(set_part, str(p.id)),
                        ident=f"returns-part-{p.code}",
                    )
                    for p in desk.parts
                ]
            ),
            chips(
                [
                    chip(
                        t(f"enum.return_kind.{k.value}"),
                        k.value == kind,
                        on(set_kind, k.value),
                        ident=f"returns-kind-{k.value}",
                    )
                    for k in ReturnKind
                ]
            ),
            _row(
                [
                    _field(t("console.returns.quantity"), quantity, set_quantity, 120),
                    _field(t("console.returns.reason"), reason, set_reason, 420),
                    button(
                        t("console.returns.request"), on(save), ident="returns-request", icon=ft.Icons.ADD
                    ),
                ]
            ),
        ],
        ident="returns-new",
    )


def _status(t: Callable[..., str], r: ReturnOut) -> str:
    text = t(f"enum.return_status.{r.status.value}")
    if r.decision is not None:
        text += f" · {t(f'enum.return_decision.{r.decision.value}')}"
    return text


@ft.component
def Requests(state: ConsoleState, office: Office, desk: Desk) -> ft.Control:
    t = state.t
    picked, set_picked = use_draft(office, "returns.pick", "")
    headers = [
        t(f"console.returns.col.{c}")
        for c in ("number", "customer", "part", "quantity", "kind", "status", "appraisal")
    ]
    rows = [
        [
            r.number,
            r.customer_name,
            r.part_name,
            str(r.quantity),
            t(f"enum.return_kind.{r.kind.value}"),
            _status(t, r),
            t(f"enum.defect_type.{r.appraisal.defect_type.value}") if r.appraisal else "—",
        ]
        for r in desk.returns
    ]
    current = next((r for r in desk.returns if str(r.id) == picked), None)
    controls: list[ft.Control] = [
        table(headers, rows, ident="returns-table") if rows else muted(t("console.returns.none")),
        chips(
            [
                chip(
                    r.number, str(r.id) == picked, on(set_picked, str(r.id)), ident=f"returns-pick-{r.number}"
                )
                for r in desk.returns
            ]
        ),
    ]
    if current is not None:
        controls.append(
            keyed(RequestSteps)(state, office, current, key=f"{current.id}-{current.status.value}")
        )
    return panel(t("console.returns.list_title", n=len(desk.returns)), controls, ident="returns-list")


@ft.component
def RequestSteps(state: ConsoleState, office: Office, r: ReturnOut) -> ft.Control:
    """The next step of one request, for the role that takes it."""
    t = state.t
    rid = str(r.id)
    defect, set_defect = use_draft(office, f"returns.appraise.{rid}.defect", "")
    fault, set_fault = use_draft(office, f"returns.appraise.{rid}.fault", "")
    supplier, set_supplier = use_draft(office, f"returns.appraise.{rid}.supplier", "")
    note, set_note = use_draft(office, f"returns.step.{rid}.note", "")
    decision, set_decision = use_draft(office, f"returns.decide.{rid}.decision", "")
    refund, set_refund = use_draft(office, f"returns.decide.{rid}.refund", "")
    signer, set_signer = use_draft(office, f"returns.sign.{rid}.signer", "")
    ink, set_ink = use_draft(office, f"returns.sign.{rid}.ink", "")
    claimed, set_claimed = use_draft(office, f"returns.claim.{rid}.amount", "")
    strokes: list[Stroke] = path_to_strokes(ink)

    def set_strokes(new: list[Stroke]) -> None:
        set_ink(strokes_to_path(new) if new else "")

    async def run(action: Callable[[ConsoleApi], Awaitable[Any]], done: str) -> None:
        if await office.act(action, done=done) is not None:
            office.forget(f"returns.appraise.{rid}.")
            office.forget(f"returns.decide.{rid}.")
            office.forget(f"returns.step.{rid}.")

    async def appraise() -> None:
        if not defect or not fault:
            state.tell(t("console.returns.appraise_incomplete"), error=True)
            return
        await run(
            lambda api: ReturnsClient(api).appraise(
                checked(
                    AppraisalCreate,
                    return_id=rid,
                    defect_type=defect,
                    supplier_fault=fault == "yes",
                    supplier=supplier,
                    note=note,
                )
            ),
            t("console.returns.appraised", number=r.number),
        )

    async def decide() -> None:
        if not decision:
            state.tell(t("console.returns.decide_incomplete"), error=True)
            return
        amount = money(refund) if decision == ReturnDecision.RETURN.value else None
        await run(
            lambda api: ReturnsClient(api).decide(
                rid, checked(ReturnDecide, decision=decision, note=note, refund_amount=amount)
            ),
            t("console.returns.decided", number=r.number),
        )

    async def complete() -> None:
        if not signer.strip() or not is_signed(strokes):
            state.tell(t("console.returns.sign_incomplete"), error=True)
            return
        if await office.act(
            lambda api: ReturnsClient(api).complete(
                rid, checked(ReturnComplete, signer_name=signer, signature=ink, signed_at=utcnow())
            ),
            done=t("console.returns.completed", number=r.number),
        ):
            office.forget(f"returns.sign.{rid}.")

    async def open_claim() -> None:
        assert r.appraisal is not None
        appraisal_id = str(r.appraisal.id)
        if await office.act(
            lambda api: ReturnsClient(api).open_claim(
                checked(ClaimCreate, appraisal_id=appraisal_id, amount_claimed=money(claimed))
            ),
            done=t("console.returns.claim_opened", supplier=r.appraisal.supplier if r.appraisal else ""),
        ):
            office.forget(f"returns.claim.{rid}.")

    role = state.role
    out: list[ft.Control] = [muted(f"{r.number} · {r.reason}")]
    if r.appraisal is not None:
        a = r.appraisal
        verdict = t(
            "console.returns.verdict",
            defect=t(f"enum.defect_type.{a.defect_type.value}"),
            fault=t("console.returns.fault_yes" if a.supplier_fault else "console.returns.fault_no"),
        )
        out.append(muted(f"{verdict} {a.supplier} {a.note}".strip()))
        if a.supplier_fault and a.claim_id is None and can(role, Capability.APPROVE_QUALITY):
            out.append(
                _row(
                    [
                        _field(t("console.returns.amount_claimed"), claimed, set_claimed, 180),
                        button(t("console.returns.open_claim"), on(open_claim), ident="returns-claim-open"),
                    ]
                )
            )
    if r.status is ReturnStatus.REQUESTED and can(role, Capability.APPROVE_QUALITY):
        out += [
            muted(t("console.returns.appraise_title")),
            chips(
                [
                    chip(
                        t(f"enum.defect_type.{d.value}"),
                        d.value == defect,
                        on(set_defect, d.value),
                        ident=f"appraise-defect-{d.value}",
                    )
                    for d in DefectType
                ]
            ),
            chips(
                [
                    chip(
                        t("console.returns.fault_yes"),
                        fault == "yes",
                        on(set_fault, "yes"),
                        ident="appraise-fault-yes",
                    ),
                    chip(
                        t("console.returns.fault_no"),
                        fault == "no",
                        on(set_fault, "no"),
                        ident="appraise-fault-no",
                    ),
                ]
            ),
            _row(
                [
                    _field(t("console.returns.supplier"), supplier, set_supplier, 260),
                    _field(t("console.returns.note"), note, set_note, 320),
                    button(t("console.returns.appraise"), on(appraise), ident="appraise-save"),
                ]
            ),
        ]
    elif r.status is ReturnStatus.APPRAISED and can(role, Capability.DECIDE_AS_MANAGER):
        out += [
            muted(t("console.returns.decide_title")),
            chips(
                [
                    chip(
                        t(f"enum.return_decision.{d.value}"),
                        d.value == decision,
                        on(set_decision, d.value),
                        ident=f"decide-{d.value}",
                    )
                    for d in ReturnDecision
                ]
            ),
            _row(
                [
                    *(
                        [_field(t("console.returns.refund"), refund, set_refund, 160)]
                        if decision == ReturnDecision.RETURN.value
                        else []
                    ),
                    _field(t("console.returns.note"), note, set_note, 320),
                    button(t("console.returns.decide"), on(decide), ident="decide-save"),
                ]
            ),
        ]
    elif r.status is ReturnStatus.DECIDED and can(role, Capability.CARE_FOR_CUSTOMERS):
        out += [
            muted(t("console.returns.sign_title")),
            _field(t("console.returns.signer"), signer, set_signer, 240),
            SignaturePad(strokes, set_strokes),
            _row(
                [
                    button(t("console.returns.clear"), on(set_ink, ""), kind="quiet", ident="sign-clear"),
                    button(t("console.returns.complete"), on(complete), ident="sign-save"),
                ]
            ),
        ]
    elif r.status is ReturnStatus.COMPLETED:
        out += [
            muted(
                t(
                    "console.returns.signed_by",
                    name=r.signer_name,
                    at=full(r.signed_at, office.tz) if r.signed_at else "",
                )
            ),
            signature_view(path_to_strokes(r.signature)),
        ]
    return ft.Column(out, spacing=8)


@ft.component
def Claims(state: ConsoleState, office: Office, desk: Desk) -> ft.Control:
    t = state.t
    settle_amount, set_settle_amount = use_draft(office, "returns.settle.amount", "")
    may = can(state.role, Capability.APPROVE_QUALITY)
    headers = [
        t(f"console.returns.claim_col.{c}")
        for c in ("number", "supplier", "part", "claimed", "settled", "status")
    ]
    rows = [
        [
            c.number,
            c.supplier,
            f"{c.part_name} ×{c.quantity}",
            f"{c.amount_claimed:.2f}",
            f"{c.amount_settled:.2f}" if c.amount_settled is not None else "—",
            t(f"enum.claim_status.{c.status.value}"),
        ]
        for c in desk.claims
    ]

    async def act(claim_id: str, step: str) -> None:
        client_step = {
            "submit": lambda api: ReturnsClient(api).submit_claim(claim_id),
            "settle": lambda api: ReturnsClient(api).settle_claim(
                claim_id,
                checked(ClaimSettle, outcome=ClaimStatus.SETTLED, amount_settled=money(settle_amount)),
            ),
            "reject": lambda api: ReturnsClient(api).settle_claim(
                claim_id, checked(ClaimSettle, outcome=ClaimStatus.REJECTED)
            ),
        }[step]
        if await office.act(client_step, done=t(CLAIM_DONE[step])) is not None:
            office.forget("returns.settle.")

    actions: list[ft.Control] = []
    for c in desk.claims if may else []:
        if c.status is ClaimStatus.OPEN:
            actions.append(
                button(
                    t("console.returns.submit_claim", number=c.number),
                    on(act, str(c.id), "submit"),
                    kind="quiet",
                    ident=f"claim-submit-{c.number}",
                )
            )
        elif c.status is ClaimStatus.SUBMITTED:
            actions.append(
                _row(
                    [
                        muted(c.number),
                        _field(t("console.returns.amount_settled"), settle_amount, set_settle_amount, 160),
                        button(
                            t("console.returns.settle"),
                            on(act, str(c.id), "settle"),
                            ident=f"claim-settle-{c.number}",
                        ),
                        button(
                            t("console.returns.reject"),
                            on(act, str(c.id), "reject"),
                            kind="quiet",
                            ident=f"claim-reject-{c.number}",
                        ),
                    ]
                )
            )
    return panel(
        t("console.returns.claims_title", n=len(desk.claims)),
        [
            table(headers, rows, ident="claims-table") if rows else muted(t("console.returns.no_claims")),
            *actions,
        ],
        ident="returns-claims",
    )


@ft.component
def Compensations(state: ConsoleState, office: Office, desk: Desk) -> ft.Control:
    t = state.t
    job_id, set_job = use_draft(office, "returns.comp.job", "")
    kind, set_kind = use_draft(office, "returns.comp.kind", CompensationKind.SELF_REPAIR.value)
    amount, set_amount = use_draft(office, "returns.comp.amount", "")
    evidence, set_evidence = use_draft(office, "returns.comp.evidence", "")
    role = state.role
    headers = [t(f"console.returns.comp_col.{c}") for c in ("job", "kind", "amount", "evidence", "status")]
    rows = [
        [
            p.job_number,
            t(f"enum.compensation_kind.{p.kind.value}"),
            f"{p.amount:.2f}",
            p.evidence,
            t(f"enum.compensation_status.{p.status.value}"),
        ]
        for p in desk.compensations
    ]

    async def record() -> None:
        if not job_id or not evidence.strip():
            state.tell(t("console.returns.comp_incomplete"), error=True)
            return
        if await office.act(
            lambda api: ReturnsClient(api).compensate(
                checked(CompensationCreate, job_id=job_id, kind=kind, amount=money(amount), evidence=evidence)
            ),
            done=t("console.returns.comp_recorded"),
        ):
            office.forget("returns.comp.")

    async def decide(compensation_id: str, approve: bool) -> None:
        await office.act(
            lambda api: ReturnsClient(api).decide_compensation(
                compensation_id, checked(CompensationDecide, approve=approve)
            ),
            done=t("console.returns.comp_approved" if approve else "console.returns.comp_rejected"),
        )

    controls: list[ft.Control] = [
        table(headers, rows, ident="comp-table") if rows else muted(t("console.returns.no_comp")),
    ]
    if can(role, Capability.DECIDE_AS_MANAGER):
        for i, p in enumerate(desk.compensations):
            if p.status is CompensationStatus.PROPOSED:
                controls.append(
                    _row(
                        [
                            muted(
                                f"{p.job_number} {t(f'enum.compensation_kind.{p.kind.value}')} {p.amount:.2f}"
                            ),
                            button(
                                t("console.returns.approve"),
                                on(decide, str(p.id), True),
                                ident=f"comp-approve-{i}",
                            ),
                            button(
                                t("console.returns.reject"),
                                on(decide, str(p.id), False),
                                kind="quiet",
                                ident=f"comp-reject-{i}",
                            ),
                        ]
                    )
                )
    if can(role, Capability.CARE_FOR_CUSTOMERS):
        controls += [
            muted(t("console.returns.missed_jobs", n=len(desk.missed))),
            chips(
                [
                    chip(
                        f"{m.number} {m.customer_name}",
                        str(m.job_id) == job_id,
                        on(set_job, str(m.job_id)),
                        ident=f"comp-job-{m.number}",
                    )
                    for m in desk.missed[:30]
                ]
            ),
            chips(
                [
                    chip(
                        t(f"enum.compensation_kind.{k.value}"),
                        k.value == kind,
                        on(set_kind, k.value),
                        ident=f"comp-kind-{k.value}",
                    )
                    for k in CompensationKind
                ]
            ),
            _row(
                [
                    _field(t("console.returns.amount"), amount, set_amount, 160),
                    _field(t("console.returns.evidence"), evidence, set_evidence, 420),
                    button(t("console.returns.record_comp"), on(record), ident="comp-save"),
                ]
            ),
        ]
    return panel(t("console.returns.comp_title"), controls, ident="returns-comp")
