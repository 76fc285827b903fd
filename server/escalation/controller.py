"""``/api/notifications`` (everyone's own notification centre) and ``/api/escalation`` (the managers'
rules, the log of every notification and delivery try, and a scan on demand)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import audit
from server.db.models import Customer, EscalationRule, Notification, NotificationAttempt, User
from server.deps import CurrentUser, DbSession, requires_any_user, requires_to
from server.errors import Invalid, NotFound
from server.escalation.scanner import scan
from shared.clock import utcnow
from shared.escalation import (
    AttemptOut,
    Channel,
    DeliveryState,
    NotificationOut,
    RuleIn,
    RuleOut,
    ScanResult,
    UnreadCount,
)
from shared.roles import Capability

requires_escalation = requires_to(Capability.MANAGE_ESCALATION)


_MY_NOTIFICATIONS = "The signed-in user's notification centre, newest first (at most 200)."

_UNREAD_COUNT = "How many of the signed-in user's notifications are unread (the badge in the navigation)."

_MARK_READ = "Mark one of the signed-in user's notifications read (again: it stays read when it was)."

_MARK_ALL_READ = "Mark every unread notification of the signed-in user read."

_LIST_RULES = (
    "The escalation rules: for which events, severity and customer, who is told and on which channel."
)

_CREATE_RULE = (
    "Add a rule. A customer or user that does not exist, or a channel with nobody to tell, is a 422."
)

_REPLACE_RULE = "Change a rule (the whole rule is sent). Notifications already made stay as they were."

_DELETE_RULE = "Remove a rule; the notifications it made stay in the log."

_LOG = "Every notification made, to whom and over which channel, with its delivery state (newest first, at most 500)."

_ATTEMPTS = "Every delivery try of one outbound notification: when, sent or failed, and the error."

_SCAN_NOW = "Run one escalation pass now (the server runs one every ``LEVEE_ESCALATION_INTERVAL_S``): the notifications are made before the answer; e-mail and webhooks go out in the background."


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _out(note: Notification) -> NotificationOut:
    out = NotificationOut.model_validate(note)
    out.created_at = _utc(note.created_at) or note.created_at
    out.read_at, out.due_at = _utc(note.read_at), _utc(note.due_at)
    return out


def _rule_out(rule: EscalationRule) -> RuleOut:
    out = RuleOut.model_validate(rule)
    out.created_at = _utc(rule.created_at) or rule.created_at
    out.updated_at = _utc(rule.updated_at) or rule.updated_at
    return out


async def _unread(session: AsyncSession, user_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


class NotificationController(Controller):
    path = "/api/notifications"
    tags = ["escalation"]  # noqa: RUF012

    @get("/", guards=[requires_any_user], summary="My notifications", description=_MY_NOTIFICATIONS)
    async def my_notifications(
        self,
        db_session: DbSession,
        principal: CurrentUser,
        unread: Annotated[bool, QueryParameter(description="only the ones not read yet")] = False,
    ) -> list[NotificationOut]:
        """The signed-in user's notification centre, newest first (at most 200)."""
        query = select(Notification).where(Notification.user_id == principal.user_id)
        if unread:
            query = query.where(Notification.read_at.is_(None))
        rows = await db_session.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id).limit(200)
        )
        return [_out(n) for n in rows]

    @get(
        "/unread-count",
        guards=[requires_any_user],
        summary="How many of my notifications are unread",
        description=_UNREAD_COUNT,
    )
    async def unread_count(self, db_session: DbSession, principal: CurrentUser) -> UnreadCount:
        """How many of the signed-in user's notifications are unread (the badge in the navigation)."""
        return UnreadCount(unread=await _unread(db_session, principal.user_id))

    @post(
        "/{notification_id:uuid}/read",
        guards=[requires_any_user],
        status_code=200,
        summary="Mark one notification read",
        description=_MARK_READ,
    )
    async def mark_read(
        self, notification_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> NotificationOut:
        """Mark one of the signed-in user's notifications read (again: it stays read when it was)."""
        note = await db_session.get(Notification, notification_id)
        if note is None or note.user_id != principal.user_id:
            raise NotFound(
                f"no notification with id {notification_id}",
                code="notification.not_found",
                params={"id": notification_id},
            )
        if note.read_at is None:
            note.read_at = utcnow()
            await audit.record_by(
                db_session, principal, "notification.read", "notification", note.id, {"event": note.event_key}
            )
        out = _out(note)
        await db_session.commit()
        return out

    @post(
        "/read-all",
        guards=[requires_any_user],
        status_code=200,
        summary="Mark all my notifications read",
        description=_MARK_ALL_READ,
    )
    async def mark_all_read(self, db_session: DbSession, principal: CurrentUser) -> UnreadCount:
        """Mark every unread notification of the signed-in user read."""
        result: Any = await db_session.execute(
            update(Notification)
            .where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        await audit.record_by(
            db_session,
            principal,
            "notification.read_all",
            "user",
            principal.user_id,
            {"count": result.rowcount},
        )
        await db_session.commit()
        return UnreadCount(unread=0)


async def _checked(session: AsyncSession, data: RuleIn) -> None:
    """Refuse a rule naming a customer or user that does not exist, or telling nobody."""
    if data.customer_id is not None and await session.get(Customer, data.customer_id) is None:
        raise Invalid(
            f"no customer with id {data.customer_id}",
            field="customer_id",
            code="customer.not_found",
            params={"id": data.customer_id},
        )
    if data.user_ids:
        found = set((await session.scalars(select(User.id).where(User.id.in_(data.user_ids)))).all())
        missing = [u for u in data.user_ids if u not in found]
        if missing:
            raise Invalid(
                f"no user with id {missing[0]}",
                field="user_ids",
                code="escalation.unknown_user",
                params={"id": missing[0]},
            )
    channels = set(data.channels)
    if Channel.CONSOLE in channels and not (data.roles or data.user_ids):
        raise Invalid(
            "the console channel needs roles or named users",
            field="roles",
            code="escalation.nobody",
            params={"channel": Channel.CONSOLE.value},
        )
    if Channel.EMAIL in channels and not data.emails:
        raise Invalid(
            "the email channel needs at least one address",
            field="emails",
            code="escalation.nobody",
            params={"channel": Channel.EMAIL.value},
        )


def _apply(rule: EscalationRule, data: RuleIn) -> None:
    values = data.model_dump(mode="json")
    rule.name = data.name
    rule.severity = values["severity"]
    rule.customer_id = data.customer_id
    for name in ("events", "roles", "user_ids", "emails", "channels"):
        setattr(rule, name, sorted(set(values[name]), key=values[name].index))
    rule.active = data.active


class EscalationController(Controller):
    path = "/api/escalation"
    tags = ["escalation"]  # noqa: RUF012

    @get("/rules", guards=[requires_escalation], summary="List the escalation rules", description=_LIST_RULES)
    async def list_rules(self, db_session: DbSession) -> list[RuleOut]:
        """The escalation rules: for which events, severity and customer, who is told and on which channel."""
        rows = await db_session.scalars(select(EscalationRule).order_by(EscalationRule.created_at))
        return [_rule_out(r) for r in rows]

    @post("/rules", guards=[requires_escalation], summary="Add an escalation rule", description=_CREATE_RULE)
    async def create_rule(
        self, data: JSONBody[RuleIn], db_session: DbSession, principal: CurrentUser
    ) -> RuleOut:
        """Add a rule. A customer or user that does not exist, or a channel with nobody to tell, is a 422."""
        await _checked(db_session, data)
        rule = EscalationRule()
        _apply(rule, data)
        db_session.add(rule)
        await db_session.flush()
        await audit.record_by(
            db_session,
            principal,
            "escalation.rule.create",
            "escalation_rule",
            rule.id,
            {"data": data.model_dump(mode="json")},
        )
        out = _rule_out(rule)
        await db_session.commit()
        return out

    @put(
        "/rules/{rule_id:uuid}",
        guards=[requires_escalation],
        summary="Change an escalation rule",
        description=_REPLACE_RULE,
    )
    async def replace_rule(
        self,
        rule_id: FromPath[uuid.UUID],
        data: JSONBody[RuleIn],
        db_session: DbSession,
        principal: CurrentUser,
    ) -> RuleOut:
        """Change a rule (the whole rule is sent). Notifications already made stay as they were."""
        rule = await db_session.get(EscalationRule, rule_id)
        if rule is None:
            raise NotFound(
                f"no rule with id {rule_id}", code="escalation.rule_not_found", params={"id": rule_id}
            )
        await _checked(db_session, data)
        _apply(rule, data)
        rule.updated_at = utcnow()
        await audit.record_by(
            db_session,
            principal,
            "escalation.rule.update",
            "escalation_rule",
            rule.id,
            {"data": data.model_dump(mode="json")},
        )
        out = _rule_out(rule)
        await db_session.commit()
        return out

    @delete(
        "/rules/{rule_id:uuid}",
        guards=[requires_escalation],
        status_code=204,
        summary="Remove an escalation rule",
        description=_DELETE_RULE,
    )
    async def delete_rule(
        self, rule_id: FromPath[uuid.UUID], db_session: DbSession, principal: CurrentUser
    ) -> None:
        """Remove a rule; the notifications it made stay in the log."""
        rule = await db_session.get(EscalationRule, rule_id)
        if rule is None:
            raise NotFound(
                f"no rule with id {rule_id}", code="escalation.rule_not_found", params={"id": rule_id}
            )
        await audit.record_by(
            db_session, principal, "escalation.rule.delete", "escalation_rule", rule.id, {"name": rule.name}
        )
        await db_session.delete(rule)
        await db_session.commit()

    @get("/log", guards=[requires_escalation], summary="The notification log", description=_LOG)
    async def log(
        self,
        db_session: DbSession,
        delivery: Annotated[
            DeliveryState | None, QueryParameter(name="state", description="only in this delivery state")
        ] = None,
        job_id: Annotated[uuid.UUID | None, QueryParameter(description="only about this job")] = None,
    ) -> list[NotificationOut]:
        """Every notification made, to whom and over which channel, with its delivery state (newest first,
        at most 500)."""
        query = select(Notification, User.display_name).outerjoin(User, User.id == Notification.user_id)
        if delivery is not None:
            query = query.where(Notification.state == delivery.value)
        if job_id is not None:
            query = query.where(Notification.job_id == job_id)
        rows = await db_session.execute(
            query.order_by(Notification.created_at.desc(), Notification.id).limit(500)
        )
        out = []
        for note, name in rows:
            item = _out(note)
            item.recipient_name = name or ""
            out.append(item)
        return out

    @get(
        "/log/{notification_id:uuid}/attempts",
        guards=[requires_escalation],
        summary="The delivery tries of one notification",
        description=_ATTEMPTS,
    )
    async def attempts(self, notification_id: FromPath[uuid.UUID], db_session: DbSession) -> list[AttemptOut]:
        """Every delivery try of one outbound notification: when, sent or failed, and the error."""
        if await db_session.get(Notification, notification_id) is None:
            raise NotFound(
                f"no notification with id {notification_id}",
                code="notification.not_found",
                params={"id": notification_id},
            )
        rows = await db_session.scalars(
            select(NotificationAttempt)
            .where(NotificationAttempt.notification_id == notification_id)
            .order_by(NotificationAttempt.number)
        )
        out = []
        for a in rows:
            item = AttemptOut.model_validate(a)
            item.at = _utc(a.at) or a.at
            out.append(item)
        return out

    @post(
        "/scan",
        guards=[requires_escalation],
        status_code=200,
        summary="Run an escalation scan now",
        description=_SCAN_NOW,
    )
    async def scan_now(
        self, request: Request[Any, Any, Any], db_session: DbSession, principal: CurrentUser
    ) -> ScanResult:
        """Run one escalation pass now (the server runs one every ``LEVEE_ESCALATION_INTERVAL_S``): the
        notifications are made before the answer; e-mail and webhooks go out in the background."""
        state = request.app.state
        outcome = await scan(state.sessionmaker, state.settings, utcnow(), deliver=False)
        runner = state.get("escalation_runner")
        if runner is not None:
            runner.deliver_soon()
        await audit.record_by(
            db_session,
            principal,
            "escalation.scan",
            "user",
            principal.user_id,
            {"created": outcome.created, "delivered": outcome.delivered, "failed": outcome.failed},
        )
        await db_session.commit()
        return ScanResult(created=outcome.created, delivered=outcome.delivered, failed=outcome.failed)
