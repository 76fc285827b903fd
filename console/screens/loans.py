"""The backup-equipment screen (备用设备): the pool, units still out after their job closed (flagged), the
loan history per unit and per customer (exportable as CSV or XLSX), adding a unit, and lending a unit on
an open job or recording a return the tablet did not."""

from __future__ import annotations

import flet as ft

from console.clients.loans import LoansClient
from console.clients.stock import checked
from console.components.widgets import button, chip, chips, error_text, muted, on, panel, table, title
from console.context import use_office
from console.logic.times import full
from console.state import ConsoleState, use_draft, use_remote
from shared.clock import utcnow
from shared.enums import EquipmentCategory
from shared.loans import LoanCreate, LoanOut, LoanReturn, ReturnCondition, UnitCreate, UnitOut, UnitStatus
from shared.models import JobOut
from ui.components.common import text_field

#: loans the history table shows (the newest); the export holds them all
HISTORY_SHOWN = 40


def _loan_rows(state: ConsoleState, tz: object, loans: list[LoanOut]) -> list[list[str]]:
    t = state.t
    return [
        [
            loan.unit_label,
            loan.job_number,
            loan.customer_name,
            full(loan.lent_at, tz),  # type: ignore[arg-type]
            full(loan.returned_at, tz) if loan.returned_at else t("console.loans.still_out"),  # type: ignore[arg-type]
            t(f"enum.return_condition.{loan.condition.value}") if loan.condition else "—",
            t(f"enum.status.{loan.job_status}"),
        ]
        for loan in loans
    ]


@ft.component
def LoansScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(office, lambda api: LoansClient(api).pool(), [state.revision])
    unit_pick, set_unit_pick = ft.use_state("")
    customer_pick, set_customer_pick = ft.use_state("")
    category, set_category = use_draft(office, "loans.add.category", EquipmentCategory.DRAINAGE_PUMP.value)
    model, set_model = use_draft(office, "loans.add.model", "")
    serial, set_serial = use_draft(office, "loans.add.serial", "")
    place_note, set_place_note = use_draft(office, "loans.add.place", "")
    condition, set_condition = use_draft(office, "loans.return.condition", ReturnCondition.GOOD.value)
    body: list[ft.Control] = [
        ft.Row([title(t("console.loans.title"))], wrap=True),
        muted(t("console.loans.explain")),
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    pool = loaded.value
    if pool is None:
        body.append(muted(t("console.stock.loading")))
        return ft.ListView(body, spacing=12, padding=16, expand=True)
    headers = [
        t(f"console.loans.col.{c}")
        for c in ("unit", "job", "customer", "lent", "returned", "condition", "status")
    ]

    async def give_back(loan_id: str) -> None:
        if await office.act(
            lambda api: LoansClient(api).give_back(
                loan_id, checked(LoanReturn, returned_at=utcnow(), condition=condition)
            ),
            done=t("console.loans.returned"),
        ):
            set_condition(ReturnCondition.GOOD.value)

    flagged = pool.out_after_close
    body.append(
        panel(
            t("console.loans.flagged", n=len(flagged)),
            [
                table(
                    headers,
                    _loan_rows(state, office.tz, flagged),
                    red=[(r, 4) for r in range(len(flagged))],
                    ident="loans-flagged",
                )
                if flagged
                else muted(t("console.loans.none_flagged")),
                *(
                    button(
                        t("console.loans.record_return", unit=loan.unit_label),
                        on(give_back, str(loan.id)),
                        kind="quiet",
                        ident=f"loan-return-{loan.id}",
                    )
                    for loan in flagged
                ),
            ],
            ident="loans-flagged-panel",
        )
    )
    body.append(LendForm(state, [u for u in pool.units if u.status is UnitStatus.AVAILABLE]))
    still_out = [x for x in pool.loans if x.returned_at is None and not x.out_after_close]
    body.append(
        panel(
            t("console.loans.out", n=len(still_out)),
            [
                chips(
                    [
                        chip(
                            t(f"enum.return_condition.{c.value}"),
                            c.value == condition,
                            on(set_condition, c.value),
                            ident=f"return-condition-{c.value}",
                        )
                        for c in ReturnCondition
                    ]
                ),
                *(
                    ft.Row(
                        [
                            muted(
                                f"{x.unit_label} · {x.job_number} · {x.customer_name} · {full(x.lent_at, office.tz)}"
                            ),
                            button(
                                t("console.loans.record_return", unit=x.unit_label),
                                on(give_back, str(x.id)),
                                kind="quiet",
                                ident=f"loan-return-{x.id}",
                            ),
                        ],
                        wrap=True,
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    )
                    for x in still_out
                ),
            ]
            if still_out
            else [muted(t("console.loans.none_out"))],
            ident="loans-out",
        )
    )

    unit_headers = [
        t(f"console.loans.unit_col.{c}") for c in ("category", "model", "serial", "status", "place", "job")
    ]
    unit_rows = [
        [
            t(f"enum.category.{u.category}") if u.category in set(EquipmentCategory) else u.category,
            u.model,
            u.serial_no,
            t(f"enum.unit_status.{u.status.value}"),
            f"{t(f'enum.unit_place.{u.place.value}')} {u.place_note}".strip(),
            u.current_job_number or "—",
        ]
        for u in pool.units
    ]
    body.append(
        panel(
            t("console.loans.pool", n=len(pool.units)),
            [
                table(unit_headers, unit_rows, ident="loans-units")
                if unit_rows
                else muted(t("console.loans.pool_empty"))
            ],
        )
    )

    async def add() -> None:
        if not model.strip() or not serial.strip():
            state.tell(t("console.loans.add_incomplete"), error=True)
            return
        if await office.act(
            lambda api: LoansClient(api).add_unit(
                checked(UnitCreate, category=category, model=model, serial_no=serial, place_note=place_note)
            ),
            done=t("console.loans.added", serial=serial.strip()),
        ):
            set_model("")
            set_serial("")
            set_place_note("")

    body.append(
        panel(
            t("console.loans.add_title"),
            [
                chips(
                    [
                        chip(
                            t(f"enum.category.{c.value}"),
                            c.value == category,
                            on(set_category, c.value),
                            ident=f"unit-cat-{c.value}",
                        )
                        for c in EquipmentCategory
                    ]
                ),
                ft.Row(
                    [
                        ft.Container(
                            text_field(t("console.loans.model"), model, lambda e: set_model(e.control.value)),
                            width=220,
                        ),
                        ft.Container(
                            text_field(
                                t("console.loans.serial"), serial, lambda e: set_serial(e.control.value)
                            ),
                            width=200,
                        ),
                        ft.Container(
                            text_field(
                                t("console.loans.place_note"),
                                place_note,
                                lambda e: set_place_note(e.control.value),
                            ),
                            width=220,
                        ),
                        button(t("console.loans.add"), on(add), ident="unit-add", icon=ft.Icons.ADD),
                    ],
                    wrap=True,
                    spacing=10,
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                ),
            ],
            ident="loans-add",
        )
    )

    async def export(fmt: str) -> None:
        got = await office.act(lambda api: LoansClient(api).export(fmt, state.lang, unit_pick, customer_pick))
        if isinstance(got, tuple):
            await office.save_file(got[0], got[1])

    customers = sorted({(x.customer_name, str(x.customer_id)) for x in pool.loans})
    shown = [
        x
        for x in pool.loans
        if (not unit_pick or str(x.unit_id) == unit_pick)
        and (not customer_pick or str(x.customer_id) == customer_pick)
    ]
    body.append(
        panel(
            t("console.loans.history"),
            [
                muted(t("console.loans.by_unit")),
                chips(
                    [
                        chip(
                            t("console.loans.all"),
                            not unit_pick,
                            on(set_unit_pick, ""),
                            ident="loans-unit-all",
                        )
                    ]
                    + [
                        chip(
                            u.serial_no,
                            str(u.id) == unit_pick,
                            on(set_unit_pick, str(u.id)),
                            ident=f"loans-unit-{u.serial_no}",
                        )
                        for u in pool.units
                    ]
                ),
                muted(t("console.loans.by_customer")),
                chips(
                    [
                        chip(
                            t("console.loans.all"),
                            not customer_pick,
                            on(set_customer_pick, ""),
                            ident="loans-customer-all",
                        )
                    ]
                    + [
                        chip(name, cid == customer_pick, on(set_customer_pick, cid))
                        for name, cid in customers
                    ]
                ),
                table(headers, _loan_rows(state, office.tz, shown[:HISTORY_SHOWN]), ident="loans-history")
                if shown
                else muted(t("console.loans.none")),
                *(
                    [muted(t("console.loans.more_in_export", shown=HISTORY_SHOWN, n=len(shown)))]
                    if len(shown) > HISTORY_SHOWN
                    else []
                ),
                ft.Row(
                    [
                        button(
                            t(f"console.loans.export_{fmt}"),
                            on(export, fmt),
                            kind="quiet",
                            icon=ft.Icons.DOWNLOAD,
                            ident=f"loans-export-{fmt}",
                        )
                        for fmt in ("xlsx", "csv")
                    ]
                ),
            ],
        )
    )
    return ft.ListView(body, spacing=12, padding=16, expand=True)


@ft.component
def LendForm(state: ConsoleState, units: list[UnitOut]) -> ft.Control:
    """Lend a free unit on an open job: the job found by its number, caller or symptom; what is picked
    and typed is a persisted draft until the loan is recorded."""
    office = use_office()
    t = state.t
    search, set_search = use_draft(office, "loans.lend.search", "")
    job_id, set_job_id = use_draft(office, "loans.lend.job", "")
    job_label, set_job_label = use_draft(office, "loans.lend.job_label", "")
    unit_id, set_unit_id = use_draft(office, "loans.lend.unit", "")
    note, set_note = use_draft(office, "loans.lend.note", "")
    jobs = use_remote(office, lambda api: LoansClient(api).open_jobs(search), [search, state.revision])

    def pick_job(job: JobOut) -> None:
        set_job_id(str(job.id))
        set_job_label(f"{job.number} {office.directory.name('customers', job.customer_id)}".strip())

    async def lend() -> None:
        if not job_id or not unit_id:
            state.tell(t("console.loans.lend_incomplete"), error=True)
            return
        made = await office.act(
            lambda api: LoansClient(api).lend(
                checked(LoanCreate, job_id=job_id, unit_id=unit_id, lent_at=utcnow(), note=note)
            )
        )
        if made:
            office.forget("loans.lend.")
            for reset in (set_search, set_job_id, set_job_label, set_unit_id, set_note):
                reset("")
            state.tell(t("console.loans.lent", unit=made.unit_label, job=made.job_number))

    job_chips = [
        chip(
            f"{j.number} {office.directory.name('customers', j.customer_id)}".strip(),
            str(j.id) == job_id,
            on(pick_job, j),
            ident=f"lend-job-{j.number}",
        )
        for j in jobs.value or []
    ]
    return panel(
        t("console.loans.lend_title"),
        [
            ft.Container(
                text_field(t("console.loans.job_search"), search, lambda e: set_search(e.control.value)),
                width=320,
            ),
            chips(job_chips) if job_chips else muted(t("console.loans.no_open_jobs")),
            muted(t("console.loans.job_picked", job=job_label) if job_id else t("console.loans.pick_job")),
            chips(
                [
                    chip(
                        f"{u.model} {u.serial_no}",
                        str(u.id) == unit_id,
                        on(set_unit_id, str(u.id)),
                        ident=f"lend-unit-{u.serial_no}",
                    )
                    for u in units
                ]
            )
            if units
            else muted(t("console.loans.no_free_units")),
            ft.Row(
                [
                    ft.Container(
                        text_field(t("console.loans.note"), note, lambda e: set_note(e.control.value)),
                        width=320,
                    ),
                    button(t("console.loans.lend"), on(lend), ident="loan-lend", icon=ft.Icons.OUTBOX),
                ],
                wrap=True,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        ],
        ident="loans-lend",
    )
