"""The daily or monthly parts report, by store and by engineer, with its CSV and XLSX files (``parts-*``)."""

from __future__ import annotations

import flet as ft

from console.clients.stock import StockClient
from console.components.widgets import button, chip, chips, error_text, muted, on, panel, table
from console.context import use_office
from console.logic.stock import report_cells
from console.state import ConsoleState, use_remote
from ui.components.common import text_field


@ft.component
def ReportSection(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    today = state.now.astimezone(office.tz).date().isoformat()
    period, set_period = ft.use_state("day")
    day, set_day = ft.use_state(today)
    asked = day.strip() or today
    loaded = use_remote(
        office,
        lambda api: StockClient(api).parts_report(period, asked),
        [period, asked, state.revision],
    )
    report = loaded.value or {"rows": [], "by_engineer": [], "by_job": []}

    async def export(fmt: str) -> None:
        result = await office.act(
            lambda api: StockClient(api).export_parts_report(fmt, period, asked, state.lang)
        )
        if isinstance(result, tuple):
            await office.save_file(result[0], result[1])
            state.tell(t("console.reports.exported", file=result[1]))

    columns = [
        t(f"parts_report.col.{c}")
        for c in (
            "opening",
            "received",
            "transferred_in",
            "transferred_out",
            "consumed",
            "returned",
            "adjusted",
            "closing",
            "closing_value",
        )
    ]
    controls: list[ft.Control] = [
        ft.Row(
            [
                chips(
                    [
                        chip(
                            t(f"console.stock.period_{p}"),
                            period == p,
                            on(set_period, p),
                            ident=f"parts-period-{p}",
                        )
                        for p in ("day", "week", "month")
                    ]
                ),
                ft.Container(
                    text_field(
                        t("console.stock.report_date"), day, lambda e: set_day(e.control.value), hint=today
                    ),
                    width=200,
                ),
                button(
                    t("console.reports.export_csv", what=t("console.stock.section.report")),
                    on(export, "csv"),
                    kind="quiet",
                    ident="parts-export-csv",
                ),
                button(
                    t("console.reports.export_xlsx", what=t("console.stock.section.report")),
                    on(export, "xlsx"),
                    kind="quiet",
                    ident="parts-export-xlsx",
                ),
            ],
            wrap=True,
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )
    ]
    if loaded.error:
        controls.append(error_text(loaded.error))
    if report.get("rows"):
        controls.append(
            table(
                [t("parts_report.col.store"), t("parts_report.col.part_name"), *columns],
                [
                    [r["store_name"], f"{r['part_code']} {r['part_name']}", *report_cells(r)]
                    for r in report["rows"]
                ],
                numeric=tuple(range(2, 2 + len(columns))),
                ident="parts-report",
            )
        )
    elif not loaded.loading:
        controls.append(muted(t("console.stock.report_empty")))
    if report.get("by_engineer"):
        controls.append(
            panel(
                t("parts_report.title.engineers"),
                [
                    table(
                        [
                            t("parts_report.col.engineer"),
                            t("parts_report.col.part_name"),
                            t("parts_report.col.quantity"),
                            t("parts_report.col.value"),
                            t("parts_report.col.shortfall"),
                        ],
                        [
                            [
                                c.get("engineer_name") or "—",
                                f"{c['part_code']} {c['part_name']}",
                                str(c["quantity"]),
                                f"{c['value']:.2f}",
                                str(c["shortfall"]),
                            ]
                            for c in report["by_engineer"]
                        ],
                        numeric=(2, 3, 4),
                    )
                ],
            )
        )
    return panel(t("console.stock.report_title"), controls, ident="stock-report")
