"""Backup equipment on the job (备用设备): lend a unit from the pool, and take it back, offline.

The plan promises a backup unit within 8 hours, kept with the customer until the problem is solved. The
engineer records the lending and the return here with the tablet's time; the server judges the unit (a
unit another tablet lent first comes back refused, in words, on the sync screen). A self-contained
section: the job screen shows it as one of its tabs.
"""

from __future__ import annotations

from typing import Any

import flet as ft

from mobile.app.context import use_device
from mobile.app.queries import JobView
from mobile.app.state import AppState
from ui.components.common import INK, LINE, MUTED, SURFACE, badge, big_button, bind, keyed, section, tagged
from ui.logic.clocks import parse_time
from ui.text import when

CONDITIONS = ("good", "worn", "damaged")


def _label(unit: dict[str, Any] | None, unit_id: str) -> str:
    if not unit:
        return unit_id[:8]
    return f"{unit.get('model', '')} · {unit.get('serial_no', '')}"


@ft.component
def LoanRow(state: AppState, view: JobView, loan: dict[str, Any], unit: dict[str, Any] | None) -> ft.Control:
    """One loan of the job: the unit, when it was lent, and its return (the condition picked first)."""
    device = use_device()
    t, lang = state.t, state.lang
    actions = device.app.actions
    # the condition picked before "return" is a device draft: another tab or job in between keeps it
    draft_name = f"return_condition:{loan['id']}"
    kept = actions.draft(view.id, draft_name)
    condition, set_condition = ft.use_state(kept if kept in CONDITIONS else "good")

    def pick(value: str) -> None:
        set_condition(value)
        actions.keep_draft(view.id, draft_name, value)

    back = loan.get("returned_at") is not None
    lines: list[ft.Control] = [
        ft.Text(_label(unit, loan["unit_id"]), size=18, weight=ft.FontWeight.W_600, color=INK),
        ft.Text(
            t(
                "app.loans.lent_at",
                when=when(lang, parse_time(loan.get("lent_at")), state.now, device.app.tz),
            ),
            size=15,
            color=MUTED,
        ),
    ]
    if back:
        lines.append(
            ft.Text(
                t(
                    "app.loans.returned_at",
                    when=when(lang, parse_time(loan.get("returned_at")), state.now, device.app.tz),
                    condition=t(f"enum.return_condition.{loan.get('condition') or 'good'}"),
                ),
                size=15,
                color=MUTED,
            )
        )
    controls: list[ft.Control] = [ft.Column(lines, spacing=2, expand=True, tight=True)]
    if not back:

        def give_back(_e: object) -> None:
            device.act(
                lambda: device.app.actions.return_unit(view.id, loan["id"], condition),
                done="app.loans.returned",
            )

        controls += [
            *(
                tagged(
                    f"loan-condition-{c}",
                    big_button(
                        t(f"enum.return_condition.{c}"),
                        bind(pick, c),
                        kind="selected" if condition == c else "quiet",
                    ),
                )
                for c in CONDITIONS
            ),
            tagged("loan-return", big_button(t("app.loans.return"), give_back, icon=ft.Icons.UNDO)),
        ]
    return ft.Container(
        bgcolor=SURFACE,
        border=ft.Border.all(1, LINE),
        border_radius=10,
        padding=10,
        content=ft.Row(controls, spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER),
    )


@ft.component
def LoansSection(state: AppState, view: JobView) -> ft.Control:
    device = use_device()
    t = state.t
    units = {u["id"]: u for u in device.app.actions.backup_units()}
    loans = view.job.get("loans", [])
    out_here = {loan["unit_id"] for loan in loans if loan.get("returned_at") is None}

    def lend(unit_id: str) -> None:
        device.act(lambda: device.app.actions.lend_unit(view.id, unit_id), done="app.loans.lent")

    loan_rows: list[ft.Control] = [
        keyed(LoanRow)(state, view, loan, units.get(loan["unit_id"]), key=loan["id"]) for loan in loans
    ]
    if not loan_rows:
        loan_rows.append(ft.Text(t("app.loans.none"), size=17, color=MUTED))
    pool_rows: list[ft.Control] = []
    for unit in units.values():
        if unit["id"] in out_here:
            continue
        free = unit.get("status") == "available"
        pool_rows.append(
            ft.Row(
                [
                    ft.Text(
                        f"{t('enum.category.' + str(unit.get('category')))} · {_label(unit, unit['id'])}",
                        size=17,
                        color=INK,
                        expand=True,
                    ),
                    badge(
                        t(f"enum.unit_status.{unit.get('status', 'available')}"),
                        bg="#dff3e4" if free else "#e9eef3",
                    ),
                    tagged(
                        f"loan-lend-{unit.get('serial_no', '')}",
                        big_button(t("app.loans.lend"), bind(lend, unit["id"]), icon=ft.Icons.ADD),
                    )
                    if free
                    else ft.Container(),
                ],
                spacing=8,
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            )
        )
    if not pool_rows:  # nothing synced yet, or every unit of the pool is the one lent here
        pool_rows.append(
            ft.Text(t("app.loans.pool_others" if units else "app.loans.pool_empty"), size=17, color=MUTED)
        )
    return ft.Column(
        [
            section(
                t("app.loans.title"),
                [
                    ft.Text(t("app.loans.note"), size=16, color=MUTED),
                    tagged("loans-job", ft.Column(loan_rows, spacing=8)),
                ],
            ),
            section(t("app.loans.pool"), [tagged("loans-pool", ft.Column(pool_rows, spacing=8))]),
        ],
        spacing=14,
    )
