"""Engineers as the dispatcher weighs them: open jobs (major, overdue) and how long since their tablet
last synced (an engineer whose tablet has not synced for hours will not see a new job soon)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import flet as ft

from console.components.widgets import button, on
from console.logic.stations import place_words
from console.state import ConsoleState
from ui.components.common import AMBER_BG, INK, LINE, RED, RED_BG, SURFACE, badge, tagged
from ui.logic.clocks import parse_time
from ui.text import ago

#: a tablet that has not synced for this long is shown red: it may be offline
STALE = timedelta(hours=2)


def sync_words(state: ConsoleState, last: datetime | None) -> tuple[str, bool]:
    """``synced 5 min ago`` and whether it is stale (or never)."""
    if last is None:
        return state.t("console.engineers.never_synced"), True
    return state.t(
        "console.engineers.synced", when=ago(state.lang, last, state.now)
    ), state.now - last > STALE


def engineer_rows(
    state: ConsoleState,
    engineers: list[dict[str, Any]],
    *,
    selected: str | None,
    action: str,
    on_pick: Callable[[str], Any],
    current: str | None = None,
) -> ft.Control:
    """One line per active engineer with a button; the ``selected`` one is highlighted."""
    t = state.t
    lines: list[ft.Control] = []
    for eng in engineers:
        if not eng.get("active", True):
            continue
        words, stale = sync_words(state, parse_time(eng.get("last_sync_at")))
        load = [badge(t("console.engineers.open", n=eng["open_jobs"]), bg="#e9eef3")]
        if eng.get("major_open"):
            load.append(badge(t("console.engineers.major", n=eng["major_open"]), bg=RED_BG, fg=RED))
        if eng.get("breached_open"):
            load.append(
                badge(t("console.engineers.overdue", n=eng["breached_open"]), bg=RED_BG, fg=RED, border=RED)
            )
        load.append(badge(words, bg=AMBER_BG if stale else "#d7f5dc", fg=RED if stale else INK))
        place = eng.get("place")
        if place and place.get("covers_site"):
            load.append(badge(t("console.stations.covers_site"), bg="#d7f5dc", border="#1e7b34"))
        load += [badge(w, bg="#eef2f7") for w in place_words(t, place)]
        is_selected, is_current = eng["id"] == selected, eng["id"] == current
        if is_current:
            load.append(badge(t("console.engineers.current"), bg="#dbe9ff"))
        pick = button(
            t("console.engineers.chosen") if is_selected else action,
            on(on_pick, eng["id"]),
            kind="selected" if is_selected else "quiet",
            disabled=is_current,
            ident=f"pick-{eng['username']}",
        )
        lines.append(
            tagged(
                f"engineer-{eng['username']}",
                ft.Container(
                    bgcolor="#eef5ff" if is_selected else SURFACE,
                    border=ft.Border.all(2 if is_selected else 1, "#0b4fa3" if is_selected else LINE),
                    border_radius=8,
                    padding=ft.Padding.symmetric(horizontal=12, vertical=6),
                    content=ft.Row(
                        [
                            ft.Text(
                                eng["display_name"], size=16, weight=ft.FontWeight.W_600, color=INK, width=90
                            ),
                            ft.Row(load, wrap=True, spacing=6, expand=True),
                            pick,
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                ),
            )
        )
    return ft.Column(lines, spacing=6, tight=True)
