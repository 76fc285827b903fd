"""Reports: response times, SLA compliance, breaches and quality, filtered by period, customer, site,
engineer, severity and equipment category; each exported as CSV or XLSX by the server."""

from __future__ import annotations

from typing import Any

import flet as ft

from console.api import ConsoleApi
from console.components.report_views import breaches_view, quality_view, response_view, sla_view
from console.components.widgets import button, chip, chips, error_text, muted, on, table, title
from console.context import use_office
from console.logic.reports import Period, period_range
from console.state import ConsoleState, use_draft, use_remote
from shared.enums import EquipmentCategory, Severity
from shared.roles import Capability, can
from ui.components.common import INK, LINE, SURFACE, TypedDropdown, handing, tagged, text_field

TABS = ("response-times", "sla", "breaches", "quality", "returns", "satisfaction")
GROUPS = ("engineer", "customer", "station", "severity", "month", "")
#: tab -> the exports it offers
EXPORTS = {
    "response-times": ("response-times",),
    "sla": ("sla",),
    "breaches": ("breaches",),
    "quality": ("quality", "feedback", "incidents"),
    "returns": ("returns",),
    "satisfaction": ("satisfaction",),
}
#: the satisfaction report's columns (``satisfaction_report.col.<name>``) and their fields, as the
#: server's export has them (server/customers/file.py ``satisfaction_table``)
SATISFACTION_COLUMNS = (
    ("visits", "visits"),
    ("visit_average", "visit_average"),
    ("unreachable", "unreachable"),
    ("acceptances", "acceptances"),
    ("acceptance_average", "acceptance_average"),
)
#: the returns report's columns (``report.returns.col.<name>``), as server/returns/report.py lists them
RETURNS_COLUMNS = (
    "month",
    "returns",
    "exchanges",
    "refused",
    "refunded",
    "claimed",
    "settled",
    "self_repair",
    "direct_loss",
)


def _dropdown(
    label: str, value: str, options: list[tuple[str, str]], on_select: Any, ident: str
) -> ft.Control:
    return tagged(
        ident,
        TypedDropdown(
            label=label,
            value=value or "",
            options=[ft.DropdownOption(key=k, text=v) for k, v in options],
            on_select=handing(on_select),
            width=200,
            text_size=15,
            dense=True,
            bgcolor=SURFACE,
            border_color=LINE,
            color=INK,
        ),
    )


@ft.component
def ReportsScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    directory = office.directory
    tab, set_tab = ft.use_state("response-times")
    group_by, set_group_by = ft.use_state("engineer")
    measure, set_measure = ft.use_state("arrive")
    clean, set_clean = ft.use_state(False)
    period, set_period = ft.use_state(Period.DAYS_90)
    start, set_start = use_draft(office, "reports.start", "")
    end, set_end = use_draft(office, "reports.end", "")
    customer, set_customer = ft.use_state("")
    site, set_site = ft.use_state("")
    engineer, set_engineer = ft.use_state("")
    severity, set_severity = ft.use_state("")
    category, set_category = ft.use_state("")
    station, set_station = ft.use_state("")
    by_station, set_by_station = ft.use_state(False)  # the SLA report per service station
    stations = use_remote(office, lambda api: api.get("/api/stations"), [state.revision])

    problem = ""
    try:
        since, until = period_range(period, state.now, office.tz, start, end)
    except ValueError:
        since, until, problem = None, None, t("console.reports.bad_day")
    filters: dict[str, Any] = {
        "received_from": since.isoformat() if since else None,
        "received_to": until.isoformat() if until else None,
        "customer_id": customer or None,
        "site_id": site or None,
        "engineer_id": engineer or None,
        "severity": severity or None,
        "category": category or None,
        "station_id": station or None,
    }
    key = tuple(sorted((k, str(v)) for k, v in filters.items()))
    year = (until or state.now).astimezone(office.tz).year
    # the satisfaction report is per month: the month the chosen period ends in
    month = (until or state.now).astimezone(office.tz).strftime("%Y-%m")

    async def load(api: ConsoleApi) -> dict[str, Any]:
        if tab == "response-times":
            return dict(await api.get("/api/reports/response-times", **filters, group_by=group_by or None))
        if tab == "sla":
            return dict(
                await api.get("/api/reports/sla", **filters, group_by="station" if by_station else None)
            )
        if tab == "breaches":
            return dict(await api.get("/api/reports/breaches", **filters, limit=200))
        if tab == "returns":  # the three guarantees' money by month of the year (filters do not apply)
            return dict(await api.get("/api/reports/returns", year=year))
        if tab == "satisfaction":  # per engineer for one month (return visits and sign-offs)
            return dict(await api.get("/api/reports/satisfaction", month=month))
        return dict(await api.get("/api/reports/quality", **filters))

    loaded = use_remote(office, load, [tab, group_by, key, state.revision, by_station, month])

    async def export(name: str, fmt: str) -> None:
        params = dict(filters, lang=state.lang)
        path = f"/api/exports/{name}.{fmt}"
        if name == "response-times":
            params["group_by"] = group_by or None
        if name == "sla" and by_station:
            params["group_by"] = "station"
        if name == "returns":
            params, path = {"year": year, "lang": state.lang}, f"/api/reports/returns/export/returns.{fmt}"
        if name == "satisfaction":
            params = {"month": month, "lang": state.lang}
            path = f"/api/reports/satisfaction/export/satisfaction.{fmt}"
        result = await office.act(lambda api: api.download(path, **params))
        if isinstance(result, tuple):
            await office.save_file(result[0], result[1])
            state.tell(t("console.reports.exported", file=result[1]))

    periods = chips(
        [
            chip(
                t(f"console.reports.period.{p.value}"),
                period is p,
                on(set_period, p),
                ident=f"period-{p.value}",
            )
            for p in Period
        ]
    )
    custom: list[ft.Control] = []
    if period is Period.CUSTOM:
        custom = [
            ft.Container(
                text_field(
                    t("console.reports.from"), start, lambda e: set_start(e.control.value), hint="2026-06-01"
                ),
                width=180,
            ),
            ft.Container(
                text_field(
                    t("console.reports.to"), end, lambda e: set_end(e.control.value), hint="2026-06-30"
                ),
                width=180,
            ),
        ]
    sites = sorted(
        (s for s in directory.sites.values() if not customer or s["customer_id"] == customer),
        key=lambda s: s["name"],
    )
    any_ = t("report.filter.any")
    selects = ft.Row(
        [
            _dropdown(
                t("report.filter.customer"),
                customer,
                [
                    ("", any_),
                    *sorted(((c["id"], c["name"]) for c in directory.customers.values()), key=lambda x: x[1]),
                ],
                lambda e: (set_customer(e.control.value or ""), set_site("")),
                "filter-customer",
            ),
            _dropdown(
                t("report.filter.site"),
                site,
                [("", any_)] + [(s["id"], s["name"]) for s in sites],
                lambda e: set_site(e.control.value or ""),
                "filter-site",
            ),
            _dropdown(
                t("report.filter.engineer"),
                engineer,
                [
                    ("", any_),
                    *sorted(
                        ((e["id"], e["display_name"]) for e in directory.engineers.values()),
                        key=lambda x: x[1],
                    ),
                ],
                lambda e: set_engineer(e.control.value or ""),
                "filter-engineer",
            ),
            _dropdown(
                t("report.filter.station"),
                station,
                [("", any_), *((s["id"], s["name"]) for s in stations.value or [])],
                lambda e: set_station(e.control.value or ""),
                "filter-station",
            ),
            _dropdown(
                t("report.filter.severity"),
                severity,
                [("", any_)] + [(s.value, t(f"enum.severity.{s.value}")) for s in Severity],
                lambda e: set_severity(e.control.value or ""),
                "filter-severity",
            ),
            _dropdown(
                t("report.filter.category"),
                category,
                [("", any_)] + [(c.value, t(f"enum.category.{c.value}")) for c in EquipmentCategory],
                lambda e: set_category(e.control.value or ""),
                "filter-category",
            ),
        ],
        wrap=True,
        spacing=10,
        run_spacing=10,
    )
    tabs = chips(
        [
            chip(
                t(f"console.reports.tab.{name}"),
                tab == name,
                on(set_tab, name),
                ident=f"tab-{name}",
            )
            for name in TABS
            if name != "satisfaction" or can(state.role, Capability.CARE_FOR_CUSTOMERS)
        ]
    )
    exports: list[ft.Control] = []
    for name in EXPORTS[tab]:
        label = (
            t("satisfaction_report.title")
            if name == "satisfaction"
            else t(f"report.title.{name.replace('-', '_')}")
        )
        exports += [
            button(
                t("console.reports.export_csv", what=label),
                on(export, name, "csv"),
                kind="quiet",
                icon=ft.Icons.DOWNLOAD,
                ident=f"export-{name}-csv",
            ),
            button(
                t("console.reports.export_xlsx", what=label),
                on(export, name, "xlsx"),
                kind="quiet",
                icon=ft.Icons.TABLE_VIEW,
                ident=f"export-{name}-xlsx",
            ),
        ]
    body: list[ft.Control] = [
        title(t("console.reports.title")),
        ft.Row([*[periods], *custom], wrap=True, spacing=10, vertical_alignment=ft.CrossAxisAlignment.CENTER),
        selects,
        tabs,
        ft.Row(exports, wrap=True, spacing=8),
    ]
    if problem:
        body.append(error_text(problem))
    if loaded.error:
        body.append(error_text(loaded.error))
    data = loaded.value
    if data is not None:
        if tab == "response-times" and "rows" in data:
            body.append(
                chips(
                    [
                        chip(
                            t(f"report.group.{g}" if g else "console.reports.ungrouped"),
                            group_by == g,
                            on(set_group_by, g),
                            ident=f"group-{g or 'none'}",
                        )
                        for g in GROUPS
                    ]
                )
            )
            body += response_view(
                state,
                data,
                measure=measure,
                on_measure=set_measure,
                clean=clean,
                on_clean=lambda _e: set_clean(not clean),
            )
        elif tab == "sla" and "promises" in data:
            body.append(
                chips(
                    [
                        chip(
                            t("console.reports.by_station"),
                            by_station,
                            on(set_by_station, not by_station),
                            ident="sla-by-station",
                        )
                    ]
                )
            )
            body += sla_view(state, data, office.tz)
        elif tab == "breaches" and "items" in data:
            body += breaches_view(state, data, office.tz)
        elif tab == "quality" and "feedback" in data:
            body += quality_view(state, data)
        elif tab == "returns" and "months" in data:
            body.append(
                table(
                    [t(f"report.returns.col.{c}") for c in RETURNS_COLUMNS],
                    [[str(m[c]) for c in RETURNS_COLUMNS] for m in data["months"]],
                    numeric=range(1, len(RETURNS_COLUMNS)),
                    ident="returns-report",
                )
            )
        elif tab == "satisfaction" and "engineers" in data:
            body.append(muted(t("console.reports.satisfaction_month", month=data["month"])))
            rows = [(e["engineer_name"], e) for e in data["engineers"]]
            rows.append((t("satisfaction_report.all"), data["total"]))
            body.append(
                table(
                    [t("satisfaction_report.col.engineer")]
                    + [t(f"satisfaction_report.col.{c}") for c, _f in SATISFACTION_COLUMNS],
                    [
                        [name, *("—" if r[f] is None else str(r[f]) for _c, f in SATISFACTION_COLUMNS)]
                        for name, r in rows
                    ],
                    numeric=range(1, len(SATISFACTION_COLUMNS) + 1),
                    ident="satisfaction-report",
                )
            )
    elif loaded.loading:
        body.append(muted(t("console.common.loading")))
    return ft.ListView(body, spacing=12, padding=16, expand=True)
