"""The console's building blocks: the field app's colours and contrast, sized for a mouse and a desk.

Colours, text fields, sections and badges come from :mod:`ui.components.common`; the console
adds compact buttons and chips (42 px instead of the tablet's 56 px), tables and page frames.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import flet as ft

from ui.components.common import (
    BLUE,
    GREEN,
    INK,
    LINE,
    MUTED,
    RED,
    SURFACE,
    Handler,
    tagged,
)

HEIGHT = 42


def on(fn: Callable[..., Any], *args: Any) -> Callable[[Any], Any]:
    """An event handler that calls ``fn(*args)``; awaited when ``fn`` is async (Flet awaits only
    coroutine functions, so a plain lambda around an async call would drop it)."""
    if inspect.iscoroutinefunction(fn):

        async def run(_e: Any) -> None:
            await fn(*args)

        return run
    return lambda _e: fn(*args)


BUTTON_COLORS = {
    "primary": (BLUE, "#ffffff"),
    "danger": (RED, "#ffffff"),
    "quiet": ("#dfe5ec", INK),
    "selected": ("#0b3d6b", "#ffffff"),
    "ok": (GREEN, "#ffffff"),
}


def button(
    label: str,
    on_click: Handler = None,
    *,
    kind: str = "primary",
    icon: ft.IconData | None = None,
    disabled: bool = False,
    ident: str | None = None,
    tooltip: str | None = None,
) -> ft.Control:
    """A desk-sized button; ``kind`` is primary, danger, quiet, selected or ok."""
    bg, fg = BUTTON_COLORS.get(kind, BUTTON_COLORS["primary"])
    if disabled:
        bg, fg = "#c9ced4", "#30363d"
    control = ft.Button(
        content=ft.Text(label, size=15, weight=ft.FontWeight.W_600, color=fg),
        icon=ft.Icon(icon, color=fg, size=18) if icon else None,
        on_click=on_click,
        disabled=disabled,
        height=HEIGHT,
        tooltip=tooltip,
        style=ft.ButtonStyle(
            bgcolor=bg,
            color=fg,
            padding=ft.Padding.symmetric(horizontal=16, vertical=6),
            shape=ft.RoundedRectangleBorder(radius=8),
        ),
    )
    return tagged(ident, control) if ident else control


def chip(label: str, selected: bool, on_click: Handler, *, ident: str | None = None) -> ft.Control:
    return button(label, on_click, kind="selected" if selected else "quiet", ident=ident)


def chips(items: Sequence[ft.Control]) -> ft.Control:
    return ft.Row(list(items), wrap=True, spacing=8, run_spacing=8)


def title(text: str) -> ft.Control:
    return ft.Text(text, size=24, weight=ft.FontWeight.BOLD, color=INK)


def muted(text: str, size: int = 15) -> ft.Control:
    return ft.Text(text, size=size, color=MUTED)


def error_text(text: str) -> ft.Control:
    return tagged("load-error", ft.Text(text, size=15, color=RED))


def panel(
    heading: str, controls: list[ft.Control], *, ident: str | None = None, expand: Any = None
) -> ft.Control:
    box = ft.Container(
        bgcolor=SURFACE,
        border_radius=10,
        border=ft.Border.all(1, LINE),
        padding=14,
        expand=expand,
        content=ft.Column(
            [ft.Text(heading, size=18, weight=ft.FontWeight.BOLD, color=INK), *controls],
            spacing=8,
            tight=True,
        ),
    )
    return tagged(ident, box) if ident else box


def pairs(rows: list[tuple[str, str]], *, label_width: int = 110) -> ft.Control:
    return ft.Column(
        [
            ft.Row(
                [
                    ft.Text(label, size=14, color=MUTED, width=label_width),
                    ft.Text(value or "—", size=15, color=INK, expand=True),
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
            )
            for label, value in rows
        ],
        spacing=4,
        tight=True,
    )


def table(
    headers: list[str],
    rows: list[list[str]],
    *,
    numeric: Sequence[int] = (),
    red: Sequence[tuple[int, int]] = (),
    ident: str | None = None,
) -> ft.Control:
    """A plain, high-contrast table; ``red`` lists (row, column) cells to show red (breaches, flags)."""
    red_cells = set(red)
    control = ft.DataTable(
        columns=[
            ft.DataColumn(
                label=ft.Text(h, size=14, weight=ft.FontWeight.W_600, color=INK), numeric=i in numeric
            )
            for i, h in enumerate(headers)
        ],
        rows=[
            ft.DataRow(
                cells=[
                    ft.DataCell(ft.Text(v, size=14, color=RED if (r, c) in red_cells else INK))
                    for c, v in enumerate(row)
                ]
            )
            for r, row in enumerate(rows)
        ],
        heading_row_color="#e6ecf3",
        heading_row_height=40,
        data_row_min_height=32,
        data_row_max_height=56,
        column_spacing=18,
        horizontal_margin=10,
        border=ft.Border.all(1, LINE),
        border_radius=8,
        horizontal_lines=ft.BorderSide(1, "#d5dbe2"),
        bgcolor=SURFACE,
    )
    scroller = ft.Row([control], scroll=ft.ScrollMode.AUTO)
    return tagged(ident, scroller) if ident else scroller
