"""The paid-repairs screen (有偿维修、优惠收费): the quotes the tablets made (flagged when kept for review),
issuing the charge of an accepted quote, recording its payments, and the two reports: paid repairs by
month, customer or cause, and the three-guarantee summary (free vs paid) by cause or model."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import flet as ft

from console.clients.paid import PaidClient
from console.clients.stock import checked
from console.components.widgets import button, chip, chips, error_text, muted, on, panel, table, title
from console.context import use_office
from console.state import ConsoleState, use_draft, use_remote
from shared.paid import (
    ChargeCreate,
    ChargeStatus,
    PaidBy,
    PaymentCreate,
    PayMethod,
    QuoteOut,
    QuoteStatus,
    ReviewReason,
    SummaryBy,
)
from ui.components.common import text_field


def _yuan(value: Decimal) -> str:
    return f"¥{value:,.2f}"


def _quote_rows(state: ConsoleState, quotes: list[QuoteOut]) -> list[list[str]]:
    t = state.t
    rows = []
    for q in quotes:
        charge = q.charge
        rows.append(
            [
                q.job_number,
                q.customer_name,
                t(f"enum.billable_reason.{q.billable_reason or 'none'}"),
                f"{q.discount_pct}%",
                _yuan(q.total),
                t(f"enum.quote_status.{q.status.value}")
                + (
                    f" · {t(f'console.paid.review.{ReviewReason(q.review_reason).value}')}"
                    if q.review_reason
                    else ""
                ),
                f"{charge.number} · {t(f'enum.charge_status.{charge.status.value}')}" if charge else "—",
                _yuan(charge.paid) if charge else "—",
            ]
        )
    return rows


@ft.component
def PaidScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    paid_by, set_paid_by = ft.use_state(PaidBy.MONTH)
    summary_by, set_summary_by = ft.use_state(SummaryBy.CAUSE)

    async def export(name: str, by: str, fmt: str) -> None:
        """The report as shown (its grouping), as a file in the page's language."""
        got = await office.act(
            lambda api: api.download(f"/api/paid/exports/{name}.{fmt}", by=by, lang=state.lang)
        )
        if isinstance(got, tuple):
            await office.save_file(got[0], got[1])

    def export_row(name: str, by: str) -> ft.Control:
        return ft.Row(
            [
                button(
                    t("console.paid.export_xlsx"),
                    on(export, name, by, "xlsx"),
                    kind="quiet",
                    icon=ft.Icons.TABLE_VIEW,
                    ident=f"export-{name}-xlsx",
                ),
                button(
                    t("console.paid.export_csv"),
                    on(export, name, by, "csv"),
                    kind="quiet",
                    icon=ft.Icons.DOWNLOAD,
                    ident=f"export-{name}-csv",
                ),
            ],
            spacing=10,
        )

    loaded = use_remote(
        office,
        lambda api: PaidClient(api).books(paid_by.value, summary_by.value, state.lang, True),
        [state.revision, paid_by, summary_by, state.lang],
    )
    charge_pick, set_charge_pick = use_draft(office, "paid.pay.charge", "")
    amount, set_amount = use_draft(office, "paid.pay.amount", "")
    method, set_method = use_draft(office, "paid.pay.method", PayMethod.BANK_TRANSFER.value)
    paid_on, set_paid_on = use_draft(office, "paid.pay.paid_on", date.today().isoformat())
    note, set_note = use_draft(office, "paid.pay.note", "")
    body: list[ft.Control] = [
        ft.Row([title(t("console.paid.title"))], wrap=True),
        muted(t("console.paid.explain")),
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    books = loaded.value
    if books is None:
        body.append(muted(t("console.stock.loading")))
        return ft.ListView(body, spacing=12, padding=16, expand=True)

    headers = [
        t(f"console.paid.col.{c}")
        for c in ("job", "customer", "cause", "discount", "total", "status", "charge", "paid")
    ]
    review = [i for i, q in enumerate(books.quotes) if q.status is QuoteStatus.REVIEW]

    async def issue(quote: QuoteOut) -> None:
        await office.act(
            lambda api: PaidClient(api).issue_charge(str(quote.id), checked(ChargeCreate)),
            done=t("console.paid.issued", job=quote.job_number),
        )

    to_charge = [q for q in books.quotes if q.status is QuoteStatus.ACCEPTED and q.charge is None]
    body.append(
        panel(
            t("console.paid.quotes", n=len(books.quotes)),
            [
                chips(
                    [
                        button(
                            t("console.paid.issue", job=q.job_number, total=_yuan(q.total)),
                            on(issue, q),
                            ident=f"charge-issue-{q.job_number}",
                            icon=ft.Icons.RECEIPT_LONG,
                        )
                        for q in to_charge
                    ]
                ),
                table(
                    headers,
                    _quote_rows(state, books.quotes),
                    red=[(r, 5) for r in review],
                    ident="paid-quotes",
                )
                if books.quotes
                else muted(t("console.paid.none")),
            ],
            ident="paid-quotes-panel",
        )
    )

    owing = [q for q in books.quotes if q.charge is not None and q.charge.status is not ChargeStatus.PAID]

    async def pay() -> None:
        charge = next((q.charge for q in owing if q.charge and str(q.charge.id) == charge_pick), None)
        if charge is None:
            state.tell(t("console.paid.pick_charge"), error=True)
            return
        try:
            money = Decimal(amount.strip())
        except InvalidOperation:
            state.tell(t("console.paid.bad_amount"), error=True)
            return
        if await office.act(
            lambda api: PaidClient(api).record_payment(
                str(charge.id),
                checked(PaymentCreate, amount=money, method=method, paid_on=paid_on.strip(), note=note),
            ),
            done=t("console.paid.recorded", number=charge.number),
        ):
            set_amount("")
            set_note("")
            set_charge_pick("")

    body.append(
        panel(
            t("console.paid.payment_title"),
            [
                chips(
                    [
                        chip(
                            t(
                                "console.paid.owing",
                                number=q.charge.number,
                                owed=_yuan(q.charge.amount - q.charge.paid),
                            ),
                            str(q.charge.id) == charge_pick,
                            on(set_charge_pick, str(q.charge.id)),
                            ident=f"charge-pick-{q.job_number}",
                        )
                        for q in owing
                        if q.charge is not None
                    ]
                )
                if owing
                else muted(t("console.paid.none_owing")),
                chips(
                    [
                        chip(
                            t(f"enum.pay_method.{m.value}"),
                            m.value == method,
                            on(set_method, m.value),
                            ident=f"pay-method-{m.value}",
                        )
                        for m in PayMethod
                    ]
                ),
                ft.Row(
                    [
                        ft.Container(
                            text_field(
                                t("console.paid.amount"), amount, lambda e: set_amount(e.control.value)
                            ),
                            width=160,
                        ),
                        ft.Container(
                            text_field(
                                t("console.paid.paid_on"), paid_on, lambda e: set_paid_on(e.control.value)
                            ),
                            width=160,
                        ),
                        ft.Container(
                            text_field(t("console.paid.note"), note, lambda e: set_note(e.control.value)),
                            width=240,
                        ),
                        button(
                            t("console.paid.record"), on(pay), ident="payment-record", icon=ft.Icons.PAYMENTS
                        ),
                    ],
                    wrap=True,
                    spacing=10,
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                ),
            ],
            ident="paid-payment",
        )
    )

    body.append(
        panel(
            t("console.paid.report_title"),
            [
                chips(
                    [
                        chip(
                            t(f"paid.report.by.{b.value}"),
                            b == paid_by,
                            on(set_paid_by, b),
                            ident=f"paid-by-{b}",
                        )
                        for b in PaidBy
                    ]
                ),
                table(
                    [
                        t(f"paid.report.by.{paid_by.value}"),
                        t("paid.report.col.quotes"),
                        t("paid.report.col.quoted"),
                        t("paid.report.col.charged"),
                        t("paid.report.col.paid"),
                    ],
                    [
                        [r.label, str(r.quotes), _yuan(r.quoted), _yuan(r.charged), _yuan(r.paid)]
                        for r in books.paid
                    ],
                    numeric=(1, 2, 3, 4),
                    ident="paid-report",
                )
                if books.paid
                else muted(t("console.paid.none")),
                export_row("paid-repairs", paid_by.value),
            ],
        )
    )
    body.append(
        panel(
            t("paid.summary.title"),
            [
                chips(
                    [
                        chip(
                            t(f"paid.summary.by.{b.value}"),
                            b == summary_by,
                            on(set_summary_by, b),
                            ident=f"summary-by-{b}",
                        )
                        for b in SummaryBy
                    ]
                ),
                table(
                    [
                        t(f"paid.summary.by.{summary_by.value}"),
                        t("paid.summary.col.free"),
                        t("paid.summary.col.paid"),
                        t("paid.summary.col.undecided"),
                    ],
                    [[r.label, str(r.free), str(r.paid), str(r.undecided)] for r in books.summary],
                    numeric=(1, 2, 3),
                    ident="paid-summary",
                ),
                export_row("three-guarantee", summary_by.value),
            ],
        )
    )
    return ft.ListView(body, spacing=12, padding=16, expand=True)
