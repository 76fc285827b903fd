"""The stock screen: its section tabs (``stock-tab-<section>``) over the books loaded once per change."""

from __future__ import annotations

import flet as ft

from console.clients.stock import StockClient
from console.components.widgets import chip, chips, error_text, muted, on, title
from console.context import use_office
from console.logic.stock import SECTIONS
from console.screens.stock.balances import BalancesSection
from console.screens.stock.conflicts import ConflictsSection
from console.screens.stock.count import CountSection
from console.screens.stock.movements import MovementsSection
from console.screens.stock.planning import PlanningSection
from console.screens.stock.receive import ReceiveSection
from console.screens.stock.report import ReportSection
from console.screens.stock.returns import ReturnsSection
from console.screens.stock.transfer import TransferSection
from console.state import ConsoleState, use_remote
from ui.components.common import tagged


@ft.component
def StockScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    section, set_section = ft.use_state("balances")

    def open_section(name: str) -> None:
        set_section(name)
        state.changed()  # a section opens on fresh books (a tablet may have synced since)

    loaded = use_remote(office, lambda api: StockClient(api).books(), [state.revision])
    short = use_remote(office, lambda api: StockClient(api).shortages(), [state.revision])
    shortages = len(short.value or [])
    books = loaded.value

    def tab(s: str, label: str) -> str:
        return (
            t("console.plan.tab_badge", label=label, n=shortages) if s == "planning" and shortages else label
        )

    body: list[ft.Control] = [
        ft.Row([title(t("console.stock.title"))], wrap=True),
        chips(
            [
                chip(
                    tab(s, t(f"console.stock.section.{s}")),
                    s == section,
                    on(open_section, s),
                    ident=f"stock-tab-{s}",
                )
                for s in SECTIONS
            ]
        ),
    ]
    if shortages:  # the shortage alert: on every section, until the stores are back above their levels
        alert = ft.Text(
            t("console.plan.alert", n=shortages), size=15, color="#8a1c1c", weight=ft.FontWeight.W_600
        )
        body.append(
            tagged(
                "stock-shortage-alert", ft.Container(alert, bgcolor="#fde8e8", border_radius=8, padding=10)
            )
        )
    if loaded.error:
        body.append(error_text(loaded.error))
    if books is None:
        body.append(muted(t("console.stock.loading")))
        return ft.ListView(body, spacing=12, padding=16, expand=True)
    views = {
        "balances": lambda: BalancesSection(state, books),
        "transfer": lambda: TransferSection(state, books),
        "receive": lambda: ReceiveSection(state, books),
        "count": lambda: CountSection(state, books),
        "movements": lambda: MovementsSection(state, books),
        "conflicts": lambda: ConflictsSection(state, books),
        "returns": lambda: ReturnsSection(state, books),
        "report": lambda: ReportSection(state),
        "planning": lambda: PlanningSection(state, books),
    }
    body.append(views[section]())
    return ft.ListView(body, spacing=12, padding=16, expand=True)
