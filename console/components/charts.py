"""Bar charts of the reports (flet-charts): response-time median and p90 per group, SLA compliance."""

from __future__ import annotations

import flet as ft
import flet_charts as fch

from console.logic.reports import Bar, nice_max
from ui.components.common import BLUE, GREEN, INK, MUTED, RED

P90 = "#7fa7d9"


def _axis_label(text: str) -> ft.Control:
    return ft.Container(
        ft.Text(
            text,
            size=12,
            color=INK,
            max_lines=2,
            overflow=ft.TextOverflow.ELLIPSIS,
            text_align=ft.TextAlign.CENTER,
        ),
        width=84,
        padding=ft.Padding.only(top=4),
    )


def legend(items: list[tuple[str, str]]) -> ft.Control:
    return ft.Row(
        [
            ft.Row(
                [
                    ft.Container(width=14, height=14, bgcolor=color, border_radius=3),
                    ft.Text(label, size=13, color=INK),
                ],
                spacing=6,
            )
            for label, color in items
        ],
        spacing=18,
    )


def response_chart(bars: list[Bar], median_label: str, p90_label: str, unit: str) -> ft.Control:
    """Median and p90 minutes side by side for each group."""
    top = nice_max(max([b.p90 for b in bars] + [b.median for b in bars] + [1.0]))
    chart = fch.BarChart(
        groups=[
            fch.BarChartGroup(
                x=i,
                rods=[
                    fch.BarChartRod(
                        from_y=0,
                        to_y=b.median,
                        width=16,
                        color=BLUE,
                        border_radius=2,
                        tooltip=f"{b.label} {median_label} {b.median:.1f}",
                    ),
                    fch.BarChartRod(
                        from_y=0,
                        to_y=b.p90,
                        width=16,
                        color=P90,
                        border_radius=2,
                        tooltip=f"{b.label} {p90_label} {b.p90:.1f}",
                    ),
                ],
                spacing=4,
            )
            for i, b in enumerate(bars)
        ],
        bottom_axis=fch.ChartAxis(
            labels=[fch.ChartAxisLabel(value=i, label=_axis_label(b.label)) for i, b in enumerate(bars)],
            label_size=40,
        ),
        left_axis=fch.ChartAxis(label_size=44, title=ft.Text(unit, size=12, color=MUTED), title_size=20),
        horizontal_grid_lines=fch.ChartGridLines(interval=top / 5, color="#d5dbe2", width=1),
        max_y=top,
        min_y=0,
        interactive=True,
        height=300,
        width=max(420, 110 * len(bars) + 80),
    )
    return ft.Column(
        [legend([(median_label, BLUE), (p90_label, P90)]), ft.Row([chart], scroll=ft.ScrollMode.AUTO)]
    )


def compliance_chart(items: list[tuple[str, float | None]]) -> ft.Control:
    """Compliance % per promise, red under 90 %."""
    chart: ft.Control = fch.BarChart(
        groups=[
            fch.BarChartGroup(
                x=i,
                rods=[
                    fch.BarChartRod(
                        from_y=0,
                        to_y=pct or 0,
                        width=40,
                        color=GREEN if (pct or 0) >= 90 else RED,
                        border_radius=2,
                        tooltip=f"{label} {pct if pct is not None else '—'} %",
                    )
                ],
            )
            for i, (label, pct) in enumerate(items)
        ],
        bottom_axis=fch.ChartAxis(
            labels=[
                fch.ChartAxisLabel(value=i, label=_axis_label(label)) for i, (label, _) in enumerate(items)
            ],
            label_size=32,
        ),
        left_axis=fch.ChartAxis(label_size=40),
        horizontal_grid_lines=fch.ChartGridLines(interval=20, color="#d5dbe2", width=1),
        max_y=100,
        min_y=0,
        height=240,
        width=420,
    )
    return chart
