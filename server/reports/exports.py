"""Reports as tables, and tables as CSV or XLSX files.

Each report of ``server/reports`` becomes one :class:`Table` (title, localised headers, rows of plain
values); a table is written as UTF-8 CSV with a byte-order mark (so Excel on a Chinese Windows opens it
right) or as an XLSX workbook (openpyxl). Minutes stay numbers, so a spreadsheet can compute with them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from shared.i18n import translate
from shared.loans import LoanOut
from shared.local_time import full
from shared.reports import BreachRow, QualityReport, ReportGroup, ResponseTimeReport, SlaReport, TimeStats

Cell = str | int | float | Decimal | None
#: Characters no XLSX cell may hold (openpyxl refuses C0 controls, which was a 500 for every reader of
#: the report; XML has no surrogates, U+FFFE or U+FFFF): C0 controls other than tab, line feed and
#: carriage return, DEL, and those.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
#: Characters a sheet's name may not have.
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


#: How a formula starts for Excel and LibreOffice (tab and carriage return hide one that follows).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: str) -> str:
    """Text as it may leave Levee in a CSV or XLSX cell: the one home for what exports write.

    Drops the control characters an XLSX cannot hold, and puts a ``'`` before text a spreadsheet
    would read as a formula (formula injection: ``=HYPERLINK(...)`` in a customer's name or a cause).
    Only text goes through here: numbers stay numbers, a negative one included.
    """
    text = _CONTROL.sub("", value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _cells(row: list[Cell]) -> list[Cell]:
    return [cell_text(v) if isinstance(v, str) else v for v in row]


MEASURES = ("acknowledge", "arrive", "fix")
#: the columns of a loan history export
LOAN_COLUMNS = (
    "unit",
    "job",
    "job_status",
    "customer",
    "lent_at",
    "returned_at",
    "condition",
    "note",
    "return_note",
    "out_after_close",
)


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""


class TableMaker:
    """Turns report models into tables in one language and time zone."""

    def __init__(self, lang: str, tz: tzinfo) -> None:
        self.lang, self.tz = lang, tz

    def t(self, key: str, **params: Any) -> str:
        return translate(self.lang, key, **params)

    def when(self, moment: datetime | None) -> str:
        return "" if moment is None else full(moment, self.tz)

    def yes_no(self, value: bool) -> str:
        return self.t("app.common.yes" if value else "app.common.no")

    def group_label(self, group_by: ReportGroup | None, key: str | None, label: str | None) -> str:
        if group_by is None:
            return self.t("report.all_jobs")
        if group_by is ReportGroup.SEVERITY and key:
            return self.t(f"enum.severity.{key}")
        if group_by is ReportGroup.ENGINEER and key is None:
            return self.t("report.no_engineer")
        if group_by is ReportGroup.STATION and key is None:
            return self.t("report.no_station")
        return label or key or "—"

    def response_times(self, report: ResponseTimeReport) -> Table:
        group = self.t(f"report.group.{report.group_by.value}" if report.group_by else "report.group.none")
        headers = [group, self.t("report.col.jobs")]
        for measure in MEASURES:
            name = self.t(f"report.measure.{measure}")
            headers += [
                self.t("report.col.count", what=name),
                self.t("report.col.median", what=name),
                self.t("report.col.p90", what=name),
                self.t("report.col.max", what=name),
                self.t("report.col.flagged", what=name),
                self.t("report.col.median_clean", what=name),
                self.t("report.col.p90_clean", what=name),
                self.t("report.col.max_clean", what=name),
            ]
        table = Table(self.t("report.title.response_times"), headers, note=self.t("report.note.minutes"))
        for row in report.rows:
            values: list[Cell] = [self.group_label(report.group_by, row.key, row.label), row.jobs]
            for measure in MEASURES:
                stats = getattr(row, measure)
                clean: TimeStats = stats.excluding_flagged
                values += [stats.count, stats.median_min, stats.p90_min, stats.max_min, stats.flagged_jobs]
                values += [clean.median_min, clean.p90_min, clean.max_min]
            table.rows.append(values)
        return table

    def sla(self, report: SlaReport) -> Table:
        t = self.t
        table = Table(
            t("report.title.sla"),
            [
                t("report.col.promise"),
                t("report.col.jobs"),
                t("report.col.met"),
                t("report.col.breached"),
                t("report.col.done_late"),
                t("report.col.open_breached"),
                t("report.col.open_not_due"),
                t("report.col.compliance_pct"),
            ],
            note=t("report.note.judged_at", when=self.when(report.now)),
        )
        for p in report.promises:
            table.rows.append(
                [
                    t(f"app.sla.{p.promise.value}"),
                    p.jobs,
                    p.met,
                    p.breached,
                    p.done_late,
                    p.open_breached,
                    p.open_not_due,
                    p.compliance_pct,
                ]
            )
        b = report.backup
        table.rows.append(
            [t("report.backup_row"), b.overdue, b.backup_lent, None, None, None, None, b.lent_pct]
        )
        table.rows.append(
            [t("report.backup_out_after_close"), b.out_after_close, None, None, None, None, None, None]
        )
        for station in report.stations:  # group_by=station: each station's promises, its name neutralised
            name = self.group_label(ReportGroup.STATION, station.key, station.label)
            for p in station.promises:
                table.rows.append(
                    [
                        f"{name} · {t(f'app.sla.{p.promise.value}')}",
                        p.jobs,
                        p.met,
                        p.breached,
                        p.done_late,
                        p.open_breached,
                        p.open_not_due,
                        p.compliance_pct,
                    ]
                )
        return table

    def loans(self, loans: list[LoanOut]) -> Table:
        """A loan history (one unit's, one customer's, or all): every text cell neutralised on writing."""
        t = self.t
        table = Table(
            title=t("report.loans.title"),
            headers=[t(f"report.loans.col.{c}") for c in LOAN_COLUMNS],
        )
        for x in loans:
            table.rows.append(
                [
                    x.unit_label,
                    x.job_number,
                    t(f"enum.status.{x.job_status}"),
                    x.customer_name,
                    self.when(x.lent_at),
                    self.when(x.returned_at),
                    t(f"enum.return_condition.{x.condition.value}") if x.condition else "",
                    x.note,
                    x.return_note,
                    self.yes_no(x.out_after_close),
                ]
            )
        return table

    def breaches(self, rows: list[BreachRow]) -> Table:
        t = self.t
        table = Table(
            t("report.title.breaches"),
            [
                t("report.col.number"),
                t("report.col.received"),
                t("report.col.severity"),
                t("report.col.status"),
                t("report.col.customer"),
                t("report.col.site"),
                t("report.col.engineer"),
                t("report.col.promise"),
                t("report.col.due"),
                t("report.col.done"),
                t("report.col.minutes_late"),
                t("report.col.still_open"),
                t("report.col.times_flagged"),
                t("report.col.backup_lent"),
            ],
        )
        for row in rows:
            for b in row.breaches:
                table.rows.append(
                    [
                        row.number,
                        self.when(row.call_received_at),
                        t(f"enum.severity.{row.severity.value}"),
                        t(f"enum.status.{row.status.value}"),
                        row.customer_name,
                        row.site_name,
                        row.engineer_name or "",
                        t(f"app.sla.{b.promise.value}"),
                        self.when(b.due_at),
                        self.when(b.done_at),
                        b.minutes_late,
                        self.yes_no(b.still_open),
                        self.yes_no(row.times_flagged),
                        self.yes_no(row.backup_lent),
                    ]
                )
        return table

    def quality(self, report: QualityReport) -> Table:
        t = self.t
        table = Table(t("report.title.quality"), [t("report.col.measure"), t("report.col.value")])
        table.rows = [
            [t("report.quality.resolved_repairs"), report.resolved_repairs],
            [t("report.quality.first_time_fixes"), report.first_time_fixes],
            [t("report.quality.first_time_fix_pct"), report.first_time_fix_pct],
            [t("report.quality.satisfaction_avg"), report.satisfaction_avg],
            [t("report.quality.satisfaction_count"), report.satisfaction_count],
            [t("report.quality.backup_lent"), report.backup_lent],
        ]
        table.note = t("report.note.first_time_fix", days=report.repeat_window_days)
        return table

    def feedback(self, report: QualityReport) -> Table:
        t = self.t
        table = Table(
            t("report.title.feedback"),
            [
                t("report.col.month"),
                t("report.col.category"),
                t("report.col.model"),
                t("report.col.fault"),
                t("report.col.fault_source"),
                t("report.col.jobs"),
            ],
        )
        for row in report.feedback:
            table.rows.append(
                [
                    row.month,
                    t(f"enum.category.{row.category.value}") if row.category else "",
                    row.equipment_model or "",
                    row.fault,
                    t(f"report.fault_source.{row.fault_source.value}"),
                    row.jobs,
                ]
            )
        return table

    def incidents(self, report: QualityReport) -> Table:
        """The quality incidents of the period (批量或重大质量问题), as the monthly report lists them."""
        t = self.t
        table = Table(
            t("report.title.incidents"),
            [
                t("report.col.month"),
                t("report.incident.number"),
                t("report.incident.title"),
                t("report.col.model"),
                t("report.col.fault"),
                t("report.filter.severity"),
                t("report.incident.status"),
                t("report.incident.owner"),
                t("report.col.jobs"),
                t("report.incident.customers"),
                t("report.incident.root_cause"),
                t("report.incident.opened_at"),
                t("report.incident.closed_at"),
            ],
        )
        for row in report.incidents:
            table.rows.append(
                [
                    row.month,
                    row.number,
                    row.title,
                    row.equipment_model,
                    row.fault,
                    t(f"enum.severity.{row.severity.value}"),
                    t(f"enum.incident_status.{row.status.value}"),
                    row.owner_name,
                    row.jobs,
                    row.customers,
                    row.root_cause,
                    self.when(row.opened_at),
                    self.when(row.closed_at),
                ]
            )
        return table


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark; the header row first, numbers as numbers, empty for none."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_cells(list(table.headers)))
    for row in table.rows:
        writer.writerow(["" if v is None else v for v in _cells(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table, filters: list[tuple[str, str]]) -> bytes:
    """One sheet: title, the filters it was made with, then the table with a frozen header row."""
    return to_xlsx_book([table], filters)


def to_xlsx_book(tables: list[Table], filters: list[tuple[str, str]]) -> bytes:
    """A sheet per table, each laid out as :func:`to_xlsx` lays out its one."""
    book = Workbook()
    first = book.active
    assert first is not None
    for i, table in enumerate(tables):
        _sheet(first if i == 0 else book.create_sheet(), table, filters)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(sheet: Any, table: Table, filters: list[tuple[str, str]]) -> None:
    sheet.title = _NOT_IN_SHEET_NAME.sub(" ", cell_text(table.title))[:31].strip("'") or "-"
    sheet.append(_cells([table.title]))
    sheet["A1"].font = Font(size=14, bold=True)
    for label, value in filters:
        sheet.append(_cells([label, value]))
    if table.note:
        sheet.append(_cells([table.note]))
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(_cells(list(table.headers)))
    fill = PatternFill("solid", fgColor="E6ECF3")
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        sheet.append(_cells(row))
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    for i, header in enumerate(table.headers, start=1):
        longest = max([len(str(header))] + [len(str(r[i - 1] or "")) for r in table.rows[:200]])
        sheet.column_dimensions[get_column_letter(i)].width = min(max(10, longest * 1.6), 48)
