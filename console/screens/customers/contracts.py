"""On a customer's file: edit the customer (the service desk), and the contracts over time with their
promises, warranty certificates and maintenance agreements (the manager records them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from console.components.widgets import button, chip, chips, error_text, muted, on, pairs, panel, table
from console.context import use_office
from console.logic.contracts import (
    DOCUMENT_FIELDS,
    can_manage_contracts,
    contract_body,
    customer_changes,
    document_changes,
    hours_text,
    promise_body,
)
from console.logic.customers import FormError
from console.state import ConsoleState, use_draft, use_remote
from shared.contracts import PROMISE_KINDS
from shared.enums import EquipmentCategory, Severity
from ui.components.common import keyed, text_field

CUSTOMER_FIELDS = ("name", "contact_name", "contact_phone", "address")


def _box(label: str, value: str, setter: Callable[[str], None], width: int = 200) -> ft.Control:
    return ft.Container(text_field(label, value, lambda e: setter(e.control.value)), width=width)


@ft.component
def CustomerEditForm(state: ConsoleState, customer: dict[str, Any]) -> ft.Control:
    """The customer's name, contact and address, sent as the changes from what was loaded."""
    office = use_office()
    t = state.t
    prefix = f"customer.edit.{customer['id']}."
    values = {k: use_draft(office, prefix + k, customer.get(k) or "") for k in CUSTOMER_FIELDS}

    async def save(_e: object) -> None:
        try:
            body = customer_changes(customer, {k: v for k, (v, _s) in values.items()})
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        if not body:
            state.tell(t("console.contracts.no_change"))
            return
        saved = await office.act(
            lambda api: api.patch(f"/api/customers/{customer['id']}", body), done=t("console.contracts.saved")
        )
        if saved:
            office.forget(prefix)

    fields = [_box(t(f"console.contracts.field.{k}"), v, s, 260) for k, (v, s) in values.items()]
    return panel(
        t("console.contracts.edit_customer"),
        [ft.Row(fields, wrap=True), button(t("console.contracts.save"), save, ident="customer-save")],
        ident="customer-edit",
    )


@ft.component
def ContractForm(state: ConsoleState, customer_id: str) -> ft.Control:
    office = use_office()
    t = state.t
    prefix = f"contract.new.{customer_id}."
    number, set_number = use_draft(office, prefix + "number", "")
    starts, set_starts = use_draft(office, prefix + "starts", "")
    ends, set_ends = use_draft(office, prefix + "ends", "")
    years, set_years = use_draft(office, prefix + "years", "2")
    words, set_words = use_draft(office, prefix + "text", "")

    async def submit(_e: object) -> None:
        try:
            body = contract_body(customer_id, number, starts, ends, years, words)
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        made = await office.act(lambda api: api.post("/api/contracts", body))
        if isinstance(made, dict):
            office.forget(prefix)
            for reset in (set_number, set_starts, set_ends, set_words):
                reset("")
            set_years("2")
            state.tell(t("console.contracts.recorded", number=made["number"]))

    return panel(
        t("console.contracts.new"),
        [
            ft.Row(
                [
                    _box(t("console.contracts.number"), number, set_number),
                    _box(t("console.contracts.starts_on"), starts, set_starts),
                    _box(t("console.contracts.ends_on"), ends, set_ends),
                    _box(t("console.contracts.warranty_years"), years, set_years, 120),
                ],
                wrap=True,
            ),
            text_field(
                t("console.contracts.promise_text"),
                words,
                lambda e: set_words(e.control.value),
                multiline=True,
            ),
            muted(t("console.contracts.date_hint")),
            button(t("console.contracts.record"), submit, ident="contract-record"),
        ],
        ident="contract-form",
    )


@ft.component
def PromiseForm(state: ConsoleState, contract: dict[str, Any]) -> ft.Control:
    """A promise in hours for a severity, category and job kind (each may be left to cover all)."""
    office = use_office()
    t = state.t
    prefix = f"promise.new.{contract['id']}."
    severity, set_severity = use_draft(office, prefix + "severity", "")
    category, set_category = use_draft(office, prefix + "category", "")
    kind, set_kind = use_draft(office, prefix + "kind", "")
    hours = {k: use_draft(office, prefix + k, "") for k in ("respond", "onsite", "fix", "backup")}

    async def submit(_e: object) -> None:
        try:
            body = promise_body(severity, category, kind, *(v for v, _s in hours.values()))
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        made = await office.act(
            lambda api: api.post(f"/api/contracts/{contract['id']}/promises", body),
            done=t("console.contracts.promise_added"),
        )
        if made:
            office.forget(prefix)
            for _v, s in hours.values():
                s("")

    def pick(current: str, setter: Any, options: list[tuple[str, str]], ident: str) -> ft.Control:
        return chips(
            [
                chip(label, current == value, on(setter, value), ident=f"{ident}-{value or 'any'}")
                for value, label in [("", t("console.contracts.any")), *options]
            ]
        )

    return ft.Column(
        [
            pick(
                severity,
                set_severity,
                [(s.value, t(f"enum.severity.{s.value}")) for s in Severity],
                "promise-severity",
            ),
            pick(
                category,
                set_category,
                [(c.value, t(f"enum.category.{c.value}")) for c in EquipmentCategory],
                "promise-category",
            ),
            pick(
                kind,
                set_kind,
                [(k.value, t(f"enum.kind.{k.value}")) for k in sorted(PROMISE_KINDS)],
                "promise-kind",
            ),
            ft.Row(
                [_box(t(f"console.contracts.hours.{k}"), v, s, 150) for k, (v, s) in hours.items()],
                wrap=True,
            ),
            button(t("console.contracts.add_promise"), submit, ident=f"promise-add-{contract['number']}"),
        ],
        spacing=8,
    )


def _promise_rows(state: ConsoleState, contract: dict[str, Any]) -> list[list[str]]:
    t, any_ = state.t, state.t("console.contracts.any")
    return [
        [
            t(f"enum.severity.{p['severity']}") if p["severity"] else any_,
            t(f"enum.category.{p['category']}") if p["category"] else any_,
            t(f"enum.kind.{p['job_kind']}") if p["job_kind"] else any_,
            *(hours_text(p[f"{k}_minutes"]) for k in ("respond", "onsite", "fix", "backup")),
        ]
        for p in contract["promises"]
    ]


@ft.component
def DocumentEditForm(
    state: ConsoleState, contract: dict[str, Any], kind: str, doc: dict[str, Any]
) -> ft.Control:
    """Correct a warranty certificate or a maintenance agreement: each field a persisted draft, only what
    changed is sent, checked as on creation."""
    office = use_office()
    t = state.t
    prefix = f"contract.{kind}.{doc['id']}."
    values = {k: use_draft(office, prefix + k, str(doc.get(k) or "")) for k in DOCUMENT_FIELDS[kind]}
    open_, set_open = use_draft(office, prefix + "open", "")
    ident = f"{kind}-{doc['number']}"
    if not open_:
        return button(
            t(f"console.contracts.edit_{kind}", number=doc["number"]),
            lambda _e: set_open("1"),
            kind="quiet",
            icon=ft.Icons.EDIT,
            ident=f"edit-{ident}",
        )

    async def save(_e: object) -> None:
        try:
            body = document_changes(kind, doc, {k: v for k, (v, _s) in values.items()})
        except FormError as exc:
            state.tell(t(exc.key), error=True)
            return
        if not body:
            state.tell(t("console.contracts.no_change"))
            return
        path = f"/api/contracts/{contract['id']}/{kind}s/{doc['id']}"
        if await office.act(lambda api: api.patch(path, body), done=t("console.contracts.document_saved")):
            office.forget(prefix)

    def cancel(_e: object) -> None:
        office.forget(prefix)
        for key, (_v, setter) in values.items():
            setter(str(doc.get(key) or ""))
        set_open("")

    long = {"scope", "responsibility", "content", "method", "rules"}
    boxes = [
        _box(t(f"console.contracts.doc.{k}"), v, s, 420 if k in long else 180) for k, (v, s) in values.items()
    ]
    return ft.Container(
        ft.Column(
            [
                ft.Row(boxes, wrap=True),
                ft.Row(
                    [
                        button(t("console.contracts.save_document"), save, ident=f"save-{ident}"),
                        button(t("console.contracts.cancel"), cancel, kind="quiet"),
                    ]
                ),
            ],
            spacing=8,
        ),
        padding=8,
        border_radius=8,
        bgcolor="#f3f6f9",
    )


@ft.component
def ContractsPanel(state: ConsoleState, customer_id: str) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(
        office, lambda api: api.get("/api/contracts", customer_id=customer_id), [customer_id, state.revision]
    )
    manage = can_manage_contracts(state.role)
    lines: list[ft.Control] = [error_text(loaded.error)] if loaded.error else []
    for c in loaded.value or []:
        period = f"{c['starts_on']} ~ {c['ends_on'] or t('console.contracts.open_ended')}"
        block: list[ft.Control] = [
            pairs(
                [
                    (t("console.contracts.number"), c["number"]),
                    (t("console.contracts.period"), period),
                    (t("console.contracts.warranty_years"), str(c["warranty_years"])),
                    (t("console.contracts.promise_text"), c["promise_text"]),
                ],
                label_width=120,
            ),
            table(
                [
                    t("console.contracts.severity"),
                    t("form.equipment"),
                    t("console.contracts.kind"),
                    *(t(f"console.contracts.hours.{k}") for k in ("respond", "onsite", "fix", "backup")),
                ],
                _promise_rows(state, c),
                ident=f"promises-{c['number']}",
            )
            if c["promises"]
            else muted(t("console.contracts.no_promises")),
        ]
        for cert in c["certificates"]:
            block.append(
                muted(
                    t(
                        "console.contracts.certificate",
                        number=cert["number"],
                        start=cert["starts_on"],
                        end=cert["ends_on"],
                        scope=cert["scope"],
                    )
                )
            )
            if manage:
                block.append(keyed(DocumentEditForm)(state, c, "certificate", cert, key=cert["id"]))
        for agreement in c["agreements"]:
            block.append(
                muted(
                    t(
                        "console.contracts.agreement",
                        number=agreement["number"],
                        start=agreement["starts_on"],
                        end=agreement["ends_on"],
                        fee=agreement["fee"],
                        scope=agreement["scope"],
                    )
                )
            )
            if manage:
                block.append(keyed(DocumentEditForm)(state, c, "agreement", agreement, key=agreement["id"]))
        if manage:
            block.append(keyed(PromiseForm)(state, c, key=c["id"]))
        if lines:
            lines.append(ft.Divider(height=1))
        lines.append(ft.Container(ft.Column(block, spacing=8), key=c["id"]))
    if not lines and not loaded.loading:
        lines.append(muted(t("console.contracts.none")))
    body = [panel(t("console.contracts.title"), lines, ident="customer-contracts")]
    if manage:
        body.append(ContractForm(state, customer_id))
    return ft.Column(body, spacing=12)
