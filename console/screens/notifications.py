"""The notification centre (通知中心): what escalation told the signed-in user, newest first, unread in
bold. Opening one marks it read and goes to its job; the unread count stands in the navigation."""

from __future__ import annotations

import flet as ft

from console.clients.escalation import EscalationClient
from console.components.widgets import button, error_text, muted, on, panel, title
from console.context import use_office
from console.logic.times import full
from console.screens.people import ExpiringPanel
from console.state import ConsoleState, use_remote
from shared.escalation import NotificationOut, message_text
from ui.components.common import RED, Handler, tagged


def _card(state: ConsoleState, tz: object, note: NotificationOut, open_it: Handler) -> ft.Control:
    t = state.t
    subject, body = message_text(state.lang, note.event_kind.value, note.params)
    unread = note.read_at is None
    head = ft.Row(
        [
            ft.Text(
                subject,
                size=16,
                weight=ft.FontWeight.BOLD if unread else ft.FontWeight.NORMAL,
                color=RED if unread and note.severity == "major" else None,
            ),
            ft.Text(
                t("console.notifications.unread") if unread else t("console.notifications.read"),
                size=13,
                color="#8a5300" if unread else "#5b6570",
            ),
        ],
        wrap=True,
        spacing=12,
    )
    card = ft.Container(
        content=ft.Column(
            [
                head,
                ft.Text(body, size=14),
                ft.Text(full(note.created_at, tz), size=13, color="#5b6570"),  # type: ignore[arg-type]
            ],
            spacing=4,
            tight=True,
        ),
        padding=12,
        border_radius=8,
        bgcolor="#fff8e6" if unread else "#ffffff",
        border=ft.Border.all(1, "#9aa3ad"),
        on_click=open_it,
        ink=True,
    )
    return tagged(f"note-{note.id}", card)


@ft.component
def NotificationsScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(office, lambda api: EscalationClient(api).mine(), [state.revision])

    async def open_note(note: NotificationOut) -> None:
        if note.read_at is None:
            await office.act(lambda api: EscalationClient(api).read(str(note.id)))
        if note.job_id is not None:
            office.go(f"/job/{note.job_id}")
        elif note.params.get("complaint"):  # a complaint's deadline: the customer's file has it
            named = [k for k, c in office.directory.customers.items() if c["name"] == note.params["customer"]]
            if named:
                office.go(f"/customers/{named[0]}")

    async def read_all() -> None:
        await office.act(
            lambda api: EscalationClient(api).read_all(), done=t("console.notifications.all_read")
        )

    body: list[ft.Control] = [
        ft.Row(
            [
                title(t("console.notifications.title")),
                button(
                    t("console.notifications.read_all"), on(read_all), kind="quiet", ident="notes-read-all"
                ),
            ],
            wrap=True,
            spacing=16,
        ),
        muted(t("console.notifications.explain")),
        ExpiringPanel(state, link=True),  # 持证上岗: certificates expired or expiring within 30 days
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    notes = loaded.value
    if notes is None:
        body.append(muted(t("console.stock.loading")))
    elif not notes:
        body.append(panel(t("console.notifications.title"), [muted(t("console.notifications.none"))]))
    else:
        body += [_card(state, office.tz, n, on(open_note, n)) for n in notes]
    return ft.ListView(body, spacing=10, padding=16, expand=True)
