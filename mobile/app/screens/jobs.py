"""My jobs: overdue, today, upcoming and done, each with a live SLA clock; search and filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile.app.components.job_card import job_card
from mobile.app.context import use_device
from mobile.app.state import AppState, Data, Live
from shared.enums import JobKind, Severity
from ui.components.common import INK, MUTED, RED, big_button, bind, tagged, text_field
from ui.logic.grouping import Group, JobFilter, group_rows

SHOWN_PER_GROUP = 60  # a long list is searched, not scrolled


@ft.component
def JobsScreen(state: AppState, live: Live, data: Data) -> ft.Control:
    """``live``: the new jobs' badges; ``data``: read again when the device's data changed."""
    device = use_device()
    t = state.t
    search, set_search = ft.use_state("")
    kind, set_kind = ft.use_state("")
    severity, set_severity = ft.use_state("")
    unsynced, set_unsynced = ft.use_state(False)
    rows = ft.use_memo(
        lambda: device.app.queries.job_rows(state.now, device.app.tz),
        [data.revision, state.now, state.signed_in],
    )
    groups = group_rows(rows, JobFilter(search=search, kind=kind, severity=severity, unsynced_only=unsynced))

    def chip(label: str, selected: bool, on_click: Callable[[Any], Any]) -> ft.Control:
        return big_button(label, on_click, kind="selected" if selected else "quiet")

    filters = ft.Row(
        [
            chip(t("app.jobs.all_kinds"), kind == "", lambda _: set_kind("")),
            *[chip(t(f"enum.kind.{k.value}"), kind == k.value, bind(set_kind, k.value)) for k in JobKind],
        ],
        wrap=True,
        spacing=8,
        run_spacing=8,
    )
    filters2 = ft.Row(
        [
            chip(t("app.jobs.all_severities"), severity == "", lambda _: set_severity("")),
            *[
                chip(t(f"enum.severity.{s.value}"), severity == s.value, bind(set_severity, s.value))
                for s in Severity
            ],
            chip(t("app.jobs.unsynced_only"), unsynced, lambda _: set_unsynced(not unsynced)),
        ],
        wrap=True,
        spacing=8,
        run_spacing=8,
    )
    body: list[ft.Control] = [
        ft.Row(
            [
                ft.Text(t("app.jobs.title"), size=26, weight=ft.FontWeight.BOLD, color=INK, expand=True),
                tagged(
                    "van-open",
                    big_button(
                        t("app.van.open"),
                        lambda _: device.go("/van"),
                        kind="quiet",
                        icon=ft.Icons.INVENTORY_2,
                    ),
                ),
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        text_field(
            t("app.jobs.search"),
            search,
            lambda e: set_search(e.control.value),
            hint=t("app.jobs.search_hint"),
        ),
        filters,
        filters2,
    ]
    total = sum(len(v) for v in groups.values())
    if total == 0:
        body.append(ft.Text(t("app.jobs.none" if not rows else "app.jobs.no_match"), size=18, color=MUTED))
    for group in Group:
        items = groups[group]
        if not items:
            continue
        color = RED if group is Group.OVERDUE else INK
        body.append(
            tagged(
                f"group-{group.value}",
                ft.Text(
                    t(f"app.jobs.group.{group.value}", n=len(items)),
                    size=22,
                    weight=ft.FontWeight.BOLD,
                    color=color,
                ),
            )
        )
        body.extend(
            job_card(state, row, lambda job_id: device.go(f"/job/{job_id}"))
            for row in items[:SHOWN_PER_GROUP]
        )
        if len(items) > SHOWN_PER_GROUP:
            body.append(ft.Text(t("app.jobs.more", n=len(items) - SHOWN_PER_GROUP), size=16, color=MUTED))
    return ft.ListView(body, spacing=12, padding=16, expand=True)
