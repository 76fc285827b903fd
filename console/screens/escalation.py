"""The escalation screen for managers (紧急事件上报规则): the rules (which events, for which severity and
customer, told to whom and on which channel), adding one, switching one off or removing it, a scan now,
and the log of every notification with its delivery state."""

from __future__ import annotations

import flet as ft

from console.clients.escalation import EscalationClient
from console.clients.stock import checked
from console.components.widgets import button, chip, chips, error_text, muted, on, panel, table, title
from console.context import use_office
from console.logic.times import full
from console.state import ConsoleState, use_draft, use_remote
from shared.enums import Role, Severity
from shared.escalation import Channel, EventKind, RuleIn, RuleOut
from ui.components.common import text_field

#: the roles a rule may name (engineers are told on the tablet's job list, not here)
OFFICE_ROLES = (Role.DISPATCHER, Role.MANAGER, Role.QA, Role.WAREHOUSE, Role.ADMIN)


def _toggle(values: list[str], value: str) -> list[str]:
    return [v for v in values if v != value] if value in values else [*values, value]


def _rule_in(rule: RuleOut, **changes: object) -> RuleIn:
    data = rule.model_dump(mode="json", exclude={"id", "created_at", "updated_at"})
    return checked(RuleIn, **(data | changes))


@ft.component
def EscalationScreen(state: ConsoleState) -> ft.Control:
    office = use_office()
    t = state.t
    loaded = use_remote(office, lambda api: EscalationClient(api).overview(), [state.revision])
    name, set_name = use_draft(office, "escalation.add.name", "")
    severity, set_severity = use_draft(office, "escalation.add.severity", "")
    customer, set_customer = use_draft(office, "escalation.add.customer", "")
    events, set_events = use_draft(office, "escalation.add.events", [EventKind.PROMISE_MISSED.value])
    roles, set_roles = use_draft(office, "escalation.add.roles", [Role.MANAGER.value])
    emails, set_emails = use_draft(office, "escalation.add.emails", "")
    channels, set_channels = use_draft(office, "escalation.add.channels", [Channel.CONSOLE.value])
    body: list[ft.Control] = [
        ft.Row(
            [
                title(t("console.escalation.title")),
                button(
                    t("console.escalation.scan"),
                    on(
                        office.act,
                        lambda api: EscalationClient(api).scan(),
                    ),
                    kind="quiet",
                    icon=ft.Icons.NOTIFICATIONS_ACTIVE,
                    ident="escalation-scan",
                ),
            ],
            wrap=True,
            spacing=16,
        ),
        muted(t("console.escalation.explain")),
    ]
    if loaded.error:
        body.append(error_text(loaded.error))
    data = loaded.value
    if data is None:
        body.append(muted(t("console.stock.loading")))
        return ft.ListView(body, spacing=12, padding=16, expand=True)
    customers = office.directory.customers

    def who(rule: RuleOut) -> str:
        parts = [t(f"console.role.{r.value}") for r in rule.roles]
        parts += [office.directory.name("engineers", u) or str(u)[:8] for u in rule.user_ids]
        parts += rule.emails
        return "、".join(parts) or "—"

    rows = [
        [
            rule.name,
            t(f"enum.severity.{rule.severity.value}") if rule.severity else t("console.escalation.any"),
            office.directory.name("customers", rule.customer_id)
            if rule.customer_id
            else t("console.escalation.any"),
            "、".join(t(f"enum.escalation_event.{e.value}") for e in rule.events),
            who(rule),
            "、".join(t(f"enum.channel.{c.value}") for c in rule.channels),
            t("console.escalation.on") if rule.active else t("console.escalation.off"),
        ]
        for rule in data.rules
    ]
    headers = [
        t(f"console.escalation.col.{c}")
        for c in ("name", "severity", "customer", "events", "who", "channels", "active")
    ]

    async def switch(rule: RuleOut) -> None:
        await office.act(
            lambda api: EscalationClient(api).replace_rule(
                str(rule.id), _rule_in(rule, active=not rule.active)
            ),
            done=t("console.escalation.saved"),
        )

    async def remove(rule: RuleOut) -> None:
        await office.act(
            lambda api: EscalationClient(api).delete_rule(str(rule.id)), done=t("console.escalation.removed")
        )

    body.append(
        panel(
            t("console.escalation.rules", n=len(data.rules)),
            [
                table(headers, rows, ident="escalation-rules")
                if rows
                else muted(t("console.escalation.no_rules")),
                *(
                    ft.Row(
                        [
                            muted(rule.name),
                            button(
                                t("console.escalation.switch_off")
                                if rule.active
                                else t("console.escalation.switch_on"),
                                on(switch, rule),
                                kind="quiet",
                                ident=f"rule-switch-{i}",
                            ),
                            button(
                                t("console.escalation.remove"),
                                on(remove, rule),
                                kind="quiet",
                                ident=f"rule-remove-{i}",
                            ),
                        ],
                        wrap=True,
                        spacing=8,
                    )
                    for i, rule in enumerate(data.rules)
                ),
            ],
            ident="escalation-rules-panel",
        )
    )

    async def add() -> None:
        if not name.strip():
            state.tell(t("console.escalation.need_name"), error=True)
            return
        addresses = [a.strip() for a in emails.replace("，", ",").replace(";", ",").split(",") if a.strip()]
        if await office.act(
            lambda api: EscalationClient(api).add_rule(
                checked(
                    RuleIn,
                    name=name,
                    severity=severity or None,
                    customer_id=customer or None,
                    events=events,
                    roles=roles,
                    emails=addresses,
                    channels=channels,
                )
            ),
            done=t("console.escalation.added", name=name.strip()),
        ):
            set_name("")
            set_emails("")

    body.append(
        panel(
            t("console.escalation.add_title"),
            [
                ft.Container(
                    text_field(t("console.escalation.name"), name, lambda e: set_name(e.control.value)),
                    width=360,
                ),
                muted(t("console.escalation.col.severity")),
                chips(
                    [
                        chip(
                            t("console.escalation.any"),
                            not severity,
                            on(set_severity, ""),
                            ident="rule-sev-any",
                        )
                    ]
                    + [
                        chip(
                            t(f"enum.severity.{s.value}"),
                            severity == s.value,
                            on(set_severity, s.value),
                            ident=f"rule-sev-{s.value}",
                        )
                        for s in Severity
                    ]
                ),
                muted(t("console.escalation.col.customer")),
                chips(
                    [
                        chip(
                            t("console.escalation.any"),
                            not customer,
                            on(set_customer, ""),
                            ident="rule-cust-any",
                        )
                    ]
                    + [
                        chip(str(c.get("name", "")), customer == cid, on(set_customer, cid))
                        for cid, c in sorted(customers.items(), key=lambda kv: str(kv[1].get("name", "")))
                    ]
                ),
                muted(t("console.escalation.col.events")),
                chips(
                    [
                        chip(
                            t(f"enum.escalation_event.{e.value}"),
                            e.value in events,
                            on(set_events, _toggle(events, e.value)),
                            ident=f"rule-event-{e.value}",
                        )
                        for e in EventKind
                    ]
                ),
                muted(t("console.escalation.col.who")),
                chips(
                    [
                        chip(
                            t(f"console.role.{r.value}"),
                            r.value in roles,
                            on(set_roles, _toggle(roles, r.value)),
                            ident=f"rule-role-{r.value}",
                        )
                        for r in OFFICE_ROLES
                    ]
                ),
                muted(t("console.escalation.col.channels")),
                chips(
                    [
                        chip(
                            t(f"enum.channel.{c.value}"),
                            c.value in channels,
                            on(set_channels, _toggle(channels, c.value)),
                            ident=f"rule-channel-{c.value}",
                        )
                        for c in Channel
                    ]
                ),
                ft.Container(
                    text_field(t("console.escalation.emails"), emails, lambda e: set_emails(e.control.value)),
                    width=480,
                ),
                button(t("console.escalation.add"), on(add), ident="rule-add", icon=ft.Icons.ADD),
            ],
            ident="escalation-add",
        )
    )
    log_headers = [
        t(f"console.escalation.log_col.{c}")
        for c in ("time", "event", "job", "to", "channel", "state", "error")
    ]
    log_rows = [
        [
            full(n.created_at, office.tz),
            t(f"enum.escalation_event.{n.event_kind.value}"),
            n.params.get("job", ""),
            n.recipient_name or n.recipient.split(":", 1)[-1][:40],
            t(f"enum.channel.{n.channel.value}"),
            t(f"enum.delivery_state.{n.state.value}") + (f" ×{n.attempts}" if n.attempts > 1 else ""),
            n.last_error[:60] or "—",
        ]
        for n in data.log
    ]
    body.append(
        panel(
            t("console.escalation.log", n=len(data.log)),
            [
                table(
                    log_headers,
                    log_rows,
                    red=[(i, 5) for i, n in enumerate(data.log) if n.state.value == "failed"],
                    ident="escalation-log",
                )
                if log_rows
                else muted(t("console.escalation.no_log"))
            ],
        )
    )
    return ft.ListView(body, spacing=12, padding=16, expand=True)
