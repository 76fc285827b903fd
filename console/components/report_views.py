"""Each report as the manager reads it: tables of the figures the server computed, and charts."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.components.charts import compliance_chart, response_chart
from console.components.widgets import chip, chips, muted, on, table
from console.logic.reports import MEASURES, flagged_total, group_label, minutes, response_bars
from console.logic.times import full
from console.state import ConsoleState
from ui.components.common import INK, LINE, MUTED, RED, RED_BG, SURFACE, badge, tagged
from ui.logic.clocks import parse_time


def response_view(
    state: ConsoleState,
    report: dict[str, Any],
    *,
    measure: str,
    on_measure: Any,
    clean: bool,
    on_clean: Any,
) -> list[ft.Control]:
    t, lang = state.t, state.lang
    group_by = report.get("group_by")
    headers = [t(f"report.group.{group_by}" if group_by else "report.group.none"), t("report.col.jobs")]
    for m in MEASURES:
        name = t(f"report.measure.{m}")
        headers += [
            t("console.reports.col.median", what=name),
            t("console.reports.col.p90", what=name),
            t("console.reports.col.max", what=name),
        ]
    headers.append(t("console.reports.col.flagged"))
    rows, red = [], []
    for i, row in enumerate(report.get("rows", [])):
        line = [group_label(lang, group_by, row), str(row["jobs"])]
        flagged = 0
        for m in MEASURES:
            stats = row[m]["excluding_flagged"] if clean else row[m]
            line += [minutes(stats["median_min"]), minutes(stats["p90_min"]), minutes(stats["max_min"])]
            flagged = max(flagged, row[m]["flagged_jobs"])
        line.append(str(flagged) if flagged else "")
        if flagged:
            red.append((i, len(line) - 1))
        rows.append(line)
    total = flagged_total(report)
    out: list[ft.Control] = [
        ft.Row(
            [
                tagged(
                    "flagged-note",
                    badge(
                        t("console.reports.flagged_note", n=total),
                        bg=RED_BG if total else "#e9eef3",
                        fg=RED if total else INK,
                    ),
                ),
                chip(t("console.reports.exclude_flagged"), clean, on_clean, ident="exclude-flagged"),
            ],
            wrap=True,
            spacing=10,
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        table(headers, rows, numeric=range(1, len(headers)), red=red, ident="report-table"),
        muted(t("console.reports.minutes_note")),
        chips(
            [
                chip(
                    t(f"report.measure.{m}"),
                    m == measure,
                    on(on_measure, m),
                    ident=f"measure-{m}",
                )
                for m in MEASURES
            ]
        ),
    ]
    bars = response_bars(lang, report, measure)
    if bars:
        out.append(
            tagged(
                "report-chart",
                response_chart(
                    bars, t("console.reports.median"), t("console.reports.p90"), t("console.reports.minutes")
                ),
            )
        )
    return out


def sla_view(state: ConsoleState, report: dict[str, Any], tz: Any) -> list[ft.Control]:
    t = state.t
    headers = [
        t("report.col.promise"),
        t("report.col.jobs"),
        t("report.col.met"),
        t("report.col.breached"),
        t("report.col.done_late"),
        t("report.col.open_breached"),
        t("report.col.open_not_due"),
        t("report.col.compliance_pct"),
    ]
    rows, red = [], []
    for i, p in enumerate(report["promises"]):
        pct = p["compliance_pct"]
        rows.append(
            [
                t(f"app.sla.{p['promise']}"),
                str(p["jobs"]),
                str(p["met"]),
                str(p["breached"]),
                str(p["done_late"]),
                str(p["open_breached"]),
                str(p["open_not_due"]),
                "—" if pct is None else f"{pct:.1f}",
            ]
        )
        if p["breached"]:
            red.append((i, 3))
    backup = report["backup"]
    lent = "—" if backup["lent_pct"] is None else f"{backup['lent_pct']:.1f} %"
    station_rows: list[list[str]] = []
    station_red: list[tuple[int, int]] = []
    for station in report.get("stations", []):  # group_by=station: each station's three promises
        name = station["label"] or t("report.no_station")
        for p in station["promises"]:
            pct = p["compliance_pct"]
            if p["breached"]:
                station_red.append((len(station_rows), 3))
            station_rows.append(
                [
                    name + " · " + t("app.sla." + p["promise"]),
                    str(p["jobs"]),
                    str(p["met"]),
                    str(p["breached"]),
                    str(p["done_late"]),
                    str(p["open_breached"]),
                    str(p["open_not_due"]),
                    "—" if pct is None else f"{pct:.1f}",
                ]
            )
    by_station = (
        [table(headers, station_rows, numeric=range(1, 8), red=station_red, ident="sla-stations")]
        if station_rows
        else []
    )
    return [
        table(headers, rows, numeric=range(1, 8), red=red, ident="sla-table"),
        *by_station,
        tagged(
            "backup-line",
            ft.Text(
                t(
                    "console.reports.backup_line",
                    overdue=backup["overdue"],
                    lent=backup["backup_lent"],
                    pct=lent,
                    in_time=backup.get("lent_in_time", 0),
                ),
                size=15,
                color=INK,
            ),
        ),
        *(
            [
                tagged(
                    "backup-out-after-close",
                    ft.Text(
                        t("console.reports.backup_out_after_close", n=backup["out_after_close"]),
                        size=15,
                        color=RED,
                        weight=ft.FontWeight.W_600,
                    ),
                )
            ]
            if backup.get("out_after_close")
            else []
        ),
        muted(t("report.note.judged_at", when=full(parse_time(report["now"]), tz))),
        compliance_chart([(t(f"app.sla.{p['promise']}"), p["compliance_pct"]) for p in report["promises"]]),
    ]


def breaches_view(state: ConsoleState, page: dict[str, Any], tz: Any) -> list[ft.Control]:
    t = state.t
    headers = [
        t("report.col.number"),
        t("report.col.received"),
        t("report.col.severity"),
        t("report.col.customer"),
        t("report.col.engineer"),
        t("console.reports.col.breaches"),
        t("report.col.times_flagged"),
    ]
    rows, red = [], []
    for i, row in enumerate(page["items"]):
        what = "；".join(
            t("console.reports.breach", what=t(f"app.sla.{b['promise']}"), m=minutes(b["minutes_late"]))
            + (t("console.reports.still_open") if b["still_open"] else "")
            for b in row["breaches"]
        )
        rows.append(
            [
                row["number"],
                full(parse_time(row["call_received_at"]), tz),
                t(f"enum.severity.{row['severity']}"),
                f"{row['customer_name']} · {row['site_name']}",
                row.get("engineer_name") or "—",
                what,
                t("console.qa.times_flagged") if row["times_flagged"] else "",
            ]
        )
        red.append((i, 5))
        if row["times_flagged"]:
            red.append((i, 6))
    out: list[ft.Control] = [
        tagged("breach-count", muted(t("console.reports.breach_count", n=page["total"], shown=len(rows)))),
        table(headers, rows, red=red, ident="breach-table"),
    ]
    return out


def _stat(label: str, value: str, ident: str) -> ft.Control:
    return tagged(
        ident,
        ft.Container(
            bgcolor=SURFACE,
            border=ft.Border.all(1, LINE),
            border_radius=10,
            padding=14,
            width=210,
            content=ft.Column(
                [
                    ft.Text(label, size=14, color=MUTED),
                    ft.Text(value, size=26, weight=ft.FontWeight.BOLD, color=INK),
                ],
                spacing=4,
                tight=True,
            ),
        ),
    )


def quality_view(state: ConsoleState, report: dict[str, Any]) -> list[ft.Control]:
    t = state.t
    ftf = report["first_time_fix_pct"]
    sat = report["satisfaction_avg"]
    stats = ft.Row(
        [
            _stat(t("report.quality.first_time_fix_pct"), "—" if ftf is None else f"{ftf:.1f} %", "stat-ftf"),
            _stat(
                t("report.quality.satisfaction_avg"),
                "—" if sat is None else f"{sat:.2f}",
                "stat-satisfaction",
            ),
            _stat(t("report.quality.backup_lent"), str(report["backup_lent"]), "stat-backup"),
            _stat(t("report.quality.resolved_repairs"), str(report["resolved_repairs"]), "stat-repairs"),
        ],
        wrap=True,
        spacing=10,
    )
    feedback = report["feedback"]
    rows = [
        [
            f["month"],
            t(f"enum.category.{f['category']}") if f.get("category") else "",
            f.get("equipment_model") or "",
            f["fault"],
            t(f"report.fault_source.{f['fault_source']}"),
            str(f["jobs"]),
        ]
        for f in sorted(feedback, key=lambda f: (f["month"], -f["jobs"]), reverse=True)[:200]
    ]
    return [
        stats,
        muted(
            t("report.note.first_time_fix", days=report["repeat_window_days"])
            + "  "
            + t("console.reports.satisfaction_count", n=report["satisfaction_count"])
        ),
        ft.Text(t("report.title.feedback"), size=18, weight=ft.FontWeight.BOLD, color=INK),
        table(
            [
                t("report.col.month"),
                t("report.col.category"),
                t("report.col.model"),
                t("report.col.fault"),
                t("report.col.fault_source"),
                t("report.col.jobs"),
            ],
            rows,
            numeric=(5,),
            ident="feedback-table",
        ),
        muted(t("console.reports.feedback_shown", shown=len(rows), n=len(feedback))),
        *incidents_view(state, report.get("incidents") or []),
    ]


def incidents_view(state: ConsoleState, incidents: list[dict[str, Any]]) -> list[ft.Control]:
    """The report's quality incidents (批量或重大质量问题) of the period, as the export lists them."""
    t = state.t
    rows = [
        [
            i["month"],
            i["number"],
            i["title"],
            i["equipment_model"],
            i["fault"],
            t(f"enum.severity.{i['severity']}"),
            t(f"enum.incident_status.{i['status']}"),
            i["owner_name"],
            str(i["jobs"]),
            str(i["customers"]),
            i["root_cause"] or "—",
        ]
        for i in incidents
    ]
    return [
        ft.Text(t("report.title.incidents"), size=18, weight=ft.FontWeight.BOLD, color=INK),
        table(
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
            ],
            rows,
            numeric=(8, 9),
            ident="incidents-table",
        )
        if rows
        else muted(t("console.reports.no_incidents")),
    ]
