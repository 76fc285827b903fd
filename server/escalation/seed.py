"""Demo escalation: the rules a flood-season service desk would set, and the notifications they make on the
demo's open jobs at ``now``, so the console opens with unread notifications and a log to read.

Major faults and missed promises of major calls reach the manager and the dispatcher at once; missed
promises and backup due of general calls reach the dispatcher; one customer (the first, a water bureau)
has its duty mailbox told of its major faults by e-mail. Without ``LEVEE_SMTP_HOST`` that e-mail fails
with "not configured" in the log, which is what a demo without a mail server should say.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, EscalationRule
from server.escalation.scanner import find_events, record_notifications
from server.settings import Settings
from shared.enums import Role, Severity
from shared.escalation import Channel, EventKind

DUTY_MAILBOX = "fxb-duty@levee.example"


async def seed_escalation(session: AsyncSession, *, now: datetime) -> dict[str, int]:
    """The rules and the notifications of a scan at ``now``; the caller commits. Returns row counts."""
    first = await session.scalar(select(Customer).order_by(Customer.name).limit(1))
    rules = [
        EscalationRule(
            name="重大故障及超时：经理与调度",
            severity=Severity.MAJOR.value,
            events=[e.value for e in EventKind],
            roles=[Role.MANAGER.value, Role.DISPATCHER.value],
            channels=[Channel.CONSOLE.value],
        ),
        EscalationRule(
            name="一般故障超时与备用设备：调度",
            severity=Severity.GENERAL.value,
            events=[EventKind.PROMISE_MISSED.value, EventKind.BACKUP_DUE.value],
            roles=[Role.DISPATCHER.value],
            channels=[Channel.CONSOLE.value],
        ),
    ]
    rules.append(
        EscalationRule(
            name="投诉即将超期与已超期：经理与质量",
            events=[EventKind.COMPLAINT_DUE_SOON.value, EventKind.COMPLAINT_LATE.value],
            roles=[Role.MANAGER.value, Role.QA.value],
            channels=[Channel.CONSOLE.value],
        )
    )
    if first is not None:
        rules.append(
            EscalationRule(
                name=f"{first.name}重大故障：值班邮箱",
                severity=Severity.MAJOR.value,
                customer_id=first.id,
                events=[EventKind.MAJOR_FAULT.value],
                emails=[DUTY_MAILBOX],
                channels=[Channel.EMAIL.value],
            )
        )
    for rule in rules:
        rule.created_at = rule.updated_at = now
        rule.active = True
        rule.user_ids = []
        rule.roles = rule.roles or []
        rule.emails = rule.emails or []
    session.add_all(rules)
    await session.flush()
    settings = Settings(webhook_url="")  # the demo tells the console and e-mail; no webhook
    events = await find_events(session, now, settings)
    made = await record_notifications(session, events, settings, now)
    return {"escalation_rules": len(rules), "notifications": made}
