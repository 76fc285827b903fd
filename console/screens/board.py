"""The live board: every open job with its SLA clock; breached and about to breach first; jobs past the
backup-equipment limit flagged for lending backup equipment. Reloads every 30 s; clocks move every 15 s."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import flet as ft

from console.api import ConsoleApi
from console.clients.stations import StationsClient
from console.components.widgets import button, chip, chips, error_text, muted, on, title
from console.context import use_office
from console.logic.board import BoardRow, Filter, Urgency, board_rows, counts, matches, search
from console.logic.contacts import care_text
from console.logic.stations import ANY, NONE, in_station, station_finder
from console.roles import can_dispatch
from console.state import ConsoleState, use_draft, use_remote
from shared.job_rules import FINAL
from ui.components.common import (
    AMBER_BG,
    INK,
    LINE,
    MUTED,
    RED,
    RED_BG,
    SURFACE,
    badge,
    tagged,
    text_field,
)
from ui.text import clock_text, duration

SHOWN = 80  # a long board is filtered and searched, not scrolled
FINISHED_MIN = 2  # characters typed before a search also asks for finished jobs
FINISHED_PAUSE_S = 0.4  # and the pause in typing after which it asks
FINISHED_SHOWN = 20


async def _finished(api: ConsoleApi, query: str) -> list[dict[str, Any]]:
    """Closed and cancelled jobs matching ``query`` (number, symptom, caller), at most FINISHED_SHOWN."""
    if not query:
        return []
    page = await api.get("/api/jobs", q=query, status=sorted(FINAL), limit=FINISHED_SHOWN)
    return list(page["items"])


def _finished_row(
    state: ConsoleState, job: dict[str, Any], name: Callable[[str, Any], str], go: Callable[[str], None]
) -> ft.Control:
    t = state.t
    words = " · ".join(
        part
        for part in (
            job["number"],
            t(f"enum.status.{job['status']}"),
            name("customers", job.get("customer_id")),
            str(job.get("symptom") or ""),
        )
        if part
    )
    return tagged(
        f"finished-{job['number']}",
        button(words, lambda _e: go(f"/job/{job['id']}"), kind="quiet"),
    )


def _row(
    state: ConsoleState,
    row: BoardRow,
    names: Callable[[str, Any], str],
    on_open: Callable[[str], None],
    care: str = "",
) -> ft.Control:
    t, job = state.t, row.job
    clock, late = clock_text(state.lang, row.clock)
    if row.urgency is Urgency.SOON and not late:
        clock = t("console.board.soon", what=clock)
    major = job.get("severity") == "major"
    top: list[ft.Control] = [
        ft.Text(job["number"], size=16, weight=ft.FontWeight.BOLD, color=INK, width=150),
        badge(
            t(f"enum.severity.{job['severity']}"), bg=RED_BG if major else "#e9eef3", fg=RED if major else INK
        )
        if job.get("kind", "repair") == "repair"  # a severity is a fault's; other kinds show their kind
        else badge(t(f"enum.kind.{job['kind']}"), bg="#e9eef3"),
        badge(t(f"enum.status.{job['status']}"), bg="#dbe9ff"),
        ft.Text(
            f"{names('customers', job['customer_id'])} · {names('sites', job['site_id'])}",
            size=15,
            color=INK,
            expand=True,
            max_lines=1,
            overflow=ft.TextOverflow.ELLIPSIS,
        ),
    ]
    engineer = names("engineers", job.get("assigned_engineer_id"))
    flags: list[ft.Control] = [
        ft.Text(
            clock,
            size=15,
            weight=ft.FontWeight.BOLD,
            color="#ffffff" if late else INK,
            bgcolor=RED if late else (AMBER_BG if row.urgency is Urgency.SOON else None),
        ),
        badge(engineer, bg="#e9eef3")
        if engineer
        else badge(t("console.board.unassigned"), bg=RED_BG, fg=RED, border=RED),
    ]
    if row.needs_backup:
        flags.append(
            tagged(
                f"backup-{job['number']}",
                badge(t("console.board.lend_backup"), bg="#ffd8a8", fg="#7a3300", border="#b35900"),
            )
        )
    elif row.backup_lent:
        flags.append(badge(t("console.board.backup_lent"), bg="#d7f5dc"))
    if row.kept_late:
        what = "、".join(t(f"app.sla.{p}") for p in row.kept_late)
        flags.append(badge(t("console.board.kept_late", what=what), bg=AMBER_BG))
    if job.get("times_flagged"):
        flags.append(badge(t("console.qa.times_flagged"), bg=RED_BG, fg=RED))
    if care:  # a key customer (重点客户) and the person responsible for it (指定专人负责)
        flags.append(tagged(f"care-{job['number']}", badge(care, bg="#fff1c2", fg="#6b4e00")))
    if row.on_hold and job.get("office_reason"):
        flags.append(badge(t("console.board.held", reason=job["office_reason"]), bg=AMBER_BG))
    symptom = job.get("symptom") or ""
    breached = row.urgency is Urgency.BREACHED
    return ft.Semantics(
        identifier=f"board-{job['number']}",
        button=True,
        label=f"{job['number']} {clock}",
        content=ft.Container(
            key=row.id,
            bgcolor=RED_BG if breached else SURFACE,
            border=ft.Border.all(2 if breached else 1, RED if breached else LINE),
            border_radius=8,
            padding=ft.Padding.symmetric(horizontal=12, vertical=8),
            ink=True,
            on_click=lambda _e: on_open(row.id),
            content=ft.Column(
                [
                    ft.Row(top, spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER),
                    ft.Row(flags, wrap=True, spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER),
                    ft.Text(symptom, size=14, color=MUTED, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS)
                    if symptom
                    else ft.Container(),
                ],
                spacing=4,
                tight=True,
            ),
        ),
    )


@ft.component
def BoardScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    which, set_which = ft.use_state(Filter.ALL)
    text, set_text = use_draft(office, "board.text", "")
    loaded = use_remote(
        office, lambda api: api.all_pages("/api/jobs", open_only="true"), [state.revision, state.signed_in]
    )
    # the board holds open jobs; a search also asks the server for finished ones (closed, cancelled), so
    # a customer calling about a job already done or called off finds it here too
    typed = text.strip() if len(text.strip()) >= FINISHED_MIN else ""
    asked, set_asked = ft.use_state(typed)
    pause = ft.use_ref(0)

    async def settle() -> None:  # asked once typing pauses, not at every key (a LIKE over every job)
        pause.current = (pause.current or 0) + 1
        mine = pause.current
        if typed:
            await asyncio.sleep(FINISHED_PAUSE_S)
        if pause.current == mine:
            set_asked(typed)

    ft.use_effect(settle, [typed])

    async def finished_jobs(api: ConsoleApi) -> list[dict[str, Any]]:
        return await _finished(api, asked)

    finished = use_remote(office, finished_jobs, [asked, state.revision, state.signed_in])
    network = use_remote(office, lambda api: StationsClient(api).network(), [state.revision, state.signed_in])
    station, set_station = use_draft(office, "board.station", ANY)
    station_of = station_finder(
        [r.model_dump(mode="json") for r in network.value.regions] if network.value else []
    )
    jobs: list[dict[str, Any]] = [j for j in loaded.value or [] if in_station(j, station, station_of)]
    rows = board_rows(jobs, state.now)
    tally = counts(rows)
    directory = office.directory
    shown = [r for r in search(rows, text, directory.names()) if matches(r, which)]

    filters = chips(
        [
            chip(
                t(f"console.board.filter.{f.value}", n=tally[f]),
                which is f,
                on(set_which, f),
                ident=f"filter-{f.value}",
            )
            for f in Filter
        ]
    )
    header: list[ft.Control] = [
        ft.Row(
            [
                title(t("console.board.title")),
                tagged(
                    "board-summary",
                    ft.Row(
                        [
                            badge(
                                t("console.board.count.breached", n=tally[Filter.BREACHED]),
                                bg=RED,
                                fg="#ffffff",
                            ),
                            badge(t("console.board.count.soon", n=tally[Filter.SOON]), bg=AMBER_BG),
                            badge(
                                t("console.board.count.backup", n=tally[Filter.BACKUP]),
                                bg="#ffd8a8",
                                fg="#7a3300",
                            ),
                            badge(t("console.board.count.open", n=len(rows)), bg="#e9eef3"),
                        ],
                        spacing=8,
                        wrap=True,
                    ),
                ),
                ft.Container(expand=True),
                button(
                    t("console.board.new_call"),
                    lambda _e: office.go("/call"),
                    icon=ft.Icons.ADD_CALL,
                    ident="board-new-call",
                )
                if can_dispatch(state.role)
                else ft.Container(),
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        ),
        ft.Row(
            [
                ft.Container(
                    text_field(t("console.board.search"), text, lambda e: set_text(e.control.value)),
                    width=360,
                ),
                muted(t("console.board.explain", soon=duration(state.lang, 30 * 60))),
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
            wrap=True,
        ),
        filters,
    ]
    if network.value and network.value.stations:  # 售后服务站: the jobs of the sites in one station's area
        header.append(
            chips(
                [
                    chip(
                        t("console.board.station_any"),
                        station == ANY,
                        on(set_station, ANY),
                        ident="station-any",
                    ),
                    *(
                        chip(s.name, station == str(s.id), on(set_station, str(s.id)), ident=f"station-{i}")
                        for i, s in enumerate(network.value.stations)
                    ),
                    chip(
                        t("console.board.station_none"),
                        station == NONE,
                        on(set_station, NONE),
                        ident="station-none",
                    ),
                ]
            )
        )
    if loaded.error:
        header.append(error_text(loaded.error))
    staff = {k: str(u.get("display_name", "")) for k, u in directory.users.items()}
    body: list[ft.Control] = [
        _row(
            state,
            r,
            directory.name,
            lambda ident: office.go(f"/job/{ident}"),
            care_text(directory.customers.get(str(r.job.get("customer_id"))), staff, t),
        )
        for r in shown[:SHOWN]
    ]
    if not shown and not loaded.loading:
        body.append(muted(t("console.board.none"), 17))
    done = finished.value if asked and asked == typed and finished.value else []
    if done:
        body.append(muted(t("console.board.finished", n=len(done)), 17))
        body.extend(_finished_row(state, job, directory.name, office.go) for job in done)
    if len(shown) > SHOWN:
        body.append(muted(t("console.board.more", n=len(shown) - SHOWN)))
    return ft.ListView(
        [*header, tagged("board-list", ft.Column(body, spacing=6, tight=True))],
        spacing=12,
        padding=16,
        expand=True,
    )
